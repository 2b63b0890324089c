"""Error tree. The CLI maps InputError to exit code 2 and other EntityResolutionErrors to 1."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


class EntityResolutionError(Exception):
    """Base of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One input problem: where it is, what was expected and what was found."""

    file: str
    row: int | None  # 1-based data row (CSV: the header is row 0); None for file-level problems
    column: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return printable(f"{where}: expected {self.expected}, found {self.found}")


# Control characters (Cc: NUL, ESC, CR, ...), invisible format characters (Cf: zero-width space and joiners,
# bidi overrides, BOM) and line/paragraph separators would be sent raw to the terminal, where ESC sequences
# act and a bidi override reorders the rest of the line: they are shown as escapes instead.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def printable(text: str) -> str:
    """text with every control, zero-width or bidi character written as a Python escape (\\x00, \\u200b)."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _HIDDEN else ch for ch in text
    )


class InputError(EntityResolutionError):
    """Input files break the data contract. Carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        lines = [str(p) for p in problems]
        more = self.total - len(problems)
        if more > 0:
            lines.append(f"... and {more} more problem(s) of the kinds above")
        super().__init__(f"{self.total} input problem(s):\n" + "\n".join(lines))


class ModelError(EntityResolutionError):
    """A Splink model file is missing, unreadable or does not fit the data."""


class GraphError(EntityResolutionError):
    """Neo4j is unreachable, refuses our credentials, or a graph step failed."""


class QueryNotFoundError(EntityResolutionError):
    """A Cypher file named by the code is not in cypher/."""


class LockedError(EntityResolutionError):
    """Another run holds the lock on this output location."""


class ResourceError(EntityResolutionError):
    """The machine ran short of something the run needs (DuckDB's memory under its limit)."""
