"""DetectSettings.load: defaults < the settings file's [detect] table < ER_DETECT_<FIELD> < flags, with the
coercion and messages of Settings.load; every field reachable; bad values are one Problem each, exit 2."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from entity_resolution.cli import app
from entity_resolution.detect import DetectSettings
from entity_resolution.errors import InputError
from entity_resolution.settings import Settings

DEFAULTS = DetectSettings()


def _other(name: str) -> Any:
    """A valid value different from the default, for every field."""
    default = getattr(DEFAULTS, name)
    if name == "as_of":
        return datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    if name == "hub_percentile":
        return 0.9
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    return round(default / 2, 4)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "er.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_field_reachable_from_file_and_variable(tmp_path: Path) -> None:
    names = [f.name for f in fields(DetectSettings)]
    assert len(names) == 29
    wanted = {name: _other(name) for name in names}
    assert all(wanted[n] != getattr(DEFAULTS, n) for n in names)
    cfg = _config(tmp_path, "[detect]\n" + "".join(f"{n} = {_toml(v)}\n" for n, v in wanted.items()))
    from_file = DetectSettings.load(cfg, environ={})
    env = {f"ER_DETECT_{n.upper()}": (v.isoformat() if isinstance(v, datetime) else str(v))
           for n, v in wanted.items()}
    from_env = DetectSettings.load(environ=env)
    for name, value in wanted.items():
        assert getattr(from_file, name) == value, name
        assert getattr(from_env, name) == value, name
    assert DetectSettings.load(environ={}) == DEFAULTS


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "match_threshold = 0.9\n[detect]\nring_min_entities = 4\nhub_floor = 7\n"
                            "as_of = 2026-02-01T00:00:00Z\n")
    s = DetectSettings.load(cfg, environ={"ER_DETECT_HUB_FLOOR": "8", "ER_DETECT_AS_OF": "2026-02-02T00:00:00Z"},
                            as_of="2026-02-03T00:00:00+01:00")
    assert s.ring_min_entities == 4  # file
    assert s.hub_floor == 8  # variable beats file
    assert s.as_of == datetime(2026, 2, 3, tzinfo=timezone(timedelta(hours=1)))  # flag beats variable
    assert s.weight_ring == DEFAULTS.weight_ring  # default
    # The run settings read the same file and leave its [detect] table alone.
    assert Settings.load(cfg, environ={}).match_threshold == 0.9


def test_times_without_offset_are_utc(tmp_path: Path) -> None:
    assert DetectSettings.load(environ={"ER_DETECT_AS_OF": "2026-01-05"}).as_of == datetime(2026, 1, 5, tzinfo=UTC)
    cfg = _config(tmp_path, "[detect]\nas_of = 2026-01-05T10:00:00\n")  # a TOML local date-time
    assert DetectSettings.load(cfg, environ={}).as_of == datetime(2026, 1, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ER_DETECT_RING_MIN_ENTITIES": "three"},
         "ER_DETECT_RING_MIN_ENTITIES (detect setting ring_min_entities): expected a whole number, found 'three'"),
        ({"ER_DETECT_HUB_FLOOR": "2.5"}, "ER_DETECT_HUB_FLOOR (detect setting hub_floor): expected a whole number"),
        ({"ER_DETECT_WEIGHT_RING": "high"}, "ER_DETECT_WEIGHT_RING (detect setting weight_ring): expected a number"),
        ({"ER_DETECT_WEIGHT_RING": "1.5"}, "weight_ring): expected a value in [0, 1], found 1.5"),
        ({"ER_DETECT_FAST_SHARE_7D": "-0.1"}, "fast_share_7d): expected a value in [0, 1], found -0.1"),
        ({"ER_DETECT_HUB_PERCENTILE": "1"}, "hub_percentile): expected a share in (0, 1)"),
        ({"ER_DETECT_RING_MIN_ENTITIES": "1"}, "ring_min_entities): expected a whole number >= 2"),
        ({"ER_DETECT_HOUSEHOLD_MAX_ENTITIES": "-1"}, "household_max_entities): expected a count >= 0, found -1"),
        ({"ER_DETECT_BRIDGE_MIN_PART_ENTITIES": "0"}, "bridge_min_part_entities): expected a whole number >= 1"),
        ({"ER_DETECT_AS_OF": "last tuesday"},
         "ER_DETECT_AS_OF (detect setting as_of): expected an ISO-8601 timestamp, found 'last tuesday'"),
    ],
)
def test_bad_variable_is_one_problem_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as err:
        DetectSettings.load(environ=env)
    assert len(err.value.problems) == 1
    assert message in str(err.value.problems[0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('ring_min_entities = "three"', "key detect.ring_min_entities: expected a whole number, found 'three'"),
        ("ring_min_entities = true", "key detect.ring_min_entities: expected a whole number, found True"),
        ("weight_fast = 2", "key detect.weight_fast: expected a value in [0, 1], found 2.0"),
        ("as_of = 2026-01-05", "key detect.as_of: expected an ISO-8601 timestamp, found 2026-01-05"),
        ("hub_percentile = 0.0", "key detect.hub_percentile: expected a share in (0, 1)"),
    ],
)
def test_bad_file_value_names_the_key(tmp_path: Path, line: str, message: str) -> None:
    cfg = _config(tmp_path, f"[detect]\n{line}\n")
    with pytest.raises(InputError) as err:
        DetectSettings.load(cfg, environ={})
    (problem,) = err.value.problems
    assert str(problem).startswith(f"{cfg} key detect.")
    assert message in str(problem)


def test_bad_flag_names_the_flag() -> None:
    with pytest.raises(InputError, match=r"--as-of \(detect setting as_of\): expected an ISO-8601 timestamp"):
        DetectSettings.load(environ={}, as_of="2026-13-01")


def test_every_bad_value_reported_together(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "[detect]\nweight_bridge = 3\n")
    with pytest.raises(InputError) as err:
        DetectSettings.load(cfg, environ={"ER_DETECT_HUB_FLOOR": "x", "ER_DETECT_WEIGHT_SHARED": "-1"},
                            as_of="soon")
    where = sorted(p.file.split(" ")[0] for p in err.value.problems)
    assert where == sorted(["--as-of", "ER_DETECT_HUB_FLOOR", "ER_DETECT_WEIGHT_SHARED", str(cfg)])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("[detect]\nring_min_entity = 3\nweight_rings = 0.5\n", "unknown key(s) ring_min_entity, weight_rings"),
        ("detect = 3\n", "detect = 3"),
    ],
)
def test_unknown_key_or_not_a_table(tmp_path: Path, text: str, found: str) -> None:
    cfg = _config(tmp_path, text)
    with pytest.raises(InputError) as err:
        DetectSettings.load(cfg, environ={})
    (problem,) = err.value.problems
    assert problem.file == f"settings file {cfg}"
    assert problem.found == found
    assert "[detect]" in problem.expected


def test_unknown_variable_names_are_left_alone() -> None:
    """ER_DETECT_* names that are no field (a typo) are not read: like ER_* for Settings."""
    assert DetectSettings.load(environ={"ER_DETECT_RING_MIN_ENTITY": "9"}) == DEFAULTS


def test_settings_built_in_code_are_checked() -> None:
    with pytest.raises(InputError) as err:
        DetectSettings(ring_min_entities=1, weight_churn=-0.5, as_of=datetime(2026, 1, 1))
    assert [p.file for p in err.value.problems] == ["setting ring_min_entities", "setting weight_churn",
                                                   "setting as_of"]


def test_cli_bad_detect_setting_exits_2_and_writes_nothing(tmp_path: Path, valid_dir: Path) -> None:
    run = tmp_path / "run"  # enough of a run folder to pass the checks made before any work
    run.mkdir()
    (run / "er.duckdb").touch()
    (run / "manifest.json").write_text('{"run_id": "run-x", "as_of": "2026-01-01T00:00:00+00:00"}')
    cfg = _config(tmp_path, "[detect]\nring_size = 3\n")
    out = tmp_path / "out"
    inputs = [f"--{kind}={valid_dir / f'{kind}.csv'}" for kind in ("accounts", "devices", "payments")]
    for args, env, shown in (
        (["--config", str(cfg), "detect", "--from", str(run), "--out", str(out)], {}, "unknown key(s) ring_size"),
        (["detect", "--from", str(run), "--out", str(out)], {"ER_DETECT_WEIGHT_FAST": "1.5"},
         "ER_DETECT_WEIGHT_FAST (detect setting weight_fast): expected a value in [0, 1], found 1.5"),
        (["run", *inputs, "--out", str(out)], {"ER_DETECT_RING_MIN_ENTITIES": "one"},
         "ER_DETECT_RING_MIN_ENTITIES (detect setting ring_min_entities): expected a whole number"),
    ):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 2, result.output
        assert shown in " ".join(result.output.split())
        assert "Traceback" not in result.output
        assert not out.exists()
