"""The `alliance-sim` command line: parse, load, run, save, print.

Known problems with the input (`InputError`) print one line, `error: file:line:col:
field: message`, and exit with code 2; a traceback appears only with `--debug`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

import alliance_sim
from alliance_sim.errors import InputError

EXIT_INPUT = 2
"""Exit code for bad input."""


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(EXIT_INPUT)


def handles_input_errors[F: Callable[..., Any]](func: F) -> F:
    """Turn `InputError` (and a few other user-facing failures) into one red line and exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            if debug:
                raise
            _fail(str(exc))
        except KeyboardInterrupt:
            click.secho("interrupted", fg="yellow", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


class _OneLineErrors(click.Group):
    """A command group whose usage errors (bad options or values) are one line, exit code 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line; in standalone mode, print usage errors as one `error:` line."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "alliance-sim"
            _fail(f"{exc.format_message()} (see '{where} --help')")
        except click.Abort:
            click.secho("aborted", fg="yellow", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(alliance_sim.__version__, prog_name="alliance-sim")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Defection scenarios for military alliances, as Mesa agent-based models.

    The calibrated case is the CSTO in 2022-2023 (scenarios/csto_2022.yaml), built from
    the articles in seeds/ through the evidence ledger seeds/evidence.yaml.

    \b
    Examples:
      alliance-sim run scenarios/csto_2022.yaml --replicates 500 --seed 7 --out results/baseline
      alliance-sim run scenarios/csto_2022.yaml --set actors.russia.capacity=0.8
      alliance-sim validate scenarios/*.yaml scenarios/**/*.yaml
      alliance-sim evidence --actor armenia
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-n",
    "--replicates",
    type=click.IntRange(1, 1_000_000),
    default=100,
    show_default=True,
    help="Number of replicates.",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Root seed.")
@click.option(
    "--steps", type=click.IntRange(1, 600), default=None, help="Months to run (default: the scenario's horizon)."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a value, e.g. actors.russia.capacity=0.8 (repeatable).",
)
@click.option(
    "-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Write the results folder here."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="Table format in the results folder.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing results folder (once the new one is complete).")
@click.option("--plot", is_flag=True, help="Also write the standard figures into the results folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@click.option(
    "--engine",
    type=click.Choice(["mesa", "ensemble"]),
    default="mesa",
    show_default=True,
    help="mesa narrates the event log; ensemble runs all replicates at once (no event log).",
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(1, 4096),
    default=1,
    show_default=True,
    help="Worker processes for the replicates.",
)
@handles_input_errors
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
    """
    from alliance_sim.experiments.driver import run as run_scenario
    from alliance_sim.reporting.summary import format_summary, summary_json
    from alliance_sim.scenario.loader import load

    loaded = load(scenario, overrides)
    if steps is not None and steps > loaded.config.time.horizon_months:
        raise InputError(
            f"--steps {steps} is beyond the scenario's horizon ({loaded.config.time.horizon_months} months)",
            file=str(scenario),
            field="time.horizon_months",
        )
    if out is not None and out.exists():
        if not overwrite:
            raise InputError(f"{out} already exists; choose another --out or pass --overwrite", field="out")
        from alliance_sim.files import check_replaceable

        check_replaceable(out, "run")  # before running: only a run's results folder is replaced
    bar = _progress(replicates, quiet or as_json)
    try:
        result = run_scenario(
            loaded, seed=seed, replicates=replicates, steps=steps, progress=bar.update, engine=engine, workers=workers
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
        click.echo(json.dumps(summary_json(result, out, figures), indent=2, default=_json_default))
    elif not quiet:
        click.echo(format_summary(result))
        if out is not None:
            click.echo(
                f"\nResults written to {out}/ ({fmt}); figures: "
                + (f"{out}/figures/ ({len(figures)} files)" if figures else "none (add --plot)")
            )
        else:
            click.echo("\n(no files written; add --out DIR to save the tables)")


def _json_default(value: Any) -> Any:
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@handles_input_errors
def validate(files: tuple[Path, ...], quiet: bool) -> None:
    """Check scenario files (and sweep specs) without running them.

    Every file is checked; each problem is printed as one line, and the exit code is 2
    if any file has one.
    """
    from alliance_sim.scenario.loader import load

    problems = 0
    for path in dict.fromkeys(files):
        try:
            kind, detail, warnings = _validate_one(path, load)
        except InputError as exc:
            problems += 1
            click.secho(f"error: {exc}", fg="red", err=True)
            continue
        if not quiet:
            click.echo(f"ok  {path}  ({kind}: {detail})")
        for warning in warnings:
            click.secho(f"warning: {path}: {warning}", fg="yellow", err=True)
    if problems:
        sys.exit(EXIT_INPUT)


def _validate_one(path: Path, load: Callable[..., Any]) -> tuple[str, str, list[str]]:
    from alliance_sim.scenario.yamlio import read_yaml

    data, _ = read_yaml(path)
    if "sweep" in data or "design" in data:
        from alliance_sim.experiments.spec import load_sweep_spec

        spec = load_sweep_spec(path)
        return "sweep", f"{spec.describe()}", []
    from alliance_sim.core.state import start_warnings
    from alliance_sim.core.world import compile_world

    loaded = load(path)
    config = loaded.config
    detail = (
        f"{config.name}; {len(config.member_ids)} members, {len(config.outside_ids)} outside actors, "
        f"{len(config.events)} events, {len(config.hazards)} hazards, {config.time.horizon_months} months"
    )
    return "scenario", detail, start_warnings(compile_world(config))


@main.command()
@click.option("--actor", default=None, help="Only items about this actor id (e.g. armenia).")
@click.option("--param", default=None, help="Only claims on this parameter path, with its calibrated value.")
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The ledger (default: seeds/evidence.yaml in this folder or a parent).",
)
@handles_input_errors
def evidence(actor: str | None, param: str | None, ledger: Path | None) -> None:
    """Print the evidence ledger: quotes from the articles and what they calibrate."""
    from alliance_sim import evidence as ev

    path = ledger or ev.find_ledger(None)
    book = ev.load_ledger(path)
    ev.verify_quotes(book)
    click.echo(ev.format_ledger(book, actor=actor, param=param))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--patterns",
    "patterns_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Reported patterns (default: seeds/patterns.yaml next to the scenario's ledger).",
)
@click.option("-n", "--replicates", type=click.IntRange(10, 100_000), default=400, show_default=True)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a value (repeatable).")
@click.option("--fit", is_flag=True, help="Also score a grid of the disengage and withdraw thresholds.")
@handles_input_errors
def patterns(
    scenario: Path, patterns_file: Path | None, replicates: int, seed: int, overrides: tuple[str, ...], fit: bool
) -> None:
    """Check how often SCENARIO reproduces the statuses the articles report.

    Each reported pattern (seeds/patterns.yaml) is tied to an evidence item; the table
    gives the share of replicates in which it holds. With --fit, a grid of the two status
    thresholds is scored by the log-likelihood of all patterns (best first).
    """
    from alliance_sim import evidence as ev
    from alliance_sim.evidence import patterns as pt
    from alliance_sim.scenario.loader import load

    loaded = load(scenario, overrides)
    if patterns_file is None:
        if loaded.ledger is None:
            raise InputError("the scenario names no evidence ledger; pass --patterns FILE", file=str(scenario))
        patterns_file = Path(loaded.ledger).parent / "patterns.yaml"
    known = {item.id for item in ev.load_ledger(loaded.ledger).items} if loaded.ledger else None
    reported = pt.load_patterns(patterns_file, known)
    table = pt.score(loaded.config, reported, seed=seed, replicates=replicates)
    click.echo(f"{loaded.config.name}: {replicates} replicates, seed {seed}\n")
    click.echo(table.to_string(index=False, formatters={"share": "{:.3f}".format}))
    click.echo(f"\nlog-likelihood of the reported patterns: {pt.log_likelihood(table, replicates):.4f}")
    if fit:
        grid = pt.fit_thresholds(
            loaded.config,
            reported,
            [round(1.0 + 0.1 * k, 2) for k in range(16)],
            [0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
            seed=seed,
            replicates=replicates,
        )
        click.echo("\nthreshold grid (best first):")
        click.echo(grid.head(15).to_string(index=False))


def _register_commands() -> None:
    """Add the sweep and figure commands, which live in their own modules."""
    from alliance_sim.cli.figures import compare, plot, report
    from alliance_sim.cli.sweep import analyze, sweep

    for command in (sweep, analyze, plot, compare, report):
        main.add_command(command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
