"""Run settings: defaults < TOML file < ER_* environment variables < CLI flags.

Built once (by the CLI or a caller of the library) and passed down; stages never read os.environ.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import EntityResolutionError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO_ROOT / "splink_models" / "default.json"


def _default_forget_list() -> Path:
    """The user's data folder (XDG), not a run folder: every run must see it, wherever --out points."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "entity-resolution" / "forget-list.jsonl"


@dataclass(frozen=True)
class Settings:
    # Resolution
    model_path: Path = DEFAULT_MODEL
    match_threshold: float = 0.95  # pairwise links at or above this probability count as "same person" ...
    min_personal_weight: float = 4.0  # ... when personal attributes alone favour the match by 2^this : 1
    cluster_threshold: float = 0.95  # same-person links at or above this probability build entities
    link_floor: float = 0.5  # pairwise predictions kept as evidence in `links`
    hub_min_accounts: int = 25  # an identifier value on more accounts than this is a hub
    train_max_pairs: int = 2_000_000  # cap for u-sampling
    seed: int = 42
    threads: int | None = None  # DuckDB threads; None = DuckDB's default
    memory_limit: str | None = None  # DuckDB memory limit, e.g. "6GB"
    # Erasure: SHA-256 hashes of forgotten account ids that every run drops at ingest (`er forget`)
    forget_list: Path = field(default_factory=_default_forget_list)
    # Neo4j (used by the graph issues)
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str = "neo4j"
    batch_size: int = 5000

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the non-None overrides applied (CLI flags)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce(clean))

    @classmethod
    def load(
        cls, config_file: Path | None = None, environ: dict[str, str] | None = None, **flags: Any
    ) -> Settings:
        """Defaults, then the TOML file, then ER_* variables, then flags (None means 'not given')."""
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(_read_toml(config_file))
        env = os.environ if environ is None else environ
        names = {f.name for f in fields(cls)}
        for name in names:
            key = f"ER_{name.upper()}"
            if key in env:
                values[name] = env[key]
        if "NEO4J_PASSWORD" in env and "neo4j_password" not in values:
            values["neo4j_password"] = env["NEO4J_PASSWORD"]
        values.update({k: v for k, v in flags.items() if v is not None})
        return cls(**_coerce(values))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EntityResolutionError(f"settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise EntityResolutionError(f"settings file {path} is not valid TOML: {exc}") from exc
    section = data.get("er", data)
    names = {f.name for f in fields(Settings)}
    unknown = sorted(set(section) - names)
    if unknown:
        raise EntityResolutionError(
            f"settings file {path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    if "neo4j_password" in section:
        raise EntityResolutionError(
            f"settings file {path}: do not store neo4j_password in a file; use NEO4J_PASSWORD"
        )
    return dict(section)


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    """Turn strings from env/TOML into the field types, with a clear error naming the setting."""
    types = {f.name: f.type for f in fields(Settings)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in types:
            raise EntityResolutionError(f"unknown setting {name!r}")
        kind = str(types[name])
        try:
            if isinstance(value, str):
                if kind.startswith("float"):
                    value = float(value)
                elif kind.startswith("int"):
                    value = int(value)
                elif kind.startswith("Path"):
                    value = Path(value)
            elif kind.startswith("Path") and value is not None:
                value = Path(value)
        except ValueError as exc:
            raise EntityResolutionError(f"setting {name}: expected {kind}, got {value!r}") from exc
        out[name] = value
    for name in ("match_threshold", "cluster_threshold", "link_floor"):
        if name in out and not 0.0 <= float(out[name]) <= 1.0:
            raise EntityResolutionError(f"setting {name}: expected a probability in [0, 1], got {out[name]}")
    return out
