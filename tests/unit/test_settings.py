from __future__ import annotations

from pathlib import Path

import pytest

from entity_resolution.errors import EntityResolutionError
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
