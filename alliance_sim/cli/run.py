"""`alliance-sim run`: one scenario, many replicates, a summary and optionally a results folder."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@opt.replicates_option()
@opt.seed_option()
@click.option(
    "--steps", type=click.IntRange(1, 600), default=None, help="Months to run (default: the scenario's horizon)."
)
@opt.set_option()
@click.option(
    "--from",
    "from_month",
    metavar="YYYY-MM",
    default=None,
    help="Apply the --set overrides from this month on; the months before replay as without them.",
)
@opt.out_option("Write the results folder here (it must not exist, unless --overwrite).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="Table format in the results folder.",
)
@opt.overwrite_option("Replace an existing results folder (once the new one is complete).")
@click.option("--plot", is_flag=True, help="Also write the standard figures into the results folder.")
@opt.quiet_option()
@opt.json_option()
@opt.engine_option()
@opt.workers_option()
@opt.fixed_option()
def run(
    scenario: Path,
    replicates: int,
    seed: int,
    steps: int | None,
    overrides: tuple[str, ...],
    from_month: str | None,
    out: Path | None,
    fmt: str,
    overwrite: bool,
    plot: bool,
    quiet: bool,
    as_json: bool,
    engine: str,
    workers: int,
    fixed: bool,
) -> None:
    """Run SCENARIO (a YAML file) and print who disengages and who withdraws.

    With replicates, each member's probability of disengaging and of withdrawing is
    shown with a 95% interval and the median month it happens. When the scenario names a
    posterior (calibration.posterior), each replicate draws its parameters from it: the
    interval is the posterior predictive one, shown with the share of the variance due to
    calibration and, below, the Monte Carlo (Wilson) interval. --fixed runs the point
    estimate (Wilson intervals only).

    \b
    Examples:
      alliance-sim run scenarios/csto_2022.yaml
      alliance-sim run scenarios/csto_2022.yaml -n 500 --seed 7 --out results/baseline --plot
      alliance-sim run scenarios/csto_2022.yaml --set actors.russia.capacity=0.5 --json
      alliance-sim run scenarios/csto_2022.yaml --set actors.russia.capacity=0.5 --from 2024-01
      alliance-sim run scenarios/csto_2022.yaml -n 2000 --workers 0
      alliance-sim run scenarios/csto_2022.yaml -n 300 --fixed
    """
    import json

    from alliance_sim.evidence import load_with_provenance as load

    loaded = load(scenario, overrides) if from_month is None else from_month_on(load(scenario), overrides, from_month)
    if steps is not None and steps > loaded.config.time.horizon_months:
        raise InputError(
            f"--steps {steps} is beyond the scenario's horizon ({loaded.config.time.horizon_months} months)",
            file=str(scenario),
            field="time.horizon_months",
        )
    if out is not None:
        opt.check_output_folder(out, overwrite=overwrite)
        if overwrite and out.exists():
            from alliance_sim.files import check_replaceable

            check_replaceable(out, "run")  # before running: only a run's results folder is replaced
    elif plot:
        raise InputError("--plot writes into the results folder; add --out DIR", field="plot")

    from alliance_sim.experiments.driver import run as run_scenario
    from alliance_sim.reporting.summary import format_summary, summary_json

    for warning in warnings_at_start(loaded.config, steps):
        click.secho(f"warning: {scenario}: {warning}", fg="yellow", err=True)

    bar = _progress(replicates, quiet or as_json)
    try:
        result = run_scenario(
            loaded,
            seed=seed,
            replicates=replicates,
            steps=steps,
            progress=bar.update,
            engine=engine,
            workers=opt.resolve_workers(workers),
            fixed=fixed,
        )
    finally:
        bar.close()
    for change in (result.manifest.get("posterior") or {}).get("stale", []):
        click.secho(f"warning: {scenario}: the posterior is out of date ({change}); remake it", fg="yellow", err=True)
    figures: list[Path] = []
    if out is not None:
        result.save(out, fmt=fmt, overwrite=overwrite)
        if plot:
            from alliance_sim.reporting.figures import save_standard_figures

            figures = save_standard_figures(result, out)
    if as_json:
        click.echo(json.dumps(summary_json(result, out, figures), indent=2, default=json_default))
    elif not quiet:
        click.echo(format_summary(result))
        if out is not None:
            click.echo(
                f"\nResults written to {out}/ ({fmt}); figures: "
                + (f"{out}/figures/ ({len(figures)} files)" if figures else "none (add --plot)")
            )
        else:
            click.echo("\n(no files written; add --out DIR to save the tables)")


def warnings_at_start(config: Any, steps: int | None) -> list[str]:
    """What `validate` warns about the scenario (`start_warnings`), for a run of `steps` months."""
    from alliance_sim.core.state import start_warnings
    from alliance_sim.core.world import compile_world

    if steps is not None:
        config = config.model_copy(update={"time": config.time.model_copy(update={"horizon_months": steps})})
    return start_warnings(compile_world(config))


def from_month_on(loaded: Any, overrides: tuple[str, ...], month: str) -> Any:
    """The loaded scenario with the `--set` overrides holding from `month` on (a `changes:` entry).

    The new values join the scenario's own `changes`: a change in the same month takes
    them in, and every later change keeps them (the command line wins over the file).

    Raises:
        InputError: No overrides, a month outside the run, or a bad override.
    """
    import dataclasses

    from alliance_sim.core.types import month_index, month_label, parse_month
    from alliance_sim.scenario.loader import Override, parse_override, with_overrides

    if not overrides:
        raise InputError("--from says when the --set overrides begin; add --set PATH=VALUE", field="from")
    try:
        parse_month(month)
    except ValueError:
        raise InputError(f"--from {month[:40]!r}: expected a month as YYYY-MM", field="from") from None
    config = loaded.config
    start, horizon = config.time.start, config.time.horizon_months
    offset = month_index(start, month)
    if not 0 < offset < horizon:
        raise InputError(
            f"--from {month} is not inside the run after its first month "
            f"({month_label(start, 1)} to {month_label(start, horizon - 1)})",
            file=str(loaded.path),
            field="time",
        )
    pairs = [parse_override(text) for text in overrides]
    with_overrides(config, [Override(path, value) for path, value in pairs])  # the errors --set gives
    values = dict(pairs)
    changes: list[dict[str, Any]] = []
    placed = False
    for change in config.changes:
        at = month_index(start, change.start)
        if at > offset and not placed:
            changes.append({"from": month, "set": dict(values)})
            placed = True
        if at >= offset:
            changes.append({"from": change.start, "set": {**change.set, **values}})
            placed = True
        else:
            changes.append({"from": change.start, "set": dict(change.set)})
    if not placed:
        changes.append({"from": month, "set": dict(values)})
    changed = with_overrides(config, [Override("changes", changes, None)])
    changed.phases()  # every period validates
    labels = [f"{Override(path, value).label} (from {month})" for path, value in pairs]
    return dataclasses.replace(loaded, config=changed, overrides=[*loaded.overrides, *labels])


def json_default(value: Any) -> Any:
    """JSON for what `json` cannot write: NaN as null, anything else as text."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, silent: bool) -> Any:
    if silent or total < 2 or not sys.stderr.isatty():  # no bar where it would not show: nothing to load
        return _NoBar()
    from tqdm import tqdm  # a terminal's bar (tqdm.auto would also load asyncio for notebooks)

    return tqdm(total=total, unit="run", file=sys.stderr, leave=False, desc="replicates")
