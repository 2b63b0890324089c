"""The installed wheel is whole: built from the checkout, installed into a fresh virtualenv outside it, it runs the
demo (model, Cypher and the Neo4j Maven project are package data) and lists every Cypher query."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "-w", str(dist), str(ROOT)], check=True, timeout=600)
    (built,) = dist.glob("entity_resolution-*.whl")
    return built


def test_the_wheel_carries_every_asset(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    in_repo = {f"entity_resolution/cypher/{p.relative_to(ROOT / 'cypher')}" for p in (ROOT / "cypher").rglob("*")
               if p.is_file()}
    assert in_repo and in_repo <= names, sorted(in_repo - names)[:5]
    assert "entity_resolution/splink_models/default.json" in names
    assert "entity_resolution/spark/log4j2.properties" in names  # the Spark engine's JVM logging
    for pom in ("maven/pom.xml", "maven/server/pom.xml", "maven/apoc/pom.xml", "maven/gds/pom.xml",
                "maven/.mvn/maven.config"):
        assert f"entity_resolution/graph/{pom}" in names


def test_installed_outside_the_checkout_the_demo_runs(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # A real install with every dependency from the index (pip's cache makes it quick after `make setup`).
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], check=True, timeout=900, env=env)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import entity_resolution; "
                            "print(entity_resolution.__file__)"], capture_output=True, text=True, cwd=tmp_path,
                           env=env, check=True).stdout
    assert str(venv) in where, f"the wheel is not what runs: {where}"
    work = tmp_path / "elsewhere"
    work.mkdir()
    demo = subprocess.run([str(venv / "bin" / "er"), "-q", "demo", "--size", "2000", "--out", "demo_out"],
                          capture_output=True, text=True, cwd=work, env=env, timeout=900)
    assert demo.returncode == 0, demo.stderr
    assert (work / "demo_out" / "run" / "manifest.json").is_file()
    for args in (["neo4j", "install", "--help"], ["detect", "--help"]):
        shown = subprocess.run([str(venv / "bin" / "er"), *args], capture_output=True, text=True, cwd=work,
                               env=env, timeout=120)
        assert shown.returncode == 0, shown.stderr
    listed = subprocess.run([str(venv / "bin" / "python"), "-c", "from entity_resolution.graph.cypher import "
                             "all_queries; from entity_resolution.graph.server import ServerConfig; "
                             "print(len(all_queries()), ServerConfig.from_env().versions.neo4j)"],
                            capture_output=True, text=True, cwd=work, env=env, check=True).stdout.split()
    assert int(listed[0]) == len(list((ROOT / "cypher").rglob("*.cypher"))) and listed[1][0].isdigit()
