"""Open a Neo4j driver from Settings: a configured server, or the managed local one."""

from __future__ import annotations

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from ..errors import GraphError
from ..settings import Settings


def connect(settings: Settings) -> Driver:
    """A verified driver. Uses settings.neo4j_uri if set, else the managed server started by `er neo4j start`."""
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
    driver = GraphDatabase.driver(uri, auth=(user, password))
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        driver.close()
        raise GraphError(f"Neo4j at {uri} refused the credentials of user {user!r}") from exc
    except (ServiceUnavailable, OSError) as exc:
        driver.close()
        raise GraphError(f"Neo4j at {uri} is unreachable: {exc}") from exc
    return driver
