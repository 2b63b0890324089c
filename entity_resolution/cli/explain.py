"""`er explain --from RUN`: the evidence behind a link, a ring or an account, from the run folder alone.

    er explain --from RUN ACCOUNT_A ACCOUNT_B [--chart FILE]   # Splink's waterfall, shared identifiers, path
    er explain --from RUN --ring RING_ID                       # members, bindings, timeline, bridges, events, risk
    er explain --from RUN --account ACCOUNT_ID                 # entity, links, identifiers, signals, risk

Thin: options, one library call (entity_resolution.explain), rich tables or `--format json`. Unknown accounts or
rings, a wrong combination of arguments, a chart file that exists: exit 2, nothing written.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..errors import InputError, Problem, printable
from .common import Root, cli_errors, out_console

if TYPE_CHECKING:
    from ..explain import AccountExplanation, PairExplanation, RingExplanation
    from ..explain.contributions import RiskBreakdown


class Format(StrEnum):
    text = "text"
    json = "json"


SHOWN_MEMBERS = 6  # member ids listed per binding identifier in the terminal (JSON has all)


def explain_cmd(
    ctx: typer.Context,
    accounts: Annotated[list[str] | None, typer.Argument(
        metavar="[ACCOUNT_A ACCOUNT_B]", help="Two account ids: why they are (or are not) one person.",
        show_default=False)] = None,
    run_dir: Annotated[Path, typer.Option("--from", help="The run folder (`er run --out`).")] = ...,  # type: ignore[assignment]
    ring: Annotated[str | None, typer.Option("--ring", help="A ring id of the run's detection.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="One account id: its evidence.")] = None,
    detection: Annotated[Path | None, typer.Option(
        "--detection", help="An `er detect --from RUN` export, or its --out folder of dated exports (the newest "
        "of this run is used; all of them give the ring's events across runs). Default: the run folder's own "
        "detection.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text (tables) or json (for tools).")] = Format.text,
    chart: Annotated[Path | None, typer.Option(
        "--chart", help="Write Splink's waterfall chart of the pair to this HTML file (self-contained, works "
        "offline; a new file unless --force).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --chart file.")] = False,
) -> None:
    """Explain a link (two accounts), a ring (--ring) or an account (--account) from a run folder."""
    from ..explain import Evidence, explain_account, explain_pair, explain_pair_with_chart, explain_ring

    root = Root.of(ctx)
    with cli_errors(root.debug):
        ids = list(accounts or [])
        _check_arguments(ids, ring, account, chart, force)
        with Evidence.open(run_dir, detection) as ev:
            result: Any
            if ids:
                if chart is None:
                    result = explain_pair(ev, ids[0], ids[1])
                else:
                    result, html = explain_pair_with_chart(ev, ids[0], ids[1])
                    _write_chart(chart, html)
            elif ring is not None:
                result = explain_ring(ev, ring)
            else:
                assert account is not None
                result = explain_account(ev, account)
    if fmt is Format.json:
        typer.echo(json.dumps(result.to_dict(), default=str, indent=2, ensure_ascii=False))
        return
    if root.quiet:
        return
    if ids:
        _show_pair(result)
    elif ring is not None:
        _show_ring(result)
    else:
        _show_account(result)
    if chart is not None:
        out_console.print(Text(f"waterfall chart written to {chart}"))


def _check_arguments(ids: list[str], ring: str | None, account: str | None, chart: Path | None,
                     force: bool) -> None:
    problems = []
    asked = sum((bool(ids), ring is not None, account is not None))
    if asked != 1 or (ids and len(ids) != 2):
        found = f"{len(ids)} account id(s)" + (", --ring" if ring else "") + (", --account" if account else "")
        problems.append(Problem("arguments", None, None,
                                "exactly one of: two account ids, --ring RING_ID, --account ACCOUNT_ID", found))
    if chart is not None:
        if ring is not None or account is not None:
            problems.append(Problem("--chart", None, None, "only with two account ids (a pair's waterfall)",
                                    "--ring or --account"))
        if chart.is_dir():
            problems.append(Problem("--chart", None, None, "a file path", f"{chart}: a folder"))
        elif chart.exists() and not force:
            problems.append(Problem("--chart", None, None, "a new file (or --force to replace it)",
                                    f"{chart}: exists"))
        elif not chart.parent.is_dir():
            problems.append(Problem("--chart", None, None, "a file in an existing folder",
                                    f"{chart.parent}: no such folder"))
    if problems:
        raise InputError(problems)


def _write_chart(path: Path, html: str) -> None:
    """Written beside the target, then renamed: a reader never sees half a chart."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- rendering ---------------------------------------------------------------------------------------------


def _t(value: Any) -> Text:
    """A data cell: never read as rich markup, control characters escaped."""
    return Text(printable("" if value is None else str(value)))


def _when(value: str | None) -> Text:
    """An ISO time as "2026-10-31 12:00" (UTC): the seconds say nothing to a reader; JSON keeps them."""
    return _t(value[:16].replace("T", " ") if value else None)


def _w(weight: float | None) -> Text:
    if weight is None:
        return Text("")
    return Text(f"{weight:+.2f}", style="green" if weight > 0 else "red" if weight < 0 else "dim")


def _show_pair(p: PairExplanation) -> None:
    out_console.print(Text(f"{p.account_a} vs {p.account_b}  (run {p.run_id})", style="bold"))
    out_console.print(_t(p.verdict))
    table = Table(title="Splink match weights (waterfall)", title_justify="left")
    for col in ("comparison", "level", p.account_a, p.account_b, "m", "u", "weight", "running total"):
        table.add_column(col, justify="right" if col in ("m", "u", "weight", "running total") else "left",
                         overflow="fold")
    running = 0.0
    for s in p.steps:
        if s.comparison == "Final score":
            continue
        if s.comparison.startswith("tf_") and s.match_weight == 0.0:
            continue  # a level without term-frequency adjustment: no bar
        running += s.match_weight
        table.add_row(_t(s.comparison), _t(s.label), _t(s.value_a), _t(s.value_b),
                      _t(f"{s.m_probability:.4g}" if s.m_probability is not None else ""),
                      _t(f"{s.u_probability:.4g}" if s.u_probability is not None else ""),
                      _w(s.match_weight), _t(f"{running:+.2f}"))
    out_console.print(table)
    stored = (f"scored in the run: {p.run_match_weight:+.2f}" if p.run_match_weight is not None
              else "not scored in the run" + (" (blocking pairs them)" if p.found_by_blocking
                                              else " (no blocking rule pairs them)"))
    out_console.print(_t(
        f"match weight {p.match_weight:+.2f} -> probability {p.match_probability:.6f}; personal weight "
        f"{p.personal_weight:+.2f}; identity veto {'yes' if p.identity_veto else 'no'}; prior {p.prior:.3g}; "
        f"{stored}; entities {p.entity_a} / {p.entity_b}"))
    if p.shared:
        shared = Table(title="Identifiers both used", title_justify="left")
        for col in ("kind", "value", "accounts", "entities", "note"):
            shared.add_column(col, overflow="fold")
        for i in p.shared:
            shared.add_row(_t(i.kind), _t(i.value), _t(i.accounts), _t(i.entities), _t(i.note))
        out_console.print(shared)
    else:
        out_console.print(_t("no identifier used by both"))
    if p.path is not None:
        out_console.print(_t(f"Evidence path ({p.path.hops} step(s), {p.path.accounts_searched} accounts searched):"))
        for n, step in enumerate(p.path.steps, start=1):
            via = (f"same-person link (probability {step.match_probability:.4f})" if step.via == "link"
                   else f"{step.via} {step.value} (on {step.accounts} accounts, {step.entities} entities)")
            out_console.print(_t(f"  {n}. {step.from_account} -> {step.to_account} via {via}"))


def _risk_rows(table: Table, account_id: str, risk: RiskBreakdown | None) -> None:
    if risk is None:
        return
    first = True
    for c in risk.contributions or ():
        table.add_row(_t(account_id if first else ""), _t(f"{risk.risk_score:.3f}" if first else ""),
                      _w(c.contribution), _t(c.reason))
        first = False
    if first:
        table.add_row(_t(account_id), _t(f"{risk.risk_score:.3f}"), _t(""), _t("no contribution"))
    if risk.intercept is not None:
        table.add_row(_t(""), _t(""), _w(risk.intercept), _t("intercept: risk = 1 / (1 + exp(-(intercept + sum)))"))


def _risk_table(title: str, model: str, combined: str) -> Table:
    table = Table(title=f"{title} ({model}: {combined})", title_justify="left")
    for col in ("account", "risk", "contribution", "reason"):
        table.add_column(col, overflow="fold", justify="right" if col in ("risk", "contribution") else "left")
    return table


def _show_ring(r: RingExplanation) -> None:
    s = r.summary
    out_console.print(Text(f"ring {r.ring_id}  (run {r.run_id}, detection {r.detection_id})", style="bold"))
    out_console.print(_t(
        f"{s.get('account_count')} accounts, {s.get('entity_count')} entities; shared devices "
        f"{s.get('device_count')}, cards {s.get('card_count')}, IPs {s.get('ip_count')}, e-mails "
        f"{s.get('email_count')}, phones {s.get('phone_count')}; first seen {_when(s.get('first_seen'))}, last seen "
        f"{_when(s.get('last_seen'))}; grew by {s.get('growth_7d')} in 7 days"))
    members = Table(title="Members", title_justify="left")
    for col in ("account", "entity", "created", "label", "bridge", "risk"):
        members.add_column(col, overflow="fold")
    for m in r.members:
        members.add_row(_t(m.account_id), _t(m.entity_id), _when(m.created_at), _t(m.label),
                        _t("yes" if m.is_bridge else ""), _t(f"{m.risk.risk_score:.3f}"))
    out_console.print(members)
    binds = Table(title="Identifiers that bind them", title_justify="left")
    for col in ("kind", "value", "members touched", "accounts in run", "entities", "note"):
        binds.add_column(col, overflow="fold")
    for b in r.bindings:
        shown = ", ".join(b.members[:SHOWN_MEMBERS]) + (f" +{len(b.members) - SHOWN_MEMBERS}"
                                                       if len(b.members) > SHOWN_MEMBERS else "")
        binds.add_row(_t(b.kind), _t(b.value), _t(f"{len(b.members)}: {shown}"), _t(b.accounts), _t(b.entities),
                      _t(b.note))
    out_console.print(binds)
    timeline = Table(title="Timeline of joins", title_justify="left")
    for col in ("created", "account", "members so far", "shares with earlier members"):
        timeline.add_column(col, overflow="fold")
    for j in r.timeline:
        timeline.add_row(_when(j.created_at), _t(j.account_id), _t(j.members_so_far),
                         _t("; ".join(j.shares_with_earlier)))
    out_console.print(timeline)
    _show_bridges(r.bridges)
    if r.events:
        events = Table(title="Ring events across detections", title_justify="left")
        for col in ("detection", "as of", "event", "ring", "related", "before", "after", "detail"):
            events.add_column(col, overflow="fold")
        for e in r.events:
            events.add_row(_t(e.detection_id), _when(e.as_of), _t(e.event), _t(e.ring_id),
                           _t(", ".join(e.related_ring_ids)), _t(e.accounts_before), _t(e.accounts_after),
                           _t(e.detail))
        out_console.print(events)
    first = r.members[0].risk if r.members else None
    risk = _risk_table("Every contribution to each member's risk score", r.risk_model,
                       first.combined_as if first else "")
    for m in r.members:
        _risk_rows(risk, m.account_id, m.risk)
    out_console.print(risk)


def _show_bridges(bridges: Any) -> None:
    if not bridges:
        out_console.print(_t("no bridge"))
        return
    out_console.print(Text("Bridges", style="bold"))
    for b in bridges:
        via = f" via {', '.join(b.via)}" if b.via else ""
        out_console.print(_t(f"  - {b.effect}; accounts {', '.join(b.account_ids)}{via}"))


def _show_account(a: AccountExplanation) -> None:
    out_console.print(Text(f"account {a.account_id}  (run {a.run_id})", style="bold"))
    out_console.print(_t(f"created {a.created_at}; entity {a.entity_id} of {len(a.entity_accounts)} account(s): "
                         f"{', '.join(a.entity_accounts)}; label {a.label or 'none known'}"))
    if a.links:
        links = Table(title="Scored pairs with this account (above the link floor)", title_justify="left")
        for col in ("other account", "entity", "probability", "weight", "personal weight", "same person"):
            links.add_column(col, overflow="fold")
        for link in a.links:
            links.add_row(_t(link.other_account_id), _t(link.other_entity_id), _t(f"{link.match_probability:.4f}"),
                          _w(link.match_weight), _w(link.personal_weight), _t("yes" if link.same_person else "no"))
        out_console.print(links)
    idents = Table(title="Identifiers it used", title_justify="left")
    for col in ("kind", "value", "accounts", "entities", "note"):
        idents.add_column(col, overflow="fold")
    for i in a.identifiers:
        idents.add_row(_t(i.kind), _t(i.value), _t(i.accounts), _t(i.entities), _t(i.note))
    out_console.print(idents)
    if a.signals is None:
        out_console.print(_t("no detection signals for this account"))
        return
    s = a.signals
    out_console.print(_t(
        f"detection {a.detection_id}: component {s.get('component_id')} ({s.get('component_size')} accounts), "
        f"ring {s.get('ring_id') or 'none'}, bridge {'yes' if s.get('is_bridge') else 'no'}, growth 7d "
        f"{s.get('growth_7d')}, fast growing {'yes' if s.get('fast_growing') else 'no'}"))
    _show_bridges(a.bridges)
    if a.risk is not None:
        risk = _risk_table("Every contribution to its risk score", a.risk.model, a.risk.combined_as)
        _risk_rows(risk, a.account_id, a.risk)
        out_console.print(risk)
        if a.risk.headline:
            out_console.print(_t(a.risk.headline))


def register(app: typer.Typer) -> None:
    """Add the `explain` command to the `er` app."""
    app.command("explain")(explain_cmd)
