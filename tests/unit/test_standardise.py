"""Standardisation: the pure rules (rules.py) and the DuckDB implementation (the standardise/ package).

Each messy value is checked twice: through the rule function and through standardise() end to end.
Generated values then check that the SQL fast paths agree with the libraries they stand in for.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import phonenumbers
import pyarrow as pa
import pytest

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise import standardise

IN_TABLES = {
    "in_accounts": "account_id VARCHAR, created_at TIMESTAMPTZ, email VARCHAR, full_name VARCHAR, phone VARCHAR, "
    "date_of_birth DATE, postcode VARCHAR, country VARCHAR, signup_ip VARCHAR",
    "in_devices": "account_id VARCHAR, observed_at TIMESTAMPTZ, device_id VARCHAR, ip VARCHAR, user_agent VARCHAR",
    "in_payments": "account_id VARCHAR, observed_at TIMESTAMPTZ, card_fingerprint VARCHAR, card_bin VARCHAR, "
    "card_last4 VARCHAR, cardholder_name VARCHAR, billing_postcode VARCHAR, billing_country VARCHAR, "
    "disputed BOOLEAN",
}


def make_con(
    accounts: Sequence[dict[str, Any]] = (),
    devices: Sequence[dict[str, Any]] = (),
    payments: Sequence[dict[str, Any]] = (),
) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the in_* tables; columns missing from a row are NULL."""
    con = duckdb.connect()
    for table, rows in (("in_accounts", accounts), ("in_devices", devices), ("in_payments", payments)):
        con.execute(f"CREATE TABLE {table} ({IN_TABLES[table]})")
        if rows:
            columns = sorted({c for row in rows for c in row})
            con.register("rows_arrow", pa.table({c: [row.get(c) for row in rows] for c in columns}))
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows_arrow")
            con.unregister("rows_arrow")
    return con


def rows_by_id(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict[str, Any]]:
    rel = con.sql(f"SELECT * FROM {table}")
    return {r[0]: dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()}


# --- cases: raw value(s) -> expected ---------------------------------------------------------------

# raw, canonical (shape only), email_valid, disposable
EMAIL_CASES = [
    (" John.Smith+promo@GoogleMail.com ", "johnsmith@gmail.com", True, False),
    ("J.Smith@Outlook.com", "j.smith@outlook.com", True, False),
    ("j.o.h.n@gmail.com", "john@gmail.com", True, False),
    ("a+b+c@Example.co.uk", "a@example.co.uk", True, False),
    ("+tag@gmail.com", "+tag@gmail.com", True, False),
    ("x@mailinator.com", "x@mailinator.com", True, True),
    ("user@sub.mailinator.com", "user@sub.mailinator.com", True, True),
    ("bad@@example.com", None, False, False),
    ("no-at-sign", None, False, False),
    ("user@localhost", "user@localhost", False, False),
    ("user@example", "user@example", False, False),
    ("john..smith@example.com", "john..smith@example.com", False, False),
    ("user@-example.com", "user@-example.com", False, False),
    ("user@exa_mple.com", "user@exa_mple.com", False, False),
    ('"quoted"@example.com', '"quoted"@example.com', False, False),
    ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example", True, False),
    ("用户@例子.广告", "用户@例子.广告", True, False),
]

# raw, country, E.164
PHONE_CASES = [
    ("(020) 7946 0018", "GB", "+442079460018"),
    ("+1 (415) 555-0100", None, "+14155550100"),
    ("+1 (415) 555-0100", "GB", "+14155550100"),
    ("07700 900123", "GB", None),  # Ofcom's drama range: phonenumbers calls it invalid
    ("07911 123456", "GB", "+447911123456"),
    ("07911 123456", "uk", "+447911123456"),
    ("07911 123456", None, None),  # no region and no "+": cannot be placed
    ("0044 20 7946 0018", "GB", "+442079460018"),
    ("+44 (0)20 7946 0018", None, "+442079460018"),
    ("442079460018", "GB", "+442079460018"),
    ("415-555-0100 ext. 12", "US", "+14155550100"),
    ("1-800-FLOWERS", "US", "+18003569377"),
    ("030 1234567", "DE", "+49301234567"),
    ("(11) 91234-5678", "BR", "+5511912345678"),
    ("8 (912) 345-67-89", "RU", "+79123456789"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("98765 43210", "IN", "+919876543210"),
    ("1234", "US", None),
    ("+999 123456789", None, None),
    ("not a phone", "GB", None),
    ("0000000000", "US", None),
]

# raw, name_norm, first, last
NAME_CASES = [
    ("José Müller", "jose muller", "jose", "muller"),
    ("O'Brien, Zoë", "zoe obrien", "zoe", "obrien"),
    ("Dr. Mary-Jane Smith Jr.", "mary jane smith", "mary", "smith"),
    ("  Mr  John   SMITH  ", "john smith", "john", "smith"),
    ("Smith, John, Jr.", "john smith", "john", "smith"),
    ("Smith Jr., John", "john smith", "john", "smith"),
    ("Cher", "cher", "cher", None),
    ("Dr", None, None, None),
    ("Jean-Luc Picard III", "jean luc picard", "jean", "picard"),
    ("D’Angelo Russell", "dangelo russell", "dangelo", "russell"),
    ("Łukasz Żółć", "lukasz zolc", "lukasz", "zolc"),
    ("ＪＯＨＮ　ＳＭＩＴＨ", "john smith", "john", "smith"),
    ("van der Berg, Anna", "anna van der berg", "anna", "berg"),
    ("Prof. Dr. Hans Müller-Lüdenscheidt", "hans muller ludenscheidt", "hans", "ludenscheidt"),
    ("Ms. Mary O`Neil-Smith", "mary oneil smith", "mary", "smith"),
    ("李 小龙", "li xiaolong", "li", "xiaolong"),
    ("John  Q.  Public, PhD", "john q public", "john", "public"),
    ("  ,  ", None, None, None),
]

# raw, country, postcode
POSTCODE_CASES = [
    ("  sw1a 1aa ", "GB", "SW1A1AA"),
    ("SW1A1AA", "GB", "SW1A1AA"),
    ("94105-1234", "US", "94105"),
    ("941051234", "US", "94105"),
    ("941051234", "FR", "941051234"),
    ("94105 1234", None, "94105"),
    ("H0H 0H1", "CA", "H0H0H1"),
    ("1010-001", "PT", "1010001"),
    ("Ö-1234", "AT", "Ö1234"),
    ("--", "GB", None),
]

# raw, ip, prefix
IP_CASES = [
    ("::ffff:192.0.2.1", "192.0.2.1", "192.0.2.0/24"),
    ("::ffff:c000:201", "192.0.2.1", "192.0.2.0/24"),
    ("2001:db8:abcd:12::1", "2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", "2001:db8::/48"),
    ("fe80::1%eth0", "fe80::1", "fe80::/48"),
    ("::", "::", "::/48"),
    ("203.0.113.7", "203.0.113.7", "203.0.113.0/24"),
    ("999.1.1.1", None, None),
    ("01.2.3.4", None, None),
    ("1.2.3", None, None),
    ("1:2:3:4:5:6:7:8:9", None, None),
]

# raw, min, max, digits
CARD_CASES = [
    (" 4111 11", 6, 8, "411111"),
    ("0042", 4, 4, "0042"),
    ("0000-12", 6, 8, "000012"),
    ("42", 4, 4, None),
    ("4x11111", 6, 8, None),
]


# --- pure rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "canonical", "valid", "disposable"), EMAIL_CASES)
def test_email_rules(raw: str, canonical: str | None, valid: bool, disposable: bool) -> None:
    assert rules.canonical_email(raw) == canonical
    assert rules.email_is_valid(raw.strip()) is valid
    domain = canonical.split("@")[1] if canonical else None
    assert rules.is_disposable_domain(domain) is disposable


@pytest.mark.parametrize(("raw", "country", "e164"), PHONE_CASES)
def test_phone_rule(raw: str, country: str | None, e164: str | None) -> None:
    assert rules.normalise_phone(raw, country) == e164


@pytest.mark.parametrize(("raw", "norm", "first", "last"), NAME_CASES)
def test_name_rule(raw: str, norm: str | None, first: str | None, last: str | None) -> None:
    assert rules.normalise_name(raw) == rules.NameParts(norm, first, last)


@pytest.mark.parametrize(("raw", "country", "postcode"), POSTCODE_CASES)
def test_postcode_rule(raw: str, country: str | None, postcode: str | None) -> None:
    assert rules.normalise_postcode(raw, country) == postcode


@pytest.mark.parametrize(("raw", "ip", "prefix"), IP_CASES)
def test_ip_rule(raw: str, ip: str | None, prefix: str | None) -> None:
    parts = rules.normalise_ip(raw)
    assert (parts.ip, parts.prefix) == (ip, prefix) if parts else (ip, prefix) == (None, None)


@pytest.mark.parametrize(("raw", "lo", "hi", "digits"), CARD_CASES)
def test_card_rule(raw: str, lo: int, hi: int, digits: str | None) -> None:
    assert rules.card_digits(raw, lo, hi) == digits


@pytest.mark.parametrize(("raw", "code"), [("gb", "GB"), (" uk ", "GB"), ("US", "US"), ("", None), (None, None)])
def test_country_rule(raw: str | None, code: str | None) -> None:
    assert rules.normalise_country(raw) == code


# --- standardise() end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def std() -> Iterator[duckdb.DuckDBPyConnection]:
    accounts: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for i, (raw, *_) in enumerate(EMAIL_CASES):
        accounts.append({"account_id": f"email-{i}", "email": raw})
    for i, (raw, country, _) in enumerate(PHONE_CASES):
        accounts.append({"account_id": f"phone-{i}", "phone": raw, "country": country})
    for i, (raw, *_) in enumerate(NAME_CASES):
        accounts.append({"account_id": f"name-{i}", "full_name": raw})
        payments.append({"account_id": f"name-{i}", "cardholder_name": raw})
    for i, (raw, country, _) in enumerate(POSTCODE_CASES):
        accounts.append({"account_id": f"postcode-{i}", "postcode": raw, "country": country})
        payments.append({"account_id": f"postcode-{i}", "billing_postcode": raw, "billing_country": country})
    for i, (raw, *_) in enumerate(IP_CASES):
        accounts.append({"account_id": f"ip-{i}", "signup_ip": raw})
        devices.append({"account_id": f"ip-{i}", "device_id": f"d{i}", "ip": raw})
    for i, (raw, lo, _, _) in enumerate(CARD_CASES):
        payments.append({"account_id": f"card-{i}", "card_bin" if lo == 6 else "card_last4": raw})
    accounts.append({"account_id": "all-null"})
    con = make_con(accounts, devices, payments)
    standardise(con)
    yield con
    con.close()


@pytest.mark.parametrize(("i", "case"), list(enumerate(EMAIL_CASES)))
def test_standardise_email(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    raw, canonical, valid, disposable = case
    row = rows_by_id(std, "std_accounts")[f"email-{i}"]
    assert row["email_raw"] == raw
    assert row["email_valid"] is valid
    assert row["email_disposable"] is disposable
    # Only valid addresses get a canonical form: placeholders must not link accounts.
    expected = canonical if valid else None
    assert row["email_canonical"] == expected
    assert row["email_local"] == (expected.split("@")[0] if expected else None)
    assert row["email_domain"] == (expected.split("@")[1] if expected else None)


@pytest.mark.parametrize(("i", "case"), list(enumerate(PHONE_CASES)))
def test_standardise_phone(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    raw, _, e164 = case
    row = rows_by_id(std, "std_accounts")[f"phone-{i}"]
    assert (row["phone_raw"], row["phone_e164"]) == (raw, e164)


@pytest.mark.parametrize(("i", "case"), list(enumerate(NAME_CASES)))
def test_standardise_name(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    raw, norm, first, last = case
    acc = rows_by_id(std, "std_accounts")[f"name-{i}"]
    assert (acc["full_name_raw"], acc["name_norm"], acc["first_name"], acc["last_name"]) == (raw, norm, first, last)
    pay = rows_by_id(std, "std_payments")[f"name-{i}"]
    assert (pay["cardholder_name_norm"], pay["cardholder_first"], pay["cardholder_last"]) == (norm, first, last)


@pytest.mark.parametrize(("i", "case"), list(enumerate(POSTCODE_CASES)))
def test_standardise_postcode(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    _, country, postcode = case
    acc = rows_by_id(std, "std_accounts")[f"postcode-{i}"]
    pay = rows_by_id(std, "std_payments")[f"postcode-{i}"]
    assert acc["postcode"] == pay["billing_postcode"] == postcode
    assert acc["country"] == pay["billing_country"] == rules.normalise_country(country)


@pytest.mark.parametrize(("i", "case"), list(enumerate(IP_CASES)))
def test_standardise_ip(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    _, ip, prefix = case
    acc = rows_by_id(std, "std_accounts")[f"ip-{i}"]
    dev = rows_by_id(std, "std_devices")[f"ip-{i}"]
    assert (acc["signup_ip"], acc["signup_ip_prefix"]) == (ip, prefix)
    assert (dev["ip"], dev["ip_prefix"]) == (ip, prefix)


@pytest.mark.parametrize(("i", "case"), list(enumerate(CARD_CASES)))
def test_standardise_card(std: duckdb.DuckDBPyConnection, i: int, case: tuple[Any, ...]) -> None:
    _, lo, _, digits = case
    row = rows_by_id(std, "std_payments")[f"card-{i}"]
    assert row["card_bin" if lo == 6 else "card_last4"] == digits


def test_standardise_all_null_row(std: duckdb.DuckDBPyConnection) -> None:
    row = rows_by_id(std, "std_accounts")["all-null"]
    assert all(v is None for k, v in row.items() if k != "account_id")


def test_standardise_keeps_every_row(std: duckdb.DuckDBPyConnection) -> None:
    for table in ("accounts", "devices", "payments"):
        n_in = std.sql(f"SELECT count(*) FROM in_{table}").fetchall()
        assert std.sql(f"SELECT count(*) FROM std_{table}").fetchall() == n_in


def test_standardise_schemas(std: duckdb.DuckDBPyConnection) -> None:
    def schema(table: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in std.sql(f"DESCRIBE {table}").fetchall()]

    tz, v, b = "TIMESTAMP WITH TIME ZONE", "VARCHAR", "BOOLEAN"
    assert schema("std_accounts") == [
        ("account_id", v), ("created_at", tz), ("email_raw", v), ("email_canonical", v),
        ("email_local", v), ("email_domain", v), ("email_valid", b), ("email_disposable", b),
        ("full_name_raw", v), ("name_norm", v), ("first_name", v), ("last_name", v), ("phone_raw", v),
        ("phone_e164", v), ("date_of_birth", "DATE"), ("postcode", v), ("country", v), ("signup_ip", v),
        ("signup_ip_prefix", v),
    ]  # fmt: skip
    assert schema("std_devices") == [
        ("account_id", v), ("observed_at", tz), ("device_id", v), ("ip", v), ("ip_prefix", v), ("user_agent", v),
    ]  # fmt: skip
    assert schema("std_payments") == [
        ("account_id", v), ("observed_at", tz), ("card_fingerprint", v), ("card_bin", v), ("card_last4", v),
        ("cardholder_name_norm", v), ("cardholder_first", v), ("cardholder_last", v), ("billing_postcode", v),
        ("billing_country", v), ("disputed", b),
    ]  # fmt: skip


def test_standardise_leaves_only_its_tables(std: duckdb.DuckDBPyConnection) -> None:
    tables = {r[0] for r in std.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"in_accounts", "in_devices", "in_payments", "std_accounts", "std_devices", "std_payments",
                      "identifier_observations"}
    macros = std.sql("SELECT function_name FROM duckdb_functions() WHERE NOT internal").fetchall()
    assert macros == []


def test_standardise_empty_inputs_and_rerun() -> None:
    con = make_con()
    standardise(con)
    standardise(con)
    for table in ("std_accounts", "std_devices", "std_payments"):
        assert con.sql(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]


# --- the SQL fast paths agree with the libraries ----------------------------------------------------


def _phone_samples(seed: int, per_region: int) -> list[tuple[str, str | None]]:
    """Numbers from every region's example numbers, mutated and written in many shapes."""
    rnd = random.Random(seed)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    types = list(range(11))  # PhoneNumberType values
    out: list[tuple[str, str | None]] = []
    for region in regions:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        examples = [e for t in types if (e := phonenumbers.example_number_for_type(region, t)) is not None]
        for _ in range(per_region if examples else 0):
            ex = rnd.choice(examples)
            nsn = phonenumbers.national_significant_number(ex)
            k = rnd.random()
            if k < 0.5:
                nsn = "".join(c if rnd.random() > 0.3 else str(rnd.randint(0, 9)) for c in nsn)
            elif k < 0.6:
                nsn = nsn[:-1]
            elif k < 0.7:
                nsn += str(rnd.randint(0, 9))
            cc, np = str(ex.country_code), (meta.national_prefix if meta else None) or ""
            forms = [f"+{cc}{nsn}", f"+{cc} {nsn[:3]} {nsn[3:]}", f"({np}{nsn[:2]}) {nsn[2:]}", nsn, cc + nsn,
                     f"00{cc}{nsn}", f"011{cc}{nsn}", f"0{nsn}", f"+{cc} (0){nsn}", f"+{cc}{np}{nsn}",
                     f"{nsn[:4]}-{nsn[4:]}", f"{nsn[:3]}.{nsn[3:]}"]  # fmt: skip
            country = rnd.choice([region, region, region, rnd.choice(regions), None, "uk"])
            out.append((rnd.choice(forms), country))
    for _ in range(100):
        junk = "".join(rnd.choice("0123456789 +-()x") for _ in range(rnd.randint(1, 18)))
        out.append((junk, rnd.choice([*regions, None])))
    return out


def test_phone_sql_agrees_with_phonenumbers() -> None:
    samples = _phone_samples(seed=3, per_region=8)
    con = make_con(accounts=[{"account_id": str(i), "phone": p, "country": c} for i, (p, c) in enumerate(samples)])
    standardise(con)
    got = dict(con.sql("SELECT account_id, phone_e164 FROM std_accounts").fetchall())
    wrong = [(p, c, got[str(i)]) for i, (p, c) in enumerate(samples) if got[str(i)] != rules.normalise_phone(p, c)]
    assert wrong == []
    assert sum(v is not None for v in got.values()) > len(samples) // 4  # the sample has valid numbers


def _ip_sample(rnd: random.Random) -> str:
    k = rnd.random()
    if k < 0.4:
        groups = [rnd.choice([0, 0, 0, 1, rnd.randint(0, 0xFFFF)]) for _ in range(8)]
        addr = ipaddress.IPv6Address(b"".join(g.to_bytes(2, "big") for g in groups))
        text = rnd.choice([addr.exploded, addr.compressed])
        return text.upper() if rnd.random() < 0.3 else text
    if k < 0.6:
        return ":".join(
            rnd.choice(["", "0", "00", "abcd", "ffff", "1", "12345", "g1"]) for _ in range(rnd.randint(0, 9))
        )
    if k < 0.7:
        return "::ffff:" + ".".join(str(rnd.randint(0, 300)) for _ in range(4))
    return ".".join(rnd.choice([str(rnd.randint(0, 300)), "01", "", "1a"]) for _ in range(rnd.choice([3, 4, 4, 5])))


def test_ip_sql_agrees_with_ipaddress() -> None:
    rnd = random.Random(5)
    ips = [_ip_sample(rnd) for _ in range(3000)]
    con = make_con(devices=[{"account_id": str(i), "ip": ip} for i, ip in enumerate(ips)])
    standardise(con)
    got = {a: (ip, pre) for a, ip, pre in con.sql("SELECT account_id, ip, ip_prefix FROM std_devices").fetchall()}
    expected = {str(i): (p.ip, p.prefix) if (p := rules.normalise_ip(ip)) else (None, None) for i, ip in enumerate(ips)}
    assert got == expected


def _email_sample(rnd: random.Random) -> str:
    atoms = ["john", "J", "smith", "o'neil", "a_b", "x-y", "1", "tag", "ü", "李", "", " ", '"q"', "a..b", "{x}"]
    local = rnd.choice([".", "+", "", "-"]).join(rnd.choice(atoms) for _ in range(rnd.randint(1, 3)))
    labels = ["gmail", "googlemail", "mailinator", "ex-ample", "x--y", "xn--bcher-kva", "com", "co", "uk", "test",
              "local", "123", "a" * 64, "-bad", "UPPER", "例子", "org"]  # fmt: skip
    domain = ".".join(rnd.choice(labels) for _ in range(rnd.randint(1, 3)))
    return rnd.choice([f"{local}@{domain}", f"{local}@{domain}", f"{local}{domain}", f"{local}@@{domain}"])


def test_email_sql_agrees_with_email_validator() -> None:
    rnd = random.Random(11)
    emails = sorted({_email_sample(rnd) for _ in range(3000)})
    con = make_con(accounts=[{"account_id": str(i), "email": e} for i, e in enumerate(emails)])
    standardise(con)
    got = {r[0]: r[1:] for r in con.sql("SELECT account_id, email_valid, email_canonical FROM std_accounts").fetchall()}
    for i, e in enumerate(emails):
        valid = rules.email_is_valid(e.strip())
        assert got[str(i)] == (valid, rules.canonical_email(e) if valid else None), e


def _name_sample(rnd: random.Random) -> str:
    words = ["Mary", "o'brien", "JEAN-LUC", "Dr.", "mr", "Mrs", "jr.", "III", "Zoë", "Łukasz", "van", "der",
             "D’Angelo", "Smith", "phd", "李", ",", ", ", " ", "  ", "-", "Ｊｏｈｎ", "St. John", "O`Neil"]  # fmt: skip
    return "".join(rnd.choice(words) + rnd.choice([" ", " ", "", ", "]) for _ in range(rnd.randint(1, 5)))


def test_name_sql_agrees_with_rules() -> None:
    rnd = random.Random(13)
    names = sorted({_name_sample(rnd) for _ in range(3000)})
    con = make_con(accounts=[{"account_id": str(i), "full_name": n} for i, n in enumerate(names)])
    standardise(con)
    got = {
        r[0]: r[1:] for r in con.sql("SELECT account_id, name_norm, first_name, last_name FROM std_accounts").fetchall()
    }
    for i, n in enumerate(names):
        parts = rules.normalise_name(n)
        assert got[str(i)] == (parts.norm, parts.first, parts.last), n


def test_postcode_sql_agrees_with_rules() -> None:
    rnd = random.Random(17)
    chars = "0123456789 -AaBbSsWw.Ö/"
    codes = sorted({"".join(rnd.choice(chars) for _ in range(rnd.randint(0, 11))) for _ in range(2000)})
    codes += ["94105-1234", "941051234", " 94105 1234 ", "94105-12345"]
    countries = ["US", "GB", "PR", None, "us"]
    rows = [{"account_id": str(i), "postcode": c, "country": countries[i % 5]} for i, c in enumerate(codes)]
    con = make_con(accounts=rows)
    standardise(con)
    got = dict(con.sql("SELECT account_id, postcode FROM std_accounts").fetchall())
    for i, c in enumerate(codes):
        assert got[str(i)] == rules.normalise_postcode(c, countries[i % 5]), c
