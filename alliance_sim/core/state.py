"""The mutable state of a run: named numpy arrays whose leading axes are the batch.

The batch is () for one run (the Mesa engine) and (R,) for R replicates (the ensemble
engine); the member axis comes after it. Agents are views into one row of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from alliance_sim.core import kernels
from alliance_sim.core.phases import VALUE_TERMS, weigh_membership
from alliance_sim.core.world import World


@dataclass
class State:
    """Everything that changes during a run; leading axes are the batch.

    Attributes:
        alpha: Beta belief counts of help against outside attack, (..., observer, ally).
        beta: Beta belief counts of refusal against outside attack, (..., observer, ally).
        alpha_int: Beta belief counts of help with internal unrest (regime help), (..., observer, ally).
        beta_int: Beta belief counts of refusal of regime help, (..., observer, ally).
        intent: Hostility each actor, the hegemon included, shows toward each member, (..., m, n).
        protest: Protest pressure on top of the baseline, (..., m).
        offers: Extra attractiveness of each patron from its offers, (..., m, n).
        grievance: Grievance of each member (row) at each ally (column) for unanswered
            requests, (..., m, m).
        grievance_source: Actor index of the attacker in each member's last unanswered
            request, -1 for internal unrest, (..., m).
        crisis: Regime crisis level, (..., m).
        war_load: Share of the hegemon's capacity its war absorbs, (...).
        demand: The hegemon's demand on its allies (its war's call on them), (...).
        reward: The hegemon's rewards to each member (subsidies, arms), (..., m).
        signal: The hegemon's deterrent signal to each member, (..., m).
        reacted: Whether the hegemon has reacted to a first defector, (...).
        pressure: Smoothed pressure to leave, (..., m).
        previous: The pressure the hegemon saw a month earlier, (..., m).
        status: 0 member, 1 disengaged, 2 withdrawn, (..., m).
        notice: Months left before a notice of withdrawal takes effect (0: none), (..., m).
        answers: The alliance's answer to each scripted request, -1 until asked, (..., requests).
        cred: Credibility of the alliance for each member against each actor, last weighed, (..., m, n).
        value_stay: Last value of staying, (..., m).
        value_leave: Last value of leaving, (..., m).
        credibility: Last credibility for help with internal unrest, (..., m).
        max_threat: Largest threat each member faced last month, (..., m).
        terms: Last month's weighted, signed terms of the values (`VALUE_TERMS`), (..., m, terms).
    """

    alpha: np.ndarray
    beta: np.ndarray
    alpha_int: np.ndarray
    beta_int: np.ndarray
    intent: np.ndarray
    protest: np.ndarray
    offers: np.ndarray
    grievance: np.ndarray
    grievance_source: np.ndarray
    crisis: np.ndarray
    war_load: np.ndarray
    demand: np.ndarray
    reward: np.ndarray
    signal: np.ndarray
    reacted: np.ndarray
    pressure: np.ndarray
    previous: np.ndarray
    status: np.ndarray
    notice: np.ndarray
    answers: np.ndarray
    cred: np.ndarray
    value_stay: np.ndarray
    value_leave: np.ndarray
    credibility: np.ndarray
    max_threat: np.ndarray
    terms: np.ndarray

    def take(self, rows: np.ndarray) -> State:
        """The replicates `rows` of a batched state, as a state of their own.

        Each array is copied when it is first read or written (`PartState`), so an event
        that touches two arrays copies two.
        """
        return PartState(self, rows)

    def put(self, rows: np.ndarray, part: State) -> None:
        """Write back a state taken with `take(rows)` into those replicates (the arrays it touched)."""
        names = part.touched if isinstance(part, PartState) else FIELDS
        for name in names:
            getattr(self, name)[rows] = getattr(part, name)


FIELDS = tuple(f.name for f in fields(State))
"""The names of the state's arrays."""

_FIELD_SET = frozenset(FIELDS)


class PartState(State):
    """Some replicates of a batched state, each array copied from it on first use.

    Attributes:
        touched: The arrays read or written so far (the ones `State.put` writes back).
    """

    touched: list[str]
    _whole: State
    _rows: np.ndarray

    def __init__(self, whole: State, rows: np.ndarray) -> None:
        object.__setattr__(self, "_whole", whole)
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "touched", [])

    def __getattr__(self, name: str) -> np.ndarray:
        """Copy array `name` of the chosen replicates on first use."""
        if name not in _FIELD_SET:
            raise AttributeError(name)
        value: np.ndarray = np.take(getattr(self._whole, name), self._rows, axis=0)
        object.__setattr__(self, name, value)
        self.touched.append(name)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        """Replace an array (it is then written back)."""
        if name in _FIELD_SET and name not in self.__dict__:
            self.touched.append(name)
        object.__setattr__(self, name, value)


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
    m, n = world.m, world.n

    def filled(shape: tuple[int, ...], value: float | np.ndarray = 0.0) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), batch + shape).copy()

    state = State(
        alpha=filled((m, m), world.trust_alpha0),
        beta=filled((m, m), world.trust_beta0),
        alpha_int=filled((m, m), world.trust_alpha0),
        beta_int=filled((m, m), world.trust_beta0),
        intent=filled((m, n), world.hostility),
        protest=filled((m,)),
        offers=filled((m, n)),
        grievance=filled((m, m)),
        grievance_source=np.full((*batch, m), -1, dtype=np.int16),
        crisis=filled((m,)),
        war_load=filled(()),
        demand=filled(()),
        reward=filled((m,)),
        signal=filled((m,)),
        reacted=np.zeros(batch, dtype=bool),
        pressure=filled((m,)),
        previous=filled((m,)),
        status=np.zeros((*batch, m), dtype=np.int8),
        notice=np.zeros((*batch, m), dtype=np.int16),
        answers=np.full((*batch, world.n_requests), -1, dtype=np.int8),
        cred=filled((m, n)),
        value_stay=filled((m,)),
        value_leave=filled((m,)),
        credibility=filled((m,)),
        max_threat=filled((m,)),
        terms=filled((m, len(VALUE_TERMS))),
    )
    state.pressure[...] = weigh_membership(world, state)
    state.previous[...] = state.pressure
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
    with kernels.using("numpy"):  # checking a scenario never loads numba (the same numbers)
        state = initial_state(world)
    threshold = world.config.model.status.disengage
    return messages + [
        f"actors.{member}: starts with pressure {state.pressure[i]:.2f} above the disengage threshold "
        f"{threshold:.2f} (model.status.disengage): it would likely disengage before any event"
        for i, member in enumerate(world.members)
        if i != world.hegemon and state.pressure[i] > threshold
    ]
