"""Pseudonymised identifiers: keyed hashes (HMAC-SHA-256) in place of raw identifier values.

Matching runs on the raw, standardised values inside the run's er.duckdb. When a run is pseudonymised,
`publish` writes the schema `pseudo` into that database: copies of the standardised tables holding only
the columns that leave DuckDB, with every identifier value (e-mail, phone, device id, card fingerprint, IP,
IP prefix, and every resolution-hub value) replaced by HMAC-SHA-256(key, value) as 64 lower-case hex digits.
Everything that reads identifiers out of er.duckdb (the run folder's exports, the Neo4j loader, the bulk
import, detection) opens the database with `open_run_db` / `use_catalog`, which put `pseudo` first on the
search path: the same SQL then reads hashes, and a column that is not published fails loudly instead of
leaking. er.duckdb itself keeps the raw tables (the evidence store; docs/security.md).

The HMAC runs in DuckDB SQL (sha256 over BLOBs, RFC 2104): the key's inner and outer pads go in as query
parameters, so the key is never written to the database, a file or the terminal.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, Problem

if TYPE_CHECKING:
    import duckdb

    from .settings import Settings

KEY_ENV = "ER_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16  # 128 bits: shorter keys make guessing a phone number's hash by brute force cheap
SCHEMA = "pseudo"
ALGORITHM = "HMAC-SHA-256"
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104's B)

# The published tables: every column a reader outside DuckDB may see, and the kind of identifier it holds
# (None: not an identifier, copied as is). Account ids stay raw: they are the platform's own keys, which an
# investigator acts on. Names, dates of birth, postcodes and raw (unstandardised) values are not published:
# nothing outside DuckDB reads them.
PUBLISHED: dict[str, dict[str, str | None]] = {
    "std_accounts": {"account_id": None, "created_at": None, "country": None, "email_disposable": None,
                     "email_canonical": "email", "phone_e164": "phone", "signup_ip": "ip",
                     "signup_ip_prefix": "ip_prefix"},
    "std_devices": {"account_id": None, "observed_at": None, "device_id": "device", "ip": "ip",
                    "ip_prefix": "ip_prefix"},
    "std_payments": {"account_id": None, "observed_at": None, "card_fingerprint": "card", "disputed": None},
    "identifier_observations": {"account_id": None, "kind": None, "value": "any", "observed_at": None,
                                "disputed": None, "source": None},
    "resolution_hubs": {"kind": None, "value": "any", "account_count": None},
}

# Where an identifier of each kind sits in the graph (docs/graph-model.md): label and key property.
GRAPH_KEYS: dict[str, tuple[str, str]] = {
    "email": ("Email", "value"),
    "phone": ("Phone", "value"),
    "device": ("Device", "device_id"),
    "card": ("Card", "fingerprint"),
    "ip": ("IP", "address"),
    "ip_prefix": ("IPPrefix", "prefix"),
}
KINDS = tuple(GRAPH_KEYS)


@dataclass(frozen=True)
class Key:
    """A pseudonymisation key. Its repr shows only the key id, never the key."""

    secret: bytes

    def __repr__(self) -> str:
        return f"Key(id={self.key_id})"

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key (recorded in the manifest; says which key hashed a run)."""
        return hmac.new(self.secret, b"entity-resolution pseudonym key id", hashlib.sha256).hexdigest()[:16]

    def pads(self) -> tuple[bytes, bytes]:
        """RFC 2104's K xor ipad and K xor opad, for the SQL HMAC."""
        k = self.secret if len(self.secret) <= _BLOCK else hashlib.sha256(self.secret).digest()
        k = k.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)

    def hash(self, value: str) -> str:
        return hmac.new(self.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def key_from_settings(settings: Settings) -> Key:
    """The key from ER_PSEUDONYM_KEY (settings.pseudonym_key) or the pseudonym_key_file setting.

    Raises InputError (exit 2) when neither gives a key of at least MIN_KEY_BYTES bytes. Messages name where
    the key was looked for, never its value."""
    def refuse(where: str, found: str) -> InputError:
        return InputError([Problem(where, None, None,
                                   f"a pseudonymisation key of at least {MIN_KEY_BYTES} bytes "
                                   f"(e.g. `openssl rand -hex 32`)", found)])

    if settings.pseudonym_key is not None:
        secret = settings.pseudonym_key.encode("utf-8")
        if len(secret) < MIN_KEY_BYTES:
            raise refuse(KEY_ENV, f"a key of {len(secret)} bytes")
        return Key(secret)
    path = settings.pseudonym_key_file
    if path is None:
        raise refuse(KEY_ENV, f"neither {KEY_ENV} nor a pseudonym_key_file setting")
    try:
        secret = Path(path).read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise refuse(f"pseudonym_key_file {path}", f"an unreadable file ({exc.strerror})") from exc
    if len(secret) < MIN_KEY_BYTES:
        raise refuse(f"pseudonym_key_file {path}", f"a key of {len(secret)} bytes")
    return Key(secret)


def _hmac_sql(column: str) -> str:
    """HMAC-SHA-256 of a VARCHAR column as hex, with $ipad/$opad the key's pads (RFC 2104)."""
    return f"sha256($opad || unhex(sha256($ipad || encode({column}))))"


def publish_sql(table: str) -> str:
    """CREATE the published copy of `table` (a name from PUBLISHED, never from input)."""
    cols = ", ".join(
        f"{_hmac_sql(name)} AS {name}" if kind else name for name, kind in PUBLISHED[table].items()
    )
    return f"CREATE TABLE {SCHEMA}.{table} AS SELECT {cols} FROM main.{table}"  # our own names


def publish(con: duckdb.DuckDBPyConnection, key: Key | None) -> None:
    """Replace the schema `pseudo` with the published tables (key given) or drop it (key None).

    Call after the tables in PUBLISHED are final; afterwards the connection reads the published tables."""
    con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE").fetchall()
    if key is None:
        return
    ipad, opad = key.pads()
    con.execute(f"CREATE SCHEMA {SCHEMA}").fetchall()
    for table in PUBLISHED:
        con.execute(publish_sql(table), {"ipad": ipad, "opad": opad}).fetchall()
    use_catalog(con, None)


def is_published(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> bool:
    rows = con.execute(
        "SELECT 1 FROM duckdb_schemas() WHERE schema_name = $s AND database_name = coalesce($c, current_database())",
        {"s": SCHEMA, "c": catalog},
    ).fetchall()
    return bool(rows)


def use_catalog(con: duckdb.DuckDBPyConnection, catalog: str | None) -> None:
    """USE `catalog` (None: keep the current one) and read its published tables first, if it has them.

    `USE` resets DuckDB's search path, so callers switching catalogs go through here."""
    if catalog is not None:
        if not re.fullmatch(r"[a-z_]+", catalog):
            raise ValueError(f"not a catalog name of ours: {catalog!r}")
        con.execute(f"USE {catalog}").fetchall()  # our own catalog names (cur, prev)
    if is_published(con, catalog):
        db = catalog or str(con.execute("SELECT current_database()").fetchall()[0][0])
        con.execute("SET search_path = $p", {"p": f"{db}.{SCHEMA},{db}.main"}).fetchall()


def open_run_db(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a run's er.duckdb that reads the published (hashed) tables if there are.
    A truncated or foreign file is bad input naming the file."""
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except (duckdb.IOException, duckdb.SerializationException, duckdb.InvalidInputException) as exc:
        found = str(exc).strip().splitlines()[0][:200]
        raise InputError([Problem(str(path), None, None, "a DuckDB database written by `er run`", found)]) from exc
    con.execute("SET TimeZone = 'UTC'").fetchall()
    use_catalog(con, None)
    return con


def manifest_entry(key: Key | None) -> dict[str, str] | None:
    return None if key is None else {"algorithm": ALGORITHM, "key_id": key.key_id, "schema": SCHEMA}


# --- er lookup ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    kind: str
    standardised: str
    pseudonym: str
    label: str
    prop: str


_BLANKS = " \t\r\n"  # ingest trims these from both ends of every value (ingest/read.py)


def standardise_value(value: str, kind: str, country: str | None = None) -> dict[str, str]:
    """The standardised forms ingest gives `value` as an identifier of `kind` (rules.py, the reference the
    ingest SQL is tested against): {kind: value}, plus the IP prefix for an IP. Empty if it does not
    standardise (an invalid e-mail, phone or IP)."""
    from .ingest import rules

    raw = value.strip(_BLANKS)
    if not raw:
        return {}
    if kind == "email":
        email = rules.canonical_email(raw)
        return {"email": email} if email else {}
    if kind == "phone":
        phone = rules.normalise_phone(raw, rules.normalise_country(country) if country else None)
        return {"phone": phone} if phone else {}
    if kind in ("ip", "ip_prefix"):
        if kind == "ip_prefix":
            return {"ip_prefix": raw}
        ip = rules.normalise_ip(raw)
        return {"ip": ip.ip, "ip_prefix": ip.prefix} if ip else {}
    if kind in ("device", "card"):
        return {kind: raw}  # taken as given, after trimming
    raise ValueError(f"unknown identifier kind {kind!r}")


def lookup(value: str, key: Key, kind: str | None = None, country: str | None = None) -> list[Lookup]:
    """The pseudonyms `value` has as `kind`, or (kind None) as each of email, phone and IP it is valid as, or,
    if none, as a device id and a card fingerprint (which take any text)."""
    found: dict[str, str] = {}
    for group in ([kind],) if kind else (["email", "phone", "ip"], ["device", "card"]):
        for k in group:
            found.update(standardise_value(value, k, country))
        if found:
            break
    return [Lookup(k, std, key.hash(std), *GRAPH_KEYS[k]) for k, std in found.items()]
