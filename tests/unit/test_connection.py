"""The Neo4j boundary without a server: URIs passed through, bounded retries, one-line errors, private secrets."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import neo4j
import pytest

from entity_resolution.errors import EntityResolutionError, GraphError
from entity_resolution.graph.connection import connect, graph_errors, open_driver
from entity_resolution.graph.server import ensure_password
from entity_resolution.settings import Settings

ER = str(Path(sys.executable).parent / "er")
SECRET = "not-the-password-Zq7!"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("uri", "routing", "encrypted"), [
    ("bolt://db.example.org:7687", False, False),
    ("bolt+s://db.example.org:7687", False, True),
    ("bolt+ssc://db.example.org", False, True),
    ("neo4j://db.example.org:7687", True, False),
    ("neo4j+s://abcd1234.databases.neo4j.io", True, True),
    ("neo4j+ssc://db.example.org", True, True),
])  # fmt: skip
def test_every_scheme_reaches_the_driver_as_given(uri: str, routing: bool, encrypted: bool) -> None:
    # The driver picks TLS and routing from the scheme; our options (retry time, timeout) must not clash
    # with the +s/+ssc schemes, which refuse explicit TLS settings.
    driver = open_driver(uri, "neo4j", SECRET, Settings())
    try:
        assert isinstance(driver, neo4j.Neo4jDriver if routing else neo4j.BoltDriver)
        assert driver.encrypted is encrypted
    finally:
        driver.close()


@pytest.mark.parametrize("uri", ["http://localhost:7474", "bolt+tls://db.example.org", "localhost:7687"])
def test_unusable_uri_is_one_clear_error(uri: str) -> None:
    with pytest.raises(GraphError, match="not usable") as info:
        open_driver(uri, "neo4j", SECRET, Settings())
    assert SECRET not in str(info.value)


def test_unreachable_server_is_retried_within_the_bound() -> None:
    uri = f"neo4j+s://127.0.0.1:{_closed_port()}"  # a TLS routing URI: not rejected, only unreachable
    settings = Settings(neo4j_uri=uri, neo4j_password=SECRET, neo4j_retry_seconds=2.0)
    started = time.monotonic()
    with pytest.raises(GraphError, match="unreachable") as info:
        connect(settings)
    elapsed = time.monotonic() - started
    message = str(info.value)
    assert uri in message and SECRET not in message and "\n" not in message
    assert "3 attempt(s)" in message  # 0.5 s, then 1 s of backoff fit in the 2 s budget
    assert 1.4 < elapsed < 2.0 + 3.0


def test_er_load_against_a_closed_port_exits_1_with_one_line(tmp_path: Path) -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "NEO4J_PASSWORD": SECRET, "ER_NEO4J_RETRY_SECONDS": "3"}
    started = time.monotonic()
    proc = subprocess.run([ER, "load", "--from", str(tmp_path), "--neo4j-uri", uri], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - started
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1, output
    assert len(output.splitlines()) == 1 and uri in output and "unreachable" in output, output
    assert "Traceback" not in output and SECRET not in output
    assert elapsed < 3 + 5 + 10  # the retry budget, one connection timeout, interpreter start-up


def test_retry_budget_is_a_setting() -> None:
    assert Settings().neo4j_retry_seconds == 10.0
    assert Settings.load(environ={"ER_NEO4J_RETRY_SECONDS": "2.5"}).neo4j_retry_seconds == 2.5
    with pytest.raises(EntityResolutionError, match="neo4j_retry_seconds"):
        Settings.load(environ={"ER_NEO4J_RETRY_SECONDS": "-1"})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_password_file_and_folder_are_owner_only(tmp_path: Path) -> None:
    new = tmp_path / "fresh" / "nested" / "password"
    password = ensure_password(new)
    assert len(password) >= 24 and new.read_text().strip() == password
    assert _mode(new) == 0o600 and _mode(new.parent) == 0o700
    # an existing folder and file that others can read are tightened at the next start
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    (loose / "password").write_text("a-long-enough-password\n")
    (loose / "password").chmod(0o644)
    assert ensure_password(loose / "password") == "a-long-enough-password"
    assert _mode(loose / "password") == 0o600 and _mode(loose) == 0o700


def test_shared_sticky_folder_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    ensure_password(shared / "password")
    assert _mode(shared) == 0o1777 and _mode(shared / "password") == 0o600


@pytest.mark.parametrize("error", [
    neo4j.exceptions.ServiceUnavailable("Couldn't connect to 127.0.0.1:7687 (resolved to ()):\nConnection refused"),
    neo4j.exceptions.SessionExpired("Failed to read from defunct connection"),
    neo4j.exceptions.TransientError("deadlock detected"),
])  # fmt: skip
def test_losing_the_server_mid_work_is_one_line_saying_to_rerun(error: Exception) -> None:
    uri = "neo4j+s://db.example.org"
    with pytest.raises(GraphError) as info, graph_errors(uri):
        raise error
    message = str(info.value)
    assert uri in message and "run the same command again" in message and "\n" not in message


def test_a_bad_query_stays_a_bug() -> None:
    with pytest.raises(neo4j.exceptions.ClientError), graph_errors("bolt://localhost"):
        raise neo4j.exceptions.ClientError("Invalid input 'MATHC'")
