"""How well runs reproduce the reported patterns, one fact at a time: the data of calibration.

A reported pattern (`alliance_sim.evidence.patterns`) names one or more members; each
(pattern, member) pair is one *fact*: a status at the end of a month. `facts_of` turns a
patterns file into facts for a scenario, `holds` runs replicates on the ensemble engine
and says, per replicate and fact, whether the fact holds, and `distance` is what
`alliance-sim calibrate` minimises: the mean over facts of ``-log(share)``, the share of
replicates in which a fact holds (floored at ``1 / (2 R)``, as `log_likelihood`). Minus
the number of facts times the distance is the pattern log-likelihood that
`alliance-sim patterns` prints.

Runs stop after the last month any fact is reported for: the months after it cannot change
what came before (the random draws of a month do not depend on the length of the run;
`tests/unit/test_calibrate.py` checks it), so calibration does not pay for them.

`predictive_holds` does the same for a posterior: each replicate runs with the parameters
of the particle `Posterior.assign` gives it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from alliance_sim.core.ensemble import Timeline, run_ensemble
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.core.world import compile_timeline
from alliance_sim.evidence.patterns import Fact, Pattern, facts_of, holds_status, log_shares
from alliance_sim.evidence.posterior import Posterior
from alliance_sim.evidence.space import ParticleApplier
from alliance_sim.scenario.config import ScenarioConfig

__all__ = [
    "Fact",
    "distance",
    "facts_of",
    "holds",
    "log_likelihood_of",
    "posterior_shares",
    "predictive_holds",
    "shortened",
]


def shortened(config: ScenarioConfig, steps: int) -> Timeline:
    """The scenario's compiled timeline, stopped after `steps` months (same draws, same history)."""
    return tuple(
        (start, dataclasses.replace(world, steps=min(steps, world.steps)))
        for start, world in compile_timeline(config)
        if start < steps
    )


def holds(config: ScenarioConfig, facts: Sequence[Fact], seeds: Sequence[int]) -> np.ndarray:
    """Whether each fact holds in each replicate: bool array (replicates, facts)."""
    last = max(f.step for f in facts)
    status = run_ensemble(shortened(config, last), seeds).members["status"]
    out = np.empty((len(seeds), len(facts)), dtype=bool)
    for k, fact in enumerate(facts):
        out[:, k] = holds_status(status[fact.step, :, fact.column], fact.status)
    return out


def distance(shares: np.ndarray, replicates: int) -> np.ndarray:
    """Mean over facts of ``-log(share)`` (floored, `log_shares`); last axis is facts."""
    return -np.mean(log_shares(shares, replicates), axis=-1)


def log_likelihood_of(shares: np.ndarray, replicates: int) -> float:
    """The pattern log-likelihood of per-fact shares (`patterns.log_likelihood`)."""
    return float(np.sum(log_shares(shares, replicates)))


def predictive_holds(
    applier: ParticleApplier, posterior: Posterior, facts: Sequence[Fact], seeds: Sequence[int], seed: int
) -> np.ndarray:
    """`holds` of posterior predictive runs: replicate j uses particle ``posterior.assign(seed, R)[j]``.

    Replicates that share a particle run together; the result is in replicate order, so it
    does not depend on how they are grouped.
    """
    assigned = posterior.assign(seed, len(seeds))
    values = posterior.values
    out = np.empty((len(seeds), len(facts)), dtype=bool)
    for k in np.unique(assigned):
        rows = np.flatnonzero(assigned == k)
        config = applier.apply(values[k])
        out[rows] = holds(config, facts, [seeds[int(j)] for j in rows])
    return out


def posterior_shares(
    applier: ParticleApplier, posterior: Posterior, patterns: Sequence[Pattern], *, seed: int, replicates: int
) -> np.ndarray:
    """Share of posterior predictive replicates in which each fact holds, in `facts_of` order.

    The replicates use the seeds `alliance_sim.evidence.patterns.score` uses for the point
    estimate (common random numbers), so the two are compared on the same draws.
    """
    facts = facts_of(applier.config, patterns)
    seeds = replicate_seeds(seed, replicates)
    return predictive_holds(applier, posterior, facts, seeds, seed).mean(axis=0)
