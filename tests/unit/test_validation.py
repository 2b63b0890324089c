"""Reading the input files and checking the data contract (entity_resolution/ingest/read.py).

Every malformed input is a mutated copy of the hand-made valid set in tests/data/valid/.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from entity_resolution.errors import InputError, Problem
from entity_resolution.ingest import Inputs
from entity_resolution.ingest.read import InputSummary, load_inputs, validate

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
SOURCES = ("accounts", "devices", "payments", "labels")
Files = dict[str, Path]

CONTRACT = {
    "in_accounts": [
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP WITH TIME ZONE"),
        ("email", "VARCHAR"),
        ("full_name", "VARCHAR"),
        ("phone", "VARCHAR"),
        ("date_of_birth", "DATE"),
        ("postcode", "VARCHAR"),
        ("country", "VARCHAR"),
        ("signup_ip", "VARCHAR"),
    ],
    "in_devices": [
        ("account_id", "VARCHAR"),
        ("observed_at", "TIMESTAMP WITH TIME ZONE"),
        ("device_id", "VARCHAR"),
        ("ip", "VARCHAR"),
        ("user_agent", "VARCHAR"),
    ],
    "in_payments": [
        ("account_id", "VARCHAR"),
        ("observed_at", "TIMESTAMP WITH TIME ZONE"),
        ("card_fingerprint", "VARCHAR"),
        ("card_bin", "VARCHAR"),
        ("card_last4", "VARCHAR"),
        ("cardholder_name", "VARCHAR"),
        ("billing_postcode", "VARCHAR"),
        ("billing_country", "VARCHAR"),
        ("disputed", "BOOLEAN"),
    ],
    "in_labels": [
        ("account_id", "VARCHAR"),
        ("label", "VARCHAR"),
        ("decided_at", "TIMESTAMP WITH TIME ZONE"),
        ("origin", "VARCHAR"),
    ],
}


# -- helpers -----------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """A fresh copy of the valid CSV set, safe to mutate."""
    return {s: Path(shutil.copy(VALID / f"{s}.csv", tmp_path / f"{s}.csv")) for s in SOURCES}


def inputs(files: Files) -> Inputs:
    return Inputs(files["accounts"], files["devices"], files["payments"], files.get("labels"))


def convert(path: Path, fmt: str) -> Path:
    """The same records as Parquet or JSON Lines, all values as strings."""
    target = path.with_suffix(".parquet" if fmt == "parquet" else ".jsonl")
    option = "FORMAT parquet" if fmt == "parquet" else "FORMAT json"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true, header = true)) TO '{target}' ({option})"
        )
    path.unlink()
    return target


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_value(path: Path, row: int, column: str, value: str) -> None:
    """Set one value of a CSV file; row is the 1-based data row."""
    rows = read_rows(path)
    rows[row][rows[0].index(column)] = value
    write_rows(path, rows)


def replace_line(path: Path, line: int, text: bytes) -> None:
    """Replace a whole physical line (1-based, header included) with raw bytes."""
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = text
    path.write_bytes(b"\n".join(lines))


def expect_problems(files: Files, **kwargs: int) -> InputError:
    with pytest.raises(InputError) as caught:
        validate(inputs(files), **kwargs)
    return caught.value


def where(file: str, row: int | None, column: str | None) -> str:
    return file + (f" row {row}" if row is not None else "") + (f", column {column}" if column else "")


def assert_reported(err: InputError, file: str, row: int | None, column: str | None, text: str) -> Problem:
    # Problems name files by their path as given; the cases name them by file name.
    matches = [p for p in err.problems if (Path(p.file).name, p.row, p.column) == (file, row, column)]
    assert matches, f"no problem at {where(file, row, column)} in:\n{err}"
    assert any(text in f"{p.expected} | {p.found}" for p in matches), str(err)
    assert where(file, row, column) + ":" in str(err)
    return matches[0]


# -- malformed inputs: one case each -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Files], None]
    file: str
    row: int | None
    column: str | None
    text: str  # part of the problem's expected or found


def _missing_file(f: Files) -> None:
    f["devices"].unlink()


def _unsupported_extension(f: Files) -> None:
    f["payments"] = f["payments"].rename(f["payments"].with_suffix(".xlsx"))


def _glob_in_path(f: Files) -> None:
    f["devices"] = f["devices"].rename(f["devices"].with_name("devices*.csv"))


def _corrupt_parquet(f: Files) -> None:
    f["accounts"] = f["accounts"].with_suffix(".parquet")
    f["accounts"].write_bytes(b"PAR1 this is not really parquet")


def _corrupt_gzip(f: Files) -> None:
    f["devices"] = f["devices"].with_name("devices.csv.gz")
    f["devices"].write_bytes(b"not gzip at all")


def _malformed_json_line(f: Files) -> None:
    f["devices"] = convert(f["devices"], "jsonl")
    replace_line(f["devices"], 3, b'{"account_id": "A003", "observed_at": ')


def _json_line_not_object(f: Files) -> None:
    f["labels"] = convert(f["labels"], "jsonl")
    replace_line(f["labels"], 2, b'["A004", "benign"]')


def _invalid_utf8_jsonl(f: Files) -> None:
    f["payments"] = convert(f["payments"], "jsonl")
    text = f["payments"].read_bytes().split(b"\n")[1]
    replace_line(f["payments"], 2, text.replace(b"Bob", b"B\xf6b"))


def _too_many_fields(f: Files) -> None:
    replace_line(f["devices"], 5, b"A004,2024-01-09T05:00:00Z,dev-ccc,,s4,surplus")


def _too_few_fields(f: Files) -> None:
    replace_line(f["payments"], 3, b"A002,2024-01-06T08:00:00Z,fp-222")


def _unterminated_quote(f: Files) -> None:
    replace_line(f["labels"], 3, b'A004,"benign,,manual_review')


def _invalid_utf8_csv(f: Files) -> None:
    data = f["accounts"].read_bytes()
    f["accounts"].write_bytes(data.replace(b"Smith, Carol", b"Smith, Car\xf6l"))  # Latin-1, data row 3


def _invalid_utf8_header(f: Files) -> None:
    data = f["devices"].read_bytes()
    f["devices"].write_bytes(data.replace(b"device_id", b"device_\xe9d", 1))


def _empty_file(f: Files) -> None:
    f["labels"].write_bytes(b"")


def _blank_first_line(f: Files) -> None:
    f["devices"].write_bytes(b"\n" + f["devices"].read_bytes())


def _header_only(f: Files) -> None:
    write_rows(f["accounts"], read_rows(f["accounts"])[:1])


def _duplicate_column(f: Files) -> None:
    rows = read_rows(f["accounts"])
    write_rows(f["accounts"], [[*r, r[2]] for r in rows])  # email twice


def _drop_column(source: str, column: str, fmt: str = "csv") -> Callable[[Files], None]:
    def mutate(f: Files) -> None:
        rows = read_rows(f[source])
        i = rows[0].index(column)
        write_rows(f[source], [r[:i] + r[i + 1 :] for r in rows])
        if fmt != "csv":
            f[source] = convert(f[source], fmt)

    return mutate


CASES = [
    Case("missing file", _missing_file, "devices.csv", None, None, "no file at this path"),
    Case("unsupported extension", _unsupported_extension, "payments.xlsx", None, None, "'payments.xlsx'"),
    Case("glob characters in path", _glob_in_path, "devices*.csv", None, None, "without the characters"),
    Case("corrupt parquet", _corrupt_parquet, "accounts.parquet", None, None, "readable Parquet"),
    Case("corrupt gzip", _corrupt_gzip, "devices.csv.gz", None, None, "readable CSV"),
    Case("malformed JSON line", _malformed_json_line, "devices.jsonl", 3, None, "malformed JSON"),
    Case("JSON line not an object", _json_line_not_object, "labels.jsonl", 2, None, "a JSON array"),
    Case("non-UTF-8 JSON line", _invalid_utf8_jsonl, "payments.jsonl", 2, None, "not UTF-8"),
    Case("too many fields", _too_many_fields, "devices.csv", 4, None, "6 fields"),
    Case("too few fields", _too_few_fields, "payments.csv", 2, None, "3 fields"),
    Case("unterminated quote", _unterminated_quote, "labels.csv", 2, None, "CSV"),
    Case("non-UTF-8 CSV row", _invalid_utf8_csv, "accounts.csv", 3, "full_name", "not UTF-8"),
    Case("non-UTF-8 header", _invalid_utf8_header, "devices.csv", None, None, "header (line 1)"),
    Case("empty file", _empty_file, "labels.csv", None, None, "0 bytes"),
    Case("no header", _blank_first_line, "devices.csv", None, None, "a header line"),
    Case("no accounts", _header_only, "accounts.csv", None, None, "no data rows"),
    Case("duplicate column", _duplicate_column, "accounts.csv", None, "email",
         "'email' (field 3) and 'email' (field 11)"),
    Case("missing column", _drop_column("accounts", "created_at"), "accounts.csv", None, "created_at", "required"),
    Case(
        "missing JSON key",
        _drop_column("devices", "device_id", "jsonl"),
        "devices.jsonl",
        None,
        "device_id",
        "required",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_file_is_reported(files: Files, case: Case) -> None:
    case.mutate(files)
    err = expect_problems(files)
    assert_reported(err, case.file, case.row, case.column, case.text)


# id, source, data row, column, value written there, format, part of the problem's expected or found
BAD_VALUES = [
    ("empty required value", "devices", 2, "device_id", "", "csv", "a value"),
    ("blank required value", "accounts", 4, "email", "   ", "csv", "a value"),
    ("empty required JSON value", "payments", 5, "card_fingerprint", "", "jsonl", "a value"),
    ("unparsable timestamp", "accounts", 2, "created_at", "31/02/2024", "csv", "'31/02/2024'"),
    ("impossible timestamp", "payments", 5, "observed_at", "2024-02-30T10:00:00Z", "csv", "ISO-8601"),
    ("timestamp with zone name", "devices", 1, "observed_at", "2024-01-05 10:00:00 Europe/Paris", "csv", "ISO-8601"),
    ("date without time", "labels", 1, "decided_at", "2024-01-10", "csv", "ISO-8601"),
    ("bad timestamp in Parquet", "devices", 6, "observed_at", "yesterday", "parquet", "'yesterday'"),
    ("date of birth format", "accounts", 1, "date_of_birth", "12/04/1990", "csv", "YYYY-MM-DD"),
    ("date of birth not a real date", "accounts", 6, "date_of_birth", "2023-02-29", "csv", "'2023-02-29'"),
    ("duplicate account_id", "accounts", 5, "account_id", "A002", "csv", "'A002' again (first at row 2)"),
    ("device of unknown account", "devices", 3, "account_id", "ZZZ", "csv", "'ZZZ', not in /"),
    ("payment of unknown account", "payments", 4, "account_id", "A05", "csv", "'A05'"),
    ("label of unknown account", "labels", 2, "account_id", "A999", "jsonl", "'A999'"),
    ("disputed not a boolean", "payments", 1, "disputed", "maybe", "csv", "'maybe'"),
    ("unknown label", "labels", 1, "label", "spam", "csv", "abusive or benign"),
    ("unknown origin", "labels", 3, "origin", "robot", "csv", "'robot'"),
    ("country of three letters", "accounts", 1, "country", "GBR", "csv", "two-letter"),
    ("billing country of one letter", "payments", 2, "billing_country", "D", "parquet", "'D'"),
    ("card_last4 not 4 digits", "payments", 3, "card_last4", "42", "csv", "4 digits"),
    ("card_bin of 5 digits", "payments", 1, "card_bin", "41111", "csv", "6 to 8 digits"),
    ("card_bin not digits", "payments", 2, "card_bin", "5555-5555", "jsonl", "'5555-5555'"),
]


@pytest.mark.parametrize(
    ("source", "row", "column", "value", "fmt", "text"), [c[1:] for c in BAD_VALUES], ids=[c[0] for c in BAD_VALUES]
)
def test_bad_value_is_reported(
    files: Files, source: str, row: int, column: str, value: str, fmt: str, text: str
) -> None:
    set_value(files[source], row, column, value)
    if fmt != "csv":
        files[source] = convert(files[source], fmt)
    err = expect_problems(files)
    assert_reported(err, files[source].name, row, column, text)


def test_problems_in_several_files_are_reported_together(files: Files) -> None:
    set_value(files["accounts"], 2, "created_at", "31/02/2024")
    set_value(files["accounts"], 4, "date_of_birth", "1990-13-01")
    set_value(files["devices"], 3, "account_id", "GHOST")
    set_value(files["devices"], 5, "device_id", "")
    replace_line(files["payments"], 2, b"A001,2024-01-05T10:05:00Z")
    err = expect_problems(files)
    assert err.total == 5
    assert_reported(err, "accounts.csv", 2, "created_at", "'31/02/2024'")
    assert_reported(err, "accounts.csv", 4, "date_of_birth", "'1990-13-01'")
    assert_reported(err, "devices.csv", 3, "account_id", "'GHOST'")
    assert_reported(err, "devices.csv", 5, "device_id", "a value")
    assert_reported(err, "payments.csv", 1, None, "2 fields")
    assert str(err).startswith("5 input problem(s):")


def test_every_file_level_problem_is_reported(files: Files, tmp_path: Path) -> None:
    files["accounts"] = tmp_path / "nowhere.csv"
    files["devices"].write_bytes(b"")
    files["labels"] = files["labels"].rename(tmp_path / "labels.txt")
    err = expect_problems(files)
    assert [(Path(p.file).name, p.row) for p in err.problems] == [
        ("nowhere.csv", None),
        ("devices.csv", None),
        ("labels.txt", None),
    ]


def test_examples_are_capped_but_all_problems_counted(files: Files) -> None:
    rows = read_rows(files["devices"])
    for r in rows[1:]:
        r[1] = "soon"
    rows[3][2] = ""  # plus one problem of another kind
    write_rows(files["devices"], rows)
    err = expect_problems(files, max_examples=2)
    assert err.total == 7
    listed = [(p.row, p.column) for p in err.problems]
    assert listed == [(1, "observed_at"), (2, "observed_at"), (3, "device_id")]
    assert "... and 4 more problem(s)" in str(err)


def test_long_values_are_shortened(files: Files) -> None:
    set_value(files["accounts"], 1, "created_at", "x" * 500)
    err = expect_problems(files)
    assert len(err.problems[0].found) < 80
    assert err.problems[0].found.endswith("…'")


def test_scratch_tables_are_dropped_after_a_failure(files: Files) -> None:
    set_value(files["devices"], 1, "account_id", "GHOST")
    replace_line(files["payments"], 2, b"too,few")
    with duckdb.connect() as con:
        with pytest.raises(InputError):
            load_inputs(con, inputs(files))
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == []
        assert con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall() == []


# -- row numbers -------------------------------------------------------------------------------------------


def _many_accounts(path: Path, n: int) -> None:
    rows = read_rows(VALID / "accounts.csv")[:2]
    template = rows[1]
    for i in range(2, n + 1):
        rows.append([f"B{i:07d}", *template[1:]])
    write_rows(path, rows)


def test_row_number_is_the_data_row(files: Files) -> None:
    _many_accounts(files["accounts"], 1100)
    set_value(files["accounts"], 1042, "created_at", "31/02/2024")
    err = expect_problems(files)
    assert str(err).splitlines()[1] == (
        f"{files['accounts']} row 1042, column created_at: expected an ISO-8601 timestamp such as 2024-05-01T12:30:00Z,"
        " found '31/02/2024'"
    )


def test_row_numbers_after_rejected_and_multiline_records(files: Files) -> None:
    _many_accounts(files["accounts"], 1100)
    set_value(files["accounts"], 10, "full_name", "Line one\nline two")  # one record over two lines
    set_value(files["accounts"], 1042, "created_at", "31/02/2024")
    set_value(files["accounts"], 1050, "account_id", "B0000020")
    rows = files["accounts"].read_bytes().split(b"\n")
    rows[501] = rows[501] + b",surplus"  # physical line 502 is data row 500 (row 10 spans two lines)
    files["accounts"].write_bytes(b"\n".join(rows))
    err = expect_problems(files)
    assert_reported(err, "accounts.csv", 500, None, "fields")
    assert_reported(err, "accounts.csv", 1042, "created_at", "'31/02/2024'")
    assert_reported(err, "accounts.csv", 1050, "account_id", "first at row 20")


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_row_number_in_parquet_and_json_lines(files: Files, fmt: str) -> None:
    _many_accounts(files["accounts"], 1100)
    set_value(files["accounts"], 1042, "created_at", "31/02/2024")
    files["accounts"] = convert(files["accounts"], fmt)
    err = expect_problems(files)
    assert_reported(err, files["accounts"].name, 1042, "created_at", "'31/02/2024'")


def test_row_numbers_survive_a_parallel_read(tmp_path: Path, files: Files) -> None:
    """Large enough for DuckDB to split the CSV between threads."""
    path = tmp_path / "devices.csv"
    with duckdb.connect() as con:
        con.execute(
            f"""
            COPY (SELECT CASE WHEN i % 3 = 0 THEN 'A001' ELSE 'A002' END AS account_id,
                         CASE WHEN i IN (1042, 150000, 299999) THEN 'never' ELSE '2024-01-05T10:01:00Z' END
                             AS observed_at,
                         'dev-' || i AS device_id, '203.0.113.' || (i % 250) AS ip,
                         repeat('Mozilla/5.0 ', 8) AS user_agent
                  FROM range(1, 300001) t(i) ORDER BY i)
            TO '{path}' (HEADER)
            """
        )
        con.execute("SET threads = 4")
        con.execute("SET preserve_insertion_order = false")  # the loader needs it on, and restores it
        with pytest.raises(InputError) as caught:
            load_inputs(con, inputs({**files, "devices": path}))
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]
    rows = [p.row for p in caught.value.problems]
    assert rows == [1042, 150000, 299999]


# -- valid inputs ------------------------------------------------------------------------------------------


def _as_format(files: Files, fmt: str) -> Files:
    return files if fmt == "csv" else {s: convert(p, fmt) for s, p in files.items()}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_valid_set_loads_with_contract_types(files: Files, fmt: str) -> None:
    with duckdb.connect() as con:
        load_inputs(con, inputs(_as_format(files, fmt)))
        for table, columns in CONTRACT.items():
            described = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert described == columns, table
        assert _values(con) == EXPECTED_VALUES


def _values(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    def one(sql: str) -> object:
        return con.execute(sql).fetchall()

    return {
        "ids": one("SELECT account_id FROM in_accounts"),
        "created": one("SELECT account_id, created_at FROM in_accounts WHERE account_id IN ('A002', 'A003', 'A004')"),
        "email A005": one("SELECT email, phone, date_of_birth, country FROM in_accounts WHERE account_id = 'A005'"),
        "countries": one("SELECT country FROM in_accounts"),
        "zeros": one("SELECT postcode FROM in_accounts WHERE account_id = '00042'"),
        "cards": one("SELECT card_bin, card_last4, disputed FROM in_payments"),
        "devices": one("SELECT count(*), count(user_agent), max(observed_at) FROM in_devices"),
        "labels": one("SELECT label, decided_at, origin FROM in_labels"),
    }


EXPECTED_VALUES: dict[str, object] = {
    "ids": [("A001",), ("A002",), ("A003",), ("A004",), ("A005",), ("00042",)],
    "created": [
        ("A002", datetime(2024, 1, 6, 7, 30, tzinfo=UTC)),  # +02:00
        ("A003", datetime(2024, 1, 7, 8, 15, 30, 250000, tzinfo=UTC)),  # no offset: UTC
        ("A004", datetime(2024, 1, 9, 4, 59, 59, 123456, tzinfo=UTC)),  # -05:00 over midnight
    ],
    "email A005": [("eve@example.org", None, None, None)],  # trimmed; empty strings are NULL
    "countries": [("GB",), ("DE",), ("US",), ("FR",), (None,), ("US",)],
    "zeros": [("01001",)],
    "cards": [
        ("041111", "0042", False),
        ("55555555", "4444", True),
        ("411111", "0042", False),
        (None, None, None),
        ("378282", "0005", True),
    ],
    "devices": [(6, 0, datetime(2024, 3, 1, tzinfo=UTC))],  # user_agent is not in the file
    "labels": [
        ("abusive", datetime(2024, 1, 10, tzinfo=UTC), "enforcement"),
        ("benign", None, "manual_review"),
        ("benign", datetime(2024, 1, 12, tzinfo=UTC), "appeal_overturned"),
    ],
}


def test_extra_columns_are_ignored(files: Files) -> None:
    assert "segment" in read_rows(files["accounts"])[0]
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        columns = {r[0] for r in con.execute("DESCRIBE in_accounts").fetchall()}
    assert "segment" not in columns


def test_date_of_birth_is_a_date(files: Files) -> None:
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        dob = con.execute("SELECT date_of_birth FROM in_accounts WHERE account_id = 'A004'").fetchall()
    assert dob == [(date(2000, 2, 29),)]


def test_typed_parquet_loads_the_same_instants(files: Files) -> None:
    target = files["accounts"].with_suffix(".parquet")
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            f"""
            COPY (SELECT * REPLACE (CAST(created_at AS TIMESTAMPTZ) AS created_at,
                                    CAST(date_of_birth AS DATE) AS date_of_birth)
                  FROM read_csv('{files["accounts"]}', all_varchar = true, header = true))
            TO '{target}' (FORMAT parquet)
            """
        )
        files["accounts"] = target
        con.execute("SET TimeZone = 'Europe/Berlin'")  # the loader must not depend on the session's zone
        load_inputs(con, inputs(files))
        assert _values(con) == EXPECTED_VALUES


def test_compressed_csv_and_crlf_line_ends(files: Files) -> None:
    for source in ("accounts", "devices"):
        data = files[source].read_bytes().replace(b"\n", b"\r\n")
        target = files[source].with_name(f"{source}.csv.gz")
        target.write_bytes(gzip.compress(data))
        files[source].unlink()
        files[source] = target
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        assert _values(con) == EXPECTED_VALUES
        assert con.execute("SELECT count(*) FROM in_devices WHERE ip LIKE '%' || chr(13)").fetchall() == [(0,)]


def test_summary(files: Files) -> None:
    summary = validate(inputs(files))
    assert isinstance(summary, InputSummary)
    assert summary.rows == {"accounts": 6, "devices": 6, "payments": 5, "labels": 3}
    assert summary.sha256 == {s: hashlib.sha256(p.read_bytes()).hexdigest() for s, p in files.items()}
    assert summary.paths == files
    assert summary.min_timestamp == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
    assert summary.max_timestamp == datetime(2024, 3, 1, tzinfo=UTC)


def test_labels_are_optional(files: Files) -> None:
    del files["labels"]
    with duckdb.connect() as con:
        summary = load_inputs(con, inputs(files))
        assert summary.rows["labels"] == 0
        assert "labels" not in summary.sha256
        described = [(r[0], r[1]) for r in con.execute("DESCRIBE in_labels").fetchall()]
        assert described == CONTRACT["in_labels"]
        assert con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall() == [
            ("in_accounts",),
            ("in_devices",),
            ("in_labels",),
            ("in_payments",),
        ]


def test_bool_spellings(files: Files) -> None:
    rows = read_rows(files["payments"])
    spellings = ["Yes", "NO", "1", "False", "true"]
    for r, value in zip(rows[1:], spellings, strict=True):
        r[-1] = value
    write_rows(files["payments"], rows)
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        disputed = [r[0] for r in con.execute("SELECT disputed FROM in_payments").fetchall()]
    assert disputed == [True, False, True, False, True]


def test_byte_order_mark_and_spaces_around_header_names(files: Files) -> None:
    rows = read_rows(files["accounts"])
    rows[0] = [f" {name}  " for name in rows[0]]
    write_rows(files["accounts"], rows)
    files["accounts"].write_bytes(b"\xef\xbb\xbf" + files["accounts"].read_bytes())
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        assert _values(con) == EXPECTED_VALUES


def test_compressed_ndjson(files: Files) -> None:
    jsonl = convert(files["devices"], "jsonl")
    files["devices"] = jsonl.with_name("devices.ndjson.gz")
    files["devices"].write_bytes(gzip.compress(jsonl.read_bytes()))
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        assert _values(con) == EXPECTED_VALUES


def test_json_lines_count_non_blank_lines(files: Files) -> None:
    files["devices"] = files["devices"].with_suffix(".jsonl")
    files["devices"].write_bytes(
        b'{"account_id": "A001", "observed_at": "2024-01-05T10:01:00Z", "device_id": "d1"}\n'
        b"\n"  # blank lines are not rows
        b'{"account_id": "A001", "observed_at": \n'
        b"   \n"
        b"{}\n"
        b'"just a string"\n'
        b'{"account_id": "A002", "observed_at": "2024-01-06T07:31:00Z", "device_id": 7, "ip": null}\n'
        b'{"account_id": "A002", "observed_at": "someday", "device_id": "d3"}\n'
    )
    err = expect_problems(files)
    assert_reported(err, "devices.jsonl", 2, None, "malformed JSON")
    assert_reported(err, "devices.jsonl", 3, "device_id", "a value")
    assert_reported(err, "devices.jsonl", 4, None, "a JSON string")
    assert_reported(err, "devices.jsonl", 6, "observed_at", "'someday'")
    assert err.total == 6  # row 3 lacks account_id, observed_at and device_id


def test_json_numbers_become_text(files: Files) -> None:
    files["devices"] = files["devices"].with_suffix(".jsonl")
    files["devices"].write_bytes(
        b'{"account_id": "A001", "observed_at": "2024-01-05T10:01:00Z", "device_id": 123, "ip": true}\n'
    )
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        assert con.execute("SELECT device_id, ip FROM in_devices").fetchall() == [("123", "true")]


def test_problem_escapes_control_and_invisible_characters() -> None:
    problem = Problem("in/a\x1b[31m.csv", 3, "email", "text", "'a\x00b\u200bc\u202ed' é 🦊")
    text = str(problem)
    assert text == "in/a\\x1b[31m.csv row 3, column email: expected text, found 'a\\x00b\\u200bc\\u202ed' é 🦊"
    assert text.isprintable()


def test_files_are_named_by_the_path_as_given(files: Files, tmp_path: Path) -> None:
    for source, folder in (("accounts", "a"), ("devices", "b")):
        (tmp_path / folder).mkdir()
        files[source] = files[source].rename(tmp_path / folder / "data.csv")
    set_value(files["devices"], 2, "device_id", "")
    err = expect_problems(files)
    assert [p.file for p in err.problems] == [str(tmp_path / "b" / "data.csv")]


def test_time_after_the_run_is_refused_relative_to_now(files: Files) -> None:
    set_value(files["devices"], 2, "observed_at", "2024-06-01T00:00:00Z")
    with duckdb.connect() as con:
        load_inputs(con, inputs(files), now=datetime(2024, 5, 31, 1, tzinfo=UTC))  # within a day: accepted
        with pytest.raises(InputError) as caught:
            load_inputs(con, inputs(files), now=datetime(2024, 5, 30, tzinfo=UTC))
    assert_reported(caught.value, "devices.csv", 2, "observed_at", "a time not after this run")


@pytest.mark.parametrize("value", ["2024-01-05T10:00:00+14:00", "2024-01-05T23:59:59.999-12:30", "0001-01-01 00:00"])
def test_edge_timestamps_are_accepted(files: Files, value: str) -> None:
    set_value(files["accounts"], 1, "created_at", value)
    validate(inputs(files))


def test_messy_names_pass_and_are_standardised(files: Files) -> None:
    """What the contract accepts as only messy (invisible characters, a quoted newline in a name) comes out of
    standardisation clean."""
    from entity_resolution.ingest.standardise import standardise

    set_value(files["accounts"], 1, "full_name", "Ali\u200dce\nSm\u200bith")
    set_value(files["accounts"], 2, "postcode", "10\u200b115")
    with duckdb.connect() as con:
        load_inputs(con, inputs(files))
        standardise(con)
        rows = dict(con.execute("SELECT account_id, name_norm FROM std_accounts WHERE account_id = 'A001'").fetchall())
    assert rows == {"A001": "alice smith"}
