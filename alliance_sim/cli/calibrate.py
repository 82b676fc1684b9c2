"""`alliance-sim calibrate`: a posterior of the parameters the articles leave open."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from alliance_sim.cli import options as opt
from alliance_sim.errors import InputError


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@opt.out_option("The posterior file (default: the one the scenario file itself names in calibration.posterior).")
@opt.patterns_option()
@opt.replicates_option(default=40, minimum=2, maximum=10_000)
@click.option(
    "--population", type=click.IntRange(10, 1_000_000), default=500, show_default=True, help="Proposals per generation."
)
@click.option(
    "--generations", type=click.IntRange(1, 50), default=4, show_default=True, help="Generations of the sampler."
)
@opt.seed_option(default=1)
@opt.workers_option()
@click.option(
    "--dask",
    metavar="local|ADDRESS",
    default=None,
    callback=opt.check_dask,
    help="Run on Dask: 'local' starts a LocalCluster of worker processes, or a scheduler address like tcp://host:8786.",
)
@opt.overwrite_option(
    "Replace an existing posterior (without it, the one the scenario names is remade only "
    "for the same scenario, settings and seed)."
)
@opt.quiet_option("No progress and no summary.")
def calibrate(
    scenario: Path,
    out: Path | None,
    patterns_file: Path | None,
    replicates: int,
    population: int,
    generations: int,
    seed: int,
    workers: int,
    dask: str | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Calibrate SCENARIO's open parameters to the reported patterns (ABC-SMC).

    Samples the parameters with a plausible range in the ledger (status thresholds, the
    logistic scale, value weights, the hegemon's and the war's constants), the logit step
    of each strength of claim and the weight of reader comments, and keeps the parameter
    sets whose runs (-n per set) come as close to the reported 2022-2023 patterns as
    today's point estimate (up to Monte Carlo error). Writes the posterior (weighted
    parameter sets, acceptance diagnostics, seed, hashes) to --out, by default to the file
    the scenario itself names (a what-if that extends it needs --out; replacing a posterior
    made with other settings needs --overwrite). The same seed gives the same file on any
    executor and worker count; after a crash or Ctrl-C, the same command resumes. See
    docs/calibration.md.

    \b
    Examples:
      alliance-sim calibrate scenarios/csto_2022.yaml
      alliance-sim calibrate scenarios/csto_2022.yaml --workers 2
      alliance-sim calibrate scenarios/csto_2022.yaml --out results/posterior.yaml --population 100 -n 20
      alliance-sim calibrate scenarios/csto_2022.yaml --dask local --out results/posterior.yaml
    """
    from alliance_sim.evidence import load_with_provenance
    from alliance_sim.evidence.posterior import names_its_posterior, posterior_target, read_posterior, write_posterior
    from alliance_sim.experiments.calibrate import DEFAULTS, prepare, run_calibration
    from alliance_sim.experiments.executors import make_executor

    if out is None:
        loaded = load_with_provenance(scenario)
        target = posterior_target(loaded)
        if target is None:
            raise InputError("the scenario names no posterior (calibration.posterior); pass --out FILE", field="out")
        if not names_its_posterior(loaded):
            raise InputError(
                f"the posterior {target[0].as_posix()} belongs to the scenario this one extends; "
                "pass --out FILE (a new file) to calibrate this one",
                field="out",
            )
        out, remake = Path(os.path.normpath(target[0])), True
    else:
        remake = False
    opt.check_output_file(out, overwrite=overwrite or remake)
    settings = DEFAULTS.model_copy(
        update={"population": population, "generations": generations, "replicates": replicates}
    )
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    calibration = prepare(scenario, patterns=patterns_file, seed=seed, settings=settings, out=out, progress=say)
    if remake and not overwrite and out.is_file():
        # The scenario's own posterior is remade without --overwrite only for the same
        # scenario, settings and seed (a remake after the ledger or patterns changed).
        try:
            existing = read_posterior(out)
        except InputError as exc:
            raise InputError(
                f"{out} already exists and is not a posterior this version reads ({exc.message}); "
                "pass --overwrite to replace it",
                field="out",
            ) from None
        problem = existing.differs(
            calibration.provenance["scenario_hash"], calibration.settings, calibration.context.seed
        )
        if problem is not None:
            raise InputError(f"{out} already exists and {problem}; pass --overwrite to replace it", field="out")
    if dask:
        given = click.get_current_context().get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
        executor = make_executor(workers if given and workers else None, dask)
    else:
        executor = make_executor(opt.resolve_workers(workers), None)
    started = time.perf_counter()
    facts = len(calibration.context.facts)
    say(f"{len(calibration.space.names)} parameters, {facts} reported facts, {executor.describe()}")
    try:
        spec = run_calibration(calibration, executor)
    except KeyboardInterrupt:
        click.secho(
            f"interrupted; finished chunks are saved in {calibration.work}/. Continue with the same command.",
            fg="yellow",
            err=True,
        )
        sys.exit(130)
    finally:
        executor.close()
    defaults = (population, generations, replicates, seed) == (
        DEFAULTS.population,
        DEFAULTS.generations,
        DEFAULTS.replicates,
        1,
    )
    extra = "" if defaults else f" --population {population} --generations {generations} -n {replicates} --seed {seed}"
    write_posterior(out, spec, f"alliance-sim calibrate {scenario.as_posix()}{extra}")
    calibration.finish()
    if quiet:
        return
    from alliance_sim.evidence.posterior import Posterior, format_posterior

    click.echo(format_posterior(Posterior(spec, out)))
    click.echo(f"\nwritten {out} in {time.perf_counter() - started:.1f} s")
