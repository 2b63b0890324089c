"""The hostile-input corpus: each case turns a fresh copy of tests/data/valid/ into one bad (or merely messy)
input and names the `er` command to run on it, the exit code it must give and what its message must name.

Messages name files by the path as given, so `names` may hold {accounts}, {devices}, {payments}, {labels},
{out} and {tmp}: they are filled in from the case's own paths after it is built.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
SOURCES = ("accounts", "devices", "payments", "labels")


@dataclass
class Ctx:
    """A fresh copy of the valid CSV set in tmp/in, and the --out path a failing command must leave alone."""

    tmp: Path
    files: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.tmp / "in").mkdir()
        self.files = {s: Path(shutil.copy(VALID / f"{s}.csv", self.tmp / "in" / f"{s}.csv")) for s in SOURCES}

    @property
    def out(self) -> Path:
        return self.tmp / "out"

    def inputs(self, labels: bool = True) -> list[str]:
        args = ["-a", str(self.files["accounts"]), "-d", str(self.files["devices"]), "-p", str(self.files["payments"])]
        return [*args, "-l", str(self.files["labels"])] if labels else args

    def validate(self) -> list[str]:
        return ["validate", *self.inputs()]

    def run(self, *extra: str) -> list[str]:
        return ["run", *self.inputs(), "--out", str(self.out), *extra]

    # -- mutations of the CSV copies -----------------------------------------------------------------------

    def rows(self, source: str) -> list[list[str]]:
        with self.files[source].open(newline="", encoding="utf-8") as fh:
            return list(csv.reader(fh))

    def write_rows(self, source: str, rows: list[list[str]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self.files[source].write_bytes(buf.getvalue().encode("utf-8"))

    def set(self, source: str, row: int, column: str, value: str) -> None:
        """Set one CSV value; row is the 1-based data row."""
        rows = self.rows(source)
        rows[row][rows[0].index(column)] = value
        self.write_rows(source, rows)

    def sub(self, source: str, old: bytes, new: bytes) -> None:
        data = self.files[source].read_bytes()
        assert old in data, old
        self.files[source].write_bytes(data.replace(old, new, 1))

    def move(self, source: str, name: str) -> Path:
        """Give a file another name (or folder) under tmp; returns the new path."""
        target = self.tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        self.files[source] = self.files[source].rename(target)
        return target

    def convert(self, source: str, fmt: str) -> Path:
        """The same records as Parquet or JSON Lines, every value a string."""
        src = self.files[source]
        target = src.with_suffix(".parquet" if fmt == "parquet" else ".jsonl")
        with duckdb.connect() as con:
            rel = con.read_csv(str(src), all_varchar=True, header=True)
            if fmt == "parquet":
                rel.write_parquet(str(target))
            else:
                lines = [json.dumps(dict(zip(rel.columns, r, strict=True))) for r in rel.fetchall()]
                target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        src.unlink()
        self.files[source] = target
        return target

    def parquet(self, source: str, columns: Mapping[str, pa.Array]) -> None:
        """Replace the file by a Parquet file with exactly these columns (names and types as given)."""
        target = self.files[source].with_suffix(".parquet")
        pq.write_table(pa.Table.from_arrays(list(columns.values()), names=list(columns)), target)
        self.files[source].unlink()
        self.files[source] = target

    def jsonl(self, source: str, lines: list[str]) -> None:
        target = self.files[source].with_suffix(".jsonl")
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.files[source].unlink()
        self.files[source] = target


Build = Callable[[Ctx], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the class of hostile input, for the closing note's count per class
    build: Build  # mutates the fresh copy, returns the arguments after `er`
    code: int  # exit code: 2 bad input, 0 messy but accepted (and standardised)
    names: tuple[str, ...] = ()  # what stderr must contain: file, row, column, expected and found
    env: Mapping[str, str] = field(default_factory=dict)


def _value(source: str, row: int, column: str, value: str, cmd: str = "validate") -> Build:
    def build(c: Ctx) -> list[str]:
        c.set(source, row, column, value)
        return c.validate() if cmd == "validate" else c.run()

    return build


def _bytes(source: str, old: bytes, new: bytes) -> Build:
    def build(c: Ctx) -> list[str]:
        c.sub(source, old, new)
        return c.validate()

    return build


def _v(mutate: Callable[[Ctx], object]) -> Build:
    def build(c: Ctx) -> list[str]:
        mutate(c)
        return c.validate()

    return build


def _run(mutate: Callable[[Ctx], object], *extra: str) -> Build:
    def build(c: Ctx) -> list[str]:
        mutate(c)
        return c.run(*extra)

    return build


def _nothing(c: Ctx) -> None:
    return None


# -- builders that need more than one line -----------------------------------------------------------------


def _same_file_name(c: Ctx) -> list[str]:
    c.move("accounts", "a/data.csv")
    c.move("devices", "b/data.csv")
    c.set("devices", 2, "observed_at", "yesterday")
    return c.validate()


def _utf16(c: Ctx) -> None:
    text = c.files["accounts"].read_text(encoding="utf-8")
    c.files["accounts"].write_bytes(text.encode("utf-16"))  # with a byte-order mark


def _utf16_no_bom(c: Ctx) -> None:
    text = c.files["devices"].read_text(encoding="utf-8")
    c.files["devices"].write_bytes(text.encode("utf-16-le"))


def _cr_only(c: Ctx) -> None:
    c.files["accounts"].write_bytes(c.files["accounts"].read_bytes().replace(b"\n", b"\r"))


def _crlf(c: Ctx) -> None:
    for s in SOURCES:
        c.files[s].write_bytes(c.files[s].read_bytes().replace(b"\n", b"\r\n"))


def _gzip(c: Ctx) -> None:
    target = c.files["devices"].with_suffix(".csv.gz")
    target.write_bytes(gzip.compress(c.files["devices"].read_bytes()))
    c.files["devices"].unlink()
    c.files["devices"] = target


def _truncated_gzip(c: Ctx) -> None:
    _gzip(c)
    data = c.files["devices"].read_bytes()
    c.files["devices"].write_bytes(data[: len(data) // 2])


def _not_gzip(c: Ctx) -> None:
    c.files["payments"] = c.move("payments", "in/payments.csv.gz")


def _header_variant(c: Ctx, rename: str, add: str | None = None) -> None:
    rows = c.rows("accounts")
    if add is None:
        rows[0][rows[0].index("email")] = rename
    else:
        i = rows[0].index("email")
        rows = [[*r[:i], (rename if n == 0 else r[i]), *r[i:]] for n, r in enumerate(rows)]
    c.write_rows("accounts", rows)


def _duplicate_email_column(c: Ctx) -> None:
    rows = c.rows("accounts")
    c.write_rows("accounts", [[*r, r[2]] for r in rows])


def _drop_column(source: str, column: str) -> Callable[[Ctx], None]:
    def mutate(c: Ctx) -> None:
        rows = c.rows(source)
        i = rows[0].index(column)
        c.write_rows(source, [r[:i] + r[i + 1 :] for r in rows])

    return mutate


def _extra_columns(c: Ctx) -> None:
    rows = c.rows("devices")
    c.write_rows("devices", [[*r, "x" if n else "notes", "y" if n else "Segment"] for n, r in enumerate(rows)])


def _ragged(extra: int) -> Callable[[Ctx], None]:
    def mutate(c: Ctx) -> None:
        rows = c.rows("payments")
        rows[3] = rows[3] + ["surplus"] * extra if extra > 0 else rows[3][:extra]
        c.write_rows("payments", rows)

    return mutate


def _blank_lines(c: Ctx) -> None:
    lines = c.files["devices"].read_bytes().split(b"\n")
    c.files["devices"].write_bytes(b"\n".join([*lines[:3], b"", b"", *lines[3:]]))


def _semicolons(c: Ctx) -> None:
    c.files["accounts"].write_bytes(c.files["accounts"].read_bytes().replace(b",", b";"))


def _header_only(c: Ctx) -> None:
    c.write_rows("accounts", c.rows("accounts")[:1])


def _many_bad_rows(c: Ctx) -> None:
    rows = c.rows("devices")
    template = rows[1]
    rows += [[template[0], "not a time", *template[2:]] for _ in range(50)]
    c.write_rows("devices", rows)


def _parquet_typed(c: Ctx) -> None:
    """Typed Parquet: TIMESTAMP with zone, integer card_bin stored as a string, a BOOLEAN disputed."""
    rows = c.rows("payments")
    head, data = rows[0], rows[1:]
    col = {n: [r[i] or None for r in data] for i, n in enumerate(head)}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        ts = [con.execute("SELECT $t::TIMESTAMPTZ", {"t": t}).fetchall()[0][0] for t in col["observed_at"]]
    c.parquet("payments", {
        "account_id": pa.array(col["account_id"]),
        "observed_at": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "card_fingerprint": pa.array(col["card_fingerprint"]),
        "card_bin": pa.array(col["card_bin"]),
        "card_last4": pa.array(col["card_last4"]),
        "disputed": pa.array([None if v is None else v.lower() in ("true", "1", "yes") for v in col["disputed"]]),
    })


def _parquet_of(source: str, column: str, array: Callable[[int], pa.Array]) -> Callable[[Ctx], None]:
    """The source as Parquet of strings, with `column` replaced by array(n_rows)."""
    def mutate(c: Ctx) -> None:
        rows = c.rows(source)
        head, data = rows[0], rows[1:]
        cols = {n: pa.array([r[i] or None for r in data]) for i, n in enumerate(head)}
        cols[column] = array(len(data))
        c.parquet(source, cols)

    return mutate


def _parquet_case_variants(c: Ctx) -> None:
    rows = c.rows("accounts")
    head, data = rows[0], rows[1:]
    cols = {n: pa.array([r[i] or None for r in data]) for i, n in enumerate(head)}
    c.parquet("accounts", {"EMAIL": pa.array(["x@example.com"] * len(data)), **cols})


def _corrupt_parquet(c: Ctx) -> None:
    c.convert("accounts", "parquet")
    data = c.files["accounts"].read_bytes()
    c.files["accounts"].write_bytes(data[: len(data) // 2])


def _jsonl_line(source: str, n: int, line: str | None) -> Callable[[Ctx], None]:
    """Convert to JSON Lines and replace line n (1-based), or drop the last half of the file when line is None."""
    def mutate(c: Ctx) -> None:
        path = c.convert(source, "jsonl")
        lines = path.read_text(encoding="utf-8").splitlines()
        if line is None:
            text = "\n".join(lines)
            path.write_text(text[: len(text) - 20], encoding="utf-8")
            return
        lines[n - 1] = line
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return mutate


def _jsonl_value(source: str, n: int, key: str, value: object) -> Callable[[Ctx], None]:
    def mutate(c: Ctx) -> None:
        path = c.convert(source, "jsonl")
        lines = path.read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[n - 1])
        record[key] = value
        lines[n - 1] = json.dumps(record)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return mutate


def _jsonl_blank_and_numbers(c: Ctx) -> None:
    path = c.convert("devices", "jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["ip"] = None
    lines[0] = json.dumps(record)
    path.write_text("\n\n".join(lines) + "\n\n", encoding="utf-8")


def _one_account(c: Ctx) -> list[str]:
    for s in ("accounts", "devices", "payments"):
        c.write_rows(s, c.rows(s)[:2])  # the header and A001's first row
    c.write_rows("labels", c.rows("labels")[:1])
    return c.run()


def _two_accounts_train(c: Ctx) -> list[str]:
    c.write_rows("accounts", c.rows("accounts")[:3])
    c.write_rows("devices", c.rows("devices")[:3])
    c.write_rows("payments", c.rows("payments")[:3])
    return ["train", *c.inputs(labels=False), "--model-out", str(c.out / "model.json")]


def _config(text: bytes) -> Build:
    def build(c: Ctx) -> list[str]:
        (c.tmp / "er.toml").write_bytes(text)
        return ["--config", str(c.tmp / "er.toml"), *c.run()]

    return build


def _fake_run(db: Callable[[Path], None], manifest: str | None = None) -> Build:
    """A folder that looks like a run folder, with a broken er.duckdb (or manifest), for `er detect --from`."""
    def build(c: Ctx) -> list[str]:
        run = c.tmp / "run"
        run.mkdir()
        text = manifest or json.dumps({"run_id": "run-x", "as_of": "2024-03-01T00:00:00+00:00"})
        (run / "manifest.json").write_text(text, encoding="utf-8")
        db(run / "er.duckdb")
        return ["detect", "--from", str(run), "--out", str(c.out)]

    return build


def _truncated_db(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS i, repeat('x', 100) AS s FROM range(20000)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbage_db(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _good_db(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS i")


def _bad(name: str, source: str, row: int, column: str, value: str, *texts: str, kind: str = "value") -> Case:
    """A case that writes one bad value and must be refused naming that row and column."""
    return Case(name, kind, _value(source, row, column, value), 2, (f"{{{source}}} row {row}, column {column}", *texts))


A, D, P, L = "{accounts}", "{devices}", "{payments}", "{labels}"
TS = "an ISO-8601 timestamp"
CONTROL = "text without control characters"
INVISIBLE = "an identifier without control characters, tabs, line breaks or invisible characters"
FUTURE = "a time not after this run"

CASES: list[Case] = [
    # -- files and paths -------------------------------------------------------------------------------------
    Case("missing file", "path", _v(lambda c: c.files["devices"].unlink()), 2, (D, "no file at this path")),
    Case("directory instead of a file", "path", _v(lambda c: (c.files["labels"].unlink(), c.files["labels"].mkdir())),
         2, (L, "a directory")),
    Case("unsupported extension", "path", _v(lambda c: c.move("payments", "in/payments.xlsx")), 2,
         (P, "'payments.xlsx'")),
    Case("glob characters in the path", "path", _v(lambda c: c.move("devices", "in/dev[1].csv")), 2,
         (D, "without the characters")),
    Case("empty file", "path", _v(lambda c: c.files["labels"].write_bytes(b"")), 2, (L, "0 bytes")),
    Case("two inputs with the same file name", "path", _same_file_name, 2,
         (f"{D} row 2, column observed_at", TS, "'yesterday'")),
    Case("spaces and non-ASCII in the path", "path", _v(lambda c: c.move("accounts", "dossier données/comptes.csv")),
         0),
    # -- encodings and line ends -----------------------------------------------------------------------------
    Case("UTF-8 byte-order mark", "encoding", _v(lambda c: c.files["accounts"].write_bytes(
        b"\xef\xbb\xbf" + c.files["accounts"].read_bytes())), 0),
    Case("UTF-16 with byte-order mark", "encoding", _v(_utf16), 2, (A, "UTF-8 text", "UTF-16")),
    Case("UTF-16 without byte-order mark", "encoding", _v(_utf16_no_bom), 2, (D, "UTF-8 text", "NUL bytes")),
    Case("Latin-1 value", "encoding", _bytes("accounts", b"Smith, Carol", b"Smith, Car\xf6l"), 2,
         (f"{A} row 3, column full_name", "UTF-8 text", "not UTF-8")),
    Case("Latin-1 header", "encoding", _bytes("devices", b"device_id", b"device_\xe9d"), 2, (D, "header (line 1)")),
    Case("CR-only line ends", "encoding", _v(_cr_only), 2, (A, "LF or CRLF line ends", "CR-only")),
    Case("CRLF line ends", "encoding", _v(_crlf), 0),
    Case("gzip CSV", "encoding", _v(_gzip), 0),
    Case("truncated gzip", "encoding", _v(_truncated_gzip), 2, ("{devices}", "a readable CSV file")),
    Case("plain text named .csv.gz", "encoding", _v(_not_gzip), 2, (P, "a readable CSV file")),
    # -- CSV structure ---------------------------------------------------------------------------------------
    Case("quoted newline in a name", "csv", _value("accounts", 1, "full_name", "Alice\nSmith"), 0),
    _bad("quoted newline in an account_id", "accounts", 2, "account_id", "A0\n02", INVISIBLE, "'A0\\n02'", kind="csv"),
    Case("row with too many fields", "csv", _v(_ragged(2)), 2, (f"{P} row 3", "as many fields as the header")),
    Case("row with too few fields", "csv", _v(_ragged(-5)), 2, (f"{P} row 3", "4 fields")),
    Case("unterminated quote", "csv", _bytes("labels", b"A004,benign", b'A004,"benign'), 2, (f"{L} row 2", "CSV")),
    Case("blank first line", "csv", _v(lambda c: c.sub("devices", b"account_id", b"\naccount_id")), 2,
         (D, "a header line")),
    Case("blank lines between rows", "csv", _v(_blank_lines), 0),
    Case("accounts header only", "csv", _v(_header_only), 2, (A, "at least one account", "no data rows")),
    Case("column named twice", "csv", _v(_duplicate_email_column), 2,
         (f"{A}, column email", "each column once", "'email' (field 3) and 'email' (field 11)")),
    Case("EMAIL column before email", "csv", _v(lambda c: _header_variant(c, "EMAIL", add="x")), 2,
         ("(1 problem(s))", f"{A}, column email", "'EMAIL' (field 3) and 'email' (field 4)")),
    Case("upper-case column name only", "csv", _v(lambda c: _header_variant(c, "EMAIL")), 2,
         (f"{A}, column email", "a required column", "names are lower case")),
    Case("required column missing", "csv", _v(_drop_column("devices", "device_id")), 2,
         (f"{D}, column device_id", "a required column")),
    Case("extra and case-variant unknown columns", "csv", _v(_extra_columns), 0),
    Case("semicolon-separated file", "csv", _v(_semicolons), 2, (f"{A}, column account_id", "a required column")),
    Case("big free-text field (1 MB)", "csv", _value("payments", 2, "cardholder_name", "Bob Jones " * 100_000), 0),
    Case("huge record (3 MB)", "csv", _value("payments", 2, "cardholder_name", "Bob Jones " * 300_000), 2,
         (f"{P} row 2", "a record of at most 2,000,000 bytes", "3,000,0")),
    _bad("huge identifier (100 kB)", "devices", 2, "device_id", "d" * 100_000, "at most 1,000 characters",
         "100,000 characters", kind="csv"),
    Case("fifty bad rows: examples capped, all counted", "csv", _v(_many_bad_rows), 2,
         ("(50 problem(s))", f"{D} row 7, column observed_at", "and 30 more")),
    # -- values ----------------------------------------------------------------------------------------------
    _bad("offset +25:00", "accounts", 1, "created_at", "2024-01-05T10:00:00+25:00", TS, "+25:00"),
    _bad("year 0000", "devices", 1, "observed_at", "0000-01-05T10:00:00Z", TS),
    _bad("hour 24:00:00", "payments", 2, "observed_at", "2024-01-06T24:00:00Z", TS, "24:00:00"),
    _bad("one row dated 9999", "devices", 3, "observed_at", "9999-12-31T00:00:00Z", FUTURE, "9999-12-31"),
    _bad("account created in 2999", "accounts", 4, "created_at", "2999-01-01 00:00", FUTURE),
    _bad("label decided in 9999", "labels", 1, "decided_at", "9999-01-01T00:00:00Z", FUTURE),
    _bad("impossible date", "payments", 5, "observed_at", "2024-02-30T10:00:00Z", TS),
    _bad("epoch seconds", "accounts", 2, "created_at", "1704067200", "'1704067200'"),
    _bad("zone name", "devices", 1, "observed_at", "2024-01-05 10:00:00 Europe/Paris", TS),
    _bad("NUL byte in a name", "accounts", 1, "full_name", "Ali\x00ce", CONTROL, "'Ali\\x00ce'"),
    _bad("terminal escape in an email", "accounts", 2, "email", "\x1b[2J\x1b[31mbob@example.com", INVISIBLE,
         "\\x1b[2J"),
    Case("DEL and C1 controls in a cardholder name", "value", _value("payments", 2, "cardholder_name", "Bob\x7f\x85"),
         2, (f"{P} row 2, column cardholder_name", CONTROL, "\\x7f\\x85")),
    _bad("zero-width space in an email", "accounts", 1, "email", "alice\u200b@example.com", INVISIBLE, "\\u200b"),
    _bad("bidi override in an account_id", "accounts", 3, "account_id", "A003\u202eevil", INVISIBLE, "\\u202e"),
    _bad("tab inside a device_id", "devices", 2, "device_id", "dev\tbbb", INVISIBLE, "\\t"),
    Case("zero-width joiner in a name", "value", _value("accounts", 1, "full_name", "Ali\u200dce Sm\u200bith"), 0),
    Case("emoji and accents in a name", "value", _value("accounts", 2, "full_name", "Zoë 🦊 Łukasz"), 0),
    Case("formula-looking values", "value", _value("devices", 1, "device_id", "=HYPERLINK(\"http://x\",\"y\")"), 0),
    Case("SQL and Cypher metacharacters", "value", _value("payments", 1, "card_fingerprint",
                                                           "fp'); DROP TABLE x;--` MATCH (n) DETACH DELETE n //"), 0),
    _bad("whitespace-only required value", "accounts", 4, "email", " \t ", "a value (required column)"),
    _bad("duplicate account_id", "accounts", 5, "account_id", "A002", "'A002' again (first at row 2)"),
    _bad("device of an unknown account", "devices", 3, "account_id", "ZZZ", "'ZZZ', not in " + A),
    _bad("country of three letters", "accounts", 1, "country", "GBR", "two-letter"),
    _bad("card_bin with letters", "payments", 2, "card_bin", "5555AB", "6 to 8 digits"),
    _bad("disputed not a boolean", "payments", 1, "disputed", "maybe", "'maybe'"),
    _bad("date of birth 31/02", "accounts", 1, "date_of_birth", "31/02/1990", "YYYY-MM-DD"),
    # -- labels ----------------------------------------------------------------------------------------------
    Case("unknown label", "labels", _value("labels", 1, "label", "spam"), 2, (f"{L} row 1, column label",
                                                                             "abusive or benign")),
    Case("unknown origin", "labels", _value("labels", 3, "origin", "robot"), 2, (f"{L} row 3, column origin",
                                                                                "'robot'")),
    _bad("label of an unknown account", "labels", 2, "account_id", "A999", "'A999'", kind="labels"),
    # -- JSON Lines ------------------------------------------------------------------------------------------
    Case("broken JSON line", "jsonl", _v(_jsonl_line("devices", 3, '{"account_id": "A003", "observed_at": ')), 2,
         (f"{D} row 3", "a JSON object on each line", "malformed JSON")),
    Case("JSON line that is an array", "jsonl", _v(_jsonl_line("labels", 2, '["A004", "benign"]')), 2,
         (f"{L} row 2", "a JSON array")),
    Case("truncated JSON Lines file", "jsonl", _v(_jsonl_line("payments", 0, None)), 2, (f"{P} row 5",
                                                                                        "malformed JSON")),
    Case("JSON array as an account_id", "jsonl", _v(_jsonl_value("accounts", 2, "account_id", ["A002", "A003"])), 2,
         (f"{A} row 2, column account_id", "a JSON string, number or boolean", "a JSON array")),
    Case("JSON object as an email", "jsonl", _v(_jsonl_value("accounts", 1, "email", {"to": "alice@example.com"})), 2,
         (f"{A} row 1, column email", "a JSON object")),
    Case("JSON number as an id, blank lines, null", "jsonl", _v(_jsonl_blank_and_numbers), 0),
    Case("Latin-1 in JSON Lines", "jsonl", _v(lambda c: (c.convert("payments", "jsonl"),
                                                         c.sub("payments", b"Bob", b"B\xf6b"))), 2,
         (f"{P} row 2", "not UTF-8")),
    # -- Parquet ---------------------------------------------------------------------------------------------
    Case("typed Parquet (timestamps, booleans)", "parquet", _v(_parquet_typed), 0),
    Case("Parquet list column", "parquet", _v(_parquet_of("devices", "device_id",
                                                         lambda n: pa.array([["a", "b"]] * n))), 2,
         (f"{D}, column device_id", "a text, number, boolean, date or timestamp column", "VARCHAR[]")),
    Case("Parquet struct column", "parquet", _v(_parquet_of("accounts", "email",
                                                           lambda n: pa.array([{"to": "x@y.z"}] * n))), 2,
         (f"{A}, column email", "STRUCT")),
    Case("Parquet binary column", "parquet", _v(_parquet_of("payments", "card_fingerprint",
                                                           lambda n: pa.array([b"\x00\x01"] * n))), 2,
         (f"{P}, column card_fingerprint", "BLOB")),
    Case("Parquet integer card_last4 loses zeros", "parquet", _v(_parquet_of("payments", "card_last4",
                                                                            lambda n: pa.array([42] * n))), 2,
         (f"{P} row 1, column card_last4", "4 digits", "'42'")),
    Case("Parquet EMAIL and email columns", "parquet", _v(_parquet_case_variants), 2,
         (f"{A}, column email", "each column once", "'EMAIL' (column 1) and 'email' (column 4)")),
    Case("truncated Parquet", "parquet", _v(_corrupt_parquet), 2, (A, "a readable Parquet file")),
    # -- settings --------------------------------------------------------------------------------------------
    Case("ER_THREADS=-3", "settings", _run(_nothing), 2, ("ER_THREADS (setting threads)", "threads >= 1", "-3"),
         env={"ER_THREADS": "-3"}),
    Case("ER_MEMORY_LIMIT=lots", "settings", _run(_nothing), 2,
         ("ER_MEMORY_LIMIT (setting memory_limit)", "6GB", "'lots'"), env={"ER_MEMORY_LIMIT": "lots"}),
    Case("ER_MATCH_THRESHOLD=high", "settings", _run(_nothing), 2,
         ("ER_MATCH_THRESHOLD (setting match_threshold)", "a number", "'high'"), env={"ER_MATCH_THRESHOLD": "high"}),
    Case("ER_LINK_FLOOR=1.5 and ER_BATCH_SIZE=0 together", "settings", _run(_nothing), 2,
         ("(2 problem(s))", "ER_LINK_FLOOR", "[0, 1]", "ER_BATCH_SIZE", ">= 1"),
         env={"ER_LINK_FLOOR": "1.5", "ER_BATCH_SIZE": "0"}),
    Case("--match-threshold 7", "settings", _run(_nothing, "--match-threshold", "7"), 2,
         ("--match-threshold (setting match_threshold)", "[0, 1]")),
    Case("settings file not TOML", "settings", _config(b"match_threshold = = 1\n"), 2,
         ("settings file {tmp}/er.toml", "valid TOML")),
    Case("settings file with an unknown key", "settings", _config(b"[er]\nmatch_treshold = 0.9\n"), 2,
         ("settings file", "match_treshold")),
    Case("settings file with a string for a number", "settings", _config(b'threads = "four"\n'), 2,
         ("{tmp}/er.toml key threads", "a whole number")),
    # -- whole runs ------------------------------------------------------------------------------------------
    Case("bad value stops a run before anything is written", "run",
         _value("payments", 3, "card_last4", "42", cmd="run"), 2, (f"{P} row 3, column card_last4",)),
    Case("one account", "run", _one_account, 0),
    Case("--as-of before every record", "run", _run(_nothing, "--as-of", "2020-01-01"), 2,
         ("--as-of", "at or after the first account's created_at", "2020-01-01")),
    Case("--as-of not a time", "run", _run(_nothing, "--as-of", "last tuesday"), 2,
         ("--as-of", "an ISO-8601 timestamp", "'last tuesday'")),
    Case("train on two accounts", "run", _two_accounts_train, 2, ("training data", "2 account(s)", "no pair")),
    Case("demo --size 0", "run", lambda c: ["demo", "--size", "0", "--out", str(c.out)], 2,
         ("--size", "at least 1,000 accounts", "found 0")),
    Case("demo --size -5", "run", lambda c: ["demo", "--size", "-5", "--out", str(c.out)], 2, ("--size", "found -5")),
    Case("demo --size 1", "run", lambda c: ["demo", "--size", "1", "--out", str(c.out)], 2, ("--size", "found 1")),
    Case("detect --from a truncated er.duckdb", "run", _fake_run(_truncated_db), 2,
         ("{tmp}/run/er.duckdb", "a DuckDB database written by `er run`")),
    Case("detect --from a file that is not a database", "run", _fake_run(_garbage_db), 2,
         ("{tmp}/run/er.duckdb", "a DuckDB database")),
    Case("detect --from a folder with a broken manifest", "run", _fake_run(_good_db, "{not json"), 2,
         ("{tmp}/run/manifest.json", "the manifest `er run` wrote")),
    Case("detect --from a missing folder", "run", lambda c: ["detect", "--from", str(c.tmp / "nowhere"), "--out",
                                                             str(c.out)], 2,
         ("{tmp}/nowhere", "no folder at this path")),
]
