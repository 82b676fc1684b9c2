"""Ranges, the particle applier, the posterior file and the ABC-SMC sampler."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.errors import InputError
from alliance_sim.evidence import calibrate, load_ledger, load_with_provenance
from alliance_sim.evidence.calibration import prior_range, step_range
from alliance_sim.evidence.fit import facts_of, holds, shortened
from alliance_sim.evidence.patterns import load_patterns, log_likelihood, score
from alliance_sim.evidence.posterior import (
    Posterior,
    file_hash,
    posterior_path,
    read_posterior,
    scenario_hash,
    write_posterior,
)
from alliance_sim.evidence.space import ParticleApplier
from alliance_sim.experiments.calibrate import DEFAULTS, prepare, run_calibration
from alliance_sim.experiments.executors import Executor, ProcessExecutor, SerialExecutor
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "csto_2022.yaml"
TINY = DEFAULTS.model_copy(update={"population": 16, "generations": 2, "replicates": 4, "chunk": 4})


@pytest.fixture(scope="module")
def loaded():
    return load_with_provenance(SCENARIO)


@pytest.fixture(scope="module")
def ledger(loaded):
    return load_ledger(loaded.ledger)


@pytest.fixture(scope="module")
def applier(loaded, ledger):
    return ParticleApplier.of(loaded, ledger)


@pytest.fixture(scope="module")
def tiny_posterior():
    """A small posterior (no fit: the fit runs in this process whatever the executor)."""
    return prepare(SCENARIO, settings=TINY, seed=5).run(SerialExecutor())


# --- Ranges ------------------------------------------------------------------------------


def test_point_estimate_is_todays_calibration(ledger, applier, loaded):
    todays = calibrate(ledger)
    same = calibrate(ledger, steps=dict(ledger.mapping.steps), weights={i.id: 1.0 for i in ledger.items})
    assert {k: v.value for k, v in same.items()} == {k: v.value for k, v in todays.items()}
    assert applier.apply(applier.space.points) is loaded.config
    assert applier.overrides(applier.space.points) == {}


def test_every_range_holds_its_point(ledger, applier):
    for strength, step in ledger.mapping.steps.items():
        low, high = step_range(ledger, strength)
        assert low <= step <= high
    for key, prior in ledger.priors.items():
        low, high = prior_range(ledger, key)
        assert low <= prior.value <= high
    for parameter in applier.space.parameters:
        assert parameter.low <= parameter.point <= parameter.high, parameter.name
    # Strength intervals meet but never overlap: a stronger claim always moves further.
    ranges = sorted(step_range(ledger, s) for s in ledger.mapping.steps)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges))


def test_reader_comments_are_trusted_less(ledger, applier):
    readers = [i for i in ledger.items if i.kind == "reader_comment"]
    assert readers and all(i.trust == ledger.mapping.reader_trust < 1.0 for i in readers)
    assert all(i.trust == 1.0 for i in ledger.items if i.kind != "reader_comment")
    assert {f"trust.{i.id}" for i in readers} <= set(applier.space.names)


def test_ranges_are_those_docs_odd_gives(ledger):
    text = (ROOT / "docs" / "odd.md").read_text()
    for path, bounds in ledger.ranges.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{path.removeprefix('model.')}` |"))
        assert f"| {bounds.low:g}-{bounds.high:g} |" in row, (path, row)


def test_a_particle_moves_what_it_names(applier, loaded):
    config = loaded.config
    moved = applier.apply({"steps.weak": 0.7, "model.status.disengage": 1.2})
    status, before = moved.model.status, config.model.status
    assert status.disengage == 1.2
    assert status.reengage == pytest.approx(before.reengage + 0.2)
    assert status.rejoin == pytest.approx(before.rejoin + 0.2)
    assert moved.actors["armenia"] != config.actors["armenia"]  # weak claims moved
    fixed = applier.apply({"trust.reader-own-affairs": 0.5})
    assert fixed.actors["armenia"].domestic_pressure < config.actors["armenia"].domestic_pressure
    with pytest.raises(InputError, match="unknown calibrated parameter"):
        applier.apply({"model.status.nothing": 1.0})


def test_a_range_on_a_claimed_constant_is_refused(tmp_path):
    text = (ROOT / "seeds" / "evidence.yaml").read_text()
    text = text.replace("ranges:\n", "ranges:\n  model.trust.vote_visibility: {low: 0.1, high: 0.9, reason: x}\n", 1)
    (tmp_path / "evidence.yaml").write_text(text)
    for path in (ROOT / "seeds").iterdir():
        if path.name != "evidence.yaml" and path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "data").symlink_to(ROOT / "seeds" / "data")
    ledger = load_ledger(tmp_path / "evidence.yaml")
    loaded = load_with_provenance(SCENARIO)
    with pytest.raises(InputError) as info:
        ParticleApplier.of(loaded, ledger)
    assert "set by the ledger's claims" in str(info.value) and info.value.line is not None


# --- The data ----------------------------------------------------------------------------


def test_a_shortened_run_has_the_same_history(loaded):
    seeds = replicate_seeds(3, 6)
    full = run_ensemble(loaded.config, seeds).members["status"]
    short = run_ensemble(shortened(loaded.config, 23), seeds).members["status"]
    assert np.array_equal(full[:24], short)


def test_facts_give_the_patterns_log_likelihood(loaded, ledger):
    patterns = load_patterns(ROOT / "seeds" / "patterns.yaml")
    facts = facts_of(loaded.config, patterns)
    seeds = replicate_seeds(1, 40)
    shares = holds(loaded.config, facts, seeds).mean(axis=0)
    table = score(loaded.config, patterns, seed=1, replicates=40)
    assert np.array_equal(shares, table["share"].to_numpy())
    assert log_likelihood(table, 40) == pytest.approx(np.sum(np.log(np.maximum(shares, 1 / 80))))


# --- The sampler and its file --------------------------------------------------------------


def test_the_posterior_is_the_same_on_dask(tiny_posterior):
    from alliance_sim.experiments.executors import DaskExecutor

    with DaskExecutor("local", workers=2, processes=False) as executor:
        other = prepare(SCENARIO, settings=TINY, seed=5).run(executor)
    assert other == tiny_posterior


@pytest.mark.slow
def test_the_posterior_is_the_same_on_dask_worker_processes(tiny_posterior):
    from alliance_sim.experiments.executors import DaskExecutor

    with DaskExecutor("local", workers=2, processes=True) as executor:
        assert prepare(SCENARIO, settings=TINY, seed=5).run(executor) == tiny_posterior


def test_the_tolerance_shrinks_to_the_point_estimates_distance(tiny_posterior):
    first, second = tiny_posterior.generations
    assert first.proposals == second.proposals == TINY.population
    assert first.epsilon == 1e300 and first.accepted == TINY.population  # the prior: all accepted
    assert second.epsilon < 1e300 and 0 < second.accepted < second.proposals
    assert max(row[1] for row in tiny_posterior.particles) <= second.epsilon


@pytest.mark.slow
def test_the_posterior_is_the_same_on_worker_processes(tiny_posterior):
    with ProcessExecutor(2) as executor:
        assert prepare(SCENARIO, settings=TINY, seed=5).run(executor) == tiny_posterior
    with ProcessExecutor(3) as executor:
        assert run_calibration(prepare(SCENARIO, settings=TINY, seed=5), executor).fit is not None


class _Crash(Executor):
    """Runs serially and stops the program after `after` chunks."""

    def __init__(self, after: int) -> None:
        self.after = after

    def map_unordered(self, fn, context, tasks):
        for n, task in enumerate(tasks):
            if n == self.after:
                raise KeyboardInterrupt
            yield fn(context, task)


def test_a_crashed_calibration_resumes_to_the_same_posterior(tmp_path, tiny_posterior):
    out = tmp_path / "posterior.yaml"
    with pytest.raises(KeyboardInterrupt):
        prepare(SCENARIO, settings=TINY, seed=5, out=out).run(_Crash(3))
    work = tmp_path / "posterior.yaml.partial"
    assert len(list(work.glob("*.npy"))) == 4  # the point estimate, then 3 chunks
    lines: list[str] = []
    calibration = prepare(SCENARIO, settings=TINY, seed=5, out=out, progress=lines.append)
    assert calibration.run(SerialExecutor()) == tiny_posterior
    assert any(line.startswith("resuming: 4 finished chunks") for line in lines)
    with pytest.raises(InputError, match="another seed, settings or inputs"):
        prepare(SCENARIO, settings=TINY, seed=6, out=out).run(SerialExecutor())
    calibration.finish()
    assert not work.exists()


def test_a_failed_generation_leaves_nothing_to_block_other_settings(tmp_path):
    out = tmp_path / "posterior.yaml"
    failing = DEFAULTS.model_copy(update={"population": 10, "generations": 1, "replicates": 10, "chunk": 5})
    with pytest.raises(InputError, match="no proposal of generation 1"):
        prepare(SCENARIO, settings=failing, seed=16, out=out).run(SerialExecutor())
    assert not (tmp_path / "posterior.yaml.partial").exists()
    with pytest.raises(KeyboardInterrupt):  # past the check of the folder: it ran the point estimate
        prepare(SCENARIO, settings=TINY, seed=16, out=out).run(_Crash(0))


def test_the_posterior_file_round_trips(tmp_path, tiny_posterior, loaded, applier):
    path = write_posterior(tmp_path / "p.yaml", tiny_posterior, "alliance-sim calibrate x.yaml")
    posterior = read_posterior(path)
    assert posterior.spec == tiny_posterior
    posterior.check(applier)
    assert posterior.stale(loaded, ROOT / "seeds" / "patterns.yaml") == []
    assert posterior.spec.ledger_hash == file_hash(loaded.ledger)
    assert posterior.spec.scenario_hash == scenario_hash(loaded.config)
    assigned = posterior.assign(3, 50)
    assert np.array_equal(assigned, posterior.assign(3, 50))
    assert assigned.min() >= 0 and assigned.max() < len(posterior.weights)


@pytest.mark.parametrize(
    ("edit", "fragment", "field"),
    [
        (lambda t: t.replace("format_version: 1", "format_version: 2"), "format_version", "format_version"),
        (lambda t: t.replace("  - [", "  - [-", 1), "is negative", "particles.0"),
        (lambda t: t.replace("  - [", "  - [0.5, ", 1), "numbers, expected", "particles.0"),
        (lambda t: t.replace("seed: 5", "seed: five"), "seed", "seed"),
    ],
)
def test_a_bad_posterior_file_is_one_located_error(tmp_path, tiny_posterior, edit, fragment, field):
    path = write_posterior(tmp_path / "p.yaml", tiny_posterior)
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputError) as info:
        read_posterior(path)
    error = info.value
    assert error.file == str(path) and error.line is not None and error.field == field
    assert fragment in str(error) and "\n" not in str(error)


def test_a_posterior_for_other_parameters_is_refused(tiny_posterior, applier):
    spec = tiny_posterior.model_copy(update={"parameters": tiny_posterior.parameters[::-1]})
    with pytest.raises(InputError, match="not the scenario's"):
        Posterior(spec).check(applier)


def test_a_scenario_names_its_posterior(loaded):
    path = posterior_path(loaded)
    assert path is not None and path.is_file()
    posterior = read_posterior(path)
    assert posterior.stale(loaded, ROOT / "seeds" / "patterns.yaml") == [], "remake it: make posterior"
    fit = posterior.spec.fit
    assert fit is not None and fit.posterior_log_likelihood >= fit.point_log_likelihood


def test_a_what_if_keeps_what_it_sets_under_the_posterior(ledger, loaded, tmp_path):
    posterior = read_posterior(posterior_path(loaded))
    what_if = tmp_path / "what_if.yaml"
    what_if.write_text(f"extends: {SCENARIO}\nname: recovery stalls\nmodel:\n  shocks:\n    war_recovery: 0.0\n")
    other = load_with_provenance(what_if)
    assert posterior_path(other) == posterior_path(loaded)  # relative to the file that names it
    applier = ParticleApplier.for_posterior(other, ledger, posterior.parameters)
    assert applier.pinned == {"model.shocks.war_recovery"}
    for values in posterior.values[:5]:
        config = applier.apply(values)
        assert config.model.shocks.war_recovery == 0.0
        assert config.model.status.withdraw == values[posterior.names.index("model.status.withdraw")]
    assert posterior.stale(other, scenario=False) == []
    assert posterior.stale(other) == ["the scenario changed"]
    bad = [*posterior.parameters[:-1], dataclasses.replace(posterior.parameters[-1], name="trust.nobody")]
    with pytest.raises(InputError, match=r"trust\.nobody"):
        ParticleApplier.for_posterior(other, ledger, bad)


def test_a_missing_posterior_is_located_where_the_scenario_names_it(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {SCENARIO}\ncalibration:\n  posterior: nowhere.yaml\n")
    with pytest.raises(InputError) as info:
        posterior_path(load_with_provenance(scenario))
    assert (info.value.file, info.value.line, info.value.field) == (str(scenario), 3, "calibration.posterior")


@pytest.mark.slow
def test_the_shipped_posterior_is_what_calibrate_makes(loaded):
    shipped = read_posterior(posterior_path(loaded)).spec
    with ProcessExecutor(2) as executor:
        assert run_calibration(prepare(SCENARIO), executor) == shipped, "remake it: make posterior"
