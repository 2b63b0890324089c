"""`er review`: the review queue of a run folder, one item at a time in the terminal, or decisions given
non-interactively (--decide, --import), the appeals report (--appeals) and m from labelled pairs (--train).
Thin: options, library calls (entity_resolution.review), rendering."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .common import Root, cli_errors, load_settings, out_console, summary

if TYPE_CHECKING:
    from ..review.queue import Item

# Keys the interactive prompt accepts, per item kind, and the answer each means.
_KEYS = {
    "pair": {"m": "match", "n": "no_match"},
    "ring": {"c": "confirm", "r": "reject"},
    "bridge": {"a": "abusive", "b": "benign"},
    "account": {"a": "abusive", "b": "benign"},
}
_ACCOUNT_FIELDS = ("name", "email", "phone", "date_of_birth", "postcode", "country", "created_at", "entity_id",
                   "entity_size")
_MEMBERS_SHOWN = 15


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def render(item: Item, n: int, total: int) -> None:
    """One queue item and its evidence."""
    ev = item.evidence
    body = Table.grid(padding=(0, 1))
    body.add_row("[bold]why[/bold]", escape(item.why))
    if item.kind == "pair":
        body.add_row("match probability", f"{ev['match_probability']:.4f} (weight {ev['match_weight']:.2f}, "
                     f"personal {ev['personal_weight']:.2f}, same person now: {ev['same_person']}, "
                     f"identity veto: {ev['identity_veto']})")
        sides = Table(show_header=True, box=None)
        sides.add_column("")
        for a in item.account_ids:
            sides.add_column(escape(a))
        for f in _ACCOUNT_FIELDS:
            sides.add_row(f, *(escape(_fmt(ev["accounts"].get(a, {}).get(f))) for a in item.account_ids))
        weights = Table(show_header=True, box=None)
        weights.add_column("comparison")
        weights.add_column("weight (bits)", justify="right")
        for name, w in ev["comparisons"].items():
            weights.add_row(name, f"{w:+.2f}")
        out_console.print(Panel(body, title=f"[{n}/{total}] pair {escape(item.key)}"))
        out_console.print(sides)
        out_console.print(weights)
        if ev["shared_identifiers"]:
            out_console.print("shared identifiers: " + escape(", ".join(ev["shared_identifiers"])))
        return
    if item.kind == "ring":
        body.add_row("size", f"{ev['entity_count']} entities, {ev['account_count']} accounts")
        body.add_row("shared", ", ".join(f"{v} {k}" for k, v in ev["counts"].items() if v))
        body.add_row("seen", f"{ev['first_seen']} .. {ev['last_seen']}")
        body.add_row("binding identifiers", escape(", ".join(ev["binding_identifiers"])))
    elif item.kind == "bridge":
        body.add_row("rings", escape(", ".join(ev["ring_ids"])))
        body.add_row("via", escape(", ".join(ev["via"])))
    else:
        body.add_row("risk score", f"{ev['risk_score']:.3f}")
        body.add_row("ring", escape(_fmt(ev["ring_id"])))
        for reason in ev["reasons"]:
            body.add_row("reason", escape(reason))
    out_console.print(Panel(body, title=f"[{n}/{total}] {item.kind} {escape(item.key)}"))
    members = Table(show_header=True, box=None)
    members.add_column("account")
    for f in ("name", "email", "created_at", "entity_id"):
        members.add_column(f)
    accounts = list(ev["accounts"].items())
    for a, row in accounts[:_MEMBERS_SHOWN]:
        members.add_row(escape(a), *(escape(_fmt(row.get(f))) for f in ("name", "email", "created_at", "entity_id")))
    out_console.print(members)
    if len(accounts) > _MEMBERS_SHOWN:
        out_console.print(f"... and {len(accounts) - _MEMBERS_SHOWN} more accounts")


def _ask(prompt: str) -> str | None:
    """One line from stdin (None at its end), after the prompt on stdout: pipes and terminals alike."""
    out_console.print(prompt, end="", markup=False, highlight=False)
    line = sys.stdin.readline()
    return None if line == "" else line.strip()


def _interactive(items: list[Item], ctx: Any, settings: Any) -> dict[str, int]:
    from ..review import decide, record

    counts = {"answered": 0, "skipped": 0, "decisions recorded": 0}
    for n, item in enumerate(items, start=1):
        render(item, n, len(items))
        keys = _KEYS[item.kind]
        prompt = ", ".join(f"{k} = {v.replace('_', ' ')}" for k, v in keys.items()) + ", s = skip, q = quit > "
        while True:
            raw = _ask(prompt)
            word = None if raw is None else raw.lower().replace("-", "_").replace(" ", "_")
            if word is None or word in ("q", "quit"):
                return counts
            answer = "skip" if word in ("s", "skip") else keys.get(word) or (word if word in keys.values() else None)
            if answer is not None:
                break
            out_console.print(f"answer {', '.join(keys)}, s or q", markup=False)
        if answer == "skip":
            counts["skipped"] += 1
            continue
        note = _ask("note (optional) > ") or ""
        with cli_errors(listed=True):
            counts["decisions recorded"] += record(settings, decide.from_item(item, answer, note, ctx))
        counts["answered"] += 1
    return counts


def review_cmd(
    ctx: typer.Context,
    from_run: Annotated[Path, typer.Option("--from", help="The run folder to review (its queue, its accounts).")],
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Who decides (default: ER_REVIEWER); kept "
                                                 "with every decision.")] = None,
    decide_: Annotated[list[str] | None, typer.Option("--decide", help="Record without the queue: "
                                                      "match:A,B | no-match:A,B | confirm:RING | reject:RING | "
                                                      "abusive:A | benign:A | appeal-upheld:A | "
                                                      "appeal-overturned:A (repeatable).")] = None,
    note: Annotated[str, typer.Option("--note", help="A note for the --decide decisions (one line).")] = "",
    import_file: Annotated[Path | None, typer.Option("--import", help="A decisions file (CSV or JSON Lines: "
                                                     "decision, subject, note, reviewer, decided_at), reviews or "
                                                     "appeals; all rows or none are recorded.")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Queue only these kinds: pair, ring, bridge, "
                                                   "account (repeatable).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Queue items of each kind.")] = 10,
    margin: Annotated[float, typer.Option("--margin", help="Pairs within this many bits of the match "
                                          "threshold's weight (or of the personal-weight floor).")] = 2.0,
    list_: Annotated[bool, typer.Option("--list", help="Print the queue and exit (no questions).")] = False,
    appeals: Annotated[bool, typer.Option("--appeals", help="Report appeals: overturned ones as the false "
                                          "positives of the signals that flagged them.")] = False,
    risk_threshold: Annotated[float, typer.Option("--risk-threshold", help="--appeals: risk_score at or above "
                                                  "which an account counts as flagged by high_risk.")] = 0.5,
    train: Annotated[bool, typer.Option("--train", help="Estimate m-probabilities from the 'match' pair "
                                        "decisions over the run's profiles; write --model-out.")] = False,
    model_out: Annotated[Path | None, typer.Option("--model-out", help="--train: the model file to write.")] = None,
    min_pairs: Annotated[int, typer.Option("--min-pairs", help="--train: labelled pairs needed.")] = 20,
    force: Annotated[bool, typer.Option("--force", help="--train: replace --model-out even if it is not a "
                                        "model file.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json (--list, --appeals).")] = "table",
) -> None:
    """Review uncertain decisions of a run: pairs near the match threshold, rings near the minimum evidence,
    bridges, the riskiest unlabelled accounts. Answers are kept in the decisions file (setting
    review_decisions) and act on the next `er run`. Exit 2 on bad input (nothing recorded)."""
    from .. import review
    from ..errors import InputError, Problem
    from ..review import appeals as appeals_mod
    from ..review import decide

    root = Root.of(ctx)
    settings = load_settings(root, reviewer=reviewer)
    with cli_errors(root.debug):
        if fmt not in ("table", "json"):
            raise InputError([Problem("--format", None, None, "table or json", repr(fmt))])
        if appeals:
            rep = appeals_mod.report(from_run, risk_threshold)
            _show_appeals(rep, fmt)
            return
        if train:
            if model_out is None:
                raise InputError([Problem("--train", None, None, "--model-out FILE", "none")])
            from ..review.train import train_m

            result = train_m(from_run, review.in_force(settings), model_out, min_pairs=min_pairs, force=force)
            summary(root, "m estimated from labelled pairs", {
                "pairs used": result.pairs_used, "pairs on accounts not in the run": result.pairs_not_in_run,
                "levels changed": result.levels_changed, "model": str(result.model_out)})
            return
        c = review.context(from_run, settings)
        if decide_ or import_file is not None:
            made = [decide.from_text(t, note, c) for t in decide_ or []]
            if import_file is not None:
                made += decide.from_file(import_file, c)
            added = review.record(settings, made)
            summary(root, "decisions recorded", {"given": len(made), "new": added,
                                                 "decisions file": str(settings.review_decisions)})
            return
        items = review.queue(from_run, settings, kinds=tuple(kind or review.KINDS), limit=limit, margin=margin)
        if list_:
            _show_queue(items, fmt)
            return
        if not items:
            out_console.print("nothing to review")
            return
        if not c.reviewer:
            raise InputError([Problem("reviewer", None, None, "a reviewer name (--reviewer or ER_REVIEWER)",
                                      "none")])
        counts = _interactive(items, c, settings)
    summary(root, "review", {**counts, "decisions file": str(settings.review_decisions)})


def _show_queue(items: list[Item], fmt: str) -> None:
    if fmt == "json":
        rows = [{"kind": i.kind, "key": i.key, "account_ids": list(i.account_ids), "why": i.why,
                 "ring_id": i.ring_id, "answers": list(i.answers)} for i in items]
        out_console.print_json(json.dumps(rows, default=str))
        return
    table = Table(title="review queue")
    for c in ("#", "kind", "item", "why"):
        table.add_column(c)
    for n, i in enumerate(items, start=1):
        table.add_row(str(n), i.kind, escape(i.key), escape(i.why))
    out_console.print(table)


def _show_appeals(rep: Any, fmt: str) -> None:
    if fmt == "json":
        out_console.print_json(json.dumps(rep.to_dict(), default=str))
        return
    table = Table(title=f"appeals of {rep.run_id}: {rep.appeals} appealed, {rep.overturned} overturned")
    for c in ("signal", "flagged", "appealed", "overturned (false positives)", "overturn rate"):
        table.add_column(c, justify="left" if c == "signal" else "right")
    for s in rep.signals:
        table.add_row(s.signal, f"{s.flagged:,}", f"{s.appealed:,}", f"{s.overturned:,}",
                      "" if s.overturn_rate is None else f"{s.overturn_rate:.0%}")
    out_console.print(table)
    for fp in rep.false_positives[:20]:
        out_console.print(f"  {escape(fp['account_id'])}: flagged by {', '.join(fp['signals']) or 'nothing'}; "
                          f"overturned {fp['decided_at']}")


def register(app: typer.Typer) -> None:
    """Add the `review` command to the `er` app."""
    app.command("review")(review_cmd)
