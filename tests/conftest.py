"""Shared fixtures: a generated demo data set (once per session) and the Neo4j marker rule."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from entity_resolution.demo.generator import GeneratedPaths, generate


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "neo4j_driver" in getattr(item, "fixturenames", ()) or "graph" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.neo4j)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPaths:
    """The default demo data set (10,000 accounts, the seed `er demo` uses)."""
    return generate(tmp_path_factory.mktemp("demo") / "input", n_accounts=10_000, seed=7, fmt="csv")


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPaths:
    return generate(tmp_path_factory.mktemp("small") / "input", n_accounts=2_000, seed=3, fmt="parquet")


@pytest.fixture(scope="session")
def valid_dir() -> Path:
    return Path(__file__).resolve().parent / "data" / "valid"


# Graph tests import tests/neo4j_support.py as a module.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="module")
def neo4j_driver() -> Iterator[neo4j.Driver]:
    """A driver to the managed server (the test fails, never skips, when it is not running)."""
    from neo4j_support import managed_driver

    driver = managed_driver()
    yield driver
    driver.close()


@pytest.fixture
def graph(neo4j_driver: neo4j.Driver) -> Iterator[neo4j.Driver]:
    """The managed server's database, emptied before and after the test."""
    from entity_resolution.graph.snapshot import wipe

    wipe(neo4j_driver)
    yield neo4j_driver
    wipe(neo4j_driver)
