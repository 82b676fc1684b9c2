"""Seeds and the random block: how a run's random numbers are made.

A run is a deterministic function of (scenario, seed). Its seed is a plain 64-bit
integer; from it the run draws all its uniforms as one block at the start (see
`alliance_sim.core.world.World` for the column layout). Both engines use these functions, so
the same integer gives the same block in the Mesa model and in the ensemble engine. This
module imports numpy only, so engines and workers that need no Mesa start fast.
"""

from __future__ import annotations

import threading
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


def random_blocks(seeds: Sequence[int], steps: int, columns: int, out: np.ndarray | None = None) -> np.ndarray:
    """Each seed's `random_block`, stacked: shape (months, R, columns).

    The blocks are drawn straight into one (R, months, columns) buffer (`out`, if given,
    of at least that size), each replicate's into its own contiguous rows (the very numbers
    `random_block` gives), and returned as a (months, R, columns) view of it, so no copy
    is made.
    """
    if out is None:
        out = np.empty((len(seeds), steps, columns))
    blocks = out[: len(seeds)]
    for r, seed in enumerate(seeds):
        np.random.default_rng(seed).random(out=blocks[r])
    return blocks.transpose(1, 0, 2)


BLOCK_BUDGET = 48 * 2**20
"""Bytes of random numbers a chunk of replicates may draw at once; above it they are drawn month by month."""

_spare = threading.local()


def _borrow(shape: tuple[int, ...]) -> np.ndarray:
    """A scratch array kept by this thread between runs (fresh memory costs a page fault per page)."""
    pool: list[np.ndarray] = _spare.__dict__.setdefault("pool", [])
    size = int(np.prod(shape))
    for index, held in enumerate(pool):
        if held.size >= size:
            return pool.pop(index)[:size].reshape(shape)
    # The whole budget at once: only the pages written become resident, and a later,
    # larger chunk reuses them instead of faulting in a fresh buffer.
    return np.empty(max(size, BLOCK_BUDGET // 8))[:size].reshape(shape)


def _give_back(array: np.ndarray) -> None:
    """Return a borrowed array to this thread's pool (the largest two are kept)."""
    base = array.base if array.base is not None else array
    pool: list[np.ndarray] = _spare.__dict__.setdefault("pool", [])
    pool.append(base.reshape(-1))
    pool.sort(key=lambda held: held.size)
    del pool[:-2]


class MonthlyDraws:
    """The random blocks of a chunk of replicates, served one month at a time.

    Where the chunk's blocks fit `BLOCK_BUDGET` they are drawn at once (one call per
    replicate); otherwise (many members, so many answer draws per month) each replicate's
    generator stays open and draws its next month's row when asked. A generator draws its
    doubles in sequence either way, so the numbers are those of `random_block`.

    Args:
        seeds: One integer seed per replicate.
        steps: Months.
        columns: Draws per month.
    """

    def __init__(self, seeds: Sequence[int], steps: int, columns: int) -> None:
        self.steps = steps
        self.next = 0
        self.buffer: np.ndarray | None
        if len(seeds) * steps * columns * 8 <= BLOCK_BUDGET:
            self.buffer = _borrow((len(seeds), steps, columns))
            self.block: np.ndarray | None = random_blocks(seeds, steps, columns, out=self.buffer)
            self.generators: list[np.random.Generator] = []
        else:
            self.block = None
            self.generators = [np.random.default_rng(seed) for seed in seeds]
            self.buffer = self.row = _borrow((len(seeds), columns))

    @staticmethod
    def fits(replicates: int, steps: int, columns: int) -> bool:
        """Whether `replicates` replicates' blocks are drawn at once."""
        return replicates * steps * columns * 8 <= BLOCK_BUDGET

    def month(self, step: int) -> np.ndarray:
        """Month `step`'s draws, (R, columns); months are asked for in order (the array is reused)."""
        if self.block is not None:
            month: np.ndarray = self.block[step]
            return month
        if step != self.next:
            raise ValueError(f"month {step} asked for after month {self.next - 1}: draws are served in order")
        self.next += 1
        for r, generator in enumerate(self.generators):
            generator.random(out=self.row[r])
        return self.row

    def release(self) -> None:
        """Done: the buffer goes back to the thread's pool for the next chunk or run."""
        if self.buffer is not None:
            _give_back(self.buffer)
            self.buffer = None
            self.block = None


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Integer seeds of the replicates of a run: children of `SeedSequence(seed)`."""
    return [
        int(child.generate_state(1, dtype=np.uint64)[0]) for child in np.random.SeedSequence(seed).spawn(replicates)
    ]
