"""The investigators' Browser guide (graph/server/guide.py): built from cypher/explore/, written into a jar."""

from __future__ import annotations

import zipfile
from pathlib import Path

from entity_resolution.graph.cypher import all_queries
from entity_resolution.graph.server.guide import GUIDE_ENTRY, SLIDES, guide_html, install_guide


def test_guide_has_a_runnable_block_per_query_and_command() -> None:
    page = guide_html()
    items = [item for _title, _text, slide_items in SLIDES for item in slide_items]
    assert page.count('class="pre-scrollable code runnable"') == len(items)
    queries = {name for name in all_queries() if name.startswith("explore/")}
    for item in items:
        assert item.startswith(":") or f"explore/{item}" in queries
        assert item.startswith(":") or f"cypher/explore/{item}.cypher" in page
    assert "<script" not in page


def test_install_guide_writes_it_once_and_keeps_the_jar(tmp_path: Path) -> None:
    jar = tmp_path / "org.neo4j.client.neo4j-browser-5.24.0.jar"
    with zipfile.ZipFile(jar, "w") as zf:
        zf.writestr("browser/index.html", "<html></html>")
        zf.writestr(GUIDE_ENTRY, "an old guide")
    assert install_guide(tmp_path) == jar
    with zipfile.ZipFile(jar) as zf:
        assert zf.read(GUIDE_ENTRY).decode() == guide_html()
        assert zf.read("browser/index.html") == b"<html></html>"
        assert zf.namelist().count(GUIDE_ENTRY) == 1
    written = jar.stat().st_mtime_ns
    install_guide(tmp_path)  # already there: the jar is not rewritten
    assert jar.stat().st_mtime_ns == written
    assert install_guide(tmp_path / "empty") is None
