"""`er lookup VALUE`: the keyed hash a raw identifier has in a pseudonymised run's graph and exports.

Thin: options, the key from Settings, one library call (entity_resolution.pseudonym.lookup), a table.
Exit codes: 0 ok, 2 no key / not a valid identifier of the kind asked for. The key is never printed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..errors import InputError, Problem
from .common import Root, cli_errors, console, out_console


class Kind(StrEnum):
    email = "email"
    phone = "phone"
    card = "card"
    device = "device"
    ip = "ip"
    ip_prefix = "ip_prefix"


def lookup(
    ctx: typer.Context,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The raw identifier, as in the input (it is "
                                         "standardised as ingest does: e-mails lower-cased, phones to E.164...).")],
    kind: Annotated[Kind | None, typer.Option("--kind", "-k", help="What VALUE is. Default: each of email, "
                                              "phone, ip it is valid as; if none, device and card.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="The account's country (ISO alpha-2), "
                                                "for phone numbers written without +country code.")] = None,
) -> None:
    """Print the pseudonym (HMAC-SHA-256 with the run's key) of a raw identifier, to find it in the graph."""
    from ..pseudonym import key_from_settings
    from ..pseudonym import lookup as pseudonyms
    from ..settings import Settings

    root = Root.of(ctx)
    with cli_errors(root.debug, listed=False):
        settings = Settings.load(root.config)
        key = key_from_settings(settings)
        found = pseudonyms(value, key, kind.value if kind else None, country)
        if not found:
            raise InputError([Problem("VALUE", None, None,
                                      f"a valid {kind.value if kind else 'identifier'}", "nothing that standardises")])
    # Plain lines, not a table: a 64-digit hash must never be cut or wrapped to fit a narrow terminal.
    for item in found:
        if root.quiet:
            out_console.print(f"{item.kind}\t{item.pseudonym}", markup=False, highlight=False, soft_wrap=True)
            continue
        out_console.print(f"{item.kind} {item.standardised}\n  pseudonym {item.pseudonym}\n"
                          f"  in Neo4j  MATCH (n:{item.label} {{{item.prop}: '{item.pseudonym}'}}) RETURN n",
                          markup=False, highlight=False, soft_wrap=True)
    if not root.quiet:
        console.print(f"key id {key.key_id} (compare with manifest.json pseudonymised.key_id)",
                      markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `lookup` command to the `er` app."""
    app.command("lookup")(lookup)

