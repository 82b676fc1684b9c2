"""Seeds and the random block: how a run's random numbers are made.

A run is a deterministic function of (scenario, seed). Its seed is a plain 64-bit
integer; from it the run draws all its uniforms as one block at the start (see
`alliance_sim.core.world.World` for the column layout). Both engines use these functions, so
the same integer gives the same block in the Mesa model and in the ensemble engine. This
module imports numpy only, so engines and workers that need no Mesa start fast.
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.integer | np.random.SeedSequence | None
"""What the engines accept as a seed."""


def seed_to_int(seed: SeedLike) -> int | None:
    """A plain integer seed from an int or a `SeedSequence` (64 bits of its state).

    Mesa and numpy both seed from a plain integer without consuming any draws, so
    every engine that starts from the same integer sees the same random block.
    """
    if seed is None:
        return None
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint64)[0])
    return int(seed)


def random_block(seed: int, steps: int, columns: int) -> np.ndarray:
    """The run's uniform draws, shape (months, columns), from an integer seed."""
    return np.random.default_rng(seed).random((steps, columns))


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Integer seeds of the replicates of a run: children of `SeedSequence(seed)`."""
    return [
        int(child.generate_state(1, dtype=np.uint64)[0]) for child in np.random.SeedSequence(seed).spawn(replicates)
    ]
