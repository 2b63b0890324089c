"""A managed local Neo4j Community server, assembled from Maven Central by the repo's neo4j/pom.xml.

Layout of a server home (default ~/.cache/entity-resolution/neo4j/<neo4j version>/, or $ER_NEO4J_HOME):
lib/ (server + Browser jars), plugins/ (APOC, GDS), conf/neo4j.conf (rewritten at every start), data/, logs/
(console.log, debug.log, neo4j.log), run/, import/, install.json (what `install` put there) and state.json
(pid and ports of the running server, read by managed_connection()).

The server JVM is launched directly (no bin scripts): main class org.neo4j.server.CommunityEntryPoint.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import GraphError

# The Maven project that assembles the server: package data (the repo's top-level neo4j/ links to it). Maven
# runs on a copy in the server home, so an installed package is never written to.
DEFAULT_POM = Path(str(files("entity_resolution.graph") / "maven" / "pom.xml"))
USER = "neo4j"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"  # what `neo4j-admin` runs, in one JVM (the bootloader forks another)
INSTALL_LAYOUT = 1  # bump when install.json or the folder layout changes

Progress = Callable[[str], None]

# Flags of the 5.x default neo4j.conf (server.jvm.additional), minus -XX:+AlwaysPreTouch (slow start-up).
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
    "-Dfile.encoding=UTF-8",
)
EXIT_CODES = {1: "web server failed", 2: "database failed", 3: "invalid configuration", 4: "licence not accepted"}
# groupIds whose jars have no business on a server's class path
TEST_GROUPS = ("junit", "org.junit", "org.assertj", "org.mockito", "org.hamcrest", "org.opentest4j")
_SIZE = re.compile(r"^\d+[kmgKMG]?$")


# --- configuration ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ServerInfo:
    """What `start` and `status` report. Versions are None when not running or the plugin did not load."""

    running: bool
    home: Path
    bolt_uri: str
    browser_url: str
    user: str
    password_file: Path
    installed: bool
    pid: int | None = None
    already_running: bool = False
    neo4j_version: str | None = None
    edition: str | None = None
    apoc_version: str | None = None
    gds_version: str | None = None
    startup_seconds: float | None = None
    installed_versions: dict[str, str | None] = field(default_factory=dict)
    problem: str | None = None  # running, but the version queries failed


class ServerStartError(GraphError):
    """The server did not come up; log_tail holds the end of console.log and debug.log."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


# --- install ------------------------------------------------------------------------------------------


def install(config: ServerConfig, progress: Progress | None = None, force: bool = False) -> ServerPaths:
    """Resolve lib/ and plugins/ with Maven into the server home. Fast no-op when already complete."""
    paths = ServerPaths.of(config)
    say = progress or (lambda _msg: None)
    if not force and is_installed(config):
        return paths
    paths.home.mkdir(parents=True, exist_ok=True)
    with _locked(paths):
        if _running_pid(paths) is not None:
            raise GraphError(f"the managed Neo4j in {paths.home} is running; stop it before reinstalling")
        if not force and is_installed(config):
            return paths
        _check_tool([config.maven, "--version"], "Maven (mvn)", "apt-get install maven")
        staging = paths.home / ".staging"
        shutil.rmtree(staging, ignore_errors=True)
        started = time.monotonic()
        gds_ok = _run_maven(config, paths, staging, say)
        say("checking the resolved jars")
        lib_files, plugin_files, dropped = _tidy(staging, gds_ok)
        for name in ("lib", "plugins", "maven"):
            target = paths.home / name
            shutil.rmtree(target, ignore_errors=True)
            (staging / name).rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        manifest = {
            "layout": INSTALL_LAYOUT,
            "neo4j": config.versions.neo4j,
            "apoc": config.versions.apoc,
            "gds": config.versions.gds if gds_ok else None,
            "browser": config.versions.browser,
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "maven_seconds": round(time.monotonic() - started, 1),
            "lib": lib_files,
            "plugins": plugin_files,
            "dropped_plugin_jars": dropped,
        }
        _write_json(paths.install_file, manifest)
    return paths


def is_installed(config: ServerConfig) -> bool:
    """True when install.json matches the pom's versions and every jar it lists is present."""
    paths = ServerPaths.of(config)
    manifest = _read_json(paths.install_file)
    if not manifest or manifest.get("layout") != INSTALL_LAYOUT:
        return False
    v = config.versions
    if (manifest.get("neo4j"), manifest.get("apoc"), manifest.get("browser")) != (v.neo4j, v.apoc, v.browser):
        return False
    if manifest.get("gds") not in (None, v.gds):
        return False
    try:
        present_lib = set(os.listdir(paths.lib))
        present_plugins = set(os.listdir(paths.plugins))
    except FileNotFoundError:
        return False
    return set(manifest.get("lib", ())) <= present_lib and set(manifest.get("plugins", ())) <= present_plugins


def _run_maven(config: ServerConfig, paths: ServerPaths, staging: Path, say: Progress) -> bool:
    """Run the repo's Maven project into staging/; returns whether GDS resolved. Raises if server/APOC failed."""
    modules = ":er-neo4j-server,:er-neo4j-apoc" + (",:er-neo4j-gds" if config.gds else "")
    # Maven writes target/ folders beside the poms: build a copy in the server home, never the package itself.
    project = paths.home / "maven-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(config.pom.parent, project, ignore=shutil.ignore_patterns("target"))
    pom = project / config.pom.name
    cmd = [config.maven, "-f", str(pom), "--batch-mode", "--fail-at-end", "-pl", modules,
           "package", f"-Der.neo4j.home={staging}"]  # fmt: skip
    building = re.compile(r"Building er-neo4j-(\w+) .*\[(\d+)/(\d+)\]")
    module, downloads = "project", 0
    say("Maven: starting")
    with paths.install_log.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            cwd=project,
        )  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if m := building.search(line):
                module = f"{m.group(1)} ({m.group(2)}/{m.group(3)})"
            elif line.startswith("Downloaded from"):
                downloads += 1
            else:
                continue
            say(f"Maven: resolving {module}, {downloads} files downloaded")
        code = proc.wait()
    listed = {m: (staging / "maven" / f"er-neo4j-{m}.txt").is_file() for m in ("server", "apoc", "gds")}
    if code != 0 and not (listed["server"] and listed["apoc"]):
        errors = [ln.rstrip() for ln in paths.install_log.read_text(encoding="utf-8").splitlines()
                  if ln.startswith("[ERROR]") and ln.strip() != "[ERROR]"]  # fmt: skip
        detail = "; ".join(errors[:3]) or f"exit code {code}"
        raise GraphError(f"Maven could not resolve the Neo4j server: {detail} (full log: {paths.install_log})")
    if config.gds and not listed["gds"]:
        say(f"GDS could not be resolved; continuing without it (see {paths.install_log})")
    return config.gds and listed["gds"]


def _read_listing(path: Path) -> list[tuple[tuple[str, str, str], str, str]]:
    """Parse `dependency:list` output into ((group, artifact, classifier), version, file name)."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        coords = raw.strip().split(" ")[0].split(":")
        if len(coords) == 5:
            group, artifact, kind, version, _scope = coords
            classifier = ""
        elif len(coords) == 6:
            group, artifact, kind, classifier, version, _scope = coords
        else:
            continue  # header or blank line
        suffix = f"-{classifier}" if classifier else ""
        out.append(((group, artifact, classifier), version, f"{group}.{artifact}-{version}{suffix}.{kind}"))
    return out


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


def _tidy(staging: Path, gds_ok: bool) -> tuple[list[str], list[str], list[str]]:
    """Reject test jars in lib/; in plugins/ drop jars lib/ already has and keep one version of each.

    APOC and GDS are resolved separately and both lie on the server's class path (plugins/ first), so a
    second copy of e.g. jackson or commons-lang3 would shadow the server's own.
    """
    lib = _read_listing(staging / "maven" / "er-neo4j-server.txt")
    tests = sorted(name for (g, a, c), _v, name in lib
                   if g.startswith(TEST_GROUPS) or "test" in a.lower() or c in ("tests", "test-jar"))  # fmt: skip
    if tests:
        raise GraphError(f"test jars in the server closure (add exclusions to neo4j/server/pom.xml): {tests}")
    plugin_lists = ["apoc"] + (["gds"] if gds_ok else [])
    plugins = [item for m in plugin_lists for item in _read_listing(staging / "maven" / f"er-neo4j-{m}.txt")]
    lib_versions = {key: version for key, version, _name in lib}
    best: dict[tuple[str, str, str], tuple[str, str]] = {}
    for key, version, name in plugins:
        if key not in best or _version_key(version) > _version_key(best[key][0]):
            best[key] = (version, name)
    keep = {name for key, (_v, name) in best.items() if key not in lib_versions}
    dropped = []
    for key, version, name in plugins:
        if name not in keep:
            reason = f"lib/ has {lib_versions[key]}" if key in lib_versions else f"kept {best[key][0]}"
            dropped.append(f"{':'.join(k for k in key if k)}:{version} ({reason})")
    plugin_dir = staging / "plugins"
    for path in plugin_dir.iterdir():
        if path.name not in keep:
            path.unlink()
    lib_names = sorted(name for _k, _v, name in lib)
    missing = [n for n in lib_names if not (staging / "lib" / n).is_file()] + sorted(
        n for n in keep if not (plugin_dir / n).is_file()
    )
    if missing:
        raise GraphError(f"Maven listed jars it did not copy: {missing[:5]}")
    return lib_names, sorted(keep), sorted(set(dropped))


# --- start / stop / status ----------------------------------------------------------------------------


def start(config: ServerConfig, progress: Progress | None = None) -> ServerInfo:
    """Install if needed, launch the server in the background and wait until Bolt answers."""
    say = progress or (lambda _msg: None)
    paths = ServerPaths.of(config)
    if _running_pid(paths) is not None:
        return replace(status(config), already_running=True)
    install(config, progress)
    with _locked(paths):
        if _running_pid(paths) is not None:
            return replace(status(config), already_running=True)
        _check_java(config)
        for port in (config.bolt_port, config.http_port):
            _check_port_free(port)
        _private_folder(paths.home)  # the graph (personal data), its logs and the conf: for our eyes only
        password = ensure_password(paths.password_file)
        for folder in (paths.conf, paths.data, paths.logs, paths.run, paths.import_dir):
            folder.mkdir(parents=True, exist_ok=True)
        _write_conf(config, paths)
        if not (paths.data / "databases" / "system").exists():
            say("setting the initial password")
            _set_initial_password(config, paths, password)
        say("starting Neo4j")
        if paths.console_log.exists():
            paths.console_log.replace(paths.console_log.with_suffix(".log.1"))
        started = time.monotonic()
        with paths.console_log.open("wb") as out:
            proc = subprocess.Popen(
                _server_command(config, paths), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=paths.home, start_new_session=True,
            )  # fmt: skip
        state = {"pid": proc.pid, "bolt_port": config.bolt_port, "http_port": config.http_port,
                 "user": USER, "password_file": str(paths.password_file),
                 "started_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        _write_json(paths.state_file, state)
        try:
            _wait_for_bolt(config, paths, proc, password, say, started)
        except ServerStartError:
            _terminate(proc.pid, 30.0)
            paths.state_file.unlink(missing_ok=True)
            raise
        elapsed = round(time.monotonic() - started, 1)
        _write_json(paths.state_file, {**state, "startup_seconds": elapsed})
    return replace(status(config), startup_seconds=elapsed)


def stop(config: ServerConfig) -> bool:
    """SIGTERM the managed server, wait up to stop_timeout, then SIGKILL. Returns whether it was running."""
    paths = ServerPaths.of(config)
    if not paths.home.exists():
        return False
    with _locked(paths):
        pid = _running_pid(paths)
        if pid is None:
            paths.state_file.unlink(missing_ok=True)
            return False
        if not _terminate(pid, config.stop_timeout):
            raise GraphError(f"Neo4j (pid {pid}) did not exit even after SIGKILL")
        paths.state_file.unlink(missing_ok=True)
        (paths.run / "neo4j.pid").unlink(missing_ok=True)
        return True


def status(config: ServerConfig) -> ServerInfo:
    """Running or not, versions (live when running, else as installed), URI and password file."""
    paths = ServerPaths.of(config)
    state = _read_json(paths.state_file) or {}
    manifest = _read_json(paths.install_file) or {}
    pid = _running_pid(paths)
    bolt_port = int(state.get("bolt_port", config.bolt_port)) if pid else config.bolt_port
    http_port = int(state.get("http_port", config.http_port)) if pid else config.http_port
    info = ServerInfo(
        running=pid is not None,
        home=paths.home,
        bolt_uri=f"bolt://127.0.0.1:{bolt_port}",
        browser_url=f"http://127.0.0.1:{http_port}/browser/",
        user=USER,
        password_file=paths.password_file,
        installed=is_installed(config),
        pid=pid,
        startup_seconds=state.get("startup_seconds") if pid else None,
        installed_versions={k: manifest.get(k) for k in ("neo4j", "apoc", "gds", "browser")} if manifest else {},
    )
    if pid is None:
        return info
    try:
        password = read_password(paths.password_file)
        return replace(info, **_query_versions(info.bolt_uri, password))
    except GraphError as exc:
        return replace(info, problem=str(exc))


def managed_connection(config: ServerConfig | None = None) -> tuple[str, str, str] | None:
    """(bolt URI, user, password) of the running managed server, or None when it is not running."""
    config = config or ServerConfig.from_env()
    paths = ServerPaths.of(config)
    if _running_pid(paths) is None:
        return None
    state = _read_json(paths.state_file) or {}
    port = int(state.get("bolt_port", config.bolt_port))
    return f"bolt://127.0.0.1:{port}", USER, read_password(paths.password_file)


# --- password -----------------------------------------------------------------------------------------


def ensure_password(path: Path) -> str:
    """Return the stored password, generating one (mode 600, folder 700) on first use."""
    path = path.expanduser()
    _private_folder(path.parent)
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return read_password(path)
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    return password


def _private_folder(folder: Path) -> None:
    """Create the password's folder as 700, or take group and other access away from an existing one of ours.

    Left alone: a folder of another user, a shared sticky folder such as /tmp and the home folder itself (the
    file is 600 in any case, created with O_EXCL so a planted link cannot redirect it).
    """
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)  # mkdir's mode only applies to the last part, and through the umask
        return
    st = folder.stat()
    shared = st.st_mode & stat.S_ISVTX or folder.resolve() == Path.home().resolve()
    if st.st_mode & 0o077 and st.st_uid == os.getuid() and not shared:
        folder.chmod(stat.S_IMODE(st.st_mode) & 0o700)


def read_password(path: Path) -> str:
    try:
        password = path.expanduser().read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise GraphError(f"password file {path} is missing; `er neo4j start` creates it") from exc
    if len(password) < 8:
        raise GraphError(f"password file {path}: Neo4j needs at least 8 characters")
    return password


# --- helpers ------------------------------------------------------------------------------------------


def _write_conf(config: ServerConfig, paths: ServerPaths) -> None:
    bolt, http = config.bolt_port, config.http_port
    lines = [
        "# Written by entity_resolution.graph.server at every start; edits here are overwritten.",
        "server.default_listen_address=127.0.0.1",
        "server.default_advertised_address=127.0.0.1",
        "server.bolt.enabled=true",
        f"server.bolt.listen_address=127.0.0.1:{bolt}",
        f"server.bolt.advertised_address=127.0.0.1:{bolt}",
        "server.http.enabled=true",
        f"server.http.listen_address=127.0.0.1:{http}",
        f"server.http.advertised_address=127.0.0.1:{http}",
        "server.https.enabled=false",
        "server.http_enabled_modules=TRANSACTIONAL_ENDPOINTS,UNMANAGED_EXTENSIONS,BROWSER,QUERY_API_ENDPOINTS",
        f"server.directories.data={paths.data}",
        f"server.directories.logs={paths.logs}",
        f"server.directories.plugins={paths.plugins}",
        f"server.directories.run={paths.run}",
        f"server.directories.import={paths.import_dir}",
        f"server.directories.lib={paths.lib}",
        "dbms.security.auth_enabled=true",
        "dbms.security.procedures.unrestricted=apoc.*,gds.*",
        f"server.memory.heap.initial_size={config.heap}",
        f"server.memory.heap.max_size={config.heap}",
        f"server.memory.pagecache.size={config.pagecache}",
        "dbms.usage_report.enabled=false",
        "",
    ]
    _write_text(paths.conf / "neo4j.conf", "\n".join(lines))


def _server_command(config: ServerConfig, paths: ServerPaths) -> list[str]:
    return [config.java, *JVM_FLAGS, f"-Xms{config.heap}", f"-Xmx{config.heap}",
            "-cp", f"{paths.plugins}/*:{paths.lib}/*", ENTRY_POINT,
            f"--home-dir={paths.home}", f"--config-dir={paths.conf}", "--console-mode"]  # fmt: skip


def _set_initial_password(config: ServerConfig, paths: ServerPaths, password: str) -> None:
    """`neo4j-admin dbms set-initial-password`, with the arguments in a mode-600 @file, not on argv."""
    argfile = paths.run / "set-initial-password.args"
    fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"dbms set-initial-password {password}\n")
    env = {**os.environ, "NEO4J_HOME": str(paths.home), "NEO4J_CONF": str(paths.conf)}
    cmd = [config.java, "-XX:+UseSerialGC", "-Xmx256m", "-cp", f"{paths.lib}/*", ADMIN_TOOL, f"@{argfile}"]
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        argfile.unlink(missing_ok=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().replace(password, "***")
        raise GraphError(f"neo4j-admin dbms set-initial-password failed: {output[-500:]}")


def _wait_for_bolt(
    config: ServerConfig, paths: ServerPaths, proc: subprocess.Popen[bytes], password: str, say: Progress,
    started: float,
) -> None:  # fmt: skip
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

    deadline = started + config.start_timeout
    with GraphDatabase.driver(config.bolt_uri, auth=(USER, password), connection_timeout=3.0) as driver:
        while True:
            code = proc.poll()
            if code is not None:
                meaning = EXIT_CODES.get(code, "unexpected exit")
                raise ServerStartError(f"Neo4j exited with code {code} ({meaning})", _log_tail(paths))
            try:
                driver.verify_connectivity()
                driver.execute_query("RETURN 1")
                return
            except AuthError as exc:
                raise ServerStartError(
                    f"Neo4j rejected the password in {paths.password_file}. It is set once, before the first"
                    f" start; if that file was replaced, restore it or delete {paths.data} to start afresh",
                    _log_tail(paths),
                ) from exc
            except (ServiceUnavailable, SessionExpired, Neo4jError, OSError):
                pass
            waited = time.monotonic() - started
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"Bolt did not answer on {config.bolt_uri} within {config.start_timeout:.0f} s; stopped it",
                    _log_tail(paths),
                )
            say(f"waiting for Bolt on {config.bolt_uri} ({waited:.0f} s)")
            time.sleep(1.0)


def _query_versions(uri: str, password: str) -> dict[str, Any]:
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError

    out: dict[str, Any] = {}
    try:
        with GraphDatabase.driver(uri, auth=(USER, password), connection_timeout=5.0) as driver:
            records, _, _ = driver.execute_query("CALL dbms.components() YIELD versions, edition "
                                                 "RETURN versions[0] AS version, edition")  # fmt: skip
            out["neo4j_version"], out["edition"] = records[0]["version"], records[0]["edition"]
            for key, query in (("apoc_version", "RETURN apoc.version() AS v"),
                               ("gds_version", "RETURN gds.version() AS v")):  # fmt: skip
                try:
                    out[key] = driver.execute_query(query)[0][0]["v"]
                except ClientError:
                    out[key] = None  # unknown function: the plugin did not load
    except AuthError as exc:
        raise GraphError(f"Neo4j at {uri} rejected the stored password") from exc
    except (DriverError, Neo4jError, OSError) as exc:
        raise GraphError(f"Neo4j at {uri} did not answer: {exc}") from exc
    return out


def _log_tail(paths: ServerPaths, lines: int = 30) -> str:
    parts = []
    for path in (paths.console_log, paths.debug_log):
        if path.is_file():
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - 64_000))
                tail = fh.read().decode("utf-8", "replace").splitlines()[-lines:]
            parts.append(f"--- {path} (last {len(tail)} lines)\n" + "\n".join(tail))
    return "\n".join(parts) or "(no log files yet)"


def _running_pid(paths: ServerPaths) -> int | None:
    """PID of our server for this home, from state.json or Neo4j's own run/neo4j.pid; None if not running."""
    candidates: list[int] = []
    state = _read_json(paths.state_file)
    if state and isinstance(state.get("pid"), int):
        candidates.append(state["pid"])
    with suppress(FileNotFoundError, ValueError):
        candidates.append(int((paths.run / "neo4j.pid").read_text().strip()))
    for pid in candidates:
        if _is_our_server(pid, paths.home):
            return pid
    return None


def _is_our_server(pid: int, home: Path) -> bool:
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc (macOS): trust the pid
    return ENTRY_POINT.encode() in cmdline and f"--home-dir={home}".encode() in cmdline


def _alive(pid: int) -> bool:
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        proc_stat = Path(f"/proc/{pid}/stat").read_text()
        return proc_stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to timeout, then SIGKILL and wait 10 s more. True when the process is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.25)
    return not _alive(pid)


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise GraphError(
                f"port {port} on 127.0.0.1 is in use (another Neo4j?); pick others with"
                " ER_NEO4J_BOLT_PORT / ER_NEO4J_HTTP_PORT or --bolt-port / --http-port"
            ) from exc


def _check_tool(cmd: list[str], name: str, hint: str) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise GraphError(f"{name} not found as {cmd[0]!r}; install it ({hint})") from exc
    return result.stdout + result.stderr


def _check_java(config: ServerConfig) -> None:
    output = _check_tool([config.java, "-version"], "Java", "apt-get install openjdk-17-jre-headless")
    m = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    major = int(m.group(1)) if m else 0
    if major == 1 and m and m.group(2):
        major = int(m.group(2))
    if major not in (17, 21):
        raise GraphError(
            f"Neo4j 5.26 needs Java 17 or 21; {config.java} is {major or 'unknown'} (set JAVA_HOME or ER_NEO4J_JAVA)"
        )


@contextmanager
def _locked(paths: ServerPaths) -> Iterator[None]:
    """Serialise install/start/stop on one home across processes."""
    paths.home.mkdir(parents=True, exist_ok=True)
    with paths.lock_file.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    _write_text(path, json.dumps(data, indent=2) + "\n")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
