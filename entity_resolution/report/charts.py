"""The report's charts: matplotlib figures drawn without a display (the Agg/SVG canvases, no pyplot state) and
returned as `data:` URIs of SVG, so report.html needs no script and no network, and one chart's ids cannot clash
with another's inside the page."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .figures import MatchWeight

WIDTH = 7.5  # inches at 96 dpi: the report's column width


def _svg(draw: Callable[[Any], None], height: float) -> str:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "er-report", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(WIDTH, height), dpi=96, layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})  # no date: the same run gives the same file
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def match_weights(prior: float | None, weights: list[MatchWeight]) -> str:
    """One bar per comparison level (log2 Bayes factor), grouped by comparison, the prior on top, as Splink's
    match weights chart."""
    rows: list[tuple[str, float, str]] = []
    if prior is not None:
        rows.append(("prior (two random records match)", prior, "prior"))
    for w in weights:
        rows.append((f"{w.comparison}: {w.level}"[:70], w.weight, w.comparison))

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        labels = [r[0] for r in rows][::-1]
        values = [r[1] for r in rows][::-1]
        colours = ["#b2182b" if v < 0 else "#2166ac" for v in values]
        ax.barh(range(len(rows)), values, color=colours)
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel("match weight (log2 Bayes factor)")

    return _svg(draw, max(2.5, 0.16 * len(rows) + 0.8))


def probabilities(bins: list[tuple[float, int]], width: float, weights: list[tuple[float, int]]) -> str:
    """Links by match probability (0 to 1) and by match weight (one bar per bit), side by side."""
    def draw(fig: Any) -> None:
        left, right = fig.subplots(1, 2)
        left.bar([b for b, _ in bins], [n for _, n in bins], width=width, align="edge", color="#4393c3")
        left.set_xlim(0, 1)
        left.set_yscale("log")
        left.set_ylim(bottom=0.8)  # a bin of one link still shows
        left.set_xlabel("match probability")
        left.set_ylabel("links (log scale)")
        right.bar([b for b, _ in weights], [n for _, n in weights], width=1.0, align="edge", color="#2166ac")
        right.set_yscale("log")
        right.set_ylim(bottom=0.8)
        right.set_xlabel("match weight (bits)")

    return _svg(draw, 2.6)


def ring_sizes(sizes: list[int]) -> str:
    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        top = max(sizes)
        ax.hist(sizes, bins=range(1, top + 2), color="#762a83", align="left")
        ax.set_xlabel("accounts in the ring")
        ax.set_ylabel("rings")

    return _svg(draw, 2.4)


def growth(series: dict[str, list[tuple[datetime, int]]]) -> str:
    """Cumulative sign-ups of each ring's members, by week."""
    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        for ring, points in series.items():
            total, xs, ys = 0, [], []
            for week, n in points:
                total += n
                xs.append(week)
                ys.append(total)
            ax.step(xs, ys, where="post", label=ring, linestyle="--" if ring == "other rings" else "-")
        ax.set_ylabel("member accounts signed up (cumulative)")
        ax.legend(fontsize=7, loc="upper left")
        fig.autofmt_xdate()

    return _svg(draw, 3.0)


def risk_by_label(abusive: list[float], benign: list[float]) -> str:
    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        edges = [i / 20 for i in range(21)]
        ax.hist([abusive, benign], bins=edges, label=[f"abusive ({len(abusive)})", f"benign ({len(benign)})"],
                color=["#b2182b", "#4d9221"])
        ax.set_xlabel("risk_score")
        ax.set_ylabel("labelled accounts")
        ax.legend(fontsize=7)

    return _svg(draw, 2.4)
