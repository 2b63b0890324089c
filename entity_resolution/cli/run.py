"""`er validate | run | train | demo`: check the input, resolve it into a run folder, train a model, run the
demo. Thin: options, Settings, one library call (entity_resolution.pipeline), a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..ingest import Inputs
from . import common
from .common import (
    Root,
    cli_errors,
    graph_settings,
    load_progress,
    load_settings,
    phase_progress,
    show_load,
    summary,
    warn,
)

AccountsOpt = Annotated[Path, typer.Option("--accounts", "-a", help="Accounts file (.csv, .parquet, .jsonl).")]
DevicesOpt = Annotated[Path, typer.Option("--devices", "-d", help="Devices file (.csv, .parquet, .jsonl).")]
PaymentsOpt = Annotated[Path, typer.Option("--payments", "-p", help="Payments file (.csv, .parquet, .jsonl).")]
LabelsOpt = Annotated[Path | None, typer.Option("--labels", "-l",
                                                help="Optional labels file: enforcement decisions the "
                                                     "risk score learns from (docs/signals.md).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="ISO-8601 time; data after it is ignored. "
                                             "Default: the newest timestamp in the input.")]
ModelOpt = Annotated[Path | None, typer.Option("--model", envvar="ER_MODEL_PATH",
                                               help="Splink model JSON (default: the packaged "
                                                    "splink_models/default.json).")]
MatchOpt = Annotated[float | None, typer.Option("--match-threshold",
                                                help="Probability at which a link can mean same "
                                                     "person (personal evidence must also reach min_personal_weight).")]
PseudonymiseOpt = Annotated[bool | None, typer.Option(
    "--pseudonymise/--no-pseudonymise",
    help="Replace e-mails, phones, device ids, card fingerprints and IPs by keyed hashes (HMAC-SHA-256, key "
         "from ER_PSEUDONYM_KEY or the pseudonym_key_file setting) in the exports and Neo4j; matching still "
         "uses the raw values. Default: the pseudonymise setting (off).")]
ClusterOpt = Annotated[float | None, typer.Option("--cluster-threshold",
                                                  help="Probability at which links join accounts into "
                                                       "one entity.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an --out that is not an earlier output of ours "
                                        "(never one that holds an input, the current or the home folder).")]


def validate(ctx: typer.Context, accounts: AccountsOpt, devices: DevicesOpt, payments: PaymentsOpt,
             labels: LabelsOpt = None) -> None:
    """Check the input files against the data contract only (exit 2 on any problem)."""
    from .. import pipeline

    root = Root.of(ctx)
    with cli_errors(root.debug):
        result = pipeline.validate(Inputs(accounts, devices, payments, labels))
    summary(root, "Input is valid", dict(result.rows))


def run(
    ctx: typer.Context,
    accounts: AccountsOpt,
    devices: DevicesOpt,
    payments: PaymentsOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write: a new path, an empty folder or "
                                      "an earlier run folder (replaced atomically).")],
    labels: LabelsOpt = None,
    as_of: AsOfOpt = None,
    model: ModelOpt = None,
    train: Annotated[bool, typer.Option("--train", help="Train a model on this input first "
                                        "(saved in the run folder as model.json).")] = False,
    previous: Annotated[Path | None, typer.Option("--previous", help="An earlier run folder: entities "
                                                  "keep its ids when they only grew.")] = None,
    incremental: Annotated[bool, typer.Option(
        "--incremental", help="The inputs hold only records new since --previous: resolve them against it "
        "without rescoring its old pairs (its model, prior and term frequencies are kept).")] = False,
    match_threshold: MatchOpt = None,
    cluster_threshold: ClusterOpt = None,
    neo4j_uri: common.Neo4jUriOpt = None,
    neo4j_user: common.Neo4jUserOpt = None,
    neo4j_database: common.Neo4jDbOpt = None,
    neo4j: Annotated[bool, typer.Option("--neo4j", help="Also load the run into the managed Neo4j "
                                        "(implied by --neo4j-uri).")] = False,
    force: ForceOpt = False,
    pseudonymise: PseudonymiseOpt = None,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="duckdb (in process) or spark (Splink on Spark; needs the extra "
        "entity-resolution[spark]; docs/spark.md). Default: the engine setting (duckdb).")] = None,
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", help="Spark master URL for --engine spark. Default: the spark_master setting "
        "(local[*]).")] = None,
) -> None:
    """Resolve accounts, devices and payments into entities; write entities, links and a manifest."""
    from .. import pipeline
    from ..detect.settings import DetectSettings

    root = Root.of(ctx)
    settings = load_settings(root, model_path=model, match_threshold=match_threshold,
                             cluster_threshold=cluster_threshold, pseudonymise=pseudonymise, engine=engine,
                             spark_master=spark_master)
    if neo4j or neo4j_uri:
        settings = graph_settings(settings, neo4j_uri, neo4j_user, neo4j_database)
    with cli_errors(root.debug):  # the settings file's [detect] table and ER_DETECT_* variables, before any work
        detect_settings = DetectSettings.load(root.config)
    with cli_errors(root.debug), phase_progress(root) as progress:
        result = pipeline.run(Inputs(accounts, devices, payments, labels), out, settings, as_of=as_of,
                              train_first=train, previous=previous, incremental=incremental,
                              force=force, progress=progress, detect_settings=detect_settings)
    summary(root, f"{result.run_id} → {out}", result.counts, result.phase_seconds)
    warn(result.warnings)
    if neo4j or neo4j_uri:
        with cli_errors(root.debug), load_progress(root) as progress_rows:
            loaded = pipeline.load(out, settings, progress=progress_rows)
        show_load(root, loaded)


def train_cmd(
    ctx: typer.Context,
    accounts: AccountsOpt,
    devices: DevicesOpt,
    payments: PaymentsOpt,
    model_out: Annotated[Path, typer.Option("--model-out", help="Where to save the model JSON.")] = Path(
        "splink_models/default.json"),
    as_of: AsOfOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --model-out even if it is not a model "
                                        "JSON.")] = False,
) -> None:
    """Estimate the Splink model (prior, u by random sampling, m by EM) and save it as JSON."""
    from .. import pipeline

    root = Root.of(ctx)
    settings = load_settings(root)
    with cli_errors(root.debug), phase_progress(root) as progress:
        result = pipeline.train(Inputs(accounts, devices, payments), model_out, settings, as_of=as_of,
                                force=force, progress=progress)
    summary(root, f"model saved to {model_out}", result.counts, result.phase_seconds)


def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo input and run.")] = Path(
        "demo_out"),
    size: Annotated[int, typer.Option("--size", help="Number of accounts to generate.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 7,
    train: Annotated[bool, typer.Option("--train", help="Train a model on the demo data first.")] = False,
    neo4j: Annotated[bool, typer.Option("--neo4j", help="Also load the demo run into Neo4j "
                                        "(the managed server unless --neo4j-uri).")] = False,
    neo4j_uri: common.Neo4jUriOpt = None,
    force: ForceOpt = False,
    pseudonymise: PseudonymiseOpt = None,
    world: Annotated[str, typer.Option("--world", help="default (tidy) or realistic (offices, households, "
                                       "kiosks, NATs and other benign look-alikes; docs/demo-data.md).")] = "default",
) -> None:
    """Generate the synthetic demo data set and run the whole pipeline on it."""
    from .. import pipeline
    from ..demo.run import run_demo

    root = Root.of(ctx)
    settings = load_settings(root, pseudonymise=pseudonymise)
    with cli_errors(root.debug), phase_progress(root) as progress:
        result, scores = run_demo(out, settings, size=size, seed=seed, train=train, force=force, world=world,
                                  progress=progress)
    summary(root, f"demo → {out / 'run'}", {**result.counts, **scores}, result.phase_seconds)
    warn(result.warnings)
    if neo4j or neo4j_uri:
        settings = graph_settings(settings, neo4j_uri, None, None)
        with cli_errors(root.debug), load_progress(root) as progress_rows:
            loaded = pipeline.load(out / "run", settings, progress=progress_rows)
        show_load(root, loaded)


def register(app: typer.Typer) -> None:
    """Add validate, run, train and demo to the `er` app."""
    app.command("validate")(validate)
    app.command("run")(run)
    app.command("train")(train_cmd)
    app.command("demo")(demo)
