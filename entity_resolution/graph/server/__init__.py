"""A managed local Neo4j Community server, assembled from Maven Central by the repo's neo4j/pom.xml.

Layout of a server home (default ~/.cache/entity-resolution/neo4j/<neo4j version>/, or $ER_NEO4J_HOME):
lib/ (server + Browser jars), plugins/ (APOC, GDS), conf/neo4j.conf (rewritten at every start), data/, logs/
(console.log, debug.log, neo4j.log), run/, import/, install.json (what `install` put there) and state.json
(pid and ports of the running server, read by managed_connection()).

The server JVM is launched directly (no bin scripts): main class org.neo4j.server.CommunityEntryPoint.

Modules: config.py (Versions, ServerConfig, ServerPaths), install.py (Maven), process.py (start, stop,
status, managed_connection), password.py (the password file), home.py (what install and process share:
the lock, state files, the running pid). This package re-exports what the rest of the code uses.
"""

from __future__ import annotations

from .config import ADMIN_TOOL, DEFAULT_POM, ENTRY_POINT, USER, Progress, ServerConfig, ServerPaths, Versions
from .install import INSTALL_LAYOUT, TEST_GROUPS, install, is_installed
from .password import ensure_password, read_password
from .process import (
    EXIT_CODES,
    JVM_FLAGS,
    ServerInfo,
    ServerStartError,
    managed_connection,
    start,
    status,
    stop,
)

__all__ = [
    "ADMIN_TOOL",
    "DEFAULT_POM",
    "ENTRY_POINT",
    "EXIT_CODES",
    "INSTALL_LAYOUT",
    "JVM_FLAGS",
    "TEST_GROUPS",
    "USER",
    "Progress",
    "ServerConfig",
    "ServerInfo",
    "ServerPaths",
    "ServerStartError",
    "Versions",
    "ensure_password",
    "install",
    "is_installed",
    "managed_connection",
    "read_password",
    "start",
    "status",
    "stop",
]
