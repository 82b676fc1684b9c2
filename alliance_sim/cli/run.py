"""`alliance-sim run`: one scenario, many replicates, a summary and optionally a results folder."""

from __future__ import annotations

import json
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
def run(
    scenario: Path,
    replicates: int,
    seed: int,
    steps: int | None,
    overrides: tuple[str, ...],
    out: Path | None,
    fmt: str,
    overwrite: bool,
    plot: bool,
    quiet: bool,
    as_json: bool,
    engine: str,
    workers: int,
) -> None:
    """Run SCENARIO (a YAML file) and print who disengages and who withdraws.

    With replicates, each member's probability of disengaging and of withdrawing is
    shown with a 95% Wilson interval and the median month it happens.

    \b
    Examples:
      alliance-sim run scenarios/csto_2022.yaml
      alliance-sim run scenarios/csto_2022.yaml -n 500 --seed 7 --out results/baseline --plot
      alliance-sim run scenarios/csto_2022.yaml --set actors.russia.capacity=0.5 --json
      alliance-sim run scenarios/csto_2022.yaml -n 2000 --engine ensemble --workers 0
    """
    from alliance_sim.evidence import load_with_provenance as load

    loaded = load(scenario, overrides)
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
        )
    finally:
        bar.close()
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
    if silent or total < 2:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="run", file=sys.stderr, disable=None, leave=False, desc="replicates")
