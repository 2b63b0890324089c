"""`er evaluate --plots DIR`: the figures as PNG (matplotlib) and one self-contained HTML page (the PNGs inlined,
the figures as a table; no script, no network)."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

FIGURES = ("roc_auc", "pr_auc", "precision_at_k", "precision", "recall")


def _bars(ax: Any, rows: list[tuple[str, dict[str, Any]]], title: str, zero: bool = False) -> None:
    """Horizontal bars with their 95 % intervals as error bars (figures that are undefined are left out)."""
    names, values, lows, highs = [], [], [], []
    for name, e in rows:
        if e.get("value") is None:
            continue
        names.append(name)
        values.append(e["value"])
        lows.append(e["value"] - (e["low"] if e["low"] is not None else e["value"]))
        highs.append((e["high"] if e["high"] is not None else e["value"]) - e["value"])
    ax.barh(range(len(names)), values, xerr=[lows, highs], color="#4c72b0", ecolor="#333333", capsize=3)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_title(title)
    if zero:
        ax.axvline(0, color="#999999", linewidth=0.8)
    else:
        ax.set_xlim(0, 1)


def write_plots(result: dict[str, Any], folder: Path) -> list[Path]:
    """One PNG per figure (every signal with its interval), one for the change without a source and the vendor
    lift when they were asked for, and report.html holding them all. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = folder / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    signals = result["signals"]
    for figure in FIGURES:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(signals) + 1.2))
        judged = result["labels"]["judged_accounts"]
        _bars(ax, [(s, m[figure]) for s, m in signals.items()], f"{figure} (95 % CI) on {judged} accounts")
        save(fig, figure)
    if "without" in result:
        w = result["without"]
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(w["figures"]) + 1.2))
        _bars(ax, [(s, m["roc_auc"]["change"]) for s, m in w["figures"].items() if "roc_auc" in m],
              f"ROC-AUC with minus without {w['source']} (paired 95 % CI)", zero=True)
        save(fig, f"without_{w['source']}")
    if result.get("vendor", {}).get("lift", {}).get("change"):
        v = result["vendor"]["lift"]
        fig, ax = plt.subplots(figsize=(7, 1.8))
        _bars(ax, [("vendor lift", v["change"])], "ROC-AUC added by the vendor score (95 % CI)", zero=True)
        save(fig, "vendor_lift")
    page = folder / "report.html"
    page.write_text(_html(result, written), encoding="utf-8")
    written.append(page)
    return written


def _html(result: dict[str, Any], images: list[Path]) -> str:
    def cell(e: dict[str, Any]) -> str:
        if e.get("value") is None:
            return "<td>n/a</td>"
        return f"<td>{e['value']:.3f} <small>({e['low']:.3f}–{e['high']:.3f})</small></td>"

    head = "".join(f"<th>{html.escape(f)}</th>" for f in FIGURES)
    rows = "".join(f"<tr><th>{html.escape(s)}</th>{''.join(cell(m[f]) for f in FIGURES)}</tr>"
                   for s, m in result["signals"].items())
    pictures = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode("ascii")}"></figure>' for p in images)
    lines = []
    if "vendor" in result:
        lines.append(f"<p><b>Vendor</b> ({html.escape(result['vendor']['file'])}): "
                     f"{html.escape(result['vendor']['lift'].get('line', ''))}</p>")
    labels = result["labels"]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>er evaluate</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;text-align:right}"
        "th:first-child{text-align:left}table{border-collapse:collapse}tr:nth-child(even){background:#f4f4f4}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>Evaluation of {html.escape(str(result['run_id']))}</h1>"
        f"<p>As of {html.escape(result['as_of'])}; labels: {html.escape(labels['source'])}; "
        f"{labels['judged_accounts']} accounts judged ({labels['judged_abusive']} abusive); "
        f"{result['bootstrap']['resamples']} bootstrap resamples of accounts; precision at k = {result['k']}.</p>"
        f"{''.join(lines)}<table><tr><th>signal</th>{head}</tr>{rows}</table>{pictures}</body></html>"
    )
