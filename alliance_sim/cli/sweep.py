"""`alliance-sim sweep` and `alliance-sim analyze`.

Registered on the main command group at the end of `alliance_sim.cli.main`. Bad input (a spec,
an existing folder, a changed spec on resume) prints one line and exits with code 2;
Ctrl-C leaves a resumable folder and exits with code 130.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

from alliance_sim.cli.main import handles_input_errors
from alliance_sim.errors import InputError


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The sweep folder (default: results/<spec name>).",
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes (default: every core; 1 runs in this process).",
)
@click.option(
    "--dask",
    metavar="local|ADDRESS",
    default=None,
    help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address like tcp://host:8786.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "mesa", "ensemble"]),
    default=None,
    help="Engine (default: the spec's; auto is the ensemble engine).",
)
@click.option("--resume", is_flag=True, help="Finish a sweep in --out: run only what is missing.")
@click.option("--retry-failed", is_flag=True, help="Like --resume, and run the failed runs again.")
@click.option("--overwrite", is_flag=True, help="Delete the sweep in --out and start again.")
@click.option(
    "--chunk-seconds",
    type=click.FloatRange(0.01, 3600),
    default=1.0,
    show_default=True,
    help="Target duration of one chunk of runs.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@handles_input_errors
def sweep(
    spec: Path,
    out: Path | None,
    workers: int | None,
    dask: str | None,
    engine: str | None,
    resume: bool,
    retry_failed: bool,
    overwrite: bool,
    chunk_seconds: float,
    quiet: bool,
) -> None:
    """Run the parameter sweep described by SPEC (a YAML sweep spec).

    Results stream to Parquet in --out as chunks finish; after a crash or Ctrl-C,
    run the same command with --resume. See docs/sweeps.md.

    \b
    Examples:
      alliance-sim sweep scenarios/sweeps/russia_capacity_vs_outside_options.yaml --out results/sweep1
      alliance-sim sweep scenarios/sweeps/sobol_csto.yaml --workers 2 --out results/sobol
      alliance-sim sweep SPEC --dask local
      alliance-sim sweep SPEC --out results/sweep1 --resume
    """
    from alliance_sim.experiments.driver import sweep as run_sweep
    from alliance_sim.experiments.executors import make_executor
    from alliance_sim.experiments.spec import load_sweep_spec
    from alliance_sim.files import safe_name

    loaded = load_sweep_spec(spec)
    if resume and overwrite:
        raise InputError("--resume and --overwrite exclude each other", field="resume")
    folder = out or Path("results") / safe_name(loaded.name)  # a spec's name never leaves results/
    executor = make_executor(workers, dask)
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


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--member", "members", multiple=True, help="Only these members (repeatable).")
@click.option(
    "--outcome",
    type=click.Choice(["p_disengaged", "p_withdrawn"]),
    default=None,
    help="Which probability the tables show (default: both).",
)
@click.option(
    "--resamples",
    type=click.IntRange(10, 100_000),
    default=200,
    show_default=True,
    help="Bootstrap resamples for the sensitivity intervals.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to save the tables (default: FOLDER/analysis).",
)
@handles_input_errors
def analyze(folder: Path, members: tuple[str, ...], outcome: str | None, resamples: int, out: Path | None) -> None:
    """Probabilities, survival and sensitivity indices of the sweep in FOLDER.

    Prints each member's probability of disengaging and of withdrawing at each design
    point (95% Wilson intervals), Kaplan-Meier survival of membership, and for Sobol and
    Morris designs the sensitivity indices with their intervals and the replicate noise
    floor; saves the full tables as CSV.
    """
    from alliance_sim.experiments.results import SweepResult

    result = SweepResult.load(folder)
    click.echo(result.describe())
    if result.outcomes.empty:
        raise InputError("the sweep has no successful run yet", file=str(folder))
    known = result.members
    for member in members:
        if member not in known:
            raise InputError(f"unknown member {member!r} (members: {', '.join(known)})", field="member")
    chosen = list(members) or known
    outcomes = [outcome] if outcome else ["p_disengaged", "p_withdrawn"]
    probabilities = result.probabilities()
    click.echo("")
    click.echo(format_probabilities(probabilities, result.parameters, result.kind, chosen, outcomes))
    click.echo("")
    click.echo(format_survival(result, chosen))
    sensitivity = None
    if result.kind in ("sobol", "morris"):
        sensitivity = result.sensitivity(resamples=resamples)
        click.echo("")
        click.echo(format_sensitivity(sensitivity, result.kind, chosen, outcomes))
    written = result.save_analysis(out, resamples=resamples)
    click.echo("")
    click.echo("tables saved: " + ", ".join(str(p) for p in written.values()))


# --- Formatting ------------------------------------------------------------------------


def _interval(row: pd.Series, what: str) -> str:
    return f"{row[what]:.2f} [{row[f'{what}_low']:.2f}-{row[f'{what}_high']:.2f}]"


def _value(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def format_probabilities(
    table: pd.DataFrame, parameters: list[str], kind: str, members: list[str], outcomes: list[str]
) -> str:
    """Probabilities as text: a matrix per member for a two-parameter grid, else a table or a digest."""
    table = table[table["member"].isin(members)]
    lines = []
    if kind == "grid" and len(parameters) == 2:
        rows_name, cols_name = parameters
        for what in outcomes:
            never = [m for m in members if float(table.loc[table["member"] == m, what].max()) == 0.0]
            for member in members:
                if member in never:
                    continue
                part = table[table["member"] == member]
                matrix = part.pivot_table(index=rows_name, columns=cols_name, values=what, aggfunc="first")
                lines.append(f"{what.replace('p_', 'P(')}) for {member}: rows {rows_name}, columns {cols_name}")
                header = " " * 10 + "".join(f"{_value(c):>9}" for c in matrix.columns)
                lines.append(header)
                for index, values in matrix.iterrows():
                    lines.append(f"{_value(index):>10}" + "".join(f"{v:>9.2f}" for v in values))
                lines.append("")
            if never:
                lines.append(f"{what.replace('p_', 'P(')}) is 0 at every point for: {', '.join(never)}")
                lines.append("")
        lines.append(
            f"replicates per point: {int(table['replicates'].min())} (95% Wilson intervals in "
            "analysis/probabilities.csv)"
        )
        return "\n".join(lines).rstrip()
    points = table["point"].nunique()
    if points * len(members) <= 60:
        width = max(len(m) for m in members) + 2
        sizes = [max(len(p), 8) for p in parameters]
        head = f"{'point':>6}  " + "  ".join(f"{p:>{n}}" for p, n in zip(parameters, sizes, strict=True))
        head += f"  {'member':<{width}}" + "".join(f"{w.replace('p_', 'P(') + ') [95% CI]':<24}" for w in outcomes)
        lines.append(head)
        for _, row in table.iterrows():
            text = f"{int(row['point']):>6}  " + "  ".join(
                f"{_value(row[p]):>{n}}" for p, n in zip(parameters, sizes, strict=True)
            )
            text += f"  {row['member']:<{width}}" + "".join(f"{_interval(row, w):<24}" for w in outcomes)
            lines.append(text)
        return "\n".join(lines)
    lines.append(f"over {points} design points (full table in analysis/probabilities.csv):")
    lines.append(f"{'member':<14}{'outcome':<14}{'min':>7}{'median':>8}{'max':>7}  mean replicates")
    for member in members:
        part = table[table["member"] == member]
        for what in outcomes:
            values = part[what]
            lines.append(
                f"{member:<14}{what:<14}{values.min():>7.2f}{values.median():>8.2f}{values.max():>7.2f}"
                f"  {part['replicates'].mean():.0f}"
            )
    return "\n".join(lines)


def format_survival(result: object, members: list[str]) -> str:
    """Kaplan-Meier share still in the alliance at the horizon, pooled over the sweep."""
    from alliance_sim.experiments.results import SweepResult

    assert isinstance(result, SweepResult)
    lines = ["Kaplan-Meier: share of runs still a full member / not withdrawn at the horizon (all points)"]
    ends = {}
    for event in ("disengaged", "withdrawn"):
        curves = result.survival(event, by_point=False)
        last = curves.sort_values("step").groupby("member").tail(1).set_index("member")
        ends[event] = last
    lines.append(f"{'member':<14}{'not disengaged [95% CI]':<26}{'not withdrawn [95% CI]':<26}")
    for member in members:
        cells = []
        for event in ("disengaged", "withdrawn"):
            row = ends[event].loc[member]
            cells.append(f"{row['survival']:.2f} [{row['low']:.2f}-{row['high']:.2f}]")
        lines.append(f"{member:<14}{cells[0]:<26}{cells[1]:<26}")
    return "\n".join(lines)


def format_sensitivity(table: pd.DataFrame, kind: str, members: list[str], outcomes: list[str]) -> str:
    """Sensitivity indices as text, one block per member and outcome, largest first."""
    if table.empty:
        return "sensitivity: no member's probabilities vary over the design"
    first, second = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    lines = [
        f"Sensitivity ({kind}): {first} and {second} with 95% half-widths; the noise floor is what "
        "replicate noise alone would give; * marks an index whose interval reaches the floor"
    ]
    for member in members:
        for what in outcomes:
            part = table[(table["member"] == member) & (table["outcome"] == what)]
            if part.empty:
                continue
            cell = {(r.parameter, r.index): (r.value, r.conf) for r in part.itertuples()}
            order = sorted(
                {r.parameter for r in part.itertuples()},
                key=lambda p: -cell.get((p, second if kind == "sobol" else first), (0.0, 0.0))[0],
            )
            floor = float(part["noise_floor"].iloc[0])
            lines.append("")
            if kind == "sobol" and floor >= 0.5:
                lines.append(
                    f"{member}, {what}: barely varies over the design; replicate noise alone explains "
                    f"{min(floor, 1.0):.0%} of its variance, so no index is meaningful"
                )
                continue
            lines.append(f"{member}, {what} (noise floor {floor:.3f})")
            lines.append(f"  {'parameter':<44}{first:>16}{second:>16}")
            for parameter in order:
                texts = []
                for index in (first, second):
                    value, conf = cell.get((parameter, index), (float("nan"), float("nan")))
                    weak = index in ("ST", "mu_star") and value - (conf if conf == conf else 0.0) <= floor
                    texts.append(f"{value:.3f}" + (f"±{conf:.3f}" if conf == conf else "") + ("*" if weak else " "))
                lines.append(f"  {str(parameter)[-44:]:<44}{texts[0]:>16}{texts[1]:>16}")
    return "\n".join(lines)
