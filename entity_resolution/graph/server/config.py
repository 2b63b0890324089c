"""Where a managed server lives and how it runs: the pinned versions, the settings and a home's paths."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from ...errors import GraphError

# The Maven project that assembles the server: package data (the repo's top-level neo4j/ links to it). Maven
# runs on a copy in the server home, so an installed package is never written to.
DEFAULT_POM = Path(str(files("entity_resolution.graph") / "maven" / "pom.xml"))


USER = "neo4j"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"  # what `neo4j-admin` runs, in one JVM (the bootloader forks another)
Progress = Callable[[str], None]
_SIZE = re.compile(r"^\d+[kmgKMG]?$")


@dataclass(frozen=True)
class Versions:
    """Versions pinned in neo4j/pom.xml (the single source of truth)."""

    neo4j: str
    apoc: str
    gds: str
    browser: str

    @classmethod
    def from_pom(cls, pom: Path = DEFAULT_POM) -> Versions:
        try:
            root = ET.parse(pom).getroot()
        except FileNotFoundError as exc:
            raise GraphError(f"{pom} does not exist: the managed Neo4j needs a checkout of the repo") from exc
        except ET.ParseError as exc:
            raise GraphError(f"{pom} is not valid XML: {exc}") from exc
        ns = {"m": "http://maven.apache.org/POM/4.0.0"}
        values: dict[str, str] = {}
        for name in ("neo4j", "apoc", "gds", "browser"):
            node = root.find(f"m:properties/m:{name}.version", ns)
            if node is None or not (node.text or "").strip():
                raise GraphError(f"{pom}: property {name}.version is missing")
            values[name] = (node.text or "").strip()
        return cls(**values)


@dataclass(frozen=True)
class ServerConfig:
    """Where the managed server lives and how it runs. Build with from_env(); CLI flags go in overrides."""

    home: Path
    password_file: Path
    versions: Versions
    pom: Path = DEFAULT_POM
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"
    gds: bool = True
    java: str = "java"
    maven: str = "mvn"
    start_timeout: float = 180.0
    stop_timeout: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServerConfig:
        """Defaults < ER_NEO4J_* environment variables < overrides (None means 'not given')."""
        env = os.environ if environ is None else environ
        pom = Path(overrides.get("pom") or env.get("ER_NEO4J_POM") or DEFAULT_POM)
        versions = Versions.from_pom(pom)
        user_home = Path(env.get("HOME") or Path.home())
        cache = Path(env.get("XDG_CACHE_HOME") or user_home / ".cache")
        config_dir = Path(env.get("XDG_CONFIG_HOME") or user_home / ".config")
        java_home = env.get("JAVA_HOME")
        values: dict[str, Any] = {
            "home": Path(env.get("ER_NEO4J_HOME") or cache / "entity-resolution" / "neo4j" / versions.neo4j),
            "password_file": Path(
                env.get("ER_NEO4J_PASSWORD_FILE") or config_dir / "entity-resolution" / "neo4j-password"
            ),
            "versions": versions,
            "pom": pom,
            "java": env.get("ER_NEO4J_JAVA") or (str(Path(java_home) / "bin" / "java") if java_home else "java"),
            "maven": env.get("ER_NEO4J_MAVEN") or "mvn",
        }
        for key, name in (("ER_NEO4J_BOLT_PORT", "bolt_port"), ("ER_NEO4J_HTTP_PORT", "http_port")):
            if env.get(key):
                values[name] = _int_setting(key, env[key])
        for key, name in (("ER_NEO4J_HEAP", "heap"), ("ER_NEO4J_PAGECACHE", "pagecache")):
            if env.get(key):
                values[name] = env[key]
        if env.get("ER_NEO4J_GDS"):
            values["gds"] = env["ER_NEO4J_GDS"].strip().lower() not in ("0", "false", "no", "off")
        values.update({k: v for k, v in overrides.items() if v is not None and k != "pom"})
        for name in ("home", "password_file"):
            values[name] = Path(values[name])
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        for name in ("bolt_port", "http_port"):
            port = getattr(self, name)
            if not 1 <= port <= 65535:
                raise GraphError(f"{name}: expected a TCP port 1-65535, got {port}")
        if self.bolt_port == self.http_port:
            raise GraphError(f"bolt_port and http_port are both {self.bolt_port}")
        for name in ("heap", "pagecache"):
            if not _SIZE.match(getattr(self, name)):
                raise GraphError(f"{name}: expected a size such as 512m or 1g, got {getattr(self, name)!r}")

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def _int_setting(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise GraphError(f"{key}: expected an integer, got {value!r}") from exc


@dataclass(frozen=True)
class ServerPaths:
    """The folders and files of one server home."""

    home: Path
    lib: Path
    plugins: Path
    conf: Path
    data: Path
    logs: Path
    run: Path
    import_dir: Path
    maven: Path
    console_log: Path
    debug_log: Path
    install_file: Path
    install_log: Path
    state_file: Path
    lock_file: Path
    password_file: Path

    @classmethod
    def of(cls, config: ServerConfig) -> ServerPaths:
        home = config.home.expanduser().resolve()
        logs = home / "logs"
        return cls(
            home=home,
            lib=home / "lib",
            plugins=home / "plugins",
            conf=home / "conf",
            data=home / "data",
            logs=logs,
            run=home / "run",
            import_dir=home / "import",
            maven=home / "maven",
            console_log=logs / "console.log",
            debug_log=logs / "debug.log",
            install_file=home / "install.json",
            install_log=home / "install.log",
            state_file=home / "state.json",
            lock_file=home / ".lock",
            password_file=config.password_file.expanduser(),
        )
