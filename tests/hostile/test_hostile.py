"""Every hostile input gives its exit code, a message naming where (file, row, column), what was expected and
what was found, no traceback, no raw control character on the terminal, nothing written, and (with
--neo4j) no change to the graph. The CLI runs in a subprocess so "no traceback" is what a user would see.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import neo4j
import pytest
from hostile_corpus import CASES, Case, Ctx

# Raw control characters a message could carry to the terminal (newline is how lines end; rich adds no
# escapes when stderr is not a terminal).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def er(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ER_") or k.startswith("ER_NEO4J_")}
    base.update({"COLUMNS": "500", "PYTHONIOENCODING": "utf-8"}, **(env or {}))  # no wrapping of long lines
    return subprocess.run([sys.executable, "-m", "entity_resolution.cli", "-q", *args], env=base,
                          capture_output=True, text=True, encoding="utf-8", errors="backslashreplace",
                          timeout=300, check=False)


def names(case: Case, ctx: Ctx) -> list[str]:
    fields = {**{s: str(p) for s, p in ctx.files.items()}, "out": str(ctx.out), "tmp": str(ctx.tmp)}
    return [n.format(**fields) for n in case.names]


def test_corpus_is_big_and_covers_every_class() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)
    kinds = Counter(c.kind for c in CASES)
    assert set(kinds) == {"path", "encoding", "csv", "value", "labels", "jsonl", "parquet", "settings", "run"}
    assert all(c.names for c in CASES if c.code == 2), "every refused case says what its message names"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    ctx = Ctx(tmp_path)
    args = case.build(ctx)
    result = er(args, dict(case.env))
    output = result.stdout + result.stderr
    assert result.returncode == case.code, output
    assert "Traceback" not in output
    assert not RAW_CONTROL.search(output), repr(output)
    if case.code == 2:
        assert "Bad input" in result.stderr
        message = " ".join(result.stderr.split())  # one line per problem; spaces as printed
        for text in names(case, ctx):
            assert " ".join(text.split()) in message, f"{text!r} not in:\n{result.stderr}"
        # nothing written: no --out folder, no hidden temp folder beside it (er detect may leave only its lock)
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out") and "lock" not in p.name]
        assert not ctx.out.exists() or not any(ctx.out.iterdir()), sorted(ctx.out.iterdir())
        assert not leftovers


# -- with Neo4j: a refused run leaves the graph as it was ---------------------------------------------------

NEO4J_CASES = [c for c in CASES if c.name in {
    "bad value stops a run before anything is written", "ER_THREADS=-3", "--as-of before every record",
    "NUL byte in a name", "JSON array as an account_id"}]


@pytest.fixture(scope="module")
def loaded_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the valid set, to put something in the graph that a bad run must not touch."""
    ctx = Ctx(tmp_path_factory.mktemp("loaded"))
    result = er(ctx.run())
    assert result.returncode == 0, result.stderr
    return ctx.out


@pytest.mark.parametrize("case", NEO4J_CASES, ids=[c.name for c in NEO4J_CASES])
def test_refused_run_leaves_the_graph_unchanged(case: Case, graph: neo4j.Driver, loaded_run: Path,
                                                tmp_path: Path) -> None:
    from entity_resolution.graph.snapshot import snapshot

    loaded = er(["load", "--from", str(loaded_run)])
    assert loaded.returncode == 0, loaded.stderr
    before = snapshot(graph)
    assert before.nodes > 0
    ctx = Ctx(tmp_path)
    args = case.build(ctx)
    if args[0] == "validate":  # the same input, through a run that would load the graph
        args = ["run", *args[1:], "--out", str(ctx.out)]
    result = er([*args, "--neo4j"], dict(case.env))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not ctx.out.exists()
    assert snapshot(graph) == before
