"""Cypher lives in the package's cypher/*.cypher (package data; the repo's top-level cypher/ links to it), one query
per file with a header naming its parameters."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import LiteralString, cast

from ..errors import QueryNotFoundError

# Wheels install unzipped, so the package data is a real folder (rglob and relative paths work on it).
CYPHER_DIR = Path(str(files("entity_resolution") / "cypher"))
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def load_cypher(name: str) -> LiteralString:
    """The text of cypher/<name>.cypher (our own file, hence a LiteralString for the driver)."""
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.is_file():
        raise QueryNotFoundError(f"no {name}.cypher in {CYPHER_DIR}")
    return cast(LiteralString, path.read_text(encoding="utf-8"))


def statements(name: str) -> list[LiteralString]:
    """Split a multi-statement file (schema) on ';' at line ends; header comments are dropped."""
    text = "\n".join(line for line in load_cypher(name).splitlines() if not line.lstrip().startswith("//"))
    return [cast(LiteralString, s.strip()) for s in re.split(r";\s*\n", text) if s.strip()]


def declared_params(name: str) -> set[str]:
    """Parameters named in the file's `// params:` header line."""
    for line in load_cypher(name).splitlines():
        if line.startswith("// params:"):
            return set(_PARAM.findall(line))
    return set()


def used_params(name: str) -> set[str]:
    body = "\n".join(line for line in load_cypher(name).splitlines() if not line.lstrip().startswith("//"))
    return set(_PARAM.findall(body))


def all_queries() -> list[str]:
    return sorted(str(p.relative_to(CYPHER_DIR).with_suffix("")) for p in CYPHER_DIR.rglob("*.cypher"))
