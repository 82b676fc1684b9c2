"""A scenario compiled to arrays: everything that does not change during a run.

`World` holds the indices of members and actors, the actors' parameters as arrays, the
event calendar and the layout of the random block. The engines read it; nothing writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events import Event
from alliance_sim.core.types import ANSWER_LEVEL, Answer, month_index, month_label

if TYPE_CHECKING:
    from alliance_sim.scenario.config import ScenarioConfig


@dataclass(frozen=True)
class World:
    """Static arrays and calendar compiled from a `ScenarioConfig`.

    Attributes:
        config: The scenario.
        members: Member ids, in order (the member axis).
        actors: All actor ids, members first (the actor axis).
        hegemon: Index of the hegemon.
        steps: Number of months.
        scripted: The scripted events of each month, in file order.
        after_end: Scripted events after the last month of a shortened run (they do not happen).
        hazards: The hazards, in file order.
        hazard_windows: First and last step each hazard may fire, (hazards, 2).
        n_slots: Most request slots any month needs.
        columns: Columns of the random block: one status draw per member, one draw per
            hazard, then `n_slots` blocks of one answer draw per member.
        n_requests: Scripted events that raise one request (the width of `State.answers`).
        coercion_exposure: Each member's exposure to the hegemon's coercion, (m,).
        patron_option: Each member's option toward each outside actor as a patron, (m, n).
        compatibility: How far turning to each actor is compatible with staying, (n,)
            (1 for members, who are no patrons).
        share: Each ally's share of the alliance's peacetime capacity, as each member
            sees it (rows sum to 1), (m, m).
    """

    config: ScenarioConfig
    members: tuple[str, ...]
    actors: tuple[str, ...]
    hegemon: int
    steps: int
    power: np.ndarray
    capacity: np.ndarray
    offense: np.ndarray
    dependence: np.ndarray
    regime_security: np.ndarray
    outside_option: np.ndarray
    coercion_exposure: np.ndarray
    patron_option: np.ndarray
    compatibility: np.ndarray
    share: np.ndarray
    domestic_pressure: np.ndarray
    sovereignty_cost: np.ndarray
    war_exposure: np.ndarray
    trust_alpha0: np.ndarray
    trust_beta0: np.ndarray
    ratio: np.ndarray
    proximity: np.ndarray
    hostility: np.ndarray
    ties: np.ndarray
    is_hegemon: np.ndarray
    is_outside: np.ndarray
    others: np.ndarray
    reference: np.ndarray
    scripted: tuple[tuple[Event, ...], ...]
    after_end: tuple[Event, ...]
    hazards: tuple[Event, ...]
    hazard_windows: np.ndarray
    n_slots: int
    columns: int
    n_requests: int

    @property
    def m(self) -> int:
        """Number of members."""
        return len(self.members)

    @property
    def n(self) -> int:
        """Number of actors."""
        return len(self.actors)

    def month(self, step: int) -> str:
        """Calendar label `YYYY-MM` of a step (0 is the start month)."""
        return month_label(self.config.time.start, step)

    def answer_columns(self, slot: int) -> slice:
        """Columns of the random block holding the allies' draws for request slot `slot`."""
        start = self.m + len(self.hazards) + slot * self.m
        return slice(start, start + self.m)

    def hazard_column(self, index: int) -> int:
        """Column of the random block holding hazard `index`'s monthly draw."""
        return self.m + index

    def hazards_at(self, step: int) -> list[tuple[int, Event]]:
        """Hazards that may fire in month `step`, with their indices."""
        return [
            (h, event)
            for h, event in enumerate(self.hazards)
            if self.hazard_windows[h, 0] <= step <= self.hazard_windows[h, 1]
        ]


def _member_array(config: ScenarioConfig, field_name: str) -> np.ndarray:
    return np.array([getattr(config.actors[i], field_name) for i in config.member_ids], dtype=float)


def compile_world(config: ScenarioConfig) -> World:
    """Turn a validated scenario into the arrays the engines run on.

    Args:
        config: A validated scenario.

    Returns:
        The compiled `World`.
    """
    members = tuple(config.member_ids)
    actors = tuple(config.actor_ids)
    m, n = len(members), len(actors)
    index = {a: k for k, a in enumerate(actors)}
    hegemon = index[config.alliance.hegemon]
    params = config.model

    power = np.array([config.actors[a].power for a in actors], dtype=float)
    capacity = np.array([config.actors[a].capacity for a in actors], dtype=float)
    offense = np.array([config.actors[a].offense for a in actors], dtype=float)

    proximity = np.zeros((m, n))
    hostility = np.zeros((m, n))
    ties = np.zeros((n, n))
    patron_option = np.zeros((m, n))
    for a, actor in config.actors.items():
        for b, rel in actor.relations.items():
            ties[index[a], index[b]] = rel.ties
            if index[a] < m <= index[b]:
                patron_option[index[a], index[b]] = rel.option
            if index[a] < m:
                proximity[index[a], index[b]] = max(proximity[index[a], index[b]], rel.proximity)
                hostility[index[a], index[b]] = rel.hostility
            if index[b] < m:
                proximity[index[b], index[a]] = max(proximity[index[b], index[a]], rel.proximity)
    np.fill_diagonal(ties, 1.0)
    ratio = dyn.power_ratio(power[:m, None], power[None, :], params.threat.power_exponent)
    ratio[np.arange(m), np.arange(m)] = 0.0

    trust_prior = _member_array(config, "trust_prior")
    strength = params.trust.prior_strength
    alpha0 = np.broadcast_to(trust_prior[:, None] * strength, (m, m)).copy()
    beta0 = np.broadcast_to((1.0 - trust_prior[:, None]) * strength, (m, m)).copy()

    is_hegemon = np.zeros(m)
    is_hegemon[hegemon] = 1.0
    others = 1.0 - np.eye(m)
    peacetime = power[:m] * capacity[:m]
    reference = np.array([dyn.sequential_sum(peacetime * others[i]) for i in range(m)])
    # Allies with no capacity at all protect nobody: credibility 0, not 0 / 0.
    reference = np.where(reference > 0.0, reference, 1.0)
    share = peacetime[None, :] * others / reference[:, None]

    steps = config.time.horizon_months
    scripted = _compile_scripted(config, index)
    hazards = [hz.kind.compile(hz, -1, index, hz.id or f"hazard_{i}_{hz.type}") for i, hz in enumerate(config.hazards)]
    windows = np.zeros((len(hazards), 2), dtype=int)
    for h, hz in enumerate(config.hazards):
        windows[h, 0] = month_index(config.time.start, hz.start) if hz.start else 0
        windows[h, 1] = min(month_index(config.time.start, hz.end), steps - 1) if hz.end else steps - 1

    by_month: list[list[Event]] = [[] for _ in range(steps)]
    for event in scripted:
        if event.step < steps:
            by_month[event.step].append(event)
    # A run shortened below the scenario's horizon (`steps`) ends before later events:
    # they are kept in `after_end` so that the run can say so (`start_warnings`).
    after_end = tuple(event for event in scripted if event.step >= steps)
    n_slots = 0
    for step in range(steps):
        slots = sum(e.slots(m) for e in by_month[step])
        slots += sum(hazards[h].slots(m) for h in range(len(hazards)) if windows[h, 0] <= step <= windows[h, 1])
        n_slots = max(n_slots, slots)

    return World(
        config=config,
        members=members,
        actors=actors,
        hegemon=hegemon,
        steps=steps,
        power=power,
        capacity=capacity,
        offense=offense,
        dependence=_member_array(config, "dependence"),
        regime_security=_member_array(config, "regime_security"),
        outside_option=_member_array(config, "outside_option"),
        coercion_exposure=_member_array(config, "coercion_exposure"),
        patron_option=patron_option,
        compatibility=np.array([config.actors[a].compatibility if k >= m else 1.0 for k, a in enumerate(actors)]),
        share=share,
        domestic_pressure=_member_array(config, "domestic_pressure"),
        sovereignty_cost=_member_array(config, "sovereignty_cost"),
        war_exposure=_member_array(config, "war_exposure"),
        trust_alpha0=alpha0,
        trust_beta0=beta0,
        ratio=ratio,
        proximity=proximity,
        hostility=hostility,
        ties=ties[:m, :],
        is_hegemon=is_hegemon,
        is_outside=(np.arange(n) >= m).astype(float),
        others=others,
        reference=reference,
        scripted=tuple(tuple(month) for month in by_month),
        after_end=after_end,
        hazards=tuple(hazards),
        hazard_windows=windows,
        n_slots=n_slots,
        columns=m + len(hazards) + n_slots * m,
        n_requests=sum(1 for event in scripted if event.request_index >= 0),
    )


def _compile_scripted(config: ScenarioConfig, index: dict[str, int]) -> list[Event]:
    """The scripted events, each with its place among the scripted requests and its condition compiled."""
    events: list[Event] = []
    requests: dict[str, int] = {}
    for i, spec in enumerate(config.events):
        name = spec.id or f"{spec.type}_{spec.month}_{i}"
        request_index = -1
        if spec.kind.request_count(spec) == 1:
            request_index = requests[name] = len(requests)
        when = None
        if spec.when is not None:
            if spec.when.answer_to is not None:
                levels = tuple(ANSWER_LEVEL[Answer(word)] for word in spec.when.among)
                when = ("answer", requests[spec.when.answer_to], levels)
            else:
                codes = tuple(dyn.STATUS_NAMES.index(word) for word in spec.when.among)
                when = ("status", index[spec.when.status_of], codes)
        step = month_index(config.time.start, spec.month)
        events.append(spec.kind.compile(spec, step, index, name, when=when, request_index=request_index))
    return events


def compile_timeline(config: ScenarioConfig) -> tuple[tuple[int, World], ...]:
    """The worlds a run passes through: the scenario, then each of its `changes` from its month.

    Every world has the same actors, events and random-number layout, so the months before
    a change replay exactly as without it (the same seed gives the same draws).

    Returns:
        (first step, world) pairs, in order; the first starts at step 0.

    Raises:
        ValueError: A change alters the structure (actors, events, hazards) of the run.
    """
    periods = config.phases()
    worlds = [(start, compile_world(period)) for start, period in periods]
    first = worlds[0][1]
    for (start, world), change in zip(worlds[1:], config.changes, strict=True):
        shape = (world.actors, world.columns, world.n_requests, len(world.hazards))
        if shape != (first.actors, first.columns, first.n_requests, len(first.hazards)):
            raise ValueError(f"changes: the change from {change.start} may change values only, not the run's structure")
        del start
    return tuple(worlds)
