"""Who cannot be one person: SQL predicates on two accounts' first names and birth dates.

One person's accounts vary (nicknames, typos, initials, "Last First" names, a birth date with one digit wrong
or day and month swapped, a field left empty) but do not give a clearly different first name and a clearly
different birth date at once; members of one family or the synthetic identities of one ring nearly always do.
shared.py uses this to find values several people give; resolve.py to veto same-person links.
"""

from __future__ import annotations

# The name comparison's lowest Jaro-Winkler level (model._name_comparison): below it, first names are "else".
FIRST_NAME_CLOSE = 0.8


# The predicates below compare two accounts' columns first_name, last_name and dob ('YYYY-MM-DD'). x and y
# say where each account's columns are: a template such as "x.{}" (a row of a self-join) or "{}_l" (Splink's
# pairs, where the left account's first name is first_name_l).


def first_names_clash_sql(x: str, y: str) -> str:
    """SQL true when two first names differ beyond anything one person writes: not equal, Jaro-Winkler below
    the name comparison's lowest level, not an initial of the other, not the surname written first. NULL
    when either is NULL."""
    fx, fy, lx, ly = x.format("first_name"), y.format("first_name"), x.format("last_name"), y.format("last_name")
    return f"""(
        {fx} <> {fy}
        AND jaro_winkler_similarity({fx}, {fy}) < {FIRST_NAME_CLOSE}
        AND NOT (length({fx}) = 1 AND starts_with({fy}, {fx}))
        AND NOT (length({fy}) = 1 AND starts_with({fx}, {fy}))
        AND {fx} IS DISTINCT FROM {ly}
        AND {fy} IS DISTINCT FROM {lx}
    )"""


def same_birth_date_sql(x: str, y: str) -> str:
    """SQL true when two birth dates could be one date: equal, one edit apart or day and month swapped. NULL
    when either is NULL."""
    dx, dy = x.format("dob"), y.format("dob")
    return f"(damerau_levenshtein({dx}, {dy}) <= 1 OR {dx} = strftime(strptime({dy}, '%Y-%m-%d'), '%Y-%d-%m'))"


def clearly_different_sql(x: str, y: str) -> str:
    """SQL true when two accounts cannot be one person's: their first names clash and both birth dates are
    given and cannot be one date."""
    return f"({first_names_clash_sql(x, y)} AND NOT {same_birth_date_sql(x, y)})"


def identity_veto_sql(x: str, y: str) -> str:
    """SQL true when a pair must not be a same-person link whatever else agrees: the first names clash, the
    birth dates do not show one date (they differ, or one is missing) and the accounts do not give one e-mail
    address (column email_canonical: a mailbox is one person's; one that clearly different people give is a
    shared value, already out of the profiles)."""
    same_email = f"coalesce({x.format('email_canonical')} = {y.format('email_canonical')}, false)"
    clash = f"{first_names_clash_sql(x, y)} AND NOT coalesce({same_birth_date_sql(x, y)}, false)"
    return f"(coalesce({clash}, false) AND NOT {same_email})"
