"""The phases of a month: functions that read and write a `State` through `dynamics`.

Every phase works on all members at once, for any batch shape (none for one run, (R,)
for R replicates), so both engines run the very same code; `alliance_sim.core.month`
says in which order. Every operation is elementwise or a `dynamics.sequential_sum`, so
replicate r of a batch gives the same numbers, bit for bit, as a run of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events import Event, Request
from alliance_sim.core.types import ANSWER_LEVEL

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


def relax(world: World, state: State) -> None:
    """Phase 1: beliefs forget toward their prior; shocks fade toward baseline."""
    params = world.config.model
    state.alpha, state.beta = dyn.forget(
        state.alpha, state.beta, world.trust_alpha0, world.trust_beta0, params.trust.forgetting
    )
    state.intent = dyn.relax_toward(state.intent, world.hostility, params.threat.intent_decay)
    shocks = params.shocks
    state.protest = dyn.relax_toward(state.protest, 0.0, shocks.protest_decay)
    state.offers = dyn.relax_toward(state.offers, 0.0, shocks.offer_decay)
    state.grievance = dyn.relax_toward(state.grievance, 0.0, shocks.grievance_decay)
    state.crisis = dyn.relax_toward(state.crisis, 0.0, shocks.regime_decay)
    state.war_load = dyn.relax_toward(state.war_load, 0.0, shocks.war_recovery)


def contributions(world: World, state: State) -> np.ndarray:
    """Each member's effective capacity if it is an active member, else 0, shape (..., m)."""
    cap = dyn.effective_capacity(world.power[: world.m], world.capacity[: world.m], state.war_load, world.is_hegemon)
    return np.asarray(cap * (state.status == dyn.MEMBER))


def available_capacity(world: World, state: State) -> np.ndarray:
    """Share of capacity each member can commit now (the war drains the hegemon's), (..., m)."""
    load = np.asarray(state.war_load)[..., None] * world.is_hegemon
    return np.asarray(world.capacity[: world.m] * (1.0 - load))


@dataclass(frozen=True)
class Survey:
    """What every member sees alike when it weighs membership in a month.

    Attributes:
        contribution: Each member's effective capacity if active, else 0, (..., m).
        departed: For each member, the share of the others who left, (..., m).
    """

    contribution: np.ndarray
    departed: np.ndarray


def survey(world: World, state: State) -> Survey:
    """Phase 4 (start): the quantities all members share, computed once for the month."""
    departed = dyn.departed_share(state.status[..., None, :], world.others)
    return Survey(contribution=contributions(world, state), departed=departed)


def weigh_membership(world: World, state: State, shared: Survey | None = None) -> np.ndarray:
    """Phase 4: every member's threats, credibility and values; returns the net value of leaving.

    Also stores the values, credibility and largest threat in `state` for the record.

    Args:
        world: The compiled scenario.
        state: The state, read and written.
        shared: This month's `survey` (computed here when not given).

    Returns:
        Net value of leaving, V_leave - V_stay, shape (..., m).
    """
    params = world.config.model
    value = params.value
    shared = shared if shared is not None else survey(world, state)
    threats = dyn.threat(world.ratio, world.proximity, world.offense, state.intent)
    trust_row = dyn.trust(state.alpha, state.beta)
    contribution = shared.contribution[..., None, :]
    others = world.others
    reference = world.reference
    against = dyn.credibility(trust_row, contribution, world.ties, others, np.asarray(reference)[..., None])
    internal = np.minimum(dyn.sequential_sum(trust_row * contribution * others) / reference, 1.0)
    war_load = np.asarray(state.war_load)[..., None]
    domestic = np.minimum(world.domestic_pressure + state.protest, 1.0)
    stay = dyn.value_of_staying(
        threats * world.is_outside,  # the treaty protects against outsiders, not fellow members
        against,
        internal,
        world.regime_security,
        state.crisis,
        world.dependence,
        world.war_exposure,
        war_load,
        domestic,
        world.sovereignty_cost,
        value.protection,
        value.regime,
        value.dependence,
        value.entrapment,
        value.domestic,
        value.sovereignty,
    )
    option = dyn.outside_option(world.outside_option, state.offers, shared.departed, params.shocks.contagion)
    coercion = world.capacity[world.hegemon]
    leave = dyn.value_of_leaving(
        option,
        world.dependence,
        coercion,
        state.grievance,
        value.outside,
        value.punishment,
        value.grievance,
    )
    state.value_stay[...] = stay
    state.value_leave[...] = leave
    state.credibility[...] = internal
    state.max_threat[...] = np.max(threats, axis=-1)
    return np.asarray(leave - stay)


def update_pressure(world: World, state: State, net: np.ndarray) -> None:
    """Phase 4 (end): fold this month's net value into every member's smoothed pressure."""
    state.pressure[...] = dyn.smooth_pressure(state.pressure, net, world.config.model.status.smoothing)


def reconsider_status(world: World, state: State, draw: np.ndarray) -> np.ndarray:
    """Phase 5: every member's status transition, from one draw each; returns the new statuses."""
    status = world.config.model.status
    new = dyn.transition(
        state.status,
        state.pressure,
        draw,
        status.disengage,
        status.withdraw,
        status.reengage,
        status.rejoin,
        status.scale,
        world.is_hegemon > 0,
    )
    state.status[...] = new
    return np.asarray(new)


def attacker_of(state: State, request: Request) -> int | np.ndarray:
    """Actor index of the attacker a request is about, -1 for internal unrest.

    A plain int for a new request; for a grievance renewed at a summit, the attacker of
    the requester's last unanswered request, per replicate.
    """
    if request.renewed:
        return state.grievance_source[..., request.requester]
    return -1 if request.attacker is None else request.attacker


def _toward(matrix: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Entries of a static (member, actor) matrix toward actor `k` (one per replicate)."""
    if np.ndim(k) == 0:
        return np.asarray(matrix[:, int(k)])
    return np.asarray(matrix[..., k].T)


def answer_scores(world: World, state: State, request: Request) -> np.ndarray:
    """Every member's willingness to help with `request` (see `dynamics.willingness`), (..., m)."""
    params = world.config.model.answer
    r = request.requester
    trust_in_requester = dyn.trust(state.alpha[..., r], state.beta[..., r])
    capacity = available_capacity(world, state)
    k = attacker_of(state, request)
    internal: float | np.ndarray
    if np.ndim(k) == 0 and int(k) < 0:
        threat_from = np.zeros_like(capacity)
        ties_to = np.zeros_like(capacity)
        internal = 1.0
    else:
        safe = np.maximum(k, 0)
        if np.ndim(k) == 0:
            intent = state.intent[..., int(safe)]
        else:
            intent = np.take_along_axis(state.intent, safe[..., None, None], axis=-1)[..., 0]
        offense = world.offense[safe] if np.ndim(k) == 0 else world.offense[safe][..., None]
        threat_from = dyn.threat(_toward(world.ratio, safe), _toward(world.proximity, safe), offense, intent)
        ties_to = np.broadcast_to(_toward(world.ties, safe), np.shape(capacity))
        if np.ndim(k) == 0:
            internal = 0.0
        else:
            outside = np.asarray(k >= 0)[..., None]
            threat_from = np.where(outside, threat_from, 0.0)
            ties_to = np.where(outside, ties_to, 0.0)
            internal = np.where(outside, 0.0, 1.0)
    return np.asarray(
        dyn.willingness(
            trust_in_requester,
            capacity,
            threat_from,
            ties_to,
            internal,
            params.bias,
            params.trust,
            params.capacity,
            params.threat,
            params.ties,
            params.internal,
        )
    )


def eligible_allies(world: World, state: State, request: Request) -> np.ndarray:
    """True for members who take part in answering: active members other than the parties."""
    eligible = state.status == dyn.MEMBER
    eligible[..., request.requester] = False
    k = attacker_of(state, request)
    if np.ndim(k) == 0:
        if 0 <= int(k) < world.m:
            eligible[..., int(k)] = False
    else:
        eligible &= np.arange(world.m) != np.asarray(k)[..., None]
    return np.asarray(eligible)


def resolve_request(world: World, state: State, request: Request, levels: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Phase 3 (end): the alliance's answer, then learning and grievance.

    Args:
        world: The compiled scenario.
        state: The state, written.
        request: The request.
        levels: Each member's answer level, `ABSTAIN` where it takes no part, (..., m).
        asked: Where the request was really made (the event fired, the requester still
            in the alliance), shape of the batch.

    Returns:
        The alliance's answer level, shape of the batch.
    """
    params = world.config.model
    answer: np.ndarray
    if request.forced is not None:
        answer = np.full(np.shape(asked), ANSWER_LEVEL[request.forced], dtype=np.int8)
    else:
        answer = dyn.alliance_answer(levels, world.hegemon, world.config.alliance.decision_rule.value)
    credit = dyn.answer_credit(answer, params.trust.token_credit)
    voters = (levels >= 0).astype(float)
    observers = (state.status != dyn.WITHDRAWN).astype(float)
    weights = dyn.observation_weights(request.requester, voters, observers, params.trust.spillover)
    weights = weights * np.asarray(asked, dtype=float)[..., None, None]
    state.alpha, state.beta = dyn.learn_from_answer(state.alpha, state.beta, credit, weights)
    r = request.requester
    grievance = state.grievance[..., r]
    new = np.where(answer == dyn.FULL, 0.0, dyn.raise_toward_one(grievance, 1.0 - credit))
    state.grievance[..., r] = np.where(asked, new, grievance)
    unanswered = np.asarray(asked) & (answer != dyn.FULL)
    state.grievance_source[..., r] = np.where(unanswered, attacker_of(state, request), state.grievance_source[..., r])
    return answer


def ally_answers(world: World, state: State, request: Request, draws: np.ndarray) -> np.ndarray:
    """Every member's answer level to `request` from its draw (0 refuse, 1 token, 2 full), (..., m)."""
    scores = answer_scores(world, state, request)
    return np.asarray(dyn.ally_answer(scores, world.config.model.answer.token_band, draws))


RecordFn = Callable[[Event, np.ndarray, Request | None, np.ndarray | None, np.ndarray | None], None]
"""Receives (event, fired, request, levels, answer) for the event log."""


def play_events(world: World, state: State, step: int, draws: np.ndarray, record: RecordFn | None = None) -> None:
    """Phases 2 and 3: this month's events fire, then each request is answered in turn.

    Scripted events come first, in file order, then hazards, in file order, each firing
    where its draw falls below its monthly rate. Each request is answered as soon as
    the event that raised it has happened. What an event does, which requests it
    raises and who really asks are its kind's (`alliance_sim.core.events`).

    Args:
        world: The compiled scenario.
        state: The state, modified in place.
        step: The month index.
        draws: This month's row of the random block, shape (..., columns).
        record: Optional callback for the event log.
    """
    slot = 0
    happenings: list[tuple[Event, np.ndarray]] = [
        (event, np.ones(np.shape(state.war_load), dtype=bool)) for event in world.scripted[step]
    ]
    for h, event in world.hazards_at(step):
        happenings.append((event, np.asarray(draws[..., world.hazard_column(h)] < event.rate)))
    for event, fired in happenings:
        kind = event.behaviour
        first_slot = slot
        slot += kind.slots(event, world.m)
        if fired.ndim == 0 and not fired:
            continue  # one run, and the hazard did not fire: it would change nothing
        kind.apply(world, state, event, fired)
        if record is not None:
            record(event, fired, None, None, None)
        for request in kind.requests(world, event, first_slot):
            asked = np.asarray(kind.asks(world, state, request, fired))
            if asked.ndim == 0 and not asked:
                continue  # nobody asked in this run: answering would change nothing
            eligible = eligible_allies(world, state, request) & asked[..., None]
            levels = ally_answers(world, state, request, draws[..., world.answer_columns(request.slot)])
            levels = np.where(eligible, levels, dyn.ABSTAIN).astype(np.int8)
            result = resolve_request(world, state, request, levels, asked)
            if record is not None:
                record(event, asked, request, levels, result)
