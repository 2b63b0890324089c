"""The investigators' Browser guide, served by the managed server at /browser/guides/investigators.html.

Browser 5 plays an HTML guide from a URL (`:play URL`) when the URL's host is allowed
(`browser.remote_content_hostname_allowlist`, written by process.write_conf). The managed server serves
/browser/ from the Browser jar's `browser/` resources, so at every start the guide is written into that jar
(lib/org.neo4j.client.neo4j-browser-*.jar) unless the jar already holds this exact guide. The guide's queries
are the files of cypher/explore/, read at start, so the guide never lags behind them; each is a clickable
`<pre class="code runnable">` block that puts the query into the editor.
"""

from __future__ import annotations

import html
import shutil
import zipfile
from pathlib import Path

from ..cypher import load_cypher

GUIDE_ENTRY = "browser/guides/investigators.html"
GUIDE_PATH = "/browser/guides/investigators.html"

# (title, what to read, commands and saved queries: ":..." lines are Browser commands, names are explore files)
SLIDES: list[tuple[str, str, list[str]]] = [
    ("Largest rings", "Start from the biggest rings: many accounts but few entities is the pattern of a ring "
     "(different people, one operation). Take a component_id to the next slide. Hubs (identifiers too "
     "common to link anyone) are the ones the last er detect labelled Hub.",
     [":param limit => 10", "largest_components"]),
    ("A ring at a glance", "Set ring_id to a ring from the first slide, then draw it. Bridges are yellow and "
     "large, high-risk accounts purple; identifiers two or more members use are drawn, one-account entities are "
     "folded into their account. Apply cypher/browser/style.grass first (drop it on the window).",
     [":param ring_id => 'R-...'", "ring_view"]),
    ("The members table", "Scalars only, one row per member: reads in the table view and exports as CSV "
     "(the download icon of the frame).", ["ring_members", "ring_timeline"]),
    ("Bridges", "Accounts that join two rings, and the identifiers through which.", ["bridges"]),
    ("Why are two accounts linked?", "Set a and b to two accounts of the ring. The Splink link row lists "
     "which fields agreed, were close or disagreed, with their weights (field_evidence).",
     [":param a => 'acct_...'", ":param b => 'acct_...'", "why_linked"]),
    ("Growth and risk outside rings", "The components er detect counts as fast-growing (a ring of theirs "
     "grew fast in 1, 7 or 30 days), with the new accounts of each window; the rings that gained most "
     "accounts in the last $days days; high-risk accounts no ring holds.",
     ["fast_growing_components", ":param days => 7", "fastest_growing_components", ":param min_risk => 0.8",
      "high_risk_outside_rings"]),
    ("An entity across runs", "Set entity_id to an entity of a ring: the runs that wrote it, its accounts "
     "(memberships) and the links that joined, left or moved them.",
     [":param entity_id => 'E-...'", "entity_history"]),
]


def guide_html() -> str:
    """The guide as HTML (Browser's legacy guide format: an article with a carousel of slides)."""
    slides = []
    for title, text, items in SLIDES:
        blocks = []
        for item in items:
            if item.startswith(":"):
                code, caption = item, "a Browser command: click, edit the value, run"
            else:
                # the header comment stays in the file (the caption names it): the block shows the query
                code = "\n".join(ln for ln in load_cypher(f"explore/{item}").splitlines()
                                 if not ln.lstrip().startswith("//"))
                caption = f"cypher/explore/{item}.cypher"
            blocks.append(f'<figure><pre class="pre-scrollable code runnable">{html.escape(code)}</pre>'
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        slides.append(f'<slide class="row-fluid"><div class="col-sm-3"><h3>{html.escape(title)}</h3>'
                      f'<p class="lead">{html.escape(text)}</p></div><div class="col-sm-9">'
                      + "".join(blocks) + "</div></slide>")
    return ('<article class="guide"><carousel class="deck container-fluid">'
            + "".join(slides) + "</carousel></article>\n")


def install_guide(lib: Path) -> Path | None:
    """Write the guide into the Browser jar in `lib` (server stopped); returns the jar, None without one."""
    jars = sorted(lib.glob("org.neo4j.client.neo4j-browser-*.jar"))
    if not jars:
        return None
    jar, content = jars[-1], guide_html().encode("utf-8")
    with zipfile.ZipFile(jar) as zf:
        names = set(zf.namelist())
        if GUIDE_ENTRY in names and zf.read(GUIDE_ENTRY) == content:
            return jar
    # rewrite the jar without the old guide (zip has no replace), then swap it in
    tmp = jar.with_suffix(".jar.tmp")
    with zipfile.ZipFile(jar) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != GUIDE_ENTRY:
                dst.writestr(info, src.read(info.filename))
        dst.writestr(GUIDE_ENTRY, content)
    shutil.move(tmp, jar)
    return jar
