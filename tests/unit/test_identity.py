"""The identity predicates (match/identity.py) on real DuckDB: what one person's accounts may vary in, and what
only different people show. These decide shared values (match/shared.py) and the same-person veto."""

from __future__ import annotations

import duckdb
import pytest

from entity_resolution.match.identity import clearly_different_sql, identity_veto_sql

# (first, last, dob, email) of two accounts, and whether they are clearly different / vetoed.
CASES = [
    # one person's variations: never clearly different, never vetoed
    (("james", "kidd", "1978-09-14", None), ("jim", "kidd", "1978-09-14", None), False, False),  # nickname
    (("lea", "turpin", "1973-07-05", None), ("l", "turpin", "1973-07-05", None), False, False),  # initial
    (("theodore", "lambert", "1983-08-12", None), ("lambert", "theodore", "1983-08-12", None), False, False),
    (("megan", "williams", "2003-06-05", None), ("mean", "williams", "2003-06-05", None), False, False),  # typo
    (("kyle", "boyer", "1986-10-30", None), ("k", "boyer", "1984-10-30", None), False, False),  # one digit off
    (("anna", "kranz", "1988-05-04", None), ("anna", "kranz", "1988-04-05", None), False, False),  # day/month
    (("aditya", "kade", "1987-05-31", None), ("a", "kade", "1987-06-30", None), False, False),  # initial
    # a nickname with one birth date missing: not clearly different (no dates to compare), but no link
    (("william", "key", "1989-05-06", None), ("bill", "key", None, None), False, True),
    # ... unless both give one e-mail address
    (("antonio", "rios", "1971-07-28", "a@x.br"), ("toninho", "rios", None, "a@x.br"), False, False),
    # household members: different first names and birth dates
    (("cristina", "andres", "1985-11-04", None), ("luis", "andres", "1961-02-17", None), True, True),
    (("chris", "singleton", None, None), ("brandy", "singleton", "1980-03-20", None), False, True),
    # same first name, different birth dates: a parent and child of one name are not vetoed here (the model's
    # birth-date level weighs them)
    (("maria", "jimenez", "1958-03-21", None), ("maria", "jimenez", "1998-04-14", None), False, False),
    # missing first name: nothing to compare
    ((None, "smith", "1990-01-01", None), ("john", "smith", "1970-01-01", None), False, False),
]


@pytest.mark.parametrize(("left", "right", "different", "veto"), CASES)
def test_identity_predicates(left: tuple[str | None, ...], right: tuple[str | None, ...], different: bool,
                             veto: bool) -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE pairs AS SELECT $f1 AS first_name_l, $l1 AS last_name_l, $d1 AS dob_l,
                   $e1 AS email_canonical_l, $f2 AS first_name_r, $l2 AS last_name_r, $d2 AS dob_r,
                   $e2 AS email_canonical_r""",
                {"f1": left[0], "l1": left[1], "d1": left[2], "e1": left[3],
                 "f2": right[0], "l2": right[1], "d2": right[2], "e2": right[3]})
    got_different = con.execute(f"SELECT coalesce({clearly_different_sql('{}_l', '{}_r')}, false) FROM pairs")
    assert got_different.fetchall()[0][0] is different
    assert con.execute(f"SELECT {identity_veto_sql('{}_l', '{}_r')} FROM pairs").fetchall()[0][0] is veto
    # symmetric: the order Splink compares two accounts in must not matter
    swapped = con.execute(f"SELECT {identity_veto_sql('{}_r', '{}_l')}, "
                          f"coalesce({clearly_different_sql('{}_r', '{}_l')}, false) FROM pairs").fetchall()[0]
    assert swapped == (veto, different)
