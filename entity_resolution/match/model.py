"""The Splink model: comparisons, blocking rules and training over account profiles.

Comparisons are split into personal attributes (who someone is) and infrastructure (what they used).
Only personal attributes can make two accounts one person; infrastructure adds weight to a close call
(see `PERSONAL_COMPARISONS` and resolve.py). Every exact level on a skewed value carries a term-frequency
adjustment, including the email-handle level: splink5-notes.md shows untuned username levels chaining
thousands of "michael smith"s together at 1M records.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

# Postcode counts as shared context, not identity: a household shares it as it shares a home IP.
PERSONAL_COMPARISONS = ("first_name", "last_name", "email", "phone", "dob")
INFRA_COMPARISONS = ("postcode", "devices", "cards", "ips")
# Our custom levels are written in DuckDB SQL; Splink transpiles them (SQLGlot) when the model is rendered for
# another engine (spark/model.py), so the Spark engine scores with the same conditions.
_SQL = "duckdb"


def _email_comparison() -> cl.CustomComparison:
    # A name-derived handle is NULL in the profile (profiles.py) but its address is not: the same address is
    # still the exact-email level; only handle levels need both handles.
    return cl.CustomComparison(
        output_column_name="email",
        comparison_description="canonical email, then the handle (local part without separators)",
        comparison_levels=[
            cll.CustomLevel(
                "email_canonical_l IS NULL OR email_canonical_r IS NULL OR "
                "(email_canonical_l <> email_canonical_r AND (email_handle_l IS NULL OR email_handle_r IS NULL))",
                label_for_charts="email is NULL, or the addresses differ and a handle is NULL", base_dialect_str=_SQL,
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("email_canonical").configure(tf_adjustment_column="email_canonical"),
            cll.ExactMatchLevel("email_handle").configure(tf_adjustment_column="email_handle"),
            cll.JaroWinklerLevel("email_handle", 0.88),
            cll.ElseLevel(),
        ],
    )


def _ip_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="ips",
        comparison_description="shared IP address, then shared /24 (IPv4) or /48 (IPv6) prefix",
        comparison_levels=[
            cll.CustomLevel(
                "ip_prefixes_l IS NULL OR ip_prefixes_r IS NULL", label_for_charts="null", base_dialect_str=_SQL
            ).configure(is_null_level=True),
            cll.ArrayIntersectLevel("ips", 1).configure(label_for_charts="shared IP"),
            cll.ArrayIntersectLevel("ip_prefixes", 1).configure(label_for_charts="shared IP prefix"),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison() -> cl.CustomComparison:
    # EM cannot see same-person pairs with different birth dates when the demo data never has them, so the
    # "different" level's m is fixed: we assume 5% of a person's accounts give an unrelated birth date.
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth: exact, one typo, else",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(tf_adjustment_column="dob"),
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.ElseLevel().configure(m_probability=0.05, fix_m_probability=True),
        ],
    )


def _name_comparison(column: str, other: str) -> cl.CustomComparison:
    """First or last name: exact (term-frequency adjusted), close spellings, the other name written in its
    place (a "Last First" name without a comma: standardisation cannot tell it turned round), an initial
    (first name only), else. With the initial and turned-round names on levels of their own, "else" means a
    clearly different name: its weight is what lets different first names veto surname + address agreement."""
    levels: list[Any] = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
        cll.JaroWinklerLevel(column, 0.92),
        cll.JaroWinklerLevel(column, 0.8),
        cll.CustomLevel(f'"{column}_l" = "{other}_r" AND "{other}_l" = "{column}_r"',
                        label_for_charts=f"{column} and {other} turned round", base_dialect_str=_SQL),
    ]
    if column == "first_name":
        levels.append(cll.CustomLevel(
            '(length("first_name_l") = 1 AND starts_with("first_name_r", "first_name_l")) OR '
            '(length("first_name_r") = 1 AND starts_with("first_name_l", "first_name_r"))',
            label_for_charts="an initial of the other first name", base_dialect_str=_SQL))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name=column, comparison_levels=levels,
                               comparison_description=f"{column}: exact, Jaro-Winkler 0.92 / 0.8, turned round, "
                               + ("initial, " if column == "first_name" else "") + "else")


def comparisons() -> list[Any]:
    return [
        _name_comparison("first_name", "last_name"),
        _name_comparison("last_name", "first_name"),
        _email_comparison(),
        cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        _dob_comparison(),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.ArrayIntersectAtSizes("devices", [1]),
        cl.ArrayIntersectAtSizes("cards", [1]),
        _ip_comparison(),
    ]


# Prediction blocking, as data: (columns that must be equal, the array column exploded or None). Splink's
# rules are built from it, and so is the incremental run's own candidate-pair SQL (incremental.py), so the
# two cannot drift apart. Hub values are already removed from the profile columns: no block explodes on them.
BLOCKING_KEYS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("email_canonical",), None),
    (("phone",), None),
    (("email_handle",), None),
    (("name_key",), None),  # full name, unless too common (profiles.NAME_BLOCK_MAX_ACCOUNTS)
    (("first_name", "last_name", "postcode"), None),
    (("last_name", "dob"), None),
    (("first_name", "dob"), None),
    (("dob", "postcode"), None),
    (("devices",), "devices"),
    (("cards",), "cards"),
)

# Columns with term-frequency adjustments (comparisons() above); their tables are kept per run.
TF_COLUMNS = ("first_name", "last_name", "email_canonical", "email_handle", "phone", "dob", "postcode")


def prediction_blocking_rules() -> list[Any]:
    return [block_on(*cols, arrays_to_explode=[array]) if array else block_on(*cols)
            for cols, array in BLOCKING_KEYS]


def settings_creator() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=[],
    )


def deterministic_rules() -> list[Any]:
    """Rules that are near-certain matches, for estimating the prior (probability two records match)."""
    return [
        block_on("email_canonical"),
        block_on("phone", "dob"),
        block_on("first_name", "last_name", "dob"),
    ]


def em_blocking_rules() -> list[Any]:
    """EM sessions: each comparison is free to vary in at least one of them."""
    return [
        block_on("email_canonical"),
        block_on("first_name", "last_name", "dob"),
        block_on("dob", "postcode"),
    ]
