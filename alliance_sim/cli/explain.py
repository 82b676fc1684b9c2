"""`alliance-sim explain`: why members leave, in the model's own named terms.

Runs `alliance_sim.runs.explain.explain` on a scenario and prints its three views: the
decomposition of every member's values into named terms at a few key months, the
knock-out table (one row per mechanism switched off or scripted event removed, with the
largest change it makes and its 95% interval) and the unforced replay of the historical
answers. `--out` writes the tables (Parquet and CSV), the figures and a manifest into a
folder, atomically; `alliance-sim report` shows that folder's contents in an "Explain"
section when it is the `explain/` folder of a run's results folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError

TERM_HEADERS = {
    "protection": "prot",
    "regime": "regim",
    "benefits": "benef",
    "entrapment": "entra",
    "domestic": "domes",
    "sovereignty": "sover",
    "outside": "outsd",
    "grievance": "griev",
    "fear": "fear",
    "coercion": "coerc",
    "value_stay": "stay",
    "value_leave": "leave",
    "pressure": "press",
}
"""Column headings of the printed decomposition (five characters at most)."""


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@opt.replicates_option(default=1000, minimum=2)
@opt.seed_option()
@opt.member_option("Show only this member in the decomposition and the knock-out table (repeatable).")
@click.option(
    "--mechanism",
    "mechanisms",
    multiple=True,
    metavar="NAME",
    help="Knock out only this mechanism (repeatable; default: every mechanism).",
)
@click.option("--no-events", is_flag=True, help="Do not remove the scripted events in turn.")
@opt.set_option()
@opt.json_option()
@opt.out_option("Write the tables (Parquet and CSV), the figures and a manifest into this folder.")
@opt.overwrite_option("Replace an existing folder (once the new one is complete).")
@opt.quiet_option("Print nothing but errors (no progress lines, no tables; --json still prints).")
@opt.fixed_option()
def explain(
    scenario: Path,
    replicates: int,
    seed: int,
    members: tuple[str, ...],
    mechanisms: tuple[str, ...],
    no_events: bool,
    overrides: tuple[str, ...],
    as_json: bool,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    fixed: bool = False,
) -> None:
    """Explain SCENARIO: the named terms behind each member's pressure, and what each mechanism does.

    \b
    Prints three tables, all on the ensemble engine with the same seeds in every arm:
      decomposition  each member's value of staying and of leaving split into their
                     named terms, at the start, the end of each year and the last month
      knock-outs     each mechanism switched off and each scripted event removed in
                     turn: the largest change in a member's probability of disengaging,
                     of withdrawing or of being away at the end, with its 95% interval
                     ("moves little" below 0.05)
      replay         the historical answers not forced: how often the model's own
                     decision rule gives the answers the articles report

    --member limits the first two tables (and the JSON) to some members; --out always
    writes every member. A progress line per arm goes to stderr unless --quiet.
    The names of the mechanisms to knock out:
    protection, regime_security, dependence_benefits, entrapment,
    domestic_pressure, sovereignty_cost, outside_options, grievance, fear_of_hegemon,
    coercion, trust_learning, bilateral_trust, contagion, strategic_hegemon, deterrence,
    war_recovery, exit_procedure (docs/model.md, "Mechanisms").

    \b
    Examples:
      alliance-sim explain scenarios/csto_2022.yaml
      alliance-sim explain scenarios/csto_2022.yaml -n 200 --member armenia --no-events
      alliance-sim explain scenarios/csto_2022.yaml --mechanism protection --mechanism contagion --json
      alliance-sim explain scenarios/csto_2022.yaml --out results/baseline/explain
      alliance-sim explain scenarios/csto_2022.yaml --set model.value.fear=0.5 -q
    """
    import json

    from alliance_sim.evidence import load_with_provenance
    from alliance_sim.runs.explain import resolve_mechanisms

    loaded = load_with_provenance(scenario, overrides)
    config = loaded.config
    chosen = resolve_mechanisms(mechanisms) if mechanisms else None
    unknown = [m for m in members if m not in config.member_ids]
    if unknown:
        raise InputError(f"unknown member {unknown[0]!r} (members: {', '.join(config.member_ids)})", field="member")
    if out is not None:
        opt.check_output_folder(out, overwrite=overwrite)
        if overwrite and out.exists():
            from alliance_sim.files import check_replaceable

            check_replaceable(out, "explain")  # before running: only an explain folder is replaced

    from alliance_sim.runs.explain import explain as run_explain

    started = time.perf_counter()
    clock = [started]

    def progress(name: str, done: int, total: int) -> None:
        now = time.perf_counter()
        width = len(str(total))
        click.echo(f"explain [{done:>{width}}/{total}] {name} ({now - clock[0]:.1f} s)", err=True)
        clock[0] = now

    kwargs: dict[str, Any] = {} if chosen is None else {"mechanisms": chosen}
    explanation = run_explain(
        loaded,
        seed=seed,
        replicates=replicates,
        events=not no_events,
        progress=None if quiet else progress,
        fixed=fixed,
        **kwargs,
    )
    seconds = time.perf_counter() - started

    from alliance_sim.reporting.figures.explain import ExplainResult

    manifest = _manifest(loaded, explanation, [m.name for m in chosen] if chosen else None, not no_events, seconds)
    from alliance_sim.runs.predictive import load_predictive, manifest_record

    posterior = manifest_record(load_predictive(loaded, seed, replicates, fixed=fixed), loaded)
    if posterior is not None:
        manifest["posterior"] = posterior
    result = ExplainResult(
        decomposition=explanation.decomposition,
        knockouts=explanation.knockouts,
        replay=explanation.replay,
        manifest=manifest,
        scenario=config.model_dump(mode="json"),
    )
    files: list[str] = []
    if out is not None:
        files = write_explain(result, out, overwrite=overwrite)
    shown = list(members) or None
    if as_json:
        click.echo(json.dumps(explain_json(result, shown, out, files), indent=2))
        return
    if quiet:
        return
    names = {k: a.name or k for k, a in config.actors.items()}
    hegemon = config.alliance.hegemon
    click.echo(format_decomposition(result, shown or [m for m in config.member_ids if m != hegemon], names))
    click.echo()
    click.echo(format_knockouts(result, shown))
    click.echo()
    click.echo(format_replay(result))
    if out is not None:
        click.echo(f"\nWritten to {out}/ ({len(files)} files)")
        if out.name == "explain" and (out.parent / "manifest.json").is_file():
            again = " --overwrite" if (out.parent / "report.html").exists() else ""
            click.echo(f"The report of {out.parent}/ shows them: alliance-sim report {out.parent}{again}")


# --- Tables as text ----------------------------------------------------------------------------


def format_decomposition(result: Any, members: Sequence[str], names: dict[str, str]) -> str:
    """The decomposition at the key months, one line per member and month."""
    from alliance_sim.reporting.figures.explain import (
        DECOMPOSITION_COLUMNS,
        LEAVE_TERMS,
        STAY_TERMS,
        decomposition_table,
    )

    table = decomposition_table(result.decomposition, members)
    label_width = max([len(names.get(m, m)) for m in members] + [6])
    head = f"{'member':<{label_width}}  {'month':<7} "
    lines = [
        f"Decomposition: the named terms of each member's values (means of {result.replicates} replicates)",
        "stay: the sum of the six terms under 'staying', leave: of the four under 'leaving', each term signed",
        "as it enters its value (entrapment, domestic pressure, sovereignty cost and coercion are costs, so",
        "negative); press: the pressure to leave, which smooths leave - stay month by month",
        "",
        " " * len(head) + f"{'staying':-^{6 * len(STAY_TERMS) - 1}} {'leaving':-^{6 * len(LEAVE_TERMS) - 1}}",
        head + " ".join(f"{TERM_HEADERS[c]:>5}" for c in DECOMPOSITION_COLUMNS),
    ]
    previous = None
    for _, row in table.iterrows():
        values = " ".join(f"{row[c]:5.2f}" for c in DECOMPOSITION_COLUMNS)
        label = names.get(row["member"], row["member"]) if row["member"] != previous else ""
        previous = row["member"]
        lines.append(f"{label:<{label_width}}  {row['month']:<7} {values}")
    return "\n".join(lines)


def knockout_rows(knockouts: Any, members: Sequence[str] | None = None) -> Any:
    """The printed knock-out rows.

    Without `members`: one row per arm, its largest |change| over members and outcomes.
    With `members`: one row per arm and member, its largest |change| over the outcomes.
    Largest first; `moves_little` flags a |change| below `MOVES_LITTLE`.
    """
    from alliance_sim.reporting.figures.explain import strongest

    if not members:
        return strongest(knockouts)
    import pandas as pd

    parts = [strongest(knockouts, [m]) for m in members]
    table = pd.concat(parts, ignore_index=True)
    order = table["change"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def _unmoved(row: Any) -> bool:
    return bool(row["change"] == 0 and row["low"] == row["high"])


def format_knockouts(result: Any, members: Sequence[str] | None = None) -> str:
    """The knock-out table as text."""
    rows = knockout_rows(result.knockouts, members)
    arm_width = max([len(str(a)) for a in rows["arm"]] + [3])
    member_width = max([len(str(m)) for m in rows["member"]] + [6])
    outcome_width = max([len(str(o)) for o in rows["outcome"]] + [7])
    lines = [
        f"Knock-outs: each mechanism switched off, each scripted event removed ({result.replicates} replicates "
        "per arm, the same seeds)",
        "the largest change over "
        + ("members and outcomes" if not members else "the outcomes, per member")
        + "; change = knocked out - baseline, with its 95% interval",
        "",
        f"{'arm':<{arm_width}}  {'kind':<9}  {'member':<{member_width}}  {'outcome':<{outcome_width}}  "
        f"{'baseline':>8}  {'knocked':>7}  {'change':>7}  95% interval",
    ]
    for _, row in rows.iterrows():
        unmoved = _unmoved(row) and not members
        member = "-" if unmoved else str(row["member"])
        outcome = "-" if unmoved else str(row["outcome"])
        flag = "  moves little" if row["moves_little"] else ""
        lines.append(
            f"{row['arm']:<{arm_width}}  {row['kind']:<9}  {member:<{member_width}}  {outcome:<{outcome_width}}  "
            f"{row['baseline']:8.3f}  {row['knocked_out']:7.3f}  {row['change']:+7.3f}  "
            f"[{row['low']:+.3f}, {row['high']:+.3f}]{flag}"
        )
    from alliance_sim.reporting.figures.explain import MOVES_LITTLE

    little = rows[rows["moves_little"]]
    if len(little):
        what = "rows" if members else "arms"
        lines += ["", f"{len(little)} of {len(rows)} {what} move little (|change| < {MOVES_LITTLE})."]
    return "\n".join(lines)


def format_replay(result: Any) -> str:
    """The unforced replay as text."""
    table = result.replay
    lines = ["Unforced replay: the historical answers not forced; how often the decision rule gives them"]
    if table.empty:
        return "\n".join([*lines, "(the scenario replays no reported answer)"])
    width = max([len(str(e)) for e in table["event"]] + [7])
    requester_width = max([len(str(r)) for r in table["requester"]] + [9])
    lines += [
        "",
        f"{'request':<{width}}  {'month':<7}  {'requester':<{requester_width}}  {'reported':<8}  "
        f"{'full':>5}  {'token':>5}  {'refused':>7}  {'agree':>5}  {'less than full':>14}",
    ]
    for _, row in table.iterrows():
        lines.append(
            f"{row['event']:<{width}}  {row['month']:<7}  {row['requester']:<{requester_width}}  "
            f"{row['reported']:<8}  {row['full']:5.3f}  {row['token']:5.3f}  {row['refused']:7.3f}  "
            f"{row['agree']:5.3f}  {row['not_full']:14.3f}"
        )
    lines.append("(shares of the runs in which the request was made; agree: the share giving the reported answer)")
    return "\n".join(lines)


# --- JSON and files ----------------------------------------------------------------------------


def _records(frame: Any) -> list[dict[str, Any]]:
    import json

    return json.loads(frame.to_json(orient="records"))


def explain_json(result: Any, members: Sequence[str] | None, out: Path | None, files: list[str]) -> dict[str, Any]:
    """Everything `explain` prints, as plain data (`--json`)."""
    decomposition = result.decomposition
    knockouts = result.knockouts
    if members:
        decomposition = decomposition[decomposition["member"].isin(list(members))]
        knockouts = knockouts[knockouts["member"].isin(list(members))]
    from alliance_sim.reporting.figures.explain import MOVES_LITTLE, key_steps

    manifest = result.manifest
    return {
        "scenario": manifest.get("scenario"),
        "scenario_hash": manifest.get("scenario_hash"),
        "seed": manifest.get("seed"),
        "replicates": manifest.get("replicates"),
        "mechanisms": manifest.get("mechanisms"),
        "events": manifest.get("events"),
        "members": list(members) if members else None,
        "key_months": [month for _, month in key_steps(result.decomposition)],
        "decomposition": _records(decomposition),
        "knockouts": _records(knockouts),
        "strongest": _records(knockout_rows(result.knockouts, members)),
        "moves_little": MOVES_LITTLE,
        "replay": _records(result.replay),
        "out": str(out) if out is not None else None,
        "files": files,
    }


def _manifest(loaded: Any, explanation: Any, mechanisms: list[str] | None, events: bool, seconds: float) -> dict:
    import platform
    from datetime import UTC, datetime

    import alliance_sim
    from alliance_sim.core.mechanisms import MECHANISMS
    from alliance_sim.runs.results import git_commit

    config = loaded.config
    return {
        "package": "alliance-sim",
        "kind": "explain",
        "version": alliance_sim.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_files": loaded.files,
        "scenario_hash": loaded.scenario_hash,
        "overrides": loaded.overrides,
        "engine": "ensemble",
        "seed": explanation.seed,
        "replicates": explanation.replicates,
        "mechanisms": mechanisms if mechanisms is not None else [m.name for m in MECHANISMS],
        "events": events,
        "arms": int(explanation.knockouts["arm"].nunique()) if len(explanation.knockouts) else 0,
        "start": config.time.start,
        "steps": config.time.horizon_months,
        "git_commit": git_commit(Path(loaded.path).parent if loaded.path else None),
        "python": platform.python_version(),
        "run_seconds": round(seconds, 3),
    }


def write_explain(result: Any, out: Path, *, overwrite: bool = False, dpi: int = 150) -> list[str]:
    """Write an explanation's folder atomically: tables, figures, scenario and manifest.

    The folder is built under a temporary name next to `out` and renamed when complete
    (`alliance_sim.files.atomic_folder`), so nothing half-written is left; it is marked
    as an `explain` folder, and `overwrite` replaces only a folder so marked.

    Returns:
        The files written, relative to `out`.
    """
    import yaml

    from alliance_sim import files as io
    from alliance_sim.reporting.figures import save_figure
    from alliance_sim.reporting.figures.explain import EXPLAIN_TABLES, explain_figures
    from alliance_sim.runs.results import write_table

    if overwrite and out.exists():
        io.check_replaceable(out, "explain")
    written = []
    with io.atomic_folder(out, replace=overwrite) as tmp:
        for name in EXPLAIN_TABLES:
            for fmt in ("parquet", "csv"):
                written.append(write_table(getattr(result, name), tmp / name, fmt).name)
        (tmp / "scenario.yaml").write_text(yaml.safe_dump(result.scenario, sort_keys=False), encoding="utf-8")
        written.append("scenario.yaml")
        for stem, fig in explain_figures(result).items():
            path = save_figure(fig, tmp / "figures" / f"{stem}.png", dpi=dpi)
            written.append(f"figures/{path.name}")
        manifest = {**result.manifest, "tables": list(EXPLAIN_TABLES), "formats": ["parquet", "csv"], "files": written}
        io.write_json(tmp / "manifest.json", manifest)
        io.write_marker(tmp, "explain")
    result.manifest = manifest
    result.folder = out
    return written
