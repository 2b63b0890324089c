"""Read the input files into DuckDB and check them against the data contract (docs/data-contract.md).

Every file streams through a DuckDB reader with all columns as VARCHAR into a temporary staging table
whose rows know their 1-based data row. The checks are SQL aggregates over those tables: they count
every problem and fetch the first few of each kind as examples. Problems from every file are raised
together as one InputError; only when there are none are the typed in_* tables built (ingest/__init__.py).
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from bisect import bisect_left
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..checksum import file_sha256
from ..dbutil import one_row, scalar
from ..errors import InputError, Problem
from . import Inputs

if TYPE_CHECKING:
    import duckdb

Format = Literal["csv", "parquet", "jsonl"]

# Longest suffix first, so ".csv.gz" wins over ".gz".
FORMATS: dict[str, Format] = {
    ".csv.gz": "csv",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FOUND_MAX = 60  # characters of an offending value shown in a message
_BLANKS = ("' '", "chr(9)", "chr(10)", "chr(13)")  # trimmed from both ends of every value
# Year 0001-9999 (DuckDB reads 0000 as 1 BC), hour 00-23 (it reads 24:00 as the next day), minute and second
# 00-59, offset up to 14 hours (the widest in use; it reads +25:00 as a day's shift).
_TS_RE = (
    r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}"
    r"[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
    r"([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?"
)
# Control characters (C0 but tab, LF and CR; DEL; C1) have no place in any value: they are binary garbage or
# terminal escapes. Identifiers must not hold tabs, line breaks or invisible characters (zero-width space and
# joiners, bidi controls, word joiner, BOM, soft hyphen) either: "a\u200b@x.com" looks like "a@x.com" but is
# another value. Names and addresses may (ZWNJ is part of Persian spelling); standardisation folds them.
_CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{80}-\x{9F}"
_CONTROL_RE = f"[{_CONTROL}]"
# One class for identifiers, so each value is scanned once (measured: a second regex per identifier column
# cost a fifth of the CSV check time).
_INVISIBLE = r"\t\n\r\x{AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}"
_IDENTIFIER_RE = f"[{_CONTROL}{_INVISIBLE}]"
# Identifiers become Neo4j index keys, which hold at most about 8 kB: a longer one fails the load half-way.
MAX_IDENTIFIER = 1000  # characters
# A time this far after the run's clock is a typo or a placeholder (9999-12-31), not an event: it would become
# the default as-of and turn every growth window off.
FUTURE_LEEWAY = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    """How one column is checked and typed. SQL templates use {c} for the trimmed, non-NULL value."""

    expected: str
    bad: str
    cast: str = "{c}"


TIMESTAMP = Rule(
    "an ISO-8601 timestamp such as 2024-05-01T12:30:00Z",
    f"NOT regexp_full_match({{c}}, '{_TS_RE}') OR TRY_CAST({{c}} AS TIMESTAMPTZ) IS NULL",
    "CAST({c} AS TIMESTAMPTZ)",
)
DATE = Rule(
    "a real date as YYYY-MM-DD",
    "NOT regexp_full_match({c}, '[0-9]{4}-[0-9]{2}-[0-9]{2}') OR TRY_CAST({c} AS DATE) IS NULL",
    "CAST({c} AS DATE)",
)
COUNTRY = Rule("a two-letter ISO-3166 country code", "NOT regexp_full_match({c}, '[A-Za-z]{2}')", "upper({c})")
CARD_BIN = Rule("6 to 8 digits", "NOT regexp_full_match({c}, '[0-9]{6,8}')")
CARD_LAST4 = Rule("4 digits", "NOT regexp_full_match({c}, '[0-9]{4}')")
BOOL = Rule(
    "true or false (also 1/0, yes/no, any case)",
    "lower({c}) NOT IN ('true', 'false', '1', '0', 'yes', 'no')",
    "CASE WHEN lower({c}) IN ('true', '1', 'yes') THEN true WHEN {c} IS NOT NULL THEN false END",
)
LABEL = Rule("abusive or benign", "lower({c}) NOT IN ('abusive', 'benign')", "lower({c})")
ORIGIN = Rule(
    "enforcement, appeal_upheld, appeal_overturned or manual_review",
    "lower({c}) NOT IN ('enforcement', 'appeal_upheld', 'appeal_overturned', 'manual_review')",
    "lower({c})",
)


@dataclass(frozen=True)
class Col:
    name: str
    required: bool = False
    rule: Rule | None = None
    identifier: bool = False  # a key or contact value: no tabs, line breaks or invisible characters


# Column order here is the column order of the in_* tables.
SOURCES: dict[str, tuple[Col, ...]] = {
    "accounts": (
        Col("account_id", True, identifier=True),
        Col("created_at", True, TIMESTAMP),
        Col("email", True, identifier=True),
        Col("full_name"),
        Col("phone", identifier=True),
        Col("date_of_birth", rule=DATE),
        Col("postcode"),
        Col("country", rule=COUNTRY),
        Col("signup_ip", identifier=True),
    ),
    "devices": (
        Col("account_id", True, identifier=True),
        Col("observed_at", True, TIMESTAMP),
        Col("device_id", True, identifier=True),
        Col("ip", identifier=True),
        Col("user_agent"),
    ),
    "payments": (
        Col("account_id", True, identifier=True),
        Col("observed_at", True, TIMESTAMP),
        Col("card_fingerprint", True, identifier=True),
        Col("card_bin", rule=CARD_BIN),
        Col("card_last4", rule=CARD_LAST4),
        Col("cardholder_name"),
        Col("billing_postcode"),
        Col("billing_country", rule=COUNTRY),
        Col("disputed", rule=BOOL),
    ),
    "labels": (
        Col("account_id", True, identifier=True),
        Col("label", True, LABEL),
        Col("decided_at", rule=TIMESTAMP),
        Col("origin", rule=ORIGIN),
    ),
}
TIME_COLUMNS = {"accounts": "created_at", "devices": "observed_at", "payments": "observed_at"}


@dataclass(frozen=True)
class InputSummary:
    """What was loaded: rows per source, file checksums and the time span of the events."""

    rows: Mapping[str, int]
    sha256: Mapping[str, str]  # source -> hex digest of the file's bytes as stored (compressed if .gz)
    paths: Mapping[str, Path]
    min_timestamp: datetime | None  # oldest created_at / observed_at over accounts, devices, payments
    max_timestamp: datetime | None  # newest one: the default as-of time of a run


@dataclass
class Collector:
    """Problems found so far; examples are capped per (file, column, kind) but all are counted."""

    max_examples: int
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.total += 1

    def add_group(
        self, file: str, column: str | None, expected: str, count: int, examples: list[tuple[int, str]]
    ) -> None:
        """count problems of one kind, of which examples lists (row, found) for the first few."""
        self.total += count
        for row, shown in examples[: self.max_examples]:
            self.problems.append(Problem(file, row, column, expected, shown))


@dataclass(frozen=True)
class Staged:
    """A file read into a temp table; `view` gives _row and every contract column of its source."""

    source: str
    file: str
    view: str
    present: frozenset[str]  # contract columns the file has; the others are NULL in the view
    rejected: int  # records the reader could not split (CSV) or parse (JSON); not in the view
    gaps: tuple[int, ...] = ()  # see Raw

    def row(self, k: int) -> int:
        """The data row of the view's _row k."""
        return k + bisect_left(self.gaps, k)


@dataclass(frozen=True)
class Raw:
    columns: list[str]  # column names as found, for messages
    row_sql: str  # SQL for _row: the 1-based data row, or the kept-record number when `gaps` is set
    where_sql: str = ""
    rejected: int = 0
    # CSV records DuckDB rejected are missing from the table, so later records' rowids shift. For rejected
    # data rows r_1 < r_2 < ..., gaps holds r_i - i (the records kept before each), and kept record k is
    # data row k + #{gaps < k}. Only listed examples need it, so it is applied in Python, not per row.
    gaps: tuple[int, ...] = ()
    reported: frozenset[str] = frozenset()  # contract columns already reported (named twice, wrong type)
    tidy: bool = False  # values already trimmed and blanks NULL (_tidy_expr applied while reading)


FORMAT_NAMES: dict[Format, str] = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}
Scratch = list[tuple[str, str]]  # (TABLE | VIEW, name) to drop at the end


def validate(inputs: Inputs, max_examples: int = 20) -> InputSummary:
    """Check the input files in a private in-memory database; raise InputError listing every problem."""
    import duckdb

    with duckdb.connect(":memory:") as con:
        return load_inputs(con, inputs, max_examples)


def load_inputs(con: duckdb.DuckDBPyConnection, inputs: Inputs, max_examples: int = 20,
                known_accounts: str | None = None, now: datetime | None = None) -> InputSummary:
    """Create in_accounts, in_devices, in_payments and in_labels, or raise InputError with every problem.

    known_accounts: a table in `con` (our own name, never user input) with the account_ids of a previous run,
    for an incremental run: rows may refer to those accounts, and accounts may not repeat them.
    now: the time of the run (default: the clock); timestamps more than FUTURE_LEEWAY after it are problems.
    Files are named in problems by their path as given, so two files called data.csv stay apart.
    Sets the connection's TimeZone to UTC. Temporary tables are dropped however it ends.
    """
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    con.execute("SET TimeZone = 'UTC'")  # timestamps without an offset are UTC
    # CSV and JSON row numbers are rowids, which follow the file only while insertion order is kept.
    (keep_order,) = one_row(con, "SELECT current_setting('preserve_insertion_order')")
    con.execute("SET preserve_insertion_order = true")
    found = Collector(max_examples)
    latest = (now or datetime.now(UTC)) + FUTURE_LEEWAY
    files = {s: (p, fmt) for s, p in inputs.files().items() if (fmt := _check_file(p, found)) is not None}
    scratch: Scratch = []
    # Checksums are computed in a thread while DuckDB (which releases the GIL) reads the files.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="er-sha256")
    digests = {s: hasher.submit(file_sha256, p) for s, (p, _) in files.items()}
    loaded = False
    try:
        staged: dict[str, Staged] = {}
        for source, (path, fmt) in files.items():
            stage = _stage(con, source, path, fmt, found, scratch)
            if stage is not None:
                staged[source] = stage
        for stage in staged.values():
            # An incremental run may bring only new device or payment rows for known accounts.
            _check_values(con, stage, found, latest, allow_empty=known_accounts is not None)
        _check_references(con, staged, found, known_accounts)
        if found.total:
            names = [str(p) for p in inputs.files().values()]
            raise InputError(_ordered(found.problems, names), found.total)
        for source in SOURCES:
            stage = staged.get(source)
            con.execute(_build_sql(source, stage.view if stage else _empty_sql(source)))
        loaded = True
    finally:
        # Pending checksums are dropped only when the load failed: on success each one is read below, and one
        # not yet started (the single worker still hashing an earlier, larger file) must not be cancelled.
        hasher.shutdown(wait=True, cancel_futures=not loaded)
        for kind, name in reversed(scratch):
            con.execute(f"DROP {kind} IF EXISTS {name}")
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
    sha = {s: d.result() for s, d in digests.items()}
    rows = {s: int(scalar(con, f"SELECT count(*) FROM in_{s}")) for s in SOURCES}
    low, high = one_row(con, _time_span_sql())
    return InputSummary(rows, sha, inputs.files(), low, high)


# -- files -------------------------------------------------------------------------------------------------


def _format(path: Path) -> Format | None:
    name = path.name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if name.endswith(suffix)), None)


def _check_file(path: Path, found: Collector) -> Format | None:
    name = str(path)
    fmt = _format(path)
    if not path.exists():
        found.add(Problem(name, None, None, "an existing file", "no file at this path"))
    elif not path.is_file():
        found.add(Problem(name, None, None, "a file", "a directory" if path.is_dir() else "not a regular file"))
    elif fmt is None:
        expected = "a .csv, .parquet, .jsonl or .ndjson file (.csv/.jsonl/.ndjson may be .gz)"
        found.add(Problem(name, None, None, expected, repr(path.name)))
    elif any(ch in str(path) for ch in "*?["):
        # DuckDB's readers expand glob patterns in paths (and cannot be told not to), so "a*.csv" could
        # read several files.
        found.add(Problem(name, None, None, "a path without the characters * ? [", repr(str(path))))
    elif path.stat().st_size == 0:
        found.add(Problem(name, None, None, "a non-empty file", "an empty file (0 bytes)"))
    else:
        return fmt
    return None


def _show(value: object) -> str:
    if value is None:
        return "an empty value"
    text = str(value)
    return repr(text if len(text) <= FOUND_MAX else text[:FOUND_MAX] + "…")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return lines[0] if len(lines[0]) <= 200 else lines[0][:200] + "…"


def _listing(names: list[str]) -> str:
    text = ", ".join(names)
    return f"columns {text if len(text) <= 200 else text[:200] + '…'}" if names else "no columns"


def _ordered(problems: list[Problem], files: list[str]) -> list[Problem]:
    """File by file in input order; file-level problems first, then by row."""
    order = {name: i for i, name in enumerate(files)}

    def key(p: Problem) -> tuple[int, str, int, str]:
        return (order.get(p.file, len(order)), p.file, -1 if p.row is None else p.row, p.column or "")

    return sorted(problems, key=key)


# -- staging: each file into a temp table that knows every record's data row -------------------------------


def _stage(
    con: duckdb.DuckDBPyConnection, source: str, path: Path, fmt: Format, found: Collector, scratch: Scratch
) -> Staged | None:
    import duckdb

    table = f"_er_raw_{source}"
    scratch.append(("TABLE", table))
    cols = SOURCES[source]
    wanted = [c.name for c in cols]
    raw: Raw | None
    try:
        if fmt == "csv":
            header = _csv_header(path, wanted, found)
            raw = None if header is None else _stage_csv(con, table, path, header[0], wanted, found, scratch,
                                                         header[1])
        elif fmt == "parquet":
            raw = _stage_parquet(con, table, path, wanted, found)
        else:
            raw = _stage_jsonl(con, table, path, wanted, found, scratch)
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        found.add(Problem(str(path), None, None, f"a readable {FORMAT_NAMES[fmt]} file", _first_line(str(exc))))
        return None
    if raw is None:
        return None
    present = frozenset(raw.columns) & set(wanted) - raw.reported
    for col in cols:
        if col.required and col.name not in present and col.name not in raw.reported:
            variants = [c for c in raw.columns if c.lower() == col.name]
            shown = f"{variants[0]!r}: names are lower case" if variants else _listing(raw.columns)
            found.add(Problem(str(path), None, col.name, "a required column", shown))
    if present and not raw.tidy:
        con.execute(_tidy_sql(table, sorted(present)))
    view = f"_er_stg_{source}"
    scratch.append(("VIEW", view))
    select = ", ".join(f'"{c.name}"' if c.name in present else f'NULL::VARCHAR AS "{c.name}"' for c in cols)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {raw.row_sql} AS _row, {select} FROM {table}{raw.where_sql}"
    )
    return Staged(source, str(path), view, present, raw.rejected, raw.gaps)


def _q(name: str) -> str:
    """Quote a contract column name (our own constants, never names read from a file)."""
    return '"' + name + '"'


def _apply(template: str, name: str) -> str:
    return template.replace("{c}", _q(name))


def _as(name: str, expr: str | None = None) -> str:
    return f"{expr or _q(name)} AS {_q(name)}"


def _untidy_sql(name: str) -> str:
    q = _q(name)
    # Any value below '!' is empty or starts with a blank (or another control character).
    return f"({q} < '!' OR {' OR '.join(f'ends_with({q}, {b})' for b in _BLANKS)})"


def _tidy_expr(name: str) -> str:
    """The value of column `name` trimmed, blank -> NULL; trim() only where the cheap test says it would
    change something: trim() on every value costs more than reading the file."""
    blanks = " || ".join(_BLANKS)
    return f"CASE WHEN {_untidy_sql(name)} THEN nullif(trim({_q(name)}, {blanks}), '') ELSE {_q(name)} END"


def _tidy_sql(table: str, names: list[str]) -> str:
    """Tidy a staged table in place (JSON Lines, whose columns are known only once read), updating only
    the rows that need it. CSV and Parquet apply _tidy_expr while reading instead: an UPDATE of a million
    rows costs about as much as reading them (measured at 1M accounts, docs/performance.md)."""
    sets = ", ".join(f"{_q(n)} = {_tidy_expr(n)}" for n in names)
    return f"UPDATE {table} SET {sets} WHERE {' OR '.join(_untidy_sql(n) for n in names)}"


def _csv_header(path: Path, wanted: list[str], found: Collector) -> tuple[list[str], frozenset[str]] | None:
    """Column names from the first line, and the contract columns already reported as repeated; read here
    because DuckDB's sniffer gives up on ragged files."""
    file = str(path)
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first: bytes = fh.readline(1 << 20)
    except (OSError, EOFError, zlib.error) as exc:  # corrupt or truncated gzip
        found.add(Problem(file, None, None, "a readable CSV file", _first_line(str(exc))))
        return None
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        found.add(Problem(file, None, None, "UTF-8 text", "UTF-16 text (a UTF-16 byte-order mark); save it as UTF-8"))
        return None
    if b"\x00" in first:
        found.add(Problem(file, None, None, "UTF-8 text", "NUL bytes in the header (line 1): UTF-16 or binary data"))
        return None
    if b"\r" in first.rstrip(b"\r\n"):
        # readline splits on LF only: with CR-only line ends the "first line" is the whole file.
        found.add(Problem(file, None, None, "LF or CRLF line ends", "CR-only line ends (classic Mac OS)"))
        return None
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        found.add(Problem(file, None, None, "UTF-8 text", "bytes that are not UTF-8 in the header (line 1)"))
        return None
    if not text.strip():
        found.add(Problem(file, None, None, "a header line", "an empty first line"))
        return None
    try:
        names = [n.strip() for n in next(csv.reader([text]))]
    except csv.Error as exc:
        found.add(Problem(file, None, None, "a CSV header line", _first_line(str(exc))))
        return None
    # A contract column named more than once, also in another case (EMAIL and email), is one problem, and the
    # column counts as reported rather than missing: which of the two is meant is the user's call.
    repeated: set[str] = set()
    for want in wanted:
        where = [i for i, n in enumerate(names) if n.lower() == want]
        if len(where) > 1 or (where and names[where[0]] != want and want in names):
            shown = " and ".join(f"{names[i]!r} (field {i + 1})" for i in where)
            found.add(Problem(file, None, want, "each column once in the header (names ignore case)", shown))
            repeated.add(want)
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name or name.lower() in seen or name.lower() in repeated:
            names[i] = f"_er_ignored_{i}"  # DuckDB needs distinct names; the column is not used
        seen.add(name.lower())
    return names, frozenset(repeated)


# DuckDB reject kinds we put in words; others show DuckDB's own message.
_REJECT_EXPECTED = {
    "INVALID ENCODING": "UTF-8 text",
    "TOO MANY COLUMNS": "as many fields as the header",
    "MISSING COLUMNS": "as many fields as the header",
    "UNQUOTED VALUE": 'CSV quoting: "..." around a value, "" for a quote inside',
    # DuckDB's max_line_size (2,000,000 bytes by default): a bigger record is almost surely a runaway quote
    # or binary data, and nothing in the contract needs one.
    "LINE SIZE OVER MAXIMUM": "a record of at most 2,000,000 bytes",
}


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    header: list[str],
    wanted: list[str],
    found: Collector,
    scratch: Scratch,
    repeated: frozenset[str] = frozenset(),
) -> Raw:
    present = [n for n in wanted if n in header]
    errors, scans = f"{table}_rejects", f"{table}_scans"
    scratch.extend([("TABLE", scans), ("TABLE", errors)])
    con.execute(f"DROP TABLE IF EXISTS {errors}")
    con.execute(f"DROP TABLE IF EXISTS {scans}")
    # Fixed dialect, no sniffing. store_rejects reads past bad records and lists them in temp tables.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {", ".join(_as(n, _tidy_expr(n)) for n in present) or "NULL AS _er_none"}
        FROM read_csv($path, header = true, auto_detect = false, columns = $columns,
                      delim = ',', quote = '"', escape = '"', store_rejects = true,
                      rejects_table = '{errors}', rejects_scan = '{scans}')
        """,
        {"path": str(path), "columns": dict.fromkeys(header, "VARCHAR")},
    )
    # A reject's "line" counts records with the header as 1, so its data row is line - 1. DuckDB may
    # reject one record several times (once per missing field): count each record once per kind.
    groups = con.execute(
        f"""
        SELECT error_type, column_name, count(*),
               min_by({{'row': line - 1, 'message': error_message, 'text': csv_line}}, line, $n)
        FROM (
            SELECT DISTINCT ON (line, error_type, column_name) line, error_type, error_message, csv_line,
                   CASE WHEN error_type = 'INVALID ENCODING' THEN column_name END AS column_name
            FROM {errors}
        )
        GROUP BY ALL
        """,
        {"n": found.max_examples},
    ).fetchall()
    for error_type, column, count, examples in groups:
        expected = _REJECT_EXPECTED.get(error_type, "well-formed CSV")
        shown = [(e["row"], _reject_found(error_type, e["message"], e["text"])) for e in examples]
        found.add_group(str(path), column, expected, count, shown)
    gaps = con.execute(
        f"""
        SELECT r - row_number() OVER (ORDER BY r)
        FROM (SELECT DISTINCT line - 1 AS r FROM {errors})
        ORDER BY r
        """
    ).fetchall()
    named = [n for n in header if not n.startswith("_er_ignored_")]
    return Raw(named, "rowid + 1", rejected=len(gaps), gaps=tuple(int(g[0]) for g in gaps), reported=repeated,
               tidy=True)


def _reject_found(error_type: str, message: str, text: str | None) -> str:
    if error_type == "INVALID ENCODING":
        return "bytes that are not UTF-8"
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS") and text is not None:
        try:
            return f"{len(next(csv.reader([text])))} fields"
        except (csv.Error, StopIteration):
            pass
    if error_type == "LINE SIZE OVER MAXIMUM" and (size := re.search(r"Actual Size:\s*([0-9]+)", message)):
        return f"{int(size.group(1)):,} bytes"
    return _first_line(message)


# Parquet types whose text is not a value of ours: lists, structs, maps, unions (their text is a rendering
# such as "[a, b]") and bytes (rendered as \x00 escapes).
_NESTED_TYPE_RE = re.compile(r"\[|^(STRUCT|MAP|UNION|BLOB|BIT)\b")


def _stage_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path, wanted: list[str],
                   found: Collector) -> Raw:
    import pyarrow.parquet as pq

    described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    types = {str(r[0]): str(r[1]) for r in described}
    # DuckDB renames the second of two names that differ only in case (email_1) and binds "email" to the
    # first of them whatever its case: the schema's own names tell the columns apart.
    columns = list(pq.read_schema(path).names)
    reported: set[str] = set()
    for want in wanted:
        where = [i for i, n in enumerate(columns) if n.lower() == want]
        if len(where) > 1:
            shown = " and ".join(f"{columns[i]!r} (column {i + 1})" for i in where)
            found.add(Problem(str(path), None, want, "each column once (names ignore case)", shown))
            reported.add(want)
        elif want in types and _NESTED_TYPE_RE.search(types[want]):
            found.add(Problem(str(path), None, want, "a text, number, boolean, date or timestamp column",
                              f"a {types[want]} column"))
            reported.add(want)
    present = [n for n in wanted if n in columns and n not in reported]
    typed = "".join(", " + _as(n, f"CAST({_q(n)} AS VARCHAR)") for n in present)
    tidied = "".join(", " + _as(n, _tidy_expr(n)) for n in present)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT _row{tidied}
        FROM (SELECT file_row_number + 1 AS _row{typed} FROM read_parquet($path, file_row_number = true))
        """,
        {"path": str(path)},
    )
    return Raw(columns, "_row", reported=frozenset(reported), tidy=True)


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str], found: Collector, scratch: Scratch
) -> Raw | None:
    # One row per non-blank line, all NULL where the line is not a JSON object (or not UTF-8), so rowids
    # stay line numbers. Values of any JSON type arrive as text: an array or object as its JSON text.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT * FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = $columns)
        """,
        {"path": str(path), "columns": dict.fromkeys(names, "VARCHAR")},
    )
    _check_json_nesting(con, table, path, names, found)
    filled = ", ".join(f"count({_q(n)})" for n in names)
    empty = f"count_if(coalesce({', '.join(_q(n) for n in names)}) IS NULL)"
    lines, empty_lines, *counts = one_row(con, f"SELECT count(*), {empty}, {filled} FROM {table}")
    if not lines:
        found.add(Problem(str(path), None, None, "one JSON object per line", "no lines"))
        return None
    present = [n for n, n_filled in zip(names, counts, strict=True) if n_filled]  # a key with a value somewhere
    if not empty_lines:
        return Raw(present, "rowid + 1")
    # Some lines gave nothing: parse them again to tell broken lines from objects without our keys.
    kinds, bad = f"{table}_kinds", f"{table}_bad"
    scratch.extend([("TABLE", kinds), ("TABLE", bad)])
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {kinds} AS
        SELECT json_type(json) AS _type
        FROM read_json_objects($path, format = 'newline_delimited', ignore_errors = true)
        """,
        {"path": str(path)},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {bad} AS
        SELECT rowid + 1 AS _row, _type FROM {kinds} WHERE _type IS DISTINCT FROM 'OBJECT'
        """
    )
    count, examples = one_row(
        con, f"SELECT count(*), min_by({{'row': _row, 'found': _type}}, _row, $n) FROM {bad}", {"n": found.max_examples}
    )
    shown = [(e["row"], _json_found(e["found"])) for e in examples or []]
    found.add_group(str(path), None, "a JSON object on each line", count, shown)
    return Raw(present, "rowid + 1", f" WHERE rowid + 1 NOT IN (SELECT _row FROM {bad})", rejected=count)


def _check_json_nesting(con: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str],
                        found: Collector) -> None:
    """Report JSON arrays and objects given as values. As text they cannot be told from strings that look
    like them, so columns with a value starting with [ or { are read again as JSON, which tells (measured:
    reading every file as JSON and converting cost as much again as the whole JSON Lines check)."""
    screen = one_row(con, "SELECT " + ", ".join(f"count_if(left({_q(n)}, 1) IN ('[', '{{'))" for n in names)
                     + f" FROM {table}")
    suspects = [n for n, count in zip(names, screen, strict=True) if count]
    if not suspects:
        return
    # A table, not the reader inline: its rowids are the line numbers (insertion order is kept while loading).
    kinds = f"{table}_json"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {kinds} AS
        SELECT {", ".join(_as(n, f"json_type({_q(n)})") for n in suspects)}
        FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = $columns)
        """,
        {"path": str(path), "columns": dict.fromkeys(suspects, "JSON")},
    )
    try:
        typed = one_row(
            con,
            "SELECT "
            + ", ".join(f"count_if(k.{_q(n)} IN ('ARRAY', 'OBJECT')), min_by({{'row': k.rowid + 1, 'type': k.{_q(n)}, "
                        f"'found': t.{_q(n)}}}, k.rowid, $n) FILTER (WHERE k.{_q(n)} IN ('ARRAY', 'OBJECT'))"
                        for n in suspects)
            + f" FROM {kinds} AS k JOIN {table} AS t ON t.rowid = k.rowid",
            {"n": found.max_examples},
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {kinds}")
    for i, name in enumerate(suspects):
        count, examples = typed[2 * i], typed[2 * i + 1]
        shown = [(e["row"], f"a JSON {e['type'].lower()} {_show(e['found'])}") for e in examples or []]
        found.add_group(str(path), name, "a JSON string, number or boolean", count, shown)


def _json_found(json_type: str | None) -> str:
    if json_type is None:
        return "malformed JSON or bytes that are not UTF-8"
    kind = {"VARCHAR": "string", "BIGINT": "number", "UBIGINT": "number", "DOUBLE": "number"}.get(json_type)
    return f"a JSON {kind or json_type.lower()}"


# -- checks ------------------------------------------------------------------------------------------------


def _check_values(con: duckdb.DuckDBPyConnection, stage: Staged, found: Collector, latest: datetime,
                  allow_empty: bool = False) -> None:
    """Required values and value formats: one scan counts every check; a second, only when something
    failed, fetches the first rows of each failing check as examples. latest: the newest acceptable time."""
    checks: list[tuple[str, str, str, str]] = []  # column, expected, SQL condition, SQL for the found value
    for col in SOURCES[stage.source]:
        if col.name not in stage.present:
            continue
        q = _q(col.name)
        if col.required:
            checks.append((col.name, "a value (required column)", f"{q} IS NULL", "NULL::VARCHAR"))
        if col.rule is not None:
            checks.append((col.name, col.rule.expected, f"{q} IS NOT NULL AND ({_apply(col.rule.bad, col.name)})", q))
        if col.rule is TIMESTAMP:
            expected = f"a time not after this run (before {latest:%Y-%m-%dT%H:%MZ}, a day's leeway for clocks)"
            # CASE: only values whose date part is at most two days before the limit are parsed again (a
            # string comparison screens the rest: an offset moves a time by 14 hours at most)
            checks.append((col.name, expected,
                           f"CASE WHEN left({q}, 10) >= $latest_date THEN TRY_CAST({q} AS TIMESTAMPTZ) > $latest "
                           "ELSE false END", q))
        if col.identifier:
            checks.append((col.name, "an identifier without control characters, tabs, line breaks or invisible "
                           "characters", f"regexp_matches({q}, '{_IDENTIFIER_RE}')", q))
            checks.append((col.name, f"an identifier of at most {MAX_IDENTIFIER:,} characters",
                           f"strlen({q}) > {MAX_IDENTIFIER} AND length({q}) > {MAX_IDENTIFIER}",
                           f"format('{{:,}} characters', length({q}))"))
        elif col.rule is None:  # a rule's own pattern already refuses control characters
            checks.append((col.name, "text without control characters", f"regexp_matches({q}, '{_CONTROL_RE}')", q))
    def params(used: list[tuple[str, str, str, str]], **more: Any) -> dict[str, Any]:
        # DuckDB refuses parameters a query does not use
        limit = {"latest": latest, "latest_date": (latest - timedelta(days=2)).strftime("%Y-%m-%d")}
        return {**more, **(limit if any("$latest" in c[2] for c in used) else {})}

    counts = one_row(con, f"SELECT {', '.join(['count(*)', *(f'count_if({c[2]})' for c in checks)])} FROM {stage.view}",
                     params(checks))
    if counts[0] == 0 and stage.rejected == 0 and stage.source == "accounts" and not allow_empty:
        found.add(Problem(stage.file, None, None, "at least one account", "no data rows"))
    failing = [(check, n) for check, n in zip(checks, counts[1:], strict=True) if n]
    if not failing:
        return
    examples = one_row(
        con,
        "SELECT "
        + ", ".join(f"min_by({{'row': _row, 'found': {c[3]}}}, _row, $n) FILTER (WHERE {c[2]})" for c, _ in failing)
        + f" FROM {stage.view}",
        params([c for c, _ in failing], n=found.max_examples),
    )
    for ((column, expected, _, _), n), rows in zip(failing, examples, strict=True):
        found.add_group(stage.file, column, expected, n, [(stage.row(e["row"]), _show(e["found"])) for e in rows])


def _check_references(con: duckdb.DuckDBPyConnection, staged: dict[str, Staged], found: Collector,
                      known: str | None = None) -> None:
    """Duplicate account_ids in accounts; account_ids elsewhere that accounts (or `known`) does not have."""
    accounts = staged.get("accounts")
    if accounts is None or "account_id" not in accounts.present:
        return
    count, examples = one_row(con, _duplicates_sql(accounts.view), {"n": found.max_examples})
    dups = [
        (accounts.row(e["row"]), f"{_show(e['found'])} again (first at row {accounts.row(e['first'])})")
        for e in examples or []
    ]
    found.add_group(accounts.file, "account_id", "a unique account_id", count, dups)
    if known is not None:
        count, examples = one_row(con, _known_sql(accounts.view, known), {"n": found.max_examples})
        repeats = [(accounts.row(e["row"]), f"{_show(e['found'])}, already in the previous run")
                   for e in examples or []]
        found.add_group(accounts.file, "account_id", "an account_id new to this incremental run", count, repeats)
    if accounts.rejected or (known is None and not int(scalar(con, f"SELECT count(*) FROM {accounts.view}"))):
        return  # with account rows unreadable or absent, every reference would look orphaned
    for source, stage in staged.items():
        if source == "accounts" or "account_id" not in stage.present:
            continue
        count, examples = one_row(con, _orphans_sql(stage.view, accounts.view, known), {"n": found.max_examples})
        orphans = [(stage.row(e["row"]), f"{_show(e['found'])}, not in {accounts.file}") for e in examples or []]
        found.add_group(stage.file, "account_id", "an account_id listed in accounts", count, orphans)


def _duplicates_sql(view: str) -> str:
    return f"""
        WITH repeated AS (
            SELECT account_id, min(_row) AS first_row FROM {view}
            WHERE account_id IS NOT NULL GROUP BY account_id HAVING count(*) > 1
        )
        SELECT count(*), min_by({{'row': _row, 'found': account_id, 'first': first_row}}, _row, $n)
        FROM {view} JOIN repeated USING (account_id)
        WHERE _row > first_row
        """


def _orphans_sql(view: str, accounts_view: str, known: str | None = None) -> str:
    # Measured in DuckDB 2.0: one query per source beats a UNION ALL of them 3x, and NOT IN beats
    # "IS NOT NULL AND NOT EXISTS" 2.5x. Neither side has NULLs, so NOT IN means what it says.
    also_known = f"AND account_id NOT IN (SELECT account_id FROM {known})" if known else ""
    return f"""
        SELECT count(*), min_by({{'row': _row, 'found': account_id}}, _row, $n)
        FROM {view}
        WHERE account_id IS NOT NULL
          AND account_id NOT IN (SELECT account_id FROM {accounts_view} WHERE account_id IS NOT NULL)
          {also_known}
        """


def _known_sql(view: str, known: str) -> str:
    return f"""
        SELECT count(*), min_by({{'row': _row, 'found': account_id}}, _row, $n)
        FROM {view}
        WHERE account_id IN (SELECT account_id FROM {known})
        """


# -- the typed tables --------------------------------------------------------------------------------------


def _build_sql(source: str, relation: str) -> str:
    select = ", ".join(f"{_apply(c.rule.cast if c.rule else '{c}', c.name)} AS {_q(c.name)}" for c in SOURCES[source])
    return f"CREATE OR REPLACE TABLE in_{source} AS SELECT {select} FROM {relation}"


def _empty_sql(source: str) -> str:
    cols = ", ".join(f'NULL::VARCHAR AS "{c.name}"' for c in SOURCES[source])
    return f"(SELECT {cols} LIMIT 0)"


def _time_span_sql() -> str:
    union = " UNION ALL ".join(f"SELECT {col} AS t FROM in_{source}" for source, col in TIME_COLUMNS.items())
    return f"SELECT min(t), max(t) FROM ({union})"


def load_labels(con: duckdb.DuckDBPyConnection, path: Path, max_examples: int = 20,
                now: datetime | None = None) -> int:
    """Read a labels file on its own (`er evaluate --labels`) into `in_labels` of `con`, with the checks
    load_inputs applies to it (file, columns, values); InputError listing every problem. Which accounts the
    labels name is the caller's business (decisions on accounts a run did not score are ignored and counted).
    Returns the number of rows."""
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    con.execute("SET TimeZone = 'UTC'")
    (keep_order,) = one_row(con, "SELECT current_setting('preserve_insertion_order')")
    con.execute("SET preserve_insertion_order = true")  # row numbers in problems follow the file
    found = Collector(max_examples)
    latest = (now or datetime.now(UTC)) + FUTURE_LEEWAY
    scratch: Scratch = []
    try:
        fmt = _check_file(path, found)
        stage = _stage(con, "labels", path, fmt, found, scratch) if fmt is not None else None
        if stage is not None:
            _check_values(con, stage, found, latest)
        if found.total:
            raise InputError(_ordered(found.problems, [str(path)]), found.total)
        assert stage is not None
        con.execute(_build_sql("labels", stage.view))
    finally:
        for kind, name in reversed(scratch):
            con.execute(f"DROP {kind} IF EXISTS {name}")
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
    return int(scalar(con, "SELECT count(*) FROM in_labels"))
