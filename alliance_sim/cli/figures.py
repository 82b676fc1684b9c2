"""The commands `plot`, `compare` and `report`: figures and reports from saved results.

Each reads results folders written by `alliance-sim run --out` or `alliance-sim sweep
--out`. None replaces an existing file without `--overwrite`; every file to be written is
checked before anything is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError
from alliance_sim.reporting.kinds import FORMATS, KINDS, RUN_KIND_NAMES


def _stem(kind: str, options: dict[str, Any], members: tuple[str, ...]) -> str:
    if kind == "heatmap" and options.get("member"):
        stem = f"heatmap_{options['member']}"
        return stem if options.get("outcome") is None else f"{stem}_{options['outcome']}"
    if kind == "status" and options.get("replicate") is not None:
        return f"status_replicate{options['replicate']}"
    return _member_stem(kind, members) if kind in RUN_KIND_NAMES else kind


def _member_stem(stem: str, members: tuple[str, ...] | list[str]) -> str:
    """The file stem of a figure limited to some members (never the standard figure's name)."""
    return f"{stem}_{'-'.join(members)}" if members else stem


def _kind_options(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options of one kind among those given on the command line."""
    from alliance_sim.reporting.figures import POSTERIOR_KINDS, RUN_KINDS, SWEEP_KINDS

    function = {**RUN_KINDS, **SWEEP_KINDS, **POSTERIOR_KINDS}[kind]
    code = function.__code__
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    options = {k: v for k, v in given.items() if k in names}
    if "members" in given and "member" in names:
        members = given["members"]
        if len(members) > 1:
            raise InputError(f"figure kind {kind!r} shows one member; got {len(members)}", field="member")
        options["member"] = members[0]
    return options


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
@opt.member_option(
    "Only this member (repeatable; the files are named after the members); for heatmap, the member shown."
)
@click.option("--replicate", type=click.IntRange(0), default=None, help="status: show this replicate alone.")
@click.option(
    "--month",
    "months",
    multiple=True,
    metavar="YYYY-MM",
    help="trust: the months to show (repeatable; default: start, after the scripted events, end).",
)
@opt.outcome_option("heatmap, sensitivity: the outcome (default: the outcomes that vary).")
@click.option("--x", "x", default=None, metavar="PATH", help="heatmap: parameter on the horizontal axis.")
@click.option("--y", "y", default=None, metavar="PATH", help="heatmap: parameter on the vertical axis.")
@opt.out_option("A file (one kind, one format) or a folder (default: FOLDER/figures).")
@opt.overwrite_option("Replace figure files that exist already.")
@opt.dpi_option()
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
    overwrite: bool,
    dpi: int,
) -> None:
    """Draw figures from a results FOLDER (a run or a sweep) and print the files written.

    \b
    Kinds of a run:   trajectories, status, probabilities, survival, trust
    Kinds of a sweep: heatmap, sensitivity
    \b
    Examples:
      alliance-sim plot results/baseline --format svg
      alliance-sim plot results/baseline --kind survival --format pdf
      alliance-sim plot results/baseline --kind trust --month 2022-08 --month 2023-12
      alliance-sim plot results/baseline --member armenia --member kazakhstan
      alliance-sim plot results/sweep1 --kind heatmap --member armenia --outcome disengaged
    """
    formats = formats or ("png",)
    as_file = out is not None and out.suffix.lstrip(".").lower() in FORMATS
    if out is not None and not as_file and out.suffix and not out.is_dir():
        raise InputError(f"unknown figure format {out.suffix.lstrip('.')!r} ({', '.join(FORMATS)})", field="out")
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
    if kind is None and set(given) - {"members"}:
        raise InputError("--replicate, --month, --outcome, --x and --y need a --kind")
    options: dict[str, Any] = {}
    if kind is not None:
        options = _kind_options(kind, given)
        unused = sorted(set(given) - set(options) - ({"members"} if "member" in options else set()))
        if unused:
            raise InputError(f"figure kind {kind!r} takes no option --{unused[0].rstrip('s')}")

    from alliance_sim.reporting import figures as plotting

    result = plotting.load_results(folder)
    if kind is None:
        plan = plotting.standard_plan(result, members=list(members) or None)
        if not plan:
            raise InputError("no standard figures for these results", file=str(folder))
        if not plotting.is_sweep(result):
            plan = {_member_stem(stem, members): entry for stem, entry in plan.items()}
    else:
        plan = {_stem(kind, options, members): (kind, options)}
    target = out if out is not None else folder / "figures"
    if as_file and (len(plan) > 1 or len(formats) > 1):
        raise InputError(
            "--out names one file, but several figures or formats were asked for; give a folder", field="out"
        )
    paths = {
        stem: [out] if as_file and out is not None else [target / f"{stem}.{fmt}" for fmt in formats] for stem in plan
    }
    every = [path for group in paths.values() for path in group]
    if not overwrite:
        opt.refuse_existing(every)
    for path in every:
        opt.check_output_file(path, overwrite=True)
    for stem, (name, kind_options) in plan.items():
        fig = plotting.plot(result, name, **kind_options)
        for path in paths[stem]:
            click.echo(str(plotting.save_figure(fig, path, dpi=dpi)))


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@opt.out_option("The figure file (.png, .svg or .pdf); without it, only the table is printed.")
@opt.overwrite_option("Replace the figure file if it exists.")
@click.option(
    "-l",
    "--label",
    "labels",
    multiple=True,
    help="Names of the scenarios, in the order of the folders (default: their scenario names).",
)
@opt.member_option()
@opt.outcome_option("Only this outcome in the table (default: both).")
@opt.json_option()
@opt.quiet_option("Print only the file written.")
@opt.dpi_option()
def compare(
    folders: tuple[Path, ...],
    out: Path | None,
    overwrite: bool,
    labels: tuple[str, ...],
    members: tuple[str, ...],
    outcome: str | None,
    as_json: bool,
    quiet: bool,
    dpi: int,
) -> None:
    """Set run FOLDERS side by side: the baseline first, then the what-ifs.

    Prints, per member and outcome, each scenario's probability with its 95% interval,
    the median month it happens and the difference from the first scenario with a 95%
    interval (Newcombe's hybrid score interval). With --out, also draws the
    probabilities and the Kaplan-Meier survival curves, one marker or line style per
    scenario.

    \b
    Examples:
      alliance-sim compare results/baseline results/full_assistance
      alliance-sim compare results/baseline results/full_assistance --out results/compare.png
      alliance-sim compare results/baseline results/full_assistance --member armenia --json
    """
    import json

    if labels and len(labels) != len(folders):
        raise InputError(f"{len(labels)} --label for {len(folders)} folders", field="label")
    if out is not None:
        if out.suffix.lstrip(".").lower() not in FORMATS:
            raise InputError(f"unknown figure format {out.suffix.lstrip('.')!r} ({', '.join(FORMATS)})", field="out")
        opt.check_output_file(out, overwrite=overwrite)

    from alliance_sim.reporting import figures as plotting
    from alliance_sim.reporting.comparison import comparison_table, format_comparison

    results = []
    for folder in folders:
        result = plotting.load_results(folder)
        if plotting.is_sweep(result):
            raise InputError("compare needs run folders; this is a sweep folder", file=str(folder))
        results.append(result)
    names = list(labels) or None
    table = comparison_table(results, names, members=list(members) or None)
    if outcome is not None:
        table = table[table["outcome"] == outcome]
    written = None
    if out is not None:
        fig = plotting.compare_figure(results, names, members=list(members) or None)
        written = plotting.save_figure(fig, out, dpi=dpi)
    if as_json:
        rows = json.loads(table.to_json(orient="records"))
        click.echo(json.dumps({"figure": str(written) if written else None, "rows": rows}, indent=2))
        return
    if not quiet:
        click.echo(format_comparison(table))
    if written is not None:
        click.echo(str(written))


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@opt.out_option("The HTML file (default: FOLDER/report.html).")
@opt.overwrite_option("Replace the HTML file if it exists.")
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Evidence ledger for the quotes (default: the one the run used).",
)
@click.option(
    "--explain",
    "explain_folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A folder written by 'alliance-sim explain --out', shown in an Explain section "
    "(default: FOLDER/explain, when it exists).",
)
def report(folder: Path, out: Path | None, overwrite: bool, ledger: Path | None, explain_folder: Path | None) -> None:
    """Write a self-contained HTML report of a results FOLDER (a run or a sweep).

    One file with the figures embedded, the summary tables, the scenario as run, the
    evidence quotes behind each calibrated parameter and the provenance; it opens in
    any browser with no network. Symbolic links inside FOLDER are not followed. When
    FOLDER/explain holds the outputs of 'alliance-sim explain --out FOLDER/explain'
    (or --explain names such a folder), the report adds an Explain section.

    \b
    Examples:
      alliance-sim report results/baseline
      alliance-sim report results/baseline -o results/baseline.html --overwrite
      alliance-sim report results/sweep1 --ledger seeds/evidence.yaml
      alliance-sim report results/baseline --explain results/explain_baseline
    """
    target = out or folder / "report.html"
    if target.suffix.lower() not in (".html", ".htm"):
        raise InputError("the report is an HTML file; name it NAME.html", field="out")
    if folder.is_dir():
        opt.check_output_file(target, overwrite=overwrite)

    from alliance_sim.reporting import figures as plotting
    from alliance_sim.reporting.report import refuse_links, write_report

    if folder.is_dir():
        refuse_links(folder)
    result = plotting.load_results(folder)
    path = write_report(result, target, ledger=ledger, folder=folder, explain=explain_folder)
    click.echo(str(path))
