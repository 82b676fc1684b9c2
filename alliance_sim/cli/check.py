"""`validate`, `evidence` and `patterns`: check inputs and the evidence behind them.

`validate` loads only the scenario and sweep-spec readers and the compiled world (no
tables, figures or Mesa), so checking a folder of scenarios is quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@opt.quiet_option("Print only problems.")
@opt.json_option()
def validate(files: tuple[Path, ...], quiet: bool, as_json: bool) -> None:
    """Check scenario files (and sweep specs) without running them.

    Every file is checked; each problem is printed as one line, and the exit code is 2
    if any file has one.

    \b
    Examples:
      alliance-sim validate scenarios/csto_2022.yaml
      alliance-sim validate scenarios/*.yaml scenarios/**/*.yaml
      alliance-sim validate scenarios/sweeps/sobol_csto.yaml --json
    """
    import json

    problems = 0
    report: list[dict[str, Any]] = []
    for path in dict.fromkeys(files):
        try:
            kind, detail, warnings = _validate_one(path)
        except InputError as exc:
            problems += 1
            report.append({"file": str(path), "ok": False, "error": str(exc)})
            if not as_json:
                click.secho(f"error: {exc}", fg="red", err=True)
            continue
        report.append({"file": str(path), "ok": True, "kind": kind, "detail": detail, "warnings": warnings})
        if as_json:
            continue
        if not quiet:
            click.echo(f"ok  {path}  ({kind}: {detail})")
        for warning in warnings:
            click.secho(f"warning: {path}: {warning}", fg="yellow", err=True)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    if problems:
        sys.exit(opt.EXIT_INPUT)


def _validate_one(path: Path) -> tuple[str, str, list[str]]:
    from alliance_sim.scenario.yamlio import read_yaml

    data, _ = read_yaml(path)
    if isinstance(data, dict) and ("sweep" in data or "design" in data):
        from alliance_sim.experiments.spec import load_sweep_spec

        spec = load_sweep_spec(path)
        return "sweep", f"{spec.describe()}", []
    from alliance_sim.core.state import start_warnings
    from alliance_sim.core.world import compile_world
    from alliance_sim.evidence import load_with_provenance as load

    loaded = load(path)
    config = loaded.config
    detail = (
        f"{config.name}; {len(config.member_ids)} members, {len(config.outside_ids)} outside actors, "
        f"{len(config.events)} events, {len(config.hazards)} hazards, {config.time.horizon_months} months"
    )
    warnings = start_warnings(compile_world(config))
    return "scenario", detail, warnings + _posterior_warnings(loaded)


def _posterior_warnings(loaded: Any) -> list[str]:
    """Read the posterior a scenario names (a missing or bad one is an error); warn if it is stale."""
    from alliance_sim.evidence.posterior import posterior_path, read_posterior

    path = posterior_path(loaded)
    if path is None:
        return []
    posterior = read_posterior(path)
    patterns = Path(loaded.ledger).parent / "patterns.yaml" if loaded.ledger is not None else None
    _, stale = _stale(loaded, posterior, patterns if patterns is not None and patterns.is_file() else None)
    if stale:
        return [f"its posterior {path.as_posix()} is stale ({', '.join(stale)}); remake it with alliance-sim calibrate"]
    return []


@click.command()
@click.option("--actor", default=None, help="Only items about this actor id (e.g. armenia).")
@click.option("--param", default=None, help="Only claims on this parameter path, with its calibrated value.")
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The ledger (default: seeds/evidence.yaml in this folder or a parent).",
)
@opt.json_option()
def evidence(actor: str | None, param: str | None, ledger: Path | None, as_json: bool) -> None:
    """Print the evidence ledger: quotes from the articles and what they calibrate.

    Every quote is checked against its article first; a quote that is not in it is an
    error naming the ledger line.

    \b
    Examples:
      alliance-sim evidence
      alliance-sim evidence --actor armenia
      alliance-sim evidence --param actors.armenia.trust_prior
      alliance-sim evidence --actor kazakhstan --json
    """
    import dataclasses
    import json

    from alliance_sim import evidence as ev

    path = ledger or ev.find_ledger(None)
    book = ev.load_ledger(path)
    ev.verify_quotes(book)
    text = ev.format_ledger(book, actor=actor, param=param)  # also checks --actor and --param
    if not as_json:
        click.echo(text)
        return
    items = [
        dataclasses.asdict(item)
        for item in book.items
        if (actor is None or actor in item.actors)
        and (param is None or any(c.param == param or c.param.startswith(param + ".") for c in item.claims))
    ]
    cited = {item["source"] for item in items}
    sources = {name: article.as_dict() for name, article in book.articles.items() if name in cited}
    click.echo(json.dumps({"ledger": str(path), "sources": sources, "items": items}, indent=2, default=str))


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@opt.patterns_option()
@opt.replicates_option(default=400, minimum=10, maximum=100_000)
@opt.seed_option(default=1)
@opt.set_option()
@click.option("--fit", is_flag=True, help="Also score a grid of the disengage and withdraw thresholds.")
@opt.json_option()
def patterns(
    scenario: Path,
    patterns_file: Path | None,
    replicates: int,
    seed: int,
    overrides: tuple[str, ...],
    fit: bool,
    as_json: bool,
) -> None:
    """Check how often SCENARIO reproduces the statuses the articles report.

    Each reported pattern (seeds/patterns.yaml) is tied to an evidence item; the table
    gives the share of replicates in which it holds. With --fit, a grid of the two status
    thresholds is scored by the log-likelihood of all patterns (best first).

    \b
    Examples:
      alliance-sim patterns scenarios/csto_2022.yaml
      alliance-sim patterns scenarios/csto_2022.yaml -n 1000 --seed 3 --json
      alliance-sim patterns scenarios/csto_2022.yaml --fit
    """
    import json

    from alliance_sim import evidence as ev
    from alliance_sim.evidence import load_with_provenance as load
    from alliance_sim.evidence import patterns as pt

    loaded = load(scenario, overrides)
    if patterns_file is None:
        if loaded.ledger is None:
            raise InputError("the scenario names no evidence ledger; pass --patterns FILE", file=str(scenario))
        patterns_file = Path(loaded.ledger).parent / "patterns.yaml"
    known = {item.id for item in ev.load_ledger(loaded.ledger).items} if loaded.ledger else None
    reported = pt.load_patterns(patterns_file, known)
    table, joint = pt.score_jointly(loaded.config, reported, seed=seed, replicates=replicates)
    likelihood = pt.log_likelihood(table, replicates)
    posterior_likelihood, stale = _posterior_column(loaded, reported, patterns_file, table, seed, replicates)
    grid = None
    if fit:
        grid = pt.fit_thresholds(
            loaded.config,
            reported,
            [round(1.0 + 0.1 * k, 2) for k in range(16)],
            [0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
            seed=seed,
            replicates=replicates,
        )
    if as_json:
        data: dict[str, Any] = {
            "scenario": loaded.config.name,
            "replicates": replicates,
            "seed": seed,
            "patterns": json.loads(table.to_json(orient="records")),
            "log_likelihood": likelihood,
            "joint_share": joint,
            "joint_log_likelihood": pt.joint_log_likelihood(joint, replicates),
        }
        if posterior_likelihood is not None:
            data["posterior_log_likelihood"] = posterior_likelihood
        if grid is not None:
            data["threshold_grid"] = json.loads(grid.to_json(orient="records"))
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{loaded.config.name}: {replicates} replicates, seed {seed}\n")
    click.echo(table.to_string(index=False, formatters={"share": "{:.3f}".format, "posterior": "{:.3f}".format}))
    click.echo(f"\nlog-likelihood of the reported patterns: {likelihood:.4f}")
    click.echo(
        f"runs reproducing every pattern at once: {joint:.3f} "
        f"(joint log-likelihood {pt.joint_log_likelihood(joint, replicates):.4f})"
    )
    if posterior_likelihood is not None:
        click.echo(f"posterior predictive log-likelihood (share column posterior): {posterior_likelihood:.4f}")
    if stale:
        click.echo(f"the scenario's posterior is stale ({stale}); remake it with alliance-sim calibrate", err=True)
    if grid is not None:
        click.echo("\nthreshold grid (best first):")
        click.echo(grid.head(15).to_string(index=False))


def _posterior_column(
    loaded: Any, reported: list[Any], patterns_file: Path, table: Any, seed: int, replicates: int
) -> tuple[float | None, str]:
    """Add the posterior predictive share of each pattern to `table` when the scenario names a posterior.

    Returns:
        Its log-likelihood (None without a usable posterior) and what made it stale ("" if nothing).
    """
    from alliance_sim import evidence as ev
    from alliance_sim.evidence import fit
    from alliance_sim.evidence.posterior import posterior_path, read_posterior
    from alliance_sim.evidence.space import ParticleApplier

    path = posterior_path(loaded)
    if path is None or loaded.ledger is None:
        return None, ""
    posterior = read_posterior(path)
    calibrated, stale = _stale(loaded, posterior, patterns_file)
    if stale:
        return None, ", ".join(stale)
    ledger = ev.load_ledger(loaded.ledger)
    applier = ParticleApplier.for_posterior(loaded, ledger, posterior.parameters, locate=posterior.error)
    if calibrated.ledger is not None:
        own = ledger if calibrated.ledger == loaded.ledger else ev.load_ledger(calibrated.ledger)
        posterior.check(ParticleApplier.of(calibrated, own))
    shares = fit.posterior_shares(applier, posterior, reported, seed=seed, replicates=replicates)
    table.insert(table.columns.get_loc("share") + 1, "posterior", shares)
    return fit.log_likelihood_of(shares, replicates), ""


def _stale(loaded: Any, posterior: Any, patterns_file: Path | None) -> tuple[Any, list[str]]:
    """The scenario a posterior was made for, as it is now, and what changed since (`Posterior.stale`).

    The posterior was made for the scenario file that names it (this one, or the base a
    what-if extends) without overrides: that file is compared, not the overrides or the
    what-if's own changes.
    """
    from alliance_sim.evidence import load_with_provenance
    from alliance_sim.evidence.posterior import names_its_posterior, posterior_target

    target = posterior_target(loaded)
    naming = target[1].file if target is not None and target[1] is not None else None
    calibrated = loaded
    if naming is not None and (loaded.overrides or not names_its_posterior(loaded)):
        calibrated = load_with_provenance(Path(naming))
    return calibrated, posterior.stale(calibrated, patterns_file, scenario=naming is not None)
