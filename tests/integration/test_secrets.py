"""Secrets around the managed Neo4j: loopback only, auth on, an owner-only password that no output or log holds."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import neo4j
import pytest
from neo4j_support import managed_auth

from entity_resolution.graph.server import ServerConfig, ServerPaths
from entity_resolution.graph.snapshot import wipe

pytestmark = pytest.mark.neo4j

ER = str(Path(sys.executable).parent / "er")
WRONG = "wrong-Password-4711-xyz"
# 127.0.0.1 as /proc/net/tcp writes it, and as the JVM's IPv6 socket shows it (::ffff:127.0.0.1), and ::1
LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}


@pytest.fixture(scope="module")
def paths() -> ServerPaths:
    managed_auth()  # fails the test when the managed server is not running
    return ServerPaths.of(ServerConfig.from_env())


def _conf(paths: ServerPaths) -> dict[str, str]:
    lines = (paths.conf / "neo4j.conf").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on port, from /proc/net/tcp{,6} (hex, little-endian IPv4)."""
    found = set()
    for name in ("tcp", "tcp6"):
        table = Path(f"/proc/net/{name}")
        if not table.is_file():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def _own_addresses() -> set[str]:
    """Non-loopback IPv4 addresses of this machine (the one a default route would use, and the host name's)."""
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe, suppress(OSError):
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
        found.add(probe.getsockname()[0])
    with suppress(OSError):
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    return {a for a in found if not a.startswith("127.") and a != "0.0.0.0"}


def test_managed_server_listens_on_loopback_with_auth(paths: ServerPaths) -> None:
    conf = _conf(paths)
    assert conf["dbms.security.auth_enabled"] == "true"
    assert conf["server.default_listen_address"] == "127.0.0.1"
    bolt_port = int(conf["server.bolt.listen_address"].rsplit(":", 1)[1])
    http_port = int(conf["server.http.listen_address"].rsplit(":", 1)[1])
    for key in ("server.bolt.listen_address", "server.http.listen_address"):
        assert conf[key].startswith("127.0.0.1:"), key
    assert conf.get("server.https.enabled", "false") == "false"
    for port in (bolt_port, http_port):  # what the kernel says, not only what we asked for
        found = _listening_addresses(port)
        assert found and found <= LOOPBACK, (port, found)  # no 0.0.0.0, no :: and no other address
    for address in _own_addresses():
        with socket.socket() as sock, pytest.raises(OSError):
            sock.settimeout(3)
            sock.connect((address, bolt_port))
    # auth on: without credentials the server refuses
    uri = managed_auth()[0]
    with neo4j.GraphDatabase.driver(uri, auth=None) as driver, pytest.raises(neo4j.exceptions.AuthError):
        driver.verify_connectivity()


def test_password_file_is_owner_only(paths: ServerPaths) -> None:
    assert stat.S_IMODE(paths.password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.password_file.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(paths.home.stat().st_mode) & 0o077 == 0  # the graph's files and logs too


def _wait_for_login(password: str) -> None:
    """Neo4j locks a user for a few seconds after failed logins; later tests need it unlocked."""
    uri, user, _ = managed_auth()
    deadline = time.monotonic() + 30
    while True:
        try:
            with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
                driver.verify_connectivity()
            return
        except neo4j.exceptions.AuthError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_wrong_password_is_one_line_without_the_password(tmp_path: Path) -> None:
    uri, _, password = managed_auth()
    env = {**os.environ, "NEO4J_PASSWORD": WRONG}
    try:
        proc = subprocess.run([ER, "load", "--from", str(tmp_path), "--neo4j-uri", uri], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        _wait_for_login(password)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1, output
    assert len(output.splitlines()) == 1 and uri in output and "credentials" in output, output
    assert WRONG not in output and "Traceback" not in output


@pytest.fixture
def emptied() -> Iterator[None]:
    from neo4j_support import managed_driver

    driver = managed_driver()
    try:
        wipe(driver)
        yield
        wipe(driver)
    finally:
        driver.close()


def test_no_password_in_outputs_files_or_server_logs(paths: ServerPaths, tmp_path: Path, emptied: None) -> None:
    _, _, password = managed_auth()
    env = {**os.environ, "NEO4J_PASSWORD": WRONG}  # also set, as a user might: the managed server ignores it
    env.pop("ER_NEO4J_URI", None)
    seen = []
    for args in (["demo", "--size", "1000", "--out", str(tmp_path / "demo"), "--neo4j"],
                 ["detect", "--out", str(tmp_path / "exports")],
                 ["load", "--from", str(tmp_path / "demo" / "run")],
                 ["neo4j", "status"],
                 ["--debug", "detect", "--out", str(tmp_path / "exports")]):
        proc = subprocess.run([ER, *args], env=env, capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
        seen += [proc.stdout, proc.stderr]
    assert "loaded into Neo4j" in "".join(seen)
    for text in seen:
        assert password not in text
    for folder in (paths.logs, tmp_path):  # the server's logs, and every file the commands wrote
        files = [f for f in folder.rglob("*") if f.is_file()]
        assert files or folder == tmp_path
        for f in files:
            assert password.encode() not in f.read_bytes(), f
    assert (paths.logs / "debug.log").is_file()
