"""The commands `plot`, `compare` and `report`: figures and reports from saved results.

Each reads results folders written by `alliance-sim run --out` or `alliance-sim sweep
--out`. A folder that is neither, or that lacks what a figure needs, gives one red line
and exit code 2 (through `alliance_sim.cli.main.handles_input_errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures import FORMATS, KINDS


def _input_errors[F: Callable[..., Any]](func: F) -> F:
    """`alliance_sim.cli.main.handles_input_errors`, looked up when the command runs (no import cycle)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from alliance_sim.cli.main import handles_input_errors

        return handles_input_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _kind_options(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options of one kind among those given on the command line."""
    from alliance_sim.reporting.figures import RUN_KINDS, SWEEP_KINDS

    function = {**RUN_KINDS, **SWEEP_KINDS}[kind]
    code = function.__code__
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    options = {k: v for k, v in given.items() if k in names}
    if "members" in given and "member" in names:
        members = given["members"]
        if len(members) > 1:
            raise InputError(f"figure kind {kind!r} shows one member; got {len(members)}", field="member")
        options["member"] = members[0]
    return options


def _stem(kind: str, options: dict[str, Any]) -> str:
    if kind == "heatmap" and options.get("member"):
        return f"heatmap_{options['member']}"
    if kind == "status" and options.get("replicate") is not None:
        return f"status_replicate{options['replicate']}"
    return kind


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "-k",
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="One figure kind (default: the standard set of the folder).",
)
@click.option(
    "-f",
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="File format, repeatable (default: png).",
)
@click.option(
    "-m",
    "--member",
    "members",
    multiple=True,
    metavar="ID",
    help="Only this member (repeatable); for heatmap, the member shown.",
)
@click.option("--replicate", type=click.IntRange(0), default=None, help="status: show this replicate alone.")
@click.option(
    "--month",
    "months",
    multiple=True,
    metavar="YYYY-MM",
    help="trust: the months to show (repeatable; default: start, after the scripted events, end).",
)
@click.option(
    "--outcome",
    type=click.Choice(["disengaged", "withdrawn"]),
    default=None,
    help="heatmap, sensitivity: the outcome (default: withdrawn).",
)
@click.option("--x", "x", default=None, metavar="PATH", help="heatmap: parameter on the horizontal axis.")
@click.option("--y", "y", default=None, metavar="PATH", help="heatmap: parameter on the vertical axis.")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="A file (one kind, one format) or a folder (default: FOLDER/figures).",
)
@click.option("--dpi", type=click.IntRange(30, 600), default=150, show_default=True, help="Resolution of PNG files.")
@_input_errors
def plot(
    folder: Path,
    kind: str | None,
    formats: tuple[str, ...],
    members: tuple[str, ...],
    replicate: int | None,
    months: tuple[str, ...],
    outcome: str | None,
    x: str | None,
    y: str | None,
    out: Path | None,
    dpi: int,
) -> None:
    """Draw figures from a results FOLDER (a run or a sweep) and print the files written.

    \b
    Kinds of a run:   trajectories, status, probabilities, survival, trust
    Kinds of a sweep: heatmap, sensitivity
    \b
    Examples:
      alliance-sim plot results/baseline
      alliance-sim plot results/baseline --kind survival --format svg
      alliance-sim plot results/baseline --kind trust --month 2022-08 --month 2023-12
      alliance-sim plot results/sweep1 --kind heatmap --member armenia
    """
    from alliance_sim.reporting import figures as plotting

    result = plotting.load_results(folder)
    formats = formats or ("png",)
    given: dict[str, Any] = {}
    if members:
        given["members"] = list(members)
    if replicate is not None:
        given["replicate"] = replicate
    if months:
        given["months"] = list(months)
    for name, value in (("outcome", outcome), ("x", x), ("y", y)):
        if value is not None:
            given[name] = value
    if kind is None:
        if set(given) - {"members"}:
            raise InputError("--replicate, --month, --outcome, --x and --y need a --kind")
        figures = plotting.standard_figures(result, members=list(members) or None)
        if not figures:
            raise InputError("no standard figures for these results", file=str(folder))
    else:
        options = _kind_options(kind, given)
        unused = sorted(set(given) - set(options) - ({"members"} if "member" in options else set()))
        if unused:
            raise InputError(f"figure kind {kind!r} takes no option --{unused[0].rstrip('s')}")
        figures = {_stem(kind, options): plotting.plot(result, kind, **options)}
    target = out if out is not None else folder / "figures"
    as_file = out is not None and out.suffix.lstrip(".").lower() in FORMATS
    if as_file and (len(figures) > 1 or len(formats) > 1):
        raise InputError(
            "--out names one file, but several figures or formats were asked for; give a folder", field="out"
        )
    for stem, fig in figures.items():
        for fmt in formats:
            path = out if as_file else target / f"{stem}.{fmt}"
            click.echo(str(plotting.save_figure(fig, path, dpi=dpi)))


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The figure file (.png, .svg or .pdf).",
)
@click.option(
    "-l",
    "--label",
    "labels",
    multiple=True,
    help="Names of the scenarios, in the order of the folders (default: their scenario names).",
)
@click.option("-m", "--member", "members", multiple=True, metavar="ID", help="Only this member (repeatable).")
@click.option("--dpi", type=click.IntRange(30, 600), default=150, show_default=True, help="Resolution of PNG files.")
@_input_errors
def compare(folders: tuple[Path, ...], out: Path, labels: tuple[str, ...], members: tuple[str, ...], dpi: int) -> None:
    """Set run FOLDERS side by side: the baseline first, then the what-ifs.

    Each member's probabilities of disengaging and of withdrawing, with 95% intervals,
    one marker per scenario.

    \b
    Example:
      alliance-sim compare results/baseline results/full_assistance --out results/compare.png
    """
    from alliance_sim.reporting import figures as plotting

    results = []
    for folder in folders:
        result = plotting.load_results(folder)
        if plotting.is_sweep(result):
            raise InputError("compare needs run folders; this is a sweep folder", file=str(folder))
        results.append(result)
    if labels and len(labels) != len(folders):
        raise InputError(f"{len(labels)} --label for {len(folders)} folders", field="label")
    fig = plotting.compare_figure(results, labels or None, members=list(members) or None)
    click.echo(str(plotting.save_figure(fig, out, dpi=dpi)))


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The HTML file (default: FOLDER/report.html).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Evidence ledger for the quotes (default: the one the run used).",
)
@_input_errors
def report(folder: Path, out: Path | None, ledger: Path | None) -> None:
    """Write a self-contained HTML report of a results FOLDER (a run or a sweep).

    One file with the figures embedded, the summary tables, the scenario as run, the
    evidence quotes behind each calibrated parameter and the provenance; it opens in
    any browser with no network.

    \b
    Example:
      alliance-sim report results/baseline -o results/baseline/report.html
    """
    from alliance_sim.reporting import figures as plotting
    from alliance_sim.reporting.report import write_report

    result = plotting.load_results(folder)
    path = write_report(result, out or folder / "report.html", ledger=ledger, folder=folder)
    click.echo(str(path))
