"""Open a Neo4j driver from Settings: a configured server, or the managed local one.

Every failure at this boundary becomes a one-line GraphError naming the URI (never the password):
- unreachable, or a transient error: retried with backoff for at most settings.neo4j_retry_seconds, then an error;
- credentials refused: an error at once (retrying only adds to the server's failed-login count, which locks the
  user for a while);
- the server going away in the middle of a load or a detection: an error that says to rerun (both resume).
The URI goes to the driver exactly as given: bolt://, bolt+s://, bolt+ssc://, neo4j:// (routing), neo4j+s://
and neo4j+ssc:// all work with the driver's default TLS and routing settings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from neo4j import Driver, GraphDatabase, NotificationDisabledClassification
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from ..errors import GraphError
from ..settings import Settings

# Errors worth another attempt: the server is (re)starting, a cluster member left, a lock timed out.
TRANSIENT = (ServiceUnavailable, SessionExpired, TransientError, OSError)
FIRST_DELAY = 0.5  # seconds before the second attempt; doubles up to MAX_DELAY
MAX_DELAY = 4.0
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")  # +s: TLS, +ssc: self-signed TLS
CONNECT_TIMEOUT = 5.0  # per TCP connection attempt: a silently dropped port must not eat the whole budget
# The server's answer when a session names a database the DBMS does not have (with neo4j:// the driver gets
# it while fetching the routing table for that database, with bolt:// on the first query).
DATABASE_NOT_FOUND = "Neo.ClientError.Database.DatabaseNotFound"


def resolve(settings: Settings) -> tuple[str, str, str]:
    """(uri, user, password): settings.neo4j_uri if set, else the managed server started by `er neo4j start`."""
    uri, user, password = settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password
    if uri is None:
        from .server import managed_connection

        managed = managed_connection()
        if managed is None:
            raise GraphError("no Neo4j configured: pass --neo4j-uri (password in NEO4J_PASSWORD) "
                             "or start the managed server with `er neo4j start`")
        uri, user, password = managed
    if password is None:
        raise GraphError(f"no password for {user}@{uri}: set NEO4J_PASSWORD")
    return uri, user, password


def open_driver(uri: str, user: str, password: str, settings: Settings) -> Driver:
    """A driver for uri, unverified. The scheme decides TLS and routing; nothing here rewrites it."""
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme not in SCHEMES:
        # http(s):// would reach the driver's preview HTTP Query API: not what the loader's transactions expect
        raise GraphError(f"Neo4j URI {uri!r} is not usable: expected {', '.join(s + '://' for s in SCHEMES)}")
    try:
        return GraphDatabase.driver(
            uri, auth=(user, password),
            # managed transactions (execute_write, execute_query) retry transient errors this long in all
            max_transaction_retry_time=settings.neo4j_retry_seconds,
            connection_timeout=min(CONNECT_TIMEOUT, max(settings.neo4j_retry_seconds, 1.0)),
            # Our queries name properties, labels and types that a graph may not have yet (detection's before the
            # first detection): the server's "does not exist" notifications would print as raw driver warnings.
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )  # fmt: skip
    except (ConfigurationError, ValueError) as exc:
        raise GraphError(f"Neo4j URI {uri!r} is not usable: {_one_line(exc)}") from exc


def connect(settings: Settings) -> Driver:
    """A verified driver, after up to settings.neo4j_retry_seconds of retries if the server is unreachable."""
    return _verified(*resolve(settings), settings)


def _verified(uri: str, user: str, password: str, settings: Settings) -> Driver:
    driver = open_driver(uri, user, password, settings)
    deadline = time.monotonic() + settings.neo4j_retry_seconds
    delay, attempts = FIRST_DELAY, 0
    while True:
        attempts += 1
        try:
            driver.verify_connectivity()
            return driver
        except AuthError as exc:
            driver.close()
            raise GraphError(f"Neo4j at {uri} refused the credentials of user {user!r}") from exc
        except TRANSIENT as exc:
            if time.monotonic() + delay > deadline:
                driver.close()
                raise GraphError(f"Neo4j at {uri} is unreachable ({attempts} attempt(s) in "
                                 f"{settings.neo4j_retry_seconds:g} s): {_reason(exc)}") from exc
            time.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)


@contextmanager
def graph_session(settings: Settings) -> Iterator[Driver]:
    """connect(), then driver errors during the work become GraphErrors naming the URI; the driver is closed."""
    uri, user, password = resolve(settings)
    driver = _verified(uri, user, password, settings)
    try:
        with graph_errors(uri, settings.neo4j_database):
            yield driver
    finally:
        driver.close()


@contextmanager
def graph_errors(uri: str, database: str | None = None) -> Iterator[None]:
    """Turn the connection's failures into one-line GraphErrors. Other Neo4j errors (a bad query) stay bugs."""
    try:
        yield
    except AuthError as exc:
        raise GraphError(f"Neo4j at {uri} refused the credentials: {_reason(exc)}") from exc
    except ClientError as exc:  # after AuthError, one of its subclasses
        if exc.code != DATABASE_NOT_FOUND:
            raise
        name = repr(database) if database else "the database asked for"
        raise GraphError(f"Neo4j at {uri} has no database {name}: pass an existing one with --neo4j-database "
                         "(Neo4j Community serves a single user database, `neo4j`)") from exc
    except TRANSIENT as exc:
        raise GraphError(f"lost Neo4j at {uri} ({_reason(exc)}); once it is back, run the same command again: "
                         "loads resume where they stopped and detection starts afresh") from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _reason(exc: BaseException) -> str:
    """The driver's message on one line, shortened: it can span lines and repeat the address."""
    text = _one_line(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
