"""Run settings: defaults < TOML file < ER_* environment variables < CLI flags.

Built once (by the CLI or a caller of the library) and passed down; stages never read os.environ.
The loading, coercion and checks below are shared with DetectSettings (detect/settings.py: the file's
[detect] table and ER_DETECT_* variables), so both give the same messages for the same mistakes.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from .errors import EntityResolutionError, InputError, Problem

# Package data (the repo's top-level splink_models/ links to it), so an installed wheel has its model.
DEFAULT_MODEL = Path(str(files("entity_resolution") / "splink_models" / "default.json"))


def _default_forget_list() -> Path:
    """The user's data folder (XDG), not a run folder: every run must see it, wherever --out points."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "entity-resolution" / "forget-list.jsonl"


def _default_review_decisions() -> Path:
    """Next to the forget list, for the same reason: every later run applies the reviewers' decisions."""
    return _default_forget_list().with_name("review-decisions.jsonl")


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
    # Where DuckDB spills what does not fit under memory_limit; None = DuckDB's default, `er.duckdb.tmp` beside
    # the database. A fast local disk with room for a few times the input is what spilling needs.
    spill_dir: Path | None = None
    # Score pairs in this many slices of the accounts (Splink's chunked predict): the blocked-pair join of one slice
    # at a time is what has to fit in memory. 1 = one pass (fastest when memory is not short).
    predict_chunks: int = 1
    # Engine for the per-record work (standardise, block, score): "duckdb" (in process) or "spark" (Splink's
    # Spark backend, the optional extra `entity-resolution[spark]`; docs/spark.md).
    engine: str = "duckdb"
    spark_master: str = "local[*]"  # a Spark master URL: local[N], spark://host:7077, yarn, k8s://...
    # Spark's default of 200 shuffle partitions is for clusters; a few per core is right on one machine.
    spark_shuffle_partitions: int = 8
    spark_driver_memory: str | None = None  # e.g. "4g"; None = Spark's default (1g)
    # Any other Spark configuration, "key=value" pairs separated by ";" (e.g. "spark.executor.memory=8g").
    spark_conf: str | None = None
    # Erasure: SHA-256 hashes of forgotten account ids that every run drops at ingest (`er forget`)
    forget_list: Path = field(default_factory=_default_forget_list)
    # Review and appeals (`er review`, entity_resolution/review/): decisions every later run applies, and who
    # records them (ER_REVIEWER)
    review_decisions: Path = field(default_factory=_default_review_decisions)
    reviewer: str | None = None
    # Neo4j (used by the graph issues)
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str = "neo4j"
    # Total time to keep retrying a Neo4j that is unreachable or answers with a transient error (connecting,
    # and each transaction): long enough to ride out a restart or a leader switch, short enough to fail fast.
    neo4j_retry_seconds: float = 10.0
    batch_size: int = 5000
    # Pseudonymised identifiers (entity_resolution/pseudonym.py): the key only from ER_PSEUDONYM_KEY or a file
    pseudonymise: bool = False
    pseudonym_key_file: Path | None = None
    pseudonym_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Settings built in code get the checks load() applies to files, variables and flags.
        check_fields(self, _out_of_range)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the non-None overrides applied (CLI flags)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **coerce(Settings, _out_of_range, clean, {k: _flag(k) for k in clean}))

    @classmethod
    def load(
        cls, config_file: Path | None = None, environ: dict[str, str] | None = None, **flags: Any
    ) -> Settings:
        """Defaults, then the TOML file, then ER_* variables, then flags (None means 'not given')."""
        table: dict[str, Any] = {}
        if config_file is not None:
            data = read_toml(config_file)
            # The settings are the [er] table, or the top level when there is none; [detect] is DetectSettings'.
            table = data.get("er", {k: v for k, v in data.items() if k != "detect"})
            table = known_table(cls, config_file, "er", table)
            if "neo4j_password" in table:
                raise _bad_file(config_file, "no neo4j_password (it comes only from NEO4J_PASSWORD or a prompt)",
                                "neo4j_password")
            if "pseudonym_key" in table:
                raise _bad_file(config_file, "no pseudonym_key (it comes only from ER_PSEUDONYM_KEY or "
                                "pseudonym_key_file, an owner-only file holding the key)", "pseudonym_key")
        env = os.environ if environ is None else environ
        values, origin = layers(cls, "", {n: f"{config_file} key {n}" for n in table}, table, env, "ER_", flags)
        if "NEO4J_PASSWORD" in env and "neo4j_password" not in values:
            values["neo4j_password"] = env["NEO4J_PASSWORD"]
        return cls(**coerce(cls, _out_of_range, values, origin))


def _bad_file(path: Path, expected: str, found: str) -> InputError:
    return InputError([Problem(f"settings file {path}", None, None, expected, found)])


def read_toml(path: Path) -> dict[str, Any]:
    """The whole settings file (`er --config` / ER_CONFIG); a file that cannot be read is one Problem."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _bad_file(path, "an existing file", "no file at this path") from exc
    except IsADirectoryError as exc:
        raise _bad_file(path, "a file", "a directory") from exc
    except UnicodeDecodeError as exc:
        raise _bad_file(path, "UTF-8 text", "bytes that are not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _bad_file(path, "valid TOML", str(exc)) from exc


def known_table(cls: type, path: Path, name: str, table: Any) -> dict[str, Any]:
    """table (the file's [name] table), checked to be a table holding only field names of the dataclass cls."""
    if not isinstance(table, dict):
        raise _bad_file(path, f"a [{name}] table of settings", f"{name} = {table!r}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - names)
    if unknown:
        where = "" if name == "er" else f" in [{name}]"  # [er] may also be the top level
        raise _bad_file(path, f"only known keys{where} ({', '.join(sorted(names))})",
                        f"unknown key(s) {', '.join(unknown)}")
    return dict(table)


def layers(cls: type, label: str, file_origin: Mapping[str, str], table: Mapping[str, Any],
           env: Mapping[str, str], prefix: str, flags: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw values of the dataclass cls's fields: the file's table < <prefix><FIELD> variables < flags
    (None means 'not given'), and where each came from (for messages). label: "" or "detect " (messages)."""
    values: dict[str, Any] = dict(table)
    origin: dict[str, str] = dict(file_origin)
    for f in fields(cls):
        key = f"{prefix}{f.name.upper()}"
        if key in env:
            values[f.name] = env[key]
            origin[f.name] = f"{key} ({label}setting {f.name})"
    given = {k: v for k, v in flags.items() if v is not None}
    values.update(given)
    origin.update({name: _flag(name, label) for name in given})
    return values, origin


def _flag(name: str, label: str = "") -> str:
    return f"--{name.replace('_', '-')} ({label}setting {name})"


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# DuckDB's memory_limit syntax: a number and a unit (SET memory_limit = '6GB').
_MEMORY_RE = re.compile(r"[0-9]+(\.[0-9]+)?\s*([KMGT]i?B|[KMGT]|B|bytes)", re.IGNORECASE)
_PROBABILITIES = ("match_threshold", "cluster_threshold", "link_floor")
_AT_LEAST_ONE = ("hub_min_accounts", "train_max_pairs", "batch_size", "predict_chunks", "spark_shuffle_partitions")
ENGINES = ("duckdb", "spark")
_SPARK_MEMORY_RE = re.compile(r"[0-9]+[kmgt]?", re.IGNORECASE)  # Spark's size syntax: 512m, 4g
# The master URLs Spark accepts; anything else fails inside the JVM with a Java stack trace on stderr.
_SPARK_MASTER_RE = re.compile(r"local(\[(\*|[0-9]+)(,[0-9]+)?\])?|local-cluster\[[0-9, ]+\]|yarn|"
                              r"(spark|k8s|mesos)://\S+")


def _wrong_type(kind: str, value: Any) -> str | None:
    """For TOML values, which arrive typed: a TOML true or a string where a number is expected."""
    if value is None or kind.startswith("Path"):
        return None
    if kind.startswith("datetime"):
        return None if isinstance(value, datetime) else "an ISO-8601 timestamp"
    if kind.startswith("bool"):
        return None if isinstance(value, bool) else "true or false"
    for prefix, wanted, text in (("float", float, "a number"), ("int", int, "a whole number"), ("str", str, "text")):
        if kind.startswith(prefix):
            return None if isinstance(value, wanted) and not isinstance(value, bool) else text
    return None


def _out_of_range(name: str, value: Any) -> str | None:
    """What `name` should be, when value is not that; None when it is fine."""
    if value is None:
        return None
    if name in _PROBABILITIES and not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        return "a probability in [0, 1]"
    if name == "neo4j_retry_seconds" and not (isinstance(value, int | float) and 0.0 <= value <= 600.0):
        return "seconds in [0, 600]"
    if name == "min_personal_weight" and not (isinstance(value, int | float) and math.isfinite(value)):
        return "a finite number"
    if name in _AT_LEAST_ONE and not (isinstance(value, int) and value >= 1):
        return "a whole number >= 1"
    if name == "threads" and not (isinstance(value, int) and value >= 1):
        # DuckDB refuses 0 and negative counts with a syntax error deep in a run
        return "a whole number of threads >= 1 (or unset for DuckDB's default)"
    if name == "engine" and value not in ENGINES:
        return "one of " + ", ".join(ENGINES)
    if name == "spark_master" and not (isinstance(value, str) and _SPARK_MASTER_RE.fullmatch(value.strip())):
        return "a Spark master URL (local[*], local[4], spark://host:7077, yarn, k8s://...)"
    if name == "spark_driver_memory" and not (isinstance(value, str) and _SPARK_MEMORY_RE.fullmatch(value.strip())):
        return "a Spark size such as 4g or 512m (or unset for Spark's default)"
    if name == "spark_conf" and not (isinstance(value, str) and all(
            "=" in item and item.split("=", 1)[0].strip() for item in value.split(";") if item.strip())):
        return "key=value pairs separated by ';' (e.g. spark.executor.memory=8g)"
    if name == "memory_limit" and not (isinstance(value, str) and _MEMORY_RE.fullmatch(value.strip())):
        return "a size such as 6GB or 512MB (or unset for DuckDB's default)"
    return None


RangeCheck = Callable[[str, Any], "str | None"]  # (field, value) -> what it should be, or None when fine


def check_fields(obj: Any, check: RangeCheck) -> None:
    """Every field of the dataclass instance obj that check refuses is one Problem, raised together."""
    problems = [Problem(f"setting {f.name}", None, None, expected, _shown(getattr(obj, f.name)))
                for f in fields(obj) if (expected := check(f.name, getattr(obj, f.name)))]
    if problems:
        raise InputError(problems)


def coerce(cls: type, check: RangeCheck, values: dict[str, Any],
           origin: dict[str, str] | None = None) -> dict[str, Any]:
    """Turn strings from env/TOML into the field types of the dataclass cls; every bad value is one Problem
    naming where it came from (the variable, the file's key or the flag), all raised together as an
    InputError. check: the dataclass's own range rules."""
    types = {f.name: f.type for f in fields(cls)}
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        if name not in types:
            raise EntityResolutionError(f"unknown setting {name!r}")
        where = (origin or {}).get(name, f"setting {name}")
        kind = str(types[name])
        try:
            if isinstance(value, str):
                if kind.startswith("bool"):
                    value = _bool(value)
                elif kind.startswith("float"):
                    value = float(value)
                elif kind.startswith("int"):
                    value = int(value)
                elif kind.startswith("Path"):
                    value = Path(value)
                elif kind.startswith("datetime"):
                    value = parse_time(value)
            elif kind.startswith("Path") and value is not None:
                value = Path(value)
        except ValueError:
            wanted = ("true or false" if kind.startswith("bool") else "a number" if kind.startswith("float")
                      else "an ISO-8601 timestamp" if kind.startswith("datetime") else "a whole number")
            problems.append(Problem(where, None, None, wanted, _shown(value)))
            continue
        if kind.startswith("float") and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # a time without an offset is UTC, as in the input files
        wrong = _wrong_type(kind, value) or check(name, value)
        if wrong is not None:
            problems.append(Problem(where, None, None, wrong, _shown(value)))
        out[name] = value
    if problems:
        raise InputError(problems)
    return out


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as a setting, a variable or --as-of gives it: "Z" means UTC and a time without an offset
    is UTC, as in the input files. ValueError when it is not ISO-8601."""
    ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _bool(text: str) -> bool:
    """ER_PSEUDONYMISE=1/true/yes/on or 0/false/no/off."""
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)
