"""Every Cypher file declares exactly the parameters it uses; no Python code builds Cypher from data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from entity_resolution.graph.cypher import all_queries, declared_params, load_cypher, used_params

PACKAGE = Path(__file__).resolve().parents[2] / "entity_resolution"


@pytest.mark.parametrize("name", all_queries())
def test_header_names_the_parameters_used(name: str) -> None:
    text = load_cypher(name)
    assert text.startswith("//"), f"{name}: needs a header comment"
    assert "// params:" in text and "// returns:" in text
    assert declared_params(name) == used_params(name), name


def test_there_are_queries() -> None:
    assert len(all_queries()) >= 10


_DRIVER_CALLS = {"run", "execute_query"}
_SESSIONS = {"tx", "session", "s", "driver"}


def _query_arg_is_safe(node: ast.expr) -> bool:
    # Safe: load_cypher("...") / a name bound to it / a plain string literal without data.
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "load_cypher":
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return isinstance(node, ast.Name)


def test_no_cypher_is_built_by_string_formatting() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in _DRIVER_CALLS or not node.args:
                continue
            receiver = node.func.value
            if node.func.attr == "run" and not (isinstance(receiver, ast.Name) and receiver.id in _SESSIONS):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr | ast.BinOp) or (
                isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format"
            ):
                offenders.append(f"{path.name}:{node.lineno}")
            elif not _query_arg_is_safe(arg):
                offenders.append(f"{path.name}:{node.lineno} (unrecognised query argument)")
    assert offenders == []
