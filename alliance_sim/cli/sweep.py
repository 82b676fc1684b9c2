"""`alliance-sim sweep` and `alliance-sim analyze`.

Bad input (a spec, an existing folder, a changed spec on resume) prints one line and exits
with code 2; Ctrl-C leaves a resumable folder and exits with code 130.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@opt.out_option("The sweep folder (default: results/<spec name>).")
@opt.workers_option(default=0)
@click.option(
    "--dask",
    metavar="local|ADDRESS",
    default=None,
    callback=opt.check_dask,
    help="Run on Dask: 'local' starts a LocalCluster of worker processes, or a scheduler address like tcp://host:8786.",
)
@opt.engine_option(("auto", "mesa", "ensemble"), default=None)
@click.option("--resume", is_flag=True, help="Finish a sweep in --out: run only what is missing.")
@click.option("--retry-failed", is_flag=True, help="Like --resume, and run the failed runs again.")
@opt.overwrite_option("Delete the sweep in --out and start again.")
@click.option(
    "--chunk-seconds",
    type=opt.FiniteFloatRange(0.01, 3600),
    default=1.0,
    show_default=True,
    help="Target duration of one chunk of runs.",
)
@opt.quiet_option("No progress bar and no summary.")
@opt.fixed_option()
def sweep(
    spec: Path,
    out: Path | None,
    workers: int,
    dask: str | None,
    engine: str | None,
    resume: bool,
    retry_failed: bool,
    overwrite: bool,
    chunk_seconds: float,
    quiet: bool,
    fixed: bool,
) -> None:
    """Run the parameter sweep described by SPEC (a YAML sweep spec).

    Results stream to Parquet in --out as chunks finish; after a crash or Ctrl-C,
    run the same command with --resume. --workers N is the most local worker
    processes the sweep starts (default 0: one per core): a short pilot times a run,
    and workers start only when they finish sooner than this process alone, so a
    small sweep runs here. --workers 1 never starts any. See docs/sweeps.md.

    \b
    Examples:
      alliance-sim sweep scenarios/sweeps/russia_capacity_vs_outside_options.yaml --out results/sweep1
      alliance-sim sweep scenarios/sweeps/sobol_csto.yaml --workers 2 --out results/sobol
      alliance-sim sweep SPEC --dask local
      alliance-sim sweep SPEC --out results/sweep1 --resume
    """
    from alliance_sim.experiments.driver import sweep as run_sweep
    from alliance_sim.experiments.executors import DaskExecutor
    from alliance_sim.experiments.spec import load_sweep_spec

    loaded = load_sweep_spec(spec)
    if resume and overwrite:
        raise InputError("--resume and --overwrite exclude each other", field="resume")
    from alliance_sim.files import safe_name

    folder = out or Path("results") / safe_name(loaded.name)  # a spec's name never leaves results/
    opt.check_output_folder(folder, overwrite=overwrite, exists_ok=True)
    executor = None
    if dask:
        # A local Dask cluster takes every core unless --workers says otherwise.
        given = click.get_current_context().get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
        executor = DaskExecutor(dask, workers=workers if given and workers else None)
    # Without Dask the driver starts up to --workers local processes, and only when its
    # pilot says they finish sooner than this process alone.
    started = time.perf_counter()
    try:
        result = run_sweep(
            loaded,
            executor=executor,
            out=folder,
            engine=engine,
            resume=resume,
            retry_failed=retry_failed,
            overwrite=overwrite,
            progress=not quiet,
            chunk_seconds=chunk_seconds,
            workers=opt.resolve_workers(workers),
            fixed=fixed,
        )
    except KeyboardInterrupt:
        click.secho(
            f"interrupted; finished chunks are saved in {folder}/. Continue with:\n"
            f"  alliance-sim sweep {spec} --out {folder} --resume",
            fg="yellow",
            err=True,
        )
        sys.exit(130)
    finally:
        if executor is not None:
            executor.close()
    if quiet:
        return
    manifest = result.manifest
    click.echo(f"{loaded.name}: {loaded.describe()}")
    click.echo(
        f"{manifest['runs_ok']} runs ok, {manifest['runs_failed']} failed, {manifest['runs_missing']} missing "
        f"in {time.perf_counter() - started:.1f} s (engine {manifest['engine']}, {manifest['executor']})"
    )
    if manifest["runs_failed"]:
        first = result.failed()["error"].iloc[0]
        click.echo(f"first error: {first}\nre-run the failed runs with --retry-failed")
    click.echo(f"results in {folder}/; analyse them with: alliance-sim analyze {folder}")


ANALYSIS_TABLES = ("probabilities", "survival", "sensitivity", "failed_runs")
"""The CSV files `analyze` writes (those that apply)."""


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@opt.member_option("Only these members (repeatable).")
@opt.outcome_option("Which probability the tables show (default: both).")
@click.option(
    "--resamples",
    type=click.IntRange(10, 100_000),
    default=200,
    show_default=True,
    help="Bootstrap resamples for the sensitivity intervals.",
)
@opt.out_option("Where to save the tables (default: FOLDER/analysis).")
@opt.overwrite_option("Replace tables saved by an earlier analysis.")
@opt.json_option()
def analyze(
    folder: Path,
    members: tuple[str, ...],
    outcome: str | None,
    resamples: int,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Probabilities, survival and sensitivity indices of the sweep in FOLDER.

    Prints each member's probability of disengaging and of withdrawing at each design
    point (95% Wilson intervals), Kaplan-Meier survival of membership, and for Sobol and
    Morris designs the sensitivity indices with their intervals and the replicate noise
    floor; saves the full tables as CSV.

    \b
    Examples:
      alliance-sim analyze results/sweep1
      alliance-sim analyze results/sobol --member kazakhstan --outcome disengaged
      alliance-sim analyze results/sweep1 --out results/sweep1-tables --json
    """
    import json

    from alliance_sim.experiments.results import SweepResult
    from alliance_sim.reporting.sweep_summary import format_probabilities, format_sensitivity, format_survival

    result = SweepResult.load(folder)
    target = out if out is not None else folder / "analysis"
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a folder", field="out")
    if not overwrite:
        opt.refuse_existing([target / f"{name}.csv" for name in ANALYSIS_TABLES])
    opt.check_output_folder(target, overwrite=True)
    if result.outcomes.empty:
        raise InputError("the sweep has no successful run yet", file=str(folder))
    known = result.members
    for member in members:
        if member not in known:
            raise InputError(f"unknown member {member!r} (members: {', '.join(known)})", field="member")
    chosen = list(members) or known
    outcomes = [f"p_{outcome}"] if outcome else ["p_disengaged", "p_withdrawn"]
    probabilities = result.probabilities()
    sensitivity = result.sensitivity(resamples=resamples) if result.kind in ("sobol", "morris") else None
    written = result.save_analysis(target, resamples=resamples)
    if as_json:
        data: dict[str, Any] = {
            "folder": str(folder),
            "design": result.describe(),
            "probabilities": _records(probabilities[probabilities["member"].isin(chosen)]),
            "sensitivity": None if sensitivity is None else _records(sensitivity[sensitivity["member"].isin(chosen)]),
            "tables": {name: str(path) for name, path in written.items()},
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(result.describe())
    click.echo("")
    click.echo(format_probabilities(probabilities, result.parameters, result.kind, chosen, outcomes))
    click.echo("")
    click.echo(format_survival(result, chosen))
    if sensitivity is not None:
        click.echo("")
        click.echo(format_sensitivity(sensitivity, result.kind, chosen, outcomes))
    click.echo("")
    click.echo("tables saved: " + ", ".join(str(p) for p in written.values()))


def _records(frame: Any) -> list[dict[str, Any]]:
    import json

    return json.loads(frame.to_json(orient="records"))
