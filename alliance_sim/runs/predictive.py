"""Posterior predictive runs: each replicate with parameters drawn from the scenario's posterior.

A scenario that names a posterior (``calibration.posterior``, written by
`alliance-sim calibrate`) runs, by default, each replicate with the parameters of one
particle of it, so the spread of the results covers what the evidence leaves open, not
only the model's chance. `fixed=True` (``--fixed``) runs the point estimate instead, as a
scenario without a posterior always does.

Which particle a replicate takes: of R replicates, M = min(`PARTICLES`, R) particles are
drawn by weight from the posterior (`Posterior.assign(seed, M)`, with the run's root seed:
a stream no run's random numbers use), and replicate j takes draw ``j * M // R``: the
replicates are cut into M consecutive, equal blocks. So a replicate's particle depends on
the root seed, R, its index and the file only (not on the chunking, the executor or the
worker count), every draw has as many replicates as the others (which the variance split,
`alliance_sim.runs.statistics.variance_split`, needs), a run compiles at most M worlds,
and a chunk of consecutive replicates only the few it spans. In a sweep every design
point uses the same assignment (common parameters, as common random numbers), and a
point's own values are set over the particle's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alliance_sim.evidence.space import ParticleApplier
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario

__all__ = ["PARTICLES", "Predictive", "load_predictive", "manifest_record"]

PARTICLES = 20
"""Most particles drawn per run (or per sweep point): a run compiles one world per particle."""


@dataclass(frozen=True)
class Predictive:
    """The particles of a posterior predictive run; sent to workers with the run's context.

    Attributes:
        applier: Turns a particle into the scenario it stands for.
        values: The drawn particles' values, one row per draw.
        particles: Index in the posterior file of each draw.
        replicates: Replicates per point (R).
        path: The posterior file.
        sha256: Its hash (`alliance_sim.evidence.posterior.file_hash`).
        stale: What changed since the posterior was made (empty when nothing).

    Each draw's scenario is built once per process (`config`) and kept: a sweep's points
    all start from the same particles, and building one (recalibrating the ledger, then
    validating the scenario) costs about as much as running a few dozen replicates.
    """

    applier: ParticleApplier
    values: np.ndarray
    particles: np.ndarray
    replicates: int
    path: str
    sha256: str
    stale: tuple[str, ...] = ()
    _configs: dict[tuple[int, str], ScenarioConfig] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """What a worker receives: everything but the scenarios built so far (it builds its own)."""
        state = dict(self.__dict__)
        state["_configs"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled `Predictive` (frozen: set through `object.__setattr__`)."""
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def draw_of(self, replicates: Sequence[int] | np.ndarray) -> np.ndarray:
        """The draw (row of `values`) of each replicate: ``replicate * draws // R``."""
        return np.asarray(replicates, dtype=np.int64) * len(self.values) // self.replicates

    def particle_of(self, replicates: Sequence[int] | np.ndarray) -> np.ndarray:
        """The posterior particle (row of the file) of each replicate."""
        return self.particles[self.draw_of(replicates)]

    def config(self, draw: int, like: ScenarioConfig | None = None) -> ScenarioConfig:
        """The scenario of one draw; with `like`, on its time span (a run of fewer months).

        Built once per draw and time span in a process, then shared (scenarios are frozen).
        """
        key = (int(draw), "" if like is None else like.time.model_dump_json())
        config = self._configs.get(key)
        if config is None:
            config = self.applier.apply(self.values[int(draw)])
            if like is not None and like.time != config.time:
                config = config.model_copy(update={"time": like.time})
            self._configs[key] = config
        return config

    def groups(self, replicates: Sequence[int] | np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(draw, positions in `replicates`) for each distinct particle, in order of first draw.

        Draws of the same particle share one group (one compiled world).
        """
        particles = self.particle_of(replicates)
        draws = self.draw_of(replicates)
        out = []
        for particle in np.unique(particles):
            rows = np.flatnonzero(particles == particle)
            out.append((int(draws[rows[0]]), rows))
        return out


def load_predictive(
    loaded: LoadedScenario,
    seed: int,
    replicates: int,
    *,
    fixed: bool = False,
    config: ScenarioConfig | None = None,
) -> Predictive | None:
    """The posterior predictive particles of a scenario, or None (no posterior, or `fixed`).

    Args:
        loaded: The scenario.
        seed: Root seed of the run (it draws the particles).
        replicates: Replicates per point.
        fixed: Run the point estimate: None.
        config: The scenario the particles change (default: ``loaded.config``), e.g. a
            sweep's base.

    Raises:
        InputError: A missing or bad posterior file, or one whose parameters are not the
            scenario's (located in the file).
    """
    if fixed or loaded.config.calibration.posterior is None or loaded.ledger is None:
        return None
    from alliance_sim.evidence import load_ledger
    from alliance_sim.evidence.posterior import file_hash, posterior_path, read_posterior

    path = posterior_path(loaded)
    assert path is not None
    posterior = read_posterior(path)
    ledger = load_ledger(loaded.ledger)
    applier = ParticleApplier.for_posterior(loaded, ledger, posterior.parameters, locate=posterior.error)
    posterior.check(applier)
    if config is not None:
        applier = dataclasses.replace(applier, config=config)
    particles = posterior.assign(seed, min(PARTICLES, replicates))
    return Predictive(
        applier=applier,
        values=posterior.values[particles],
        particles=particles,
        replicates=int(replicates),
        path=Path(path).as_posix(),
        sha256=file_hash(path),
        stale=tuple(posterior.stale(loaded, scenario=False)),
    )


def manifest_record(predictive: Predictive | None, loaded: LoadedScenario) -> dict[str, Any] | None:
    """What a manifest records about the posterior: path, hash, fixed or not, the draws.

    None when the scenario names no posterior.
    """
    name = loaded.config.calibration.posterior
    if name is None:
        return None
    if predictive is None:
        return {"path": name, "fixed": True}
    return {
        "path": name,
        "file": predictive.path,
        "sha256": predictive.sha256,
        "fixed": False,
        "draws": len(predictive.values),
        "particles": [int(p) for p in predictive.particles],
        "stale": list(predictive.stale),
    }
