"""One month of the model, written once: both engines run `run_month`.

The Mesa engine (`alliance_sim.model.AllianceModel.step`) runs it on a state with no
batch axis; the ensemble engine (`alliance_sim.core.ensemble.run_ensemble`) on a state
with a leading replicate axis. The phase functions live in `alliance_sim.core.phases`.
"""

from __future__ import annotations

import numpy as np

from alliance_sim.core import kernels
from alliance_sim.core.phases import (
    RecordFn,
    hegemon_acts,
    play_events,
    reconsider_status,
    relax,
    update_pressure,
    weigh_membership,
)
from alliance_sim.core.state import State
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import World

PHASES = ("relax", "events", "requests", "weigh membership", "hegemon", "status", "record")
"""The phases of a month, in order (their meaning: `run_month`)."""


def run_month(
    world: World,
    state: State,
    step: int,
    draws: np.ndarray,
    trace: Trace,
    record: RecordFn | None = None,
) -> np.ndarray:
    """Advance the state by month `step` (0-based) and record it in row `step + 1` of the trace.

    The phases, in order:

    1. Relax: trust beliefs forget toward their priors; hostility (the hegemon's
       included), protests, offers, grievances, regime crises, the hegemon's rewards and
       deterrent signals fade toward baseline; the war load and the war's demand on the
       allies recede at their rates (`phases.relax`).
    2. Events: this month's scripted events happen in file order (a reactive event only
       where its condition holds; a disabled one nowhere), then each hazard fires where
       its draw falls below its monthly rate, in file order (an outside attack on a member
       less often the more credible the alliance is for that member: deterrence). Each
       changes the state as its kind says (`alliance_sim.core.events`).
    3. Requests: as soon as an event raises a request for assistance, every active ally
       other than the parties answers full, token or refuse from its own draw
       (`phases.ally_answers`); the alliance combines the answers by its decision rule
       unless the scenario replays the historical answer; every member updates its trust
       in each ally who answered, for the kind of help asked (defence, or help with
       internal unrest), from that ally's own vote as far as it is visible; the requester's
       grievance at each ally grows with the ally's shortfall and with how much it had
       trusted it, unless the answer was full (`phases.resolve_request`).
    4. Weigh membership: every member compares the value of staying (protection,
       regime security, benefits of dependence, less entrapment, domestic pressure and
       sovereignty cost) with the value of leaving (alternatives, grievance, fear of the
       hegemon, less the cost of its coercion) and folds the difference into its smoothed
       pressure (`phases.weigh_membership`, `phases.update_pressure`). Disengaged and
       withdrawn members no longer count in anyone's credibility and make leaving look
       more attainable (contagion).
    5. The hegemon acts: it rewards or coerces members whose pressure is rising, within
       what its war leaves it, and reacts once to the first defector to deter the others
       (`phases.hegemon_acts`).
    6. Status: every member but the hegemon may disengage, give notice of withdrawal
       (which takes effect after `status.notice_months`), re-engage, revoke a notice or
       rejoin (`phases.reconsider_status`), from one draw each.
    7. Record: the state goes into the trace. (The Mesa engine also logs status changes
       and collects its `DataCollector` after this.)

    Args:
        world: The compiled scenario.
        state: The state, modified in place; any batch shape.
        step: The month index, 0-based.
        draws: This month's row of the random block, (..., columns).
        trace: The trace; row `step + 1` is written.
        record: Optional callback for the event log (event, fired, request, levels, answer).

    Returns:
        The statuses before phase 6 (a copy), so that an engine can report changes.
    """
    if state.status.ndim == 1:
        kernels.one_run_month()  # a single run: may load the compiled kernels (`kernels.AUTO_MONTHS`)
    relax(world, state)
    play_events(world, state, step, draws, record)
    net = weigh_membership(world, state)
    update_pressure(world, state, net)
    hegemon_acts(world, state)
    before = state.status.copy()
    reconsider_status(world, state, draws[..., : world.m])
    trace.record(world, state, step + 1)
    return before
