"""Approximate Bayesian computation of the parameters the articles leave open (ABC-SMC).

The data are the reported 2022-2023 patterns (`seeds/patterns.yaml`), split into facts
(one member's status at the end of one month, `alliance_sim.evidence.fit`). The prior is
uniform on the plausible range of every parameter of the `ParameterSpace`. The sampler is
the sequential Monte Carlo ABC of Beaumont et al. (2009, Biometrika 96: 983-990) and Toni
et al. (2009, J. R. Soc. Interface 6: 187-202), written so that the same seed gives the
same posterior bit for bit on every executor and worker count, and so that a crashed run
resumes where it stopped:

- Generation t makes exactly `population` proposals. Proposal i draws from its own stream,
  ``SeedSequence(seed, spawn_key=(TAG, t, i))``, and its replicate j runs with the seed
  ``SeedSequence(seed, spawn_key=(TAG, t, i, j))``: nothing depends on which worker runs
  it or when. Proposals are drawn in this process, in index order, and only their runs go
  to the executor (`alliance_sim.experiments.executors`), in chunks.
- Generation 0 draws from the prior. Later ones perturb a particle of the previous
  generation, drawn by weight, with a kernel of independent normals, each truncated to its
  parameter's range, of twice that generation's weighted variance (the component-wise
  kernel of Toni et al. and Beaumont et al.). No proposal leaves the prior's support, so
  none is wasted; the importance weight of an accepted proposal is the (uniform) prior
  over the density of the mixture of kernels at it.
- A proposal's distance is the mean over facts of ``-log(share)``, the share of its
  replicates in which the fact holds (`alliance_sim.evidence.fit.distance`); it is
  accepted when the distance is at most the generation's tolerance. The tolerance of
  generation t + 1 is the `quantile` of the accepted distances of generation t, never
  below the target, and the last generation's is the target: the distance of the point
  estimate (today's calibration) itself, measured with ten times the replicates. Each
  particle's distance, measured with `replicates` runs (whose share floor, ``1 / (2 R)``,
  is higher), is at most that: the particles fit the patterns about as well as the point
  estimate or better, up to the Monte Carlo error of R replicates; it is not a guarantee
  for each particle. `Calibration.fit` compares the posterior and the point estimate on
  common replicates.
- Each chunk's shares are written to ``<out>.partial/`` (temporary name, then rename) as
  it finishes; a rerun of the same command reads them back and runs only what is missing.
  The folder is checked against the seed, settings and the hashes of the scenario, ledger
  and patterns, and removed once the posterior is written, or when a generation accepts
  no proposal (the same settings would fail again; a rerun with others starts afresh).

Why not pyabc: its samplers accept the first particles to come back from the workers, so
the posterior depends on the number of workers and their timing; it keeps its history in
a database of its own, outside the sweep executors. This sampler is about 300 lines on the
ensemble engine and the executors the sweeps already use.
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from alliance_sim import files
from alliance_sim.core.randomness import replicate_seeds, seed_to_int
from alliance_sim.errors import InputError
from alliance_sim.evidence.fit import Fact, distance, holds, log_likelihood_of, predictive_holds
from alliance_sim.evidence.posterior import (
    FORMAT,
    FORMAT_VERSION,
    Fit,
    Generation,
    PatternFit,
    Posterior,
    PosteriorFile,
    PosteriorParameter,
    Settings,
)
from alliance_sim.evidence.space import ParameterSpace, ParticleApplier
from alliance_sim.experiments.executors import Executor, SerialExecutor
from alliance_sim.version import __version__

__all__ = ["DEFAULTS", "TAG", "Calibration", "CalibrationContext", "evaluate_chunk", "run_calibration"]

TAG = 0xABC
"""First spawn key of every stream of the sampler (no run or sweep uses it)."""
POINT = 2**20
"""Generation key of the runs that measure the point estimate's distance."""
POINT_FACTOR = 10
"""The point estimate's distance is measured with this many times the replicates."""
FIT_REPLICATES = 400
"""Replicates of the fit printed and stored (the default of `alliance-sim patterns`)."""
FIT_SEED = 1
"""Root seed of the fit (the default of `alliance-sim patterns`)."""
DEFAULTS = Settings(population=500, generations=4, replicates=40, quantile=0.5, chunk=10)
"""Default settings: 2,000 proposals of 40 runs of 23 months, a few minutes on 2 cores."""
_EDGE = 1e-12


@dataclass(frozen=True)
class CalibrationContext:
    """What every worker needs (sent once): the scenario's applier and the facts.

    Attributes:
        applier: Turns a particle into a scenario.
        facts: The reported facts.
        seed: Root seed of the sampler.
    """

    applier: ParticleApplier
    facts: tuple[Fact, ...]
    seed: int


def particle_seeds(seed: int, generation: int, index: int, replicates: int) -> list[int]:
    """Integer seeds of the replicates of proposal `index` of a generation."""
    out = []
    for j in range(replicates):
        value = seed_to_int(np.random.SeedSequence(int(seed), spawn_key=(TAG, generation, index, j)))
        assert value is not None
        out.append(value)
    return out


def evaluate_chunk(
    context: CalibrationContext, task: tuple[int, int, int, np.ndarray, int]
) -> tuple[int, int, np.ndarray]:
    """Run a chunk of proposals: the share of replicates in which each fact holds.

    Args:
        context: The `CalibrationContext`.
        task: (generation, chunk, first index, particles (n, parameters), replicates).

    Returns:
        (generation, chunk, shares of shape (n, facts)).
    """
    generation, chunk, first, particles, replicates = task
    shares = np.empty((len(particles), len(context.facts)))
    for n, values in enumerate(particles):
        config = context.applier.apply(values)
        seeds = particle_seeds(context.seed, generation, first + n, replicates)
        shares[n] = holds(config, context.facts, seeds).mean(axis=0)
    return generation, chunk, shares


# --- The kernel: truncated normal on each parameter's range --------------------------------


def _to_unit(space: ParameterSpace, values: np.ndarray) -> np.ndarray:
    return np.clip((values - space.lows) / space.widths, 0.0, 1.0)


def _from_unit(space: ParameterSpace, x: np.ndarray) -> np.ndarray:
    return np.clip(space.lows + x * space.widths, space.lows, space.highs)


@dataclass
class _Population:
    x: np.ndarray
    weights: np.ndarray
    distances: np.ndarray

    @property
    def scales(self) -> np.ndarray:
        """Kernel widths: the square root of twice each parameter's weighted variance."""
        mean = self.weights @ self.x
        variance = self.weights @ (self.x - mean) ** 2
        return np.maximum(np.sqrt(2.0 * variance), 1e-3)


def _draw(rng: np.random.Generator, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """One draw of the kernel: independent normals truncated to [0, 1] (inverse CDF)."""
    low, high = ndtr(-centre / scale), ndtr((1.0 - centre) / scale)
    u = low + rng.random(len(centre)) * (high - low)
    return np.clip(centre + scale * ndtri(u), 0.0, 1.0)


def _log_proposal(x: np.ndarray, population: _Population) -> np.ndarray:
    """Log density, at each x, of the weighted mixture of kernels around the population."""
    scale = population.scales
    centre = population.x[None, :, :]
    z = (x[:, None, :] - centre) / scale
    mass = ndtr((1.0 - centre) / scale) - ndtr(-centre / scale)
    log_k = np.sum(-0.5 * z**2 - 0.5 * np.log(2.0 * np.pi) - np.log(scale) - np.log(mass), axis=2)
    terms = np.log(population.weights)[None, :] + log_k
    top = terms.max(axis=1)
    return top + np.log(np.sum(np.exp(terms - top[:, None]), axis=1))


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][min(int(np.searchsorted(cumulative, q * cumulative[-1])), len(values) - 1)])


# --- The sampler ------------------------------------------------------------------------


@dataclass
class Calibration:
    """One calibration run: its inputs, its work folder, and the generations done so far.

    Attributes:
        context: What the workers need.
        settings: The sampler's settings.
        provenance: Header fields of the posterior file (scenario, hashes).
        work: Folder of finished chunks (None: keep nothing, no resume).
        progress: Called with a line of text as generations finish.
        generations: Diagnostics of the finished generations.
    """

    context: CalibrationContext
    settings: Settings
    provenance: dict[str, Any]
    work: Path | None = None
    progress: Callable[[str], None] = lambda line: None
    generations: list[Generation] = field(default_factory=list)

    @property
    def space(self) -> ParameterSpace:
        """The calibrated parameters."""
        return self.context.applier.space

    def _state(self) -> dict[str, Any]:
        return {
            "seed": self.context.seed,
            "settings": self.settings.model_dump(),
            "parameters": self.space.names,
            **{k: self.provenance[k] for k in ("scenario_hash", "ledger_hash", "patterns_hash")},
        }

    def _open_work(self) -> None:
        if self.work is None:
            return
        state_file = self.work / "state.json"
        if state_file.is_file():
            if files.read_json(state_file) != json.loads(json.dumps(self._state())):
                raise InputError(
                    f"{self.work} holds an unfinished calibration with another seed, settings or inputs; "
                    "rerun it with the same ones, or delete the folder",
                    field="out",
                )
            done = len(list(self.work.glob("g*-c*.npy")))
            if done:
                self.progress(f"resuming: {done} finished chunks in {self.work}")
        else:
            self.work.mkdir(parents=True, exist_ok=True)
            files.write_json(state_file, self._state())

    def _chunk_file(self, generation: int, chunk: int) -> Path | None:
        return None if self.work is None else self.work / f"g{generation:07d}-c{chunk:05d}.npy"

    def evaluate(self, executor: Executor, generation: int, particles: np.ndarray, replicates: int) -> np.ndarray:
        """Shares of every fact for every particle (rows in particle order), resuming chunks."""
        size = self.settings.chunk
        count = (len(particles) + size - 1) // size
        shares = np.empty((len(particles), len(self.context.facts)))
        missing = []
        for c in range(count):
            path = self._chunk_file(generation, c)
            rows = slice(c * size, min((c + 1) * size, len(particles)))
            if path is not None and path.is_file():
                try:
                    stored = np.load(path, allow_pickle=False)
                except (OSError, ValueError):
                    stored = None
                if stored is not None and stored.shape == (rows.stop - rows.start, len(self.context.facts)):
                    shares[rows] = stored
                    continue
            missing.append((generation, c, rows.start, particles[rows], replicates))

        def tasks() -> Iterator[tuple[int, int, int, np.ndarray, int]]:
            yield from missing

        for _, c, result in executor.map_unordered(evaluate_chunk, self.context, tasks()):
            rows = slice(c * size, c * size + len(result))
            shares[rows] = result
            path = self._chunk_file(generation, c)
            if path is not None:
                files.atomic_write(path, functools.partial(_save, data=result))
        return shares

    def run(self, executor: Executor) -> PosteriorFile:
        """Run every generation (resuming finished chunks) and return the posterior."""
        self._open_work()
        settings, space, seed = self.settings, self.space, self.context.seed
        point_shares = self.evaluate(executor, POINT, space.points[None, :], settings.replicates * POINT_FACTOR)
        target = float(distance(point_shares[0], settings.replicates * POINT_FACTOR))
        self.progress(f"point estimate: distance {target:.4f} (the last generation's tolerance)")
        previous: _Population | None = None
        epsilon = np.inf
        accepted_rows: np.ndarray = np.empty(0, dtype=int)
        particles = np.empty((0, len(space.names)))
        distances = np.empty(0)
        weights = np.empty(0)
        self.generations = []
        for t in range(settings.generations):
            last = t == settings.generations - 1
            if previous is not None:
                epsilon = max(target, _weighted_quantile(previous.distances, previous.weights, settings.quantile))
            if last:
                epsilon = target
            x = self._propose(t, previous)
            particles = _from_unit(space, x)
            shares = self.evaluate(executor, t, particles, settings.replicates)
            distances = distance(shares, settings.replicates)
            accepted_rows = np.flatnonzero(distances <= epsilon)
            if len(accepted_rows) == 0:
                # The same settings would fail the same way: keep nothing that blocks a
                # rerun with other ones.
                self.finish()
                raise InputError(
                    f"no proposal of generation {t + 1} came within tolerance {epsilon:.4f}; "
                    "raise --population or --generations",
                    field="population",
                )
            xa = x[accepted_rows]
            # The prior is uniform on the unit box: the weight is 1 over the proposal density.
            log_w = np.zeros(len(accepted_rows)) if previous is None else -_log_proposal(xa, previous)
            weights = np.exp(log_w - log_w.max())
            weights /= weights.sum()
            ess = float(1.0 / np.sum(weights**2))
            self.generations.append(
                Generation(
                    epsilon=float(epsilon) if np.isfinite(epsilon) else 1e300,
                    proposals=len(x),
                    accepted=len(accepted_rows),
                    ess=ess,
                )
            )
            self.progress(
                f"generation {t + 1}/{settings.generations}: tolerance {epsilon:.4f}, "
                f"accepted {len(accepted_rows)}/{len(x)}, effective sample size {ess:.1f}"
            )
            previous = _Population(xa, weights, distances[accepted_rows])
        rows = [
            [float(w), float(distances[i]), *(float(v) for v in particles[i])]
            for w, i in zip(weights, accepted_rows, strict=True)
        ]
        return PosteriorFile(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            version=__version__,
            seed=seed,
            settings=settings,
            parameters=[
                PosteriorParameter(name=p.name, low=p.low, high=p.high, point=p.point, reason=p.reason)
                for p in space.parameters
            ],
            generations=self.generations,
            particles=rows,
            **self.provenance,
        )

    def _propose(self, t: int, previous: _Population | None) -> np.ndarray:
        """The proposals of generation t, in the unit box, each from its own stream."""
        space, n = self.space, self.settings.population
        x = np.empty((n, len(space.names)))
        scale = None if previous is None else previous.scales
        cumulative = None if previous is None else np.cumsum(previous.weights)
        for i in range(n):
            rng = np.random.default_rng(np.random.SeedSequence(self.context.seed, spawn_key=(TAG, t, i)))
            if previous is None:
                x[i] = _to_unit(space, space.sample(rng))
            else:
                assert scale is not None and cumulative is not None
                pick = rng.random() * cumulative[-1]
                parent = min(int(np.searchsorted(cumulative, pick, side="right")), len(cumulative) - 1)
                x[i] = _draw(rng, previous.x[parent], scale)
        return x

    def fit(self, posterior: Posterior, replicates: int = FIT_REPLICATES, seed: int = FIT_SEED) -> Fit:
        """The pattern fit of the point estimate and of the posterior (common random numbers)."""
        applier, facts = self.context.applier, self.context.facts
        seeds = replicate_seeds(seed, replicates)
        point = holds(applier.config, facts, seeds).mean(axis=0)
        post = predictive_holds(applier, posterior, facts, seeds, seed).mean(axis=0)
        return Fit(
            replicates=replicates,
            seed=seed,
            point_log_likelihood=log_likelihood_of(point, replicates),
            posterior_log_likelihood=log_likelihood_of(post, replicates),
            patterns=[
                PatternFit(pattern=f.pattern, member=f.member, point=float(a), posterior=float(b))
                for f, a, b in zip(facts, point, post, strict=True)
            ],
        )

    def finish(self) -> None:
        """Remove the work folder (after the posterior is written)."""
        if self.work is not None and self.work.is_dir():
            shutil.rmtree(self.work)


def _save(path: Path, data: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, data, allow_pickle=False)


def run_calibration(calibration: Calibration, executor: Executor | None = None) -> PosteriorFile:
    """Run a calibration and add its fit; the work folder stays until the caller writes the file."""
    spec = calibration.run(executor or SerialExecutor())
    fit = calibration.fit(Posterior(spec))
    return spec.model_copy(update={"fit": fit})


def prepare(
    scenario: str | Path,
    *,
    patterns: str | Path | None = None,
    seed: int = 1,
    settings: Settings = DEFAULTS,
    out: str | Path | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Calibration:
    """Set up the calibration of a scenario file.

    Args:
        scenario: The scenario (it must name an evidence ledger).
        patterns: The reported patterns (default: `patterns.yaml` next to the ledger).
        seed: Root seed.
        settings: The sampler's settings.
        out: The posterior file to be written; its finished chunks go to ``<out>.partial/``
            (None: keep nothing).
        progress: Called with a line of text as the calibration goes.

    Returns:
        The calibration, ready to `run_calibration`.

    Raises:
        InputError: A bad scenario, ledger or patterns file, or a scenario without a ledger.
    """
    from alliance_sim.evidence import load_ledger, load_with_provenance
    from alliance_sim.evidence.fit import facts_of
    from alliance_sim.evidence.patterns import load_patterns
    from alliance_sim.evidence.posterior import file_hash, scenario_hash

    loaded = load_with_provenance(scenario)
    if loaded.ledger is None:
        raise InputError(
            "the scenario names no evidence ledger (calibration.ledger): nothing to calibrate", file=str(scenario)
        )
    ledger = load_ledger(loaded.ledger)
    patterns_path = Path(patterns) if patterns is not None else Path(loaded.ledger).parent / "patterns.yaml"
    reported = load_patterns(patterns_path, {item.id for item in ledger.items})
    applier = ParticleApplier.of(loaded, ledger)
    if not applier.space.parameters:
        raise InputError(
            "the ledger gives no parameter a range: nothing to calibrate", file=str(loaded.ledger), field="ranges"
        )
    context = CalibrationContext(applier, facts_of(loaded.config, reported), int(seed))
    provenance = {
        "scenario": loaded.config.name,
        "scenario_hash": scenario_hash(loaded.config),
        "ledger_hash": file_hash(loaded.ledger),
        "patterns_hash": file_hash(patterns_path),
    }
    work = Path(str(out) + ".partial") if out is not None else None
    return Calibration(context, settings, provenance, work, progress)
