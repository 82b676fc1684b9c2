"""The mutable state of a run: named numpy arrays whose leading axes are the batch.

The batch is () for one run (the Mesa engine) and (R,) for R replicates (the ensemble
engine); the member axis comes after it. Agents are views into one row of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliance_sim.core.phases import weigh_membership
from alliance_sim.core.world import World


@dataclass
class State:
    """Everything that changes during a run; leading axes are the batch.

    Attributes:
        alpha: Beta belief counts of help, (..., observer, ally).
        beta: Beta belief counts of refusal, (..., observer, ally).
        intent: Hostility each actor currently shows toward each member, (..., m, n).
        protest: Protest pressure on top of the baseline, (..., m).
        offers: Extra attractiveness of outside options from offers, (..., m).
        grievance: Unresolved grievance from unanswered requests, (..., m).
        grievance_source: Actor index of the attacker in each member's last unanswered
            request, -1 for internal unrest, (..., m).
        crisis: Regime crisis level, (..., m).
        war_load: The hegemon's war load, (...).
        pressure: Smoothed pressure to leave, (..., m).
        status: 0 member, 1 disengaged, 2 withdrawn, (..., m).
        value_stay: Last value of staying, (..., m).
        value_leave: Last value of leaving, (..., m).
        credibility: Last credibility for internal help, (..., m).
        max_threat: Largest threat each member faced last month, (..., m).
    """

    alpha: np.ndarray
    beta: np.ndarray
    intent: np.ndarray
    protest: np.ndarray
    offers: np.ndarray
    grievance: np.ndarray
    grievance_source: np.ndarray
    crisis: np.ndarray
    war_load: np.ndarray
    pressure: np.ndarray
    status: np.ndarray
    value_stay: np.ndarray
    value_leave: np.ndarray
    credibility: np.ndarray
    max_threat: np.ndarray


def initial_state(world: World, batch: tuple[int, ...] = ()) -> State:
    """The state at the start of a run: priors, baseline hostility, everyone a member.

    The initial pressure is the net value of leaving under the starting conditions, so a
    run starts at rest rather than drifting toward it.

    Args:
        world: The compiled scenario.
        batch: Leading batch shape: () for one run, (R,) for R replicates.

    Returns:
        A fresh `State`.
    """
    m = world.m

    def filled(shape: tuple[int, ...], value: float | np.ndarray = 0.0) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), batch + shape).copy()

    state = State(
        alpha=filled((m, m), world.trust_alpha0),
        beta=filled((m, m), world.trust_beta0),
        intent=filled((m, world.n), world.hostility),
        protest=filled((m,)),
        offers=filled((m,)),
        grievance=filled((m,)),
        grievance_source=np.full((*batch, m), -1, dtype=np.int16),
        crisis=filled((m,)),
        war_load=filled(()),
        pressure=filled((m,)),
        status=np.zeros((*batch, m), dtype=np.int8),
        value_stay=filled((m,)),
        value_leave=filled((m,)),
        credibility=filled((m,)),
        max_threat=filled((m,)),
    )
    state.pressure[...] = weigh_membership(world, state)
    return state


def start_warnings(world: World) -> list[str]:
    """Members that would be likely to change status before anything happens.

    A scenario usually starts from a status quo: every member in, at rest. A member whose
    starting pressure already exceeds the disengage threshold leaves in the first months
    whatever the events, which is most often a calibration mistake worth a look.

    A run shortened below the scenario's horizon also says which scripted events it ends
    before.

    Returns:
        One message per such member or event (empty when the start is at rest).
    """
    messages = [
        f"events.{event.name}: {world.month(event.step)} is after the last month of this run "
        f"({world.month(world.steps - 1)}, {world.steps} months): it does not happen"
        for event in world.after_end
    ]
    state = initial_state(world)
    threshold = world.config.model.status.disengage
    return messages + [
        f"actors.{member}: starts with pressure {state.pressure[i]:.2f} above the disengage threshold "
        f"{threshold:.2f} (model.status.disengage): it would likely disengage before any event"
        for i, member in enumerate(world.members)
        if i != world.hegemon and state.pressure[i] > threshold
    ]
