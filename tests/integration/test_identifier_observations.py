"""identifier_observations is the one account -> identifier relation: the loader's used_* rows, the in-process
detection's uses and the hub counts aggregate from it. Held here against the per-table SQL each of them used to
spell out over std_accounts, std_devices and std_payments, on a generated data set."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.graph.loader import STEPS, used_sql
from entity_resolution.ingest import Inputs
from entity_resolution.ingest.read import load_inputs
from entity_resolution.ingest.standardise import standardise
from entity_resolution.ingest.standardise.observations import KINDS
from entity_resolution.match.hubs import find_hubs

# The loader's used_* queries before the identifier table existed, written out per source table.
DIRECT = {
    "email": "SELECT account_id, email_canonical AS value, created_at AS first_seen, created_at AS last_seen, "
             "1 AS n, NULL::BIGINT AS disputed FROM std_accounts WHERE email_canonical IS NOT NULL",
    "phone": "SELECT account_id, phone_e164 AS value, created_at AS first_seen, created_at AS last_seen, 1 AS n, "
             "NULL::BIGINT AS disputed FROM std_accounts WHERE phone_e164 IS NOT NULL",
    "device": "SELECT account_id, device_id AS value, min(observed_at) AS first_seen, max(observed_at) AS last_seen, "
              "count(*) AS n, NULL::BIGINT AS disputed FROM std_devices GROUP BY ALL",
    "card": "SELECT account_id, card_fingerprint AS value, min(observed_at) AS first_seen, "
            "max(observed_at) AS last_seen, count(*) AS n, count(*) FILTER (WHERE disputed) AS disputed "
            "FROM std_payments GROUP BY ALL",
    "ip": "SELECT account_id, value, min(t) AS first_seen, max(t) AS last_seen, count(*) AS n, "
          "NULL::BIGINT AS disputed FROM ("
          "  SELECT account_id, ip AS value, observed_at AS t FROM std_devices WHERE ip IS NOT NULL"
          "  UNION ALL SELECT account_id, signup_ip, created_at FROM std_accounts WHERE signup_ip IS NOT NULL"
          ") GROUP BY ALL",
}


@pytest.fixture(scope="module")
def con(small_data: GeneratedPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    load_inputs(c, Inputs(small_data.accounts, small_data.devices, small_data.payments))
    standardise(c)
    yield c
    c.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return sorted(con.execute(f"SELECT * FROM ({sql})").fetchall(), key=repr)  # our own SQL


def test_one_row_per_use_of_each_identifier(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(con.execute("SELECT kind, count(*) FROM identifier_observations GROUP BY kind").fetchall())
    expected = dict(con.execute("""
        SELECT 'email', count(email_canonical) FROM std_accounts UNION ALL
        SELECT 'phone', count(phone_e164) FROM std_accounts UNION ALL
        SELECT 'device', count(device_id) FROM std_devices UNION ALL
        SELECT 'card', count(card_fingerprint) FROM std_payments UNION ALL
        SELECT 'ip', (SELECT count(signup_ip) FROM std_accounts) + (SELECT count(ip) FROM std_devices)
    """).fetchall())
    assert counts == expected and set(counts) == set(KINDS)
    assert all(n > 100 for n in counts.values())  # the data set exercises every kind
    nulls = con.execute("SELECT count(*) FROM identifier_observations WHERE value IS NULL OR account_id IS NULL "
                        "OR observed_at IS NULL").fetchall()[0][0]
    assert nulls == 0
    # disputed is the payment's flag, on card uses only
    assert con.execute("SELECT count(*) FROM identifier_observations WHERE disputed AND kind <> 'card'"
                       ).fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM identifier_observations WHERE disputed").fetchall()[0][0] == \
        con.execute("SELECT count(*) FROM std_payments WHERE disputed").fetchall()[0][0] > 0


@pytest.mark.parametrize("kind", KINDS)
def test_loader_uses_equal_the_per_table_queries(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """One USED_* row per (account, identifier) the loader needs, with the same first/last seen, count and
    disputed count as the queries over std_* gave."""
    assert dict((s, q) for s, _c, q in STEPS)[f"used_{kind}"] == used_sql(kind)
    mine, theirs = _rows(con, used_sql(kind)), _rows(con, DIRECT[kind])
    assert len(mine) == len(theirs) > 0
    assert mine == theirs
    pairs = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT account_id, value FROM identifier_observations "
                        f"WHERE kind = '{kind}')").fetchall()[0][0]
    assert pairs == len(mine)


def test_hubs_count_the_same_accounts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE std_accounts_ext AS SELECT account_id, NULL::VARCHAR AS email_handle "
                "FROM std_accounts")
    find_hubs(con, 2)  # a low bar, so every kind has hubs to compare
    hubs = {(k, v): n for k, v, n in con.execute("SELECT * FROM resolution_hubs WHERE kind IN "
                                                 "('email', 'phone', 'device', 'card', 'ip')").fetchall()}
    direct = {(k, v): n for k, v, n in con.execute(" UNION ALL ".join(
        f"SELECT '{k}', value, count(DISTINCT account_id) FROM ({DIRECT[k]}) GROUP BY value "
        "HAVING count(DISTINCT account_id) > 2" for k in KINDS)).fetchall()}
    assert hubs == direct and len(hubs) > 10
