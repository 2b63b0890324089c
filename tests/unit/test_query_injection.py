"""No data formatted into a query: a static scan of the code (ast) and of cypher/.

A call that runs a query (DuckDB `execute/sql/query`, the Neo4j driver's `run/execute_query`, and our own
wrappers that pass their text on) is flagged when its query text is built by formatting: an f-string with a
placeholder, `+` or `%` on strings, `.format(...)`, or a local name bound to one of those in the same
function. Values must go in as parameters (`$name`). The few places that format *our own* identifiers
(table, column, catalog and setting names from fixed tuples, SQL snippets from our own functions, numbers
we computed) are allow-listed below by file and function, each with the reason it is not data; an entry
that no longer matches anything fails too, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("entity_resolution", "benchmarks")

# Methods that run query text given as their first argument (or `query=`/`sql=`/`query_`).
QUERY_METHODS = {"execute", "executemany", "sql", "query", "run", "execute_query", "from_query"}
# Our own helpers that run their `sql` argument (first argument after the connection).
QUERY_HELPERS = {"scalar": 1, "one_row": 1, "write_table": 1, "_run": 1, "_batches": 1, "wire_sql": 1,
                 "_delta": 2}
QUERY_KEYWORDS = {"query", "sql", "query_"}

# (file, function) -> why the formatted text holds no data. Each was read and checked; keep reasons specific.
_ER = "entity_resolution/"
ALLOWED: dict[tuple[str, str], str] = {
    # ingest: names of our scratch tables/views (`_er_raw_{source}` with source from SOURCES) and contract
    # column names (read.py's `present` is the contract's names found in the header, never header text;
    # header text and file paths go in as $columns/$path)
    (_ER + "ingest/read.py", "load_inputs"): "scratch names we made; a true/false setting",
    (_ER + "ingest/read.py", "load_labels"): "scratch names we made; a true/false setting (as load_inputs)",
    (_ER + "ingest/read.py", "_stage"): "view/table names from SOURCES; contract column names; our row SQL",
    (_ER + "ingest/read.py", "_stage_csv"): "scratch table names; contract column names; path/header are $params",
    (_ER + "ingest/read.py", "_stage_parquet"): "scratch table name; contract column names",
    (_ER + "ingest/read.py", "_stage_jsonl"): "scratch table names; the path and columns are $params",
    (_ER + "ingest/read.py", "_check_json_nesting"): "scratch table names; contract column names quoted by _q; "
                                                      "path and columns are $params",
    # (these two ran through read.py's private _one/_scalar, which the scan did not know; now dbutil's one_row/scalar)
    (_ER + "ingest/read.py", "_check_values"): "our scratch view name; contract column names quoted by _q with "
                                               "rules.py predicates and constants; times are $latest/$latest_date",
    (_ER + "ingest/read.py", "_check_references"): "our scratch view name (Staged.view)",
    (_ER + "ingest/standardise/__init__.py", "standardise"): "temp table and macro names from _TEMP_TABLES/_MACROS",
    (_ER + "ingest/standardise/values.py", "create_value_macros"): "rules.py constants quoted by lit",
    (_ER + "ingest/standardise/lookup.py", "python_lookup"): "table/view names passed by our callers",
    (_ER + "ingest/standardise/ips.py", "build_ip_lookup"): "the _IPV4 pattern constant quoted by lit",
    (_ER + "ingest/standardise/phones.py", "_phone_validate"): "predicates built from phonenumbers metadata; "
                                                               "the metadata patterns go in as $params",
    # matching
    (_ER + "match/incremental.py", "set_base_aside"): "table names from STD_TABLES",
    (_ER + "match/incremental.py", "append_new_rows"): "table names from STD_TABLES",
    (_ER + "match/incremental.py", "affected_accounts"): "kinds and SQL from HUB_SOURCES (our constants)",
    (_ER + "match/incremental.py", "hubs_and_shared"): "kinds and SQL from hub_sources and hub_counts_sql (our "
                                                         "constants); the threshold is $min_accounts",
    (_ER + "match/incremental.py", "drop_scratch"): "scratch table names from a fixed tuple",
    (_ER + "match/resolve.py", "finish_predictions"): "Pinned.kept_predictions: a table name our caller sets",
    # the Spark engine: our table names (TF_COLUMNS, score.PREDICTIONS, standardise.OUTPUTS); paths are $params
    (_ER + "spark/score.py", "score"): "tf_<TF_COLUMNS> and PREDICTIONS, our table names",
    (_ER + "spark/engine.py", "predict"): "score.PREDICTIONS, our table name",
    (_ER + "spark/standardise.py", "standardise_on_spark"): "std_* names from OUTPUTS",
    (_ER + "match/resolve.py", "_keep_tf_tables"): "TF_COLUMNS and Splink's own physical table names",
    (_ER + "pipeline.py", "_connect"): "int(settings.threads): an integer (memory_limit goes as $m)",
    (_ER + "pipeline.py", "_apply_as_of"): "table names from a fixed tuple; the time is $t",
    (_ER + "pipeline.py", "resolve_pinned"): "TF_COLUMNS (our constant)",
    (_ER + "pipeline.py", "_drop_scratch"): "Splink's own cache table names, listed from information_schema",
    (_ER + "pseudonym.py", "publish"): "the schema name constant SCHEMA",
    (_ER + "pseudonym.py", "use_catalog"): "catalog names of our own ATTACHes (cur, prev), checked by a pattern",
    # graph: the loader's STEPS SQL (our constant) wrapped in a count or a delta; catalogs cur/prev
    (_ER + "graph/loader.py", "load_run"): "count(*) around a STEPS query (or its delta)",
    (_ER + "graph/loader.py", "_delta"): "catalog from (prev, cur), step names and SQL from STEPS",
    (_ER + "graph/evidence.py", "register_levels"): "gamma column names of FIELDS (model.py's comparison names)",
    (_ER + "graph/bulk_import.py", "export_files"): "import_files() SQL (our constant), STEPS and step table names; "
                                                    "run id and file path are $params",
    # detection
    (_ER + "detect/finish.py", "finish"): "_SIGNATURE column names; our own SQL snippets and a true/false",
    (_ER + "detect/incremental.py", "incremental"): "the node-kind constant ENTITY",
    # explain: the run's tf_<column> tables re-made in a scratch in-memory database for Splink
    (_ER + "explain/pair.py", "_score"): "TF_COLUMNS (our constant), identity_veto_sql() (our SQL) and Splink's "
                                         "physical table name; account ids and values are $params",
    # erasure: our own table names; the forgotten ids and values go in as $params / temp tables
    (_ER + "forget/forget_list.py", "apply_at_ingest"): "table names from INPUT_TABLES",
    (_ER + "forget/run_folder.py", "forbidden_values"): "_uses_sql(): our constant SQL over std_* tables",
    (_ER + "forget/run_folder.py", "_rebuild_duckdb"): "table/column names listed from our own er.duckdb's "
                                                      "catalog, quoted by _q",
    # demo world scoring: a score column name constant
    (_ER + "demo/world/quality.py", "score_world"): "RISK_SQL with the column name risk_score/component_size",
    # benchmarks (our own measuring code)
    ("benchmarks/accuracy_demo.py", "run_splink_default"): "Splink's physical table name",
    ("benchmarks/febrl.py", "_load"): "table names from a fixed tuple",
    ("benchmarks/febrl.py", "_score"): "table names from a fixed tuple",
    ("benchmarks/graph_load.py", "_rows"): "a STEPS query and int(limit)",
    ("benchmarks/graph_load.py", "_slice"): "count(*) around a STEPS query",
    ("benchmarks/graph_load.py", "_share"): "count(*) around a STEPS query",
    ("benchmarks/incremental.py", "_diff"): "EXCEPT of two of our own query texts (files are views)",
    ("benchmarks/resolution.py", "raw_splink"): "Splink's physical table names",
}


@dataclass(frozen=True)
class Hit:
    path: str
    function: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}(): {self.source}"


def _is_formatted(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "format_map"))


def _query_args(call: ast.Call) -> Iterator[ast.AST]:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name is None:
        return
    if isinstance(func, ast.Attribute) and name in QUERY_METHODS and call.args:
        yield call.args[0]
    if name in QUERY_HELPERS and len(call.args) > QUERY_HELPERS[name]:
        yield call.args[QUERY_HELPERS[name]]
    if name in QUERY_METHODS or name in QUERY_HELPERS:
        yield from (kw.value for kw in call.keywords if kw.arg in QUERY_KEYWORDS)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text
        self.hits: list[Hit] = []
        self.scope: list[str] = []
        self.formatted_names: list[dict[str, ast.AST]] = [{}]

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.formatted_names.append({
            target.id: sub.value
            for sub in ast.walk(node) if isinstance(sub, ast.Assign) and _is_formatted(sub.value)
            for target in sub.targets if isinstance(target, ast.Name)
        })
        self.generic_visit(node)
        self.formatted_names.pop()
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        for arg in _query_args(node):
            bound = self.formatted_names[-1].get(arg.id) if isinstance(arg, ast.Name) else None
            if _is_formatted(arg) or bound is not None:
                source = ast.get_source_segment(self.text, bound or arg) or ""
                self.hits.append(Hit(self.path, ".".join(self.scope) or "<module>", node.lineno,
                                     " ".join(source.split())[:160]))
        self.generic_visit(node)


def scan(root: Path = ROOT) -> list[Hit]:
    hits: list[Hit] = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            scanner = _Scanner(path.relative_to(root).as_posix(), text)
            scanner.visit(ast.parse(text, filename=str(path)))
            hits.extend(scanner.hits)
    return hits


def test_no_formatted_query_outside_the_allow_list() -> None:
    hits = scan()
    unexpected = [str(h) for h in hits if (h.path, h.function) not in ALLOWED]
    assert not unexpected, "data formatted into a query? use parameters:\n" + "\n".join(unexpected)
    stale = sorted(set(ALLOWED) - {(h.path, h.function) for h in hits})
    assert not stale, f"allow-list entries that match nothing (remove them): {stale}"


def test_the_scanner_flags_each_form(tmp_path: Path) -> None:
    (tmp_path / "entity_resolution").mkdir()
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "entity_resolution" / "bad.py").write_text(
        "def f(con, driver, v, t):\n"
        "    con.execute(f\"SELECT * FROM x WHERE id = '{v}'\")\n"
        "    con.sql('SELECT ' + v)\n"
        "    driver.execute_query('MATCH (n {id: %s}) RETURN n' % v)\n"
        "    session.run('MATCH (n {{id: {}}}) RETURN n'.format(v))\n"
        "    q = f'DELETE FROM {t}'\n"
        "    con.execute(q)\n"
        "    scalar(con, f'SELECT {v}')\n"
        "    driver.execute_query(query_=f'MATCH (n) WHERE n.id = {v} RETURN n')\n"
        "    con.execute('SELECT $v', {'v': v})\n"  # fine: a parameter
        "    con.execute(f'SELECT 1')\n",  # fine: no placeholder
        encoding="utf-8",
    )
    hits = scan(tmp_path)
    assert [h.line for h in hits] == [2, 3, 4, 5, 7, 8, 9]


# --- cypher/ ----------------------------------------------------------------------------------------

CYPHER_DIR = ROOT / "cypher"
# Python-side formatting markers that must never appear in a Cypher file (it is run as is, with parameters).
# (`{}` is an empty Cypher map; `{name}` alone, Neo4j 3's parameter syntax, is not valid Cypher 5 either.)
FORMAT_MARKERS = re.compile(r"%[sdr(]|\{[0-9]+\}|\{[a-z_]+\}|\$\{")


def test_cypher_files_hold_no_format_placeholders() -> None:
    files = sorted(CYPHER_DIR.rglob("*.cypher"))
    assert files
    for path in files:
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("//"))
        assert not FORMAT_MARKERS.search(body), f"{path.relative_to(ROOT)}: a formatting placeholder"


def test_loaded_cypher_is_never_formatted() -> None:
    """load_cypher(...)'s text goes to the driver as is: never `.format`, `%`, `+` or an f-string around it."""
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                parts: list[ast.AST] = []
                if isinstance(node, ast.BinOp):
                    parts = [node.left, node.right]
                elif isinstance(node, ast.JoinedStr):
                    parts = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("format", "replace", "format_map"):
                    parts = [node.func.value]
                for part in parts:
                    assert not (isinstance(part, ast.Call) and isinstance(part.func, ast.Name)
                                and part.func.id in ("load_cypher", "statements")), \
                        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: formats the text of a Cypher file"
