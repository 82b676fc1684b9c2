"""Seeds and the random block: how a run's random numbers are made.

A run is a deterministic function of (scenario, seed). Its seed is a plain 64-bit
integer; from it the run draws all its uniforms as one block at the start (see
`alliance_sim.core.world.World` for the column layout). Both engines use these functions, so
the same integer gives the same block in the Mesa model and in the ensemble engine. This
module imports numpy only, so engines and workers that need no Mesa start fast.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def random_blocks(seeds: Sequence[int], steps: int, columns: int) -> np.ndarray:
    """Each seed's `random_block`, stacked: shape (months, R, columns).

    The blocks are drawn straight into one (R, months, columns) buffer, each replicate's
    into its own contiguous rows (the very numbers `random_block` gives), and returned as
    a (months, R, columns) view of it, so no copy is made.
    """
    blocks = np.empty((len(seeds), steps, columns))
    for r, seed in enumerate(seeds):
        np.random.default_rng(seed).random(out=blocks[r])
    return blocks.transpose(1, 0, 2)


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Integer seeds of the replicates of a run: children of `SeedSequence(seed)`."""
    return [
        int(child.generate_state(1, dtype=np.uint64)[0]) for child in np.random.SeedSequence(seed).spawn(replicates)
    ]
