"""The `er` CLI end to end: exit codes, atomic outputs, manifest, stable ids, accuracy on the demo data."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from entity_resolution.cli import app
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.evaluate import score_run

runner = CliRunner()


def _args(data: GeneratedPaths) -> list[str]:
    return ["-a", str(data.accounts), "-d", str(data.devices), "-p", str(data.payments)]


def _entities(run: Path) -> dict[str, str]:
    rows = duckdb.connect().sql(
        "SELECT account_id, entity_id FROM read_parquet($p)", params={"p": str(run / "entities.parquet")}
    )
    return dict(rows.fetchall())


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "er " in result.stdout


def test_help_on_every_command() -> None:
    for cmd in ("run", "train", "demo", "validate"):
        result = runner.invoke(app, [cmd, "--help"])
        assert result.exit_code == 0, cmd
        assert "--" in result.stdout


def test_validate_ok(small_data: GeneratedPaths) -> None:
    result = runner.invoke(app, ["validate", *_args(small_data)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def small_run(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    result = runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_the_contract(small_run: Path, small_data: GeneratedPaths) -> None:
    for name in ("entities", "links", "resolution_hubs"):
        assert (small_run / f"{name}.csv").is_file() and (small_run / f"{name}.parquet").is_file()
    assert (small_run / "er.duckdb").is_file()
    manifest = json.loads((small_run / "manifest.json").read_text())
    for key in ("run_id", "as_of", "inputs", "row_counts", "thresholds", "model", "versions", "phase_seconds"):
        assert key in manifest
    assert len(manifest["model"]["sha256"]) == 64
    assert manifest["inputs"]["accounts"]["sha256"]
    ents = _entities(small_run)
    n_accounts = duckdb.connect().sql("SELECT count(*) FROM read_parquet($p)", params={"p": str(small_data.accounts)})
    assert len(ents) == n_accounts.fetchall()[0][0]  # every account in exactly one entity
    cols = duckdb.connect().sql(
        "SELECT * FROM read_parquet($p) LIMIT 0", params={"p": str(small_run / "links.parquet")}
    )
    assert cols.columns[:4] == ["account_id_l", "account_id_r", "match_probability", "match_weight"]
    # as_of defaults to the newest input timestamp, not the wall clock
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    newest = max(
        con.read_parquet(str(path)).aggregate(f"max({col}::TIMESTAMPTZ)").fetchall()[0][0]
        for path, col in ((small_data.accounts, "created_at"), (small_data.devices, "observed_at"),
                          (small_data.payments, "observed_at"))
    )
    assert datetime.fromisoformat(manifest["as_of"]) == newest


def test_same_input_same_ids(small_run: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert _entities(again) == _entities(small_run)


def test_rerun_with_more_data_keeps_ids_of_grown_entities(small_data: GeneratedPaths, tmp_path: Path) -> None:
    early, full = tmp_path / "early", tmp_path / "full"
    as_of = duckdb.connect().sql(
        "SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.8) FROM read_parquet($p)",
        params={"p": str(small_data.accounts)},
    ).fetchall()[0][0]
    assert runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(early),
                               "--as-of", as_of.isoformat()]).exit_code == 0
    assert runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(full),
                               "--previous", str(early)]).exit_code == 0
    before, after = _entities(early), _entities(full)
    assert len(after) > len(before)
    members_before: dict[str, set[str]] = {}
    for acc, ent in before.items():
        members_before.setdefault(ent, set()).add(acc)
    members_after: dict[str, set[str]] = {}
    for acc, ent in after.items():
        members_after.setdefault(ent, set()).add(acc)
    grown = 0
    for ent, members in members_before.items():
        new_ent = after[next(iter(members))]
        if members <= members_after[new_ent] and all(after[a] == new_ent for a in members):
            assert new_ent == ent  # only grew: keeps its id
            grown += 1
    assert grown > 0.9 * len(members_before)


def test_existing_output_is_replaced_atomically(small_data: GeneratedPaths, tmp_path: Path) -> None:
    """An earlier run folder is replaced whole (a folder of other files is refused: test_output_safety.py)."""
    out = tmp_path / "run"
    assert runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(out)]).exit_code == 0
    (out / "links.csv").write_text("stale")  # a file of ours, changed since
    assert runner.invoke(app, ["-q", "run", *_args(small_data), "--out", str(out)]).exit_code == 0
    assert (out / "links.csv").read_text() != "stale"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_demo_accuracy_on_default_size(demo_data: GeneratedPaths, tmp_path: Path) -> None:
    """Acceptance: pairwise and cluster-level precision/recall >= 0.95 at the default thresholds."""
    out = tmp_path / "run"
    result = runner.invoke(app, ["-q", "run", *_args(demo_data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = score_run(out, demo_data.truth)
    assert scores.link_precision >= 0.95, scores
    assert scores.link_recall >= 0.95, scores
    assert scores.cluster_precision >= 0.95, scores
    assert scores.cluster_recall >= 0.95, scores
    assert scores.largest_entity <= 10, scores


def test_ring_members_on_shared_devices_stay_distinct(demo_data: GeneratedPaths, tmp_path: Path) -> None:
    """Distinct people sharing a device farm or cards stay distinct; households rarely merge (known limit)."""
    out = tmp_path / "run"
    assert runner.invoke(app, ["-q", "run", *_args(demo_data), "--out", str(out)]).exit_code == 0
    con = duckdb.connect()
    con.read_parquet(str(demo_data.truth)).create_view("truth")
    con.read_parquet(str(out / "entities.parquet")).create_view("entities")

    def merged_entities(scenarios: tuple[str, ...]) -> int:
        return con.sql(
            "SELECT count(*) FROM (SELECT entity_id FROM entities JOIN truth USING (account_id) "
            "WHERE list_contains($s, scenario) GROUP BY entity_id HAVING count(DISTINCT person_id) > 1)",
            params={"s": list(scenarios)},
        ).fetchall()[0][0]

    assert merged_entities(("device_farm", "card_testing", "burst", "coordinator")) == 0
    households = con.sql("SELECT count(DISTINCT household_id) FROM truth WHERE scenario = 'household'").fetchall()[0][0]
    # Family members sharing a rare surname, an address and a home device can outweigh different first names
    # and birth dates (docs/design.md, "Known limits"); measured 6 of 91 households on this data.
    assert merged_entities(("household",)) <= 0.1 * households


BAD_CASES = {
    "missing_file": lambda d: d["accounts"].unlink(),
    "missing_column": lambda d: _rewrite(d["accounts"], lambda t: t.replace("email,", "mail,", 1)),
    "bad_timestamp": lambda d: _rewrite(d["devices"], lambda t: _replace_field(t, 2, 2, "31/02/2024")),
    "unknown_account": lambda d: _rewrite(d["payments"], lambda t: _replace_field(t, 1, 1, "nobody")),
    "duplicate_account": lambda d: _rewrite(d["accounts"], lambda t: t + t.splitlines()[1] + "\n"),
}


def _rewrite(path: Path, fn: object) -> None:
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]


def _replace_field(text: str, row: int, col: int, value: str) -> str:
    lines = text.splitlines()
    fields = lines[row].split(",")
    fields[col - 1] = value
    lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exits_2_and_writes_nothing(case: str, valid_dir: Path, tmp_path: Path) -> None:
    files = {}
    for name in ("accounts", "devices", "payments"):
        files[name] = tmp_path / f"{name}.csv"
        shutil.copy(valid_dir / f"{name}.csv", files[name])
    BAD_CASES[case](files)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-a", str(files["accounts"]), "-d", str(files["devices"]),
                                 "-p", str(files["payments"]), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "accounts" in result.output or "devices" in result.output or "payments" in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_readme_quick_start_demo(tmp_path: Path) -> None:
    """The README's first command runs `er demo`; the same at a small size, with its summary table."""
    result = runner.invoke(app, ["demo", "--size", "2000", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "cluster_precision" in result.stdout
    for name in ("entities", "links", "signals", "rings"):
        assert (tmp_path / "demo" / "run" / f"{name}.parquet").is_file()
    assert (tmp_path / "demo" / "input" / "truth.parquet").is_file()
