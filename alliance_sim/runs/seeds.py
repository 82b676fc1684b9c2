"""Seeds of the runs of a run or a sweep: one scheme for both.

Run (design point i, replicate j) is seeded with
``numpy.random.SeedSequence(root, spawn_key=(i, j))``, turned into a 64-bit integer by
`alliance_sim.core.randomness.seed_to_int`. The seed therefore depends on nothing but the root seed
and the run's place in the design: not on the executor, the number of workers, how runs
are grouped into chunks, the order chunks finish in, or whether the sweep was resumed.

With common random numbers every design point uses the seeds of point 0: replicate j of
any point is seeded with ``SeedSequence(root, spawn_key=(0, j))``, so differences between
points come from the parameters alone, not from different draws.

A run (`alliance_sim.run`) is a sweep of one design point: replicate j of a run with
seed s is seeded with ``SeedSequence(s, spawn_key=(0, j))``, exactly as replicate j of
point 0 of a sweep with root seed s, so the two share their streams.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from alliance_sim.core.randomness import seed_to_int


def run_seed(root: int, point: int, replicate: int, *, common: bool = False) -> int:
    """The integer seed of one run.

    Args:
        root: The sweep's root seed.
        point: Design point index.
        replicate: Replicate index within the point.
        common: Common random numbers: every point shares replicate j's seed.

    Returns:
        A 64-bit integer seed (the same for the Mesa and the ensemble engine).
    """
    key = (0 if common else int(point), int(replicate))
    seed = seed_to_int(np.random.SeedSequence(int(root), spawn_key=key))
    assert seed is not None
    return seed


def run_seeds(root: int, point: int, replicates: Iterable[int], *, common: bool = False) -> list[int]:
    """The seeds of several replicates of one design point (see `run_seed`)."""
    return [run_seed(root, point, j, common=common) for j in replicates]


def design_rng(root: int) -> np.random.Generator:
    """The generator that samples a design (Monte Carlo, Latin hypercube).

    It is seeded with ``SeedSequence(root)`` itself (an empty spawn key), which no run
    uses, so a design's sample and its runs never share a stream.
    """
    return np.random.default_rng(np.random.SeedSequence(int(root)))


def design_seed(root: int) -> int:
    """A 32-bit integer seed for samplers that take one (SALib's Sobol and Morris)."""
    return int(np.random.SeedSequence(int(root)).generate_state(1, dtype=np.uint32)[0])
