"""Start, stop and ask about the managed server: its conf, the JVM command line, the wait for Bolt."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import GraphError
from ...processes import alive
from .config import ADMIN_TOOL, ENTRY_POINT, USER, Progress, ServerConfig, ServerPaths
from .guide import GUIDE_PATH, install_guide
from .home import check_tool, locked, read_json, running_pid, write_json, write_text
from .install import install, is_installed
from .password import ensure_password, private_folder, read_password

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


def start(config: ServerConfig, progress: Progress | None = None) -> ServerInfo:
    """Install if needed, launch the server in the background and wait until Bolt answers."""
    say = progress or (lambda _msg: None)
    paths = ServerPaths.of(config)
    if running_pid(paths) is not None:
        return replace(status(config), already_running=True)
    install(config, progress)
    with locked(paths):
        if running_pid(paths) is not None:
            return replace(status(config), already_running=True)
        _check_java(config)
        for port in (config.bolt_port, config.http_port):
            _check_port_free(port)
        private_folder(paths.home)  # the graph (personal data), its logs and the conf: for our eyes only
        password = ensure_password(paths.password_file)
        for folder in (paths.conf, paths.data, paths.logs, paths.run, paths.import_dir):
            folder.mkdir(parents=True, exist_ok=True)
        write_conf(config, paths)
        install_guide(paths.lib)  # the investigators' guide, served from the Browser jar (guide.py)
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
        write_json(paths.state_file, state)
        try:
            _wait_for_bolt(config, paths, proc, password, say, started)
        except ServerStartError:
            _terminate(proc.pid, 30.0)
            paths.state_file.unlink(missing_ok=True)
            raise
        elapsed = round(time.monotonic() - started, 1)
        write_json(paths.state_file, {**state, "startup_seconds": elapsed})
    return replace(status(config), startup_seconds=elapsed)


def stop(config: ServerConfig) -> bool:
    """SIGTERM the managed server, wait up to stop_timeout, then SIGKILL. Returns whether it was running."""
    paths = ServerPaths.of(config)
    if not paths.home.exists():
        return False
    with locked(paths):
        pid = running_pid(paths)
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
    state = read_json(paths.state_file) or {}
    manifest = read_json(paths.install_file) or {}
    pid = running_pid(paths)
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
    if running_pid(paths) is None:
        return None
    state = read_json(paths.state_file) or {}
    port = int(state.get("bolt_port", config.bolt_port))
    return f"bolt://127.0.0.1:{port}", USER, read_password(paths.password_file)


def write_conf(config: ServerConfig, paths: ServerPaths) -> None:
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
        # Browser plays guides (`:play URL`) only from these hosts (5.26 still spells the setting "whitelist");
        # the investigators' guide is served by this server (guide.py) and opens after every login
        "browser.remote_content_hostname_whitelist=guides.neo4j.com,localhost,127.0.0.1",
        f"browser.post_connect_cmd=play http://127.0.0.1:{http}{GUIDE_PATH}",
        "",
    ]
    write_text(paths.conf / "neo4j.conf", "\n".join(lines))


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


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to timeout, then SIGKILL and wait 10 s more. True when the process is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(pid):
                return True
            time.sleep(0.25)
    return not alive(pid)


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


def _check_java(config: ServerConfig) -> None:
    output = check_tool([config.java, "-version"], "Java", "apt-get install openjdk-17-jre-headless")
    m = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    major = int(m.group(1)) if m else 0
    if major == 1 and m and m.group(2):
        major = int(m.group(2))
    if major not in (17, 21):
        raise GraphError(
            f"Neo4j 5.26 needs Java 17 or 21; {config.java} is {major or 'unknown'} (set JAVA_HOME or ER_NEO4J_JAVA)"
        )
