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

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from alliance_sim.core.month import run_month
from alliance_sim.core.randomness import random_block
from alliance_sim.core.state import initial_state
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import World, compile_timeline

if TYPE_CHECKING:
    from alliance_sim.scenario.config import ScenarioConfig


def random_blocks(world: World, seeds: Sequence[int]) -> np.ndarray:
    """Each replicate's random block, stacked: shape (months, R, columns)."""
    blocks = np.empty((world.steps, len(seeds), world.columns))
    for r, seed in enumerate(seeds):
        blocks[:, r, :] = random_block(seed, world.steps, world.columns)
    return blocks


Timeline = Sequence[tuple[int, World]]
"""The worlds a run passes through, from their first steps (`compile_timeline`)."""


def run_ensemble(config: ScenarioConfig | World | Timeline, seeds: Sequence[int], terms: bool = False) -> Trace:
    """Run one replicate per seed, all at once.

    Args:
        config: The scenario, or its compiled timeline (`compile_timeline`: a scenario with
            `changes` switches world at each change's month), or one compiled `World` (no
            changes).
        seeds: One integer seed per replicate (see `alliance_sim.model.seed_to_int`).
        terms: Also trace the named terms of the values (`Trace.terms`, for `explain`).

    Returns:
        The trace, arrays of shape (months + 1, R, members) and (months + 1, R).
    """
    timeline: Timeline
    if isinstance(config, World):
        timeline = ((0, config),)
    elif isinstance(config, tuple | list):
        timeline = config
    else:
        timeline = compile_timeline(cast("ScenarioConfig", config))
    world = timeline[0][1]
    batch = (len(seeds),)
    draws = random_blocks(world, seeds)
    state = initial_state(world, batch)
    trace = Trace.empty(world, batch, terms=terms)
    trace.record(world, state, 0)
    switch = dict(timeline)
    for t in range(world.steps):
        world = switch.get(t, world)
        run_month(world, state, t, draws[t], trace)
    return trace
