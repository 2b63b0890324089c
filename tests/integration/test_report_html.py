"""report.html: written by `er run` (and `er detect`), self-contained, rendered in headless chromium without a
console error, its figures read from the run; a failure to write it warns and never fails the run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution import pipeline
from entity_resolution.cli.main import app
from entity_resolution.demo.generator import generate
from entity_resolution.ingest import Inputs
from entity_resolution.report import render
from entity_resolution.runfolder import Manifest
from entity_resolution.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ["inputs", "model", "probabilities", "rings", "top-rings", "hubs", "evaluation"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("report")
    data = generate(work / "input", n_accounts=1500, seed=23, fmt="csv")
    result = pipeline.run(Inputs(data.accounts, data.devices, data.payments, data.labels), work / "run", Settings())
    return {"work": work, "data": data, "run": work / "run", "result": result}


def _html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_run_writes_a_self_contained_report(run: dict[str, Any]) -> None:
    report = run["run"] / "report.html"
    assert report.is_file() and run["result"].warnings == []
    assert "report" in run["result"].phase_seconds
    html = _html(report)
    assert re.findall(r'<section id="([a-z-]+)"', html) == SECTIONS
    # nothing fetched from anywhere: no script, every image a data: URI, no http(s) reference in an attribute
    assert "<script" not in html.lower()
    assert re.findall(r'(?:src|href)="(?!data:)', html) == []
    assert len(re.findall(r'<img class="chart"[^>]+src="data:image/svg\+xml;base64,', html)) == 5
    # the figures come from the run: its id, its counts, its largest ring first
    manifest = Manifest.read(run["run"] / "manifest.json")
    assert manifest.run_id in html
    assert f"<th>entities</th><td class=\"n\">{manifest.row_counts['entities']:,}</td>" in html
    rings = pq.read_table(run["run"] / "rings.parquet").sort_by([("account_count", "descending"),
                                                                  ("ring_id", "ascending")])
    assert rings.num_rows > 0
    first = re.search(r'<section id="top-rings">.*?<code>(R-[0-9a-f]+)</code>', html, re.S)
    assert first and first.group(1) == rings["ring_id"][0].as_py()
    # the demo's labels: label quality as of the run, with a ROC-AUC that is a number
    auc = re.search(r"risk_score ROC-AUC</th><td class=\"n\">([0-9.]+)<", html)
    assert auc and 0.5 < float(auc.group(1)) <= 1.0


def test_values_are_escaped(run: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run["run"], copy)
    hubs = pq.read_table(copy / "hubs.parquet")
    hostile = "<script>alert(1)</script>"
    values = [hostile, *hubs["value"].to_pylist()[1:]] if hubs.num_rows else [hostile]
    if not hubs.num_rows:
        hubs = pa.table({"kind": ["ip"], "value": values, "entity_count": [99], "account_count": [99],
                         "reason": ["test"]})
    else:
        hubs = hubs.set_column(hubs.schema.get_field_index("value"), "value", pa.array(values))
    pq.write_table(hubs, copy / "hubs.parquet")
    (copy / "report.html").unlink()
    html = _html(render.write_report(copy))
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_failing_report_warns_and_the_run_succeeds(run: dict[str, Any], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:  # fault injection: any error inside the report's own code
        raise RuntimeError("chart backend exploded")

    monkeypatch.setattr(render, "collect", broken)
    data = run["data"]
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "-a", str(data.accounts), "-d", str(data.devices), "-p",
                                      str(data.payments), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warning" in result.output and "report.html was not written (RuntimeError: chart backend exploded)" \
        in result.output
    assert (out / "signals.parquet").is_file() and not (out / "report.html").exists()
    assert [p.name for p in tmp_path.rglob(".*")] == []  # no temporary left behind


def test_er_report_bad_input_exits_2_and_writes_nothing(run: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["report", "--from", str(run["data"].accounts.parent)])
    assert done.exit_code == 2 and "signals.parquet" in done.output
    foreign = tmp_path / "notes.html"
    foreign.write_text("mine")
    done = runner.invoke(app, ["report", "--from", str(run["run"]), "--out", str(foreign)])
    assert done.exit_code == 2 and foreign.read_text() == "mine"
    done = runner.invoke(app, ["report", "--from", str(run["run"]), "--labels", str(tmp_path)])
    assert done.exit_code == 2
    again = tmp_path / "again.html"
    done = runner.invoke(app, ["report", "--from", str(run["run"]), "--out", str(again)])
    assert done.exit_code == 0 and again.is_file()
    assert runner.invoke(app, ["report", "--from", str(run["run"]), "--out", str(again)]).exit_code == 0


def test_detect_export_gets_a_report(run: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "exports"
    done = CliRunner().invoke(app, ["detect", "--from", str(run["run"]), "--out", str(root),
                                    "--as-of", "2026-06-30T00:00:00Z"])
    assert done.exit_code == 0, done.output
    html = _html(root / "latest" / "report.html")
    assert "as of 2026-06-30T00:00:00+00:00" in html
    assert re.findall(r'<section id="([a-z-]+)"', html) == SECTIONS


def test_chromium_renders_the_report(run: dict[str, Any], tmp_path: Path) -> None:
    deps = subprocess.run([str(REPO / "scripts" / "browser-test-deps.sh")], capture_output=True, text=True,
                          check=False, timeout=900)
    if deps.returncode != 0:
        pytest.fail(f"browser test dependencies: {deps.stderr.strip()}", pytrace=False)
    shots = Path(os.environ.get("ER_SCREENSHOTS_DIR", tmp_path))
    env = {**os.environ, "PLAYWRIGHT_DIR": deps.stdout.strip().splitlines()[-1],
           "REPORT": str(run["run"] / "report.html"), "SHOT": str(shots / "report.png")}
    done = subprocess.run(["node", str(REPO / "tests" / "browser" / "report_browser.mjs")], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["console_errors"] == [] and seen["page_errors"] == [] and seen["requests"] == []
    assert seen["sections"] == SECTIONS
    assert len(seen["charts"]) == 5
    assert all(c["complete"] and c["width"] > 300 and c["height"] > 100 for c in seen["charts"])
    assert "Top rings and their reasons" in seen["text"] and "Label quality (point in time)" in seen["text"]
    assert (shots / "report.png").stat().st_size > 50_000


def test_chart_prior_is_the_prior_the_run_scored_with(run: dict[str, Any]) -> None:
    """The match-weight chart's prior (the manifest's) is the one behind the run's predictions: a scored pair's
    weight minus its comparisons' weights (report/investigate.py) gives it back."""
    from entity_resolution.report import investigate
    from entity_resolution.report.figures import match_weights
    from entity_resolution.report.sources import open_detection

    det = open_detection(run["run"])
    manifest = Manifest.read(run["run"] / "manifest.json")
    prior, levels = match_weights(run["run"] / "model.json", manifest.model.prior)
    assert prior is not None and levels
    links = pq.read_table(run["run"] / "links.parquet").slice(0, 5).to_pylist()
    assert links
    for link in links:
        evidence = investigate.pair_evidence(det, link["account_id_r"], link["account_id_l"])  # either order
        assert evidence is not None and evidence.prior_weight == pytest.approx(prior, abs=1e-6)
        assert evidence.match_weight == pytest.approx(link["match_weight"])
    assert investigate.pair_evidence(det, "no-such-account", links[0]["account_id_l"]) is None


def test_forget_writes_the_report_again(run: dict[str, Any], tmp_path: Path) -> None:
    """`er forget` on a run folder rewrites report.html: its label quality no longer counts the account."""
    from entity_resolution.forget import forget

    copy = tmp_path / "run"
    shutil.copytree(run["run"], copy)

    def labelled(html: str) -> int:
        found = re.search(r"labelled accounts \(abusive / benign\)</th><td class=\"n\">(\d+) ", html)
        assert found
        return int(found.group(1))

    before = labelled(_html(copy / "report.html"))
    from entity_resolution.report.sources import read_labels

    as_of = Manifest.read(copy / "manifest.json").as_of
    victim = next(r["account_id"] for r in read_labels(copy).to_pylist() if r["decided_at"] <= as_of)
    result = forget([victim], [copy], Settings(forget_list=tmp_path / "forget.jsonl"), graph=False)
    assert "report.html" in result.folders[0].files_rewritten
    assert labelled(_html(copy / "report.html")) == before - 1


def test_graph_detection_without_run_folder_says_what_is_left_out(run: dict[str, Any], tmp_path: Path) -> None:
    """An export of a detection on the graph names no run folder: the report leaves out the model, the link
    charts and growth by week, says so, and still renders rings, hubs and (with --labels) label quality."""
    export = tmp_path / "export"
    export.mkdir()
    for name in ("signals", "rings", "hubs"):
        shutil.copy(run["run"] / f"{name}.parquet", export / f"{name}.parquet")
    manifest = json.loads((run["run"] / "detect_manifest.json").read_text())
    manifest.update(backend="neo4j-gds", inputs={"neo4j_uri": "managed"})
    (export / "detect_manifest.json").write_text(json.dumps(manifest))
    html = _html(render.write_report(export, labels_from=run["run"]))
    assert re.findall(r'<section id="([a-z-]+)"', html) == ["inputs", "rings", "top-rings", "hubs", "evaluation"]
    assert "need the run folder" in html and "risk_score ROC-AUC" in html


def test_pseudonymised_run_shows_only_hashes(run: dict[str, Any], tmp_path: Path) -> None:
    """With --pseudonymise the report and the notebook's functions read the hashed tables: no raw e-mail, IP,
    device or card of the input appears."""
    import duckdb

    from entity_resolution.report import investigate
    from entity_resolution.report.sources import open_detection

    data, out = run["data"], tmp_path / "run"
    done = CliRunner().invoke(app, ["-q", "run", "-a", str(data.accounts), "-d", str(data.devices), "-p",
                                    str(data.payments), "-l", str(data.labels), "--out", str(out), "--pseudonymise"],
                              env={"ER_PSEUDONYM_KEY": "report-test-key-0123456789"})
    assert done.exit_code == 0, done.output
    raw = {r[0] for r in duckdb.sql(
        "SELECT email FROM read_csv_auto($a) UNION SELECT ip FROM read_csv_auto($d) "
        "UNION SELECT device_id FROM read_csv_auto($d) UNION SELECT card_fingerprint FROM read_csv_auto($p)",
        params={"a": str(data.accounts), "d": str(data.devices), "p": str(data.payments)}).fetchall() if r[0]}
    html = _html(out / "report.html")
    assert re.search(r"<td>(ip|card|device)</td><td><code>[0-9a-f]{64}</code>", html)  # hubs, hashed
    assert [v for v in raw if v in html] == []
    det = open_detection(out)
    ring = investigate.largest_rings(det, 1)["ring_id"][0].as_py()
    bound = investigate.binding_identifiers(det, ring)["value"].to_pylist()
    assert bound and not set(bound) & raw
