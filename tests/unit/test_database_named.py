"""Every Neo4j session and execute_query in the package names its database.

Without `database=` (sessions) or `database_=` (execute_query) the driver uses the user's home database, and
with a routing URI it first asks the cluster which one that is: `--neo4j-database` would be silently ignored.
The managed server's own probes (graph/server/: Bolt ready, versions) are server-wide and exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "entity_resolution"
EXEMPT = PACKAGE / "graph" / "server"


def _calls_without_database(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("session", "execute_query")
                and not {k.arg for k in node.keywords} & {"database", "database_"}):
            lines.append(node.lineno)
    return lines


def test_every_session_and_execute_query_names_the_database() -> None:
    missing = [f"{path.relative_to(PACKAGE.parent)}:{line}"
               for path in sorted(PACKAGE.rglob("*.py")) if EXEMPT not in path.parents
               for line in _calls_without_database(path.read_text(encoding="utf-8"))]
    assert missing == []


def test_the_check_finds_a_call_without_it() -> None:
    assert _calls_without_database("driver.execute_query(q, database_=db)\ns = driver.session(database=db)\n") == []
    assert _calls_without_database("driver.execute_query(q)\nwith driver.session() as s: pass\n") == [1, 2]
