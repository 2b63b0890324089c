from __future__ import annotations

from pathlib import Path

import pytest

from entity_resolution.errors import EntityResolutionError, InputError
from entity_resolution.settings import Settings


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "er.toml"
    cfg.write_text("[er]\nmatch_threshold = 0.8\ncluster_threshold = 0.85\nbatch_size = 100\n")
    s = Settings.load(cfg, environ={"ER_CLUSTER_THRESHOLD": "0.97", "ER_BATCH_SIZE": "200"}, batch_size=300)
    assert s.match_threshold == 0.8  # file
    assert s.cluster_threshold == 0.97  # env beats file
    assert s.batch_size == 300  # flag beats env
    assert s.link_floor == Settings().link_floor  # default


def test_password_only_from_environment_and_hidden(tmp_path: Path) -> None:
    s = Settings.load(environ={"NEO4J_PASSWORD": "s3cret"})
    assert s.neo4j_password == "s3cret"
    assert "s3cret" not in repr(s)
    cfg = tmp_path / "er.toml"
    cfg.write_text('neo4j_password = "x"\n')
    with pytest.raises(EntityResolutionError, match="NEO4J_PASSWORD"):
        Settings.load(cfg, environ={})


@pytest.mark.parametrize(
    ("env", "message"),
    [({"ER_MATCH_THRESHOLD": "high"}, "match_threshold"), ({"ER_LINK_FLOOR": "1.5"}, "link_floor")],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(EntityResolutionError, match=message):
        Settings.load(environ=env)


def test_unknown_key_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "er.toml"
    cfg.write_text("match_treshold = 0.5\n")
    with pytest.raises(EntityResolutionError, match="match_treshold"):
        Settings.load(cfg, environ={})


@pytest.mark.parametrize(
    ("env", "where", "found"),
    [
        ({"ER_THREADS": "-3"}, "ER_THREADS (setting threads)", "-3"),
        ({"ER_THREADS": "0"}, "ER_THREADS (setting threads)", "0"),
        ({"ER_MEMORY_LIMIT": "lots"}, "ER_MEMORY_LIMIT (setting memory_limit)", "'lots'"),
        ({"ER_BATCH_SIZE": "0"}, "ER_BATCH_SIZE (setting batch_size)", "0"),
        ({"ER_MATCH_THRESHOLD": "nan"}, "ER_MATCH_THRESHOLD (setting match_threshold)", "nan"),
        ({"ER_MIN_PERSONAL_WEIGHT": "inf"}, "ER_MIN_PERSONAL_WEIGHT (setting min_personal_weight)", "inf"),
    ],
)
def test_bad_values_are_bad_input_naming_the_variable(env: dict[str, str], where: str, found: str) -> None:
    with pytest.raises(InputError) as caught:
        Settings.load(environ=env)
    (problem,) = caught.value.problems
    assert (problem.file, problem.found) == (where, found)


def test_every_bad_setting_is_reported_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "er.toml"
    cfg.write_text('threads = "four"\nseed = true\n')
    with pytest.raises(InputError) as caught:
        Settings.load(cfg, environ={"ER_MEMORY_LIMIT": "1.5 GB", "ER_LINK_FLOOR": "2"}, batch_size=-1)
    assert {p.file for p in caught.value.problems} == {
        "--batch-size (setting batch_size)", "ER_LINK_FLOOR (setting link_floor)",
        f"{cfg} key seed", f"{cfg} key threads"}


def test_good_sizes_and_threads_pass() -> None:
    s = Settings.load(environ={"ER_THREADS": "2", "ER_MEMORY_LIMIT": "512MiB"})
    assert (s.threads, s.memory_limit) == (2, "512MiB")


def test_settings_built_in_code_are_checked() -> None:
    with pytest.raises(InputError, match="setting threads"):
        Settings(threads=-1)


def test_settings_file_problems_are_bad_input(tmp_path: Path) -> None:
    cfg = tmp_path / "er.toml"
    cfg.write_bytes(b"match_threshold = = 1\n")
    with pytest.raises(InputError, match="valid TOML"):
        Settings.load(cfg, environ={})
    with pytest.raises(InputError, match="no file at this path"):
        Settings.load(tmp_path / "missing.toml", environ={})
