"""The ensemble engine: the same monthly phases for R replicates at once.

State arrays get a leading replicate axis of length R and the month
(`alliance_sim.core.month.run_month`) runs once for all replicates and all members. Replicate
r reads the same random block the Mesa model draws for the same integer seed, and the
phases are elementwise or fixed-order sums, so replicate r's trajectory equals the Mesa
run with that seed exactly (`tests/unit/test_model.py` checks it bit for bit).

The ensemble keeps no event log (only the Mesa engine narrates events); its trace is
the same as the Mesa model's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from alliance_sim.core import randomness
from alliance_sim.core.month import run_month
from alliance_sim.core.state import initial_state
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import World, compile_timeline

if TYPE_CHECKING:
    from alliance_sim.scenario.config import ScenarioConfig


def random_blocks(world: World, seeds: Sequence[int]) -> np.ndarray:
    """Each replicate's random block, stacked: shape (months, R, columns)."""
    return randomness.random_blocks(seeds, world.steps, world.columns)


Timeline = Sequence[tuple[int, World]]
"""The worlds a run passes through, from their first steps (`compile_timeline`)."""

CHUNK = 4096
"""Most replicates run together: enough to spread the cost of each numpy call, few enough
that a chunk's state stays small (its random numbers: `randomness.BLOCK_BUDGET`)."""


def _timeline(config: ScenarioConfig | World | Timeline) -> Timeline:
    if isinstance(config, World):
        return ((0, config),)
    if isinstance(config, tuple | list):
        return config
    return compile_timeline(cast("ScenarioConfig", config))


def run_chunks(
    config: ScenarioConfig | World | Timeline, seeds: Sequence[int], terms: bool = False, chunk: int = 0
) -> Iterator[tuple[int, Trace]]:
    """Run the replicates chunk by chunk, yielding each chunk's trace as soon as it is done.

    Memory stays that of one chunk whatever the number of replicates (for a caller that
    writes each chunk out and drops it); the numbers are those of `run_ensemble`, since
    every replicate is a row of its own.

    Yields:
        (index of the chunk's first replicate in `seeds`, the chunk's trace).
    """
    timeline = _timeline(config)
    seeds = list(seeds)
    chunk = chunk or chunk_size(timeline[0][1])
    for start in range(0, len(seeds), max(1, chunk)):
        part = seeds[start : start + chunk]
        trace = Trace.empty(timeline[0][1], (len(part),), terms=terms)
        _run(timeline, part, trace)
        yield start, trace


def _run(timeline: Timeline, seeds: Sequence[int], trace: Trace) -> None:
    """Run one chunk of replicates into `trace` (its arrays may be views of a larger trace)."""
    world = timeline[0][1]
    draws = randomness.MonthlyDraws(seeds, world.steps, world.columns)
    try:
        state = initial_state(world, (len(seeds),))
        trace.record(world, state, 0)
        switch = dict(timeline)
        for t in range(world.steps):
            world = switch.get(t, world)
            run_month(world, state, t, draws.month(t), trace)
    finally:
        draws.release()


def chunk_size(world: World) -> int:
    """Replicates run together: at most `CHUNK`, and as many as draw their random numbers at once.

    When even 1,024 replicates' blocks do not fit (many members: a summit reserves one
    answer draw per member for each member), the chunk draws month by month instead.
    """
    per_replicate = world.steps * world.columns * 8
    if randomness.MonthlyDraws.fits(1024, world.steps, world.columns):
        return max(1, min(CHUNK, randomness.BLOCK_BUDGET // per_replicate))
    return 1024


def _rows(array: np.ndarray | None, start: int, stop: int) -> np.ndarray | None:
    """Replicates `start:stop` of a traced array (a view), or None."""
    return None if array is None else array[:, start:stop]


def run_ensemble(config: ScenarioConfig | World | Timeline, seeds: Sequence[int], terms: bool = False) -> Trace:
    """Run one replicate per seed, all at once.

    Replicates run in chunks (`chunk_size`, `run_chunks`), each with its own random numbers
    and state, into one trace.

    Args:
        config: The scenario, or its compiled timeline (`compile_timeline`: a scenario with
            `changes` switches world at each change's month), or one compiled `World` (no
            changes).
        seeds: One integer seed per replicate (see `alliance_sim.model.seed_to_int`).
        terms: Also trace the named terms of the values (`Trace.terms`, for `explain`).

    Returns:
        The trace, arrays of shape (months + 1, R, members) and (months + 1, R).
    """
    timeline = _timeline(config)
    world = timeline[0][1]
    seeds = list(seeds)
    trace = Trace.empty(world, (len(seeds),), terms=terms)
    answers = np.full((len(seeds), world.n_requests), -1, dtype=np.int8)
    chunk = chunk_size(world)
    for start in range(0, len(seeds), chunk):
        stop = min(start + chunk, len(seeds))
        part = Trace(
            members={name: array[:, start:stop] for name, array in trace.members.items()},
            war_load=trace.war_load[:, start:stop],
            trust=_rows(trace.trust, start, stop),
            demand=_rows(trace.demand, start, stop),
            terms=_rows(trace.terms, start, stop),
        )
        _run(timeline, seeds[start:stop], part)
        assert part.answers is not None
        answers[start:stop] = part.answers
    trace.answers = answers
    return trace
