"""The phases of a month: functions that read and write a `State` through `dynamics`.

Every phase works on all members at once, for any batch shape (none for one run, (R,)
for R replicates), so both engines run the very same code; `alliance_sim.core.month`
says in which order. Every operation is elementwise or a `dynamics.sequential_sum`, so
replicate r of a batch gives the same numbers, bit for bit, as a run of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core import kernels
from alliance_sim.core.events import Event, EventKind, Request, happens
from alliance_sim.core.types import ANSWER_LEVEL

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


def relax(world: World, state: State) -> None:
    """Phase 1: beliefs forget toward their prior; shocks fade; the war load and its demand recede."""
    if kernels.relax_month(world, state):
        return
    params = world.config.model
    forgetting = params.trust.forgetting
    kernels.relax(state, "alpha", world.trust_alpha0, forgetting)
    kernels.relax(state, "beta", world.trust_beta0, forgetting)
    kernels.relax(state, "alpha_int", world.trust_alpha0, forgetting)
    kernels.relax(state, "beta_int", world.trust_beta0, forgetting)
    kernels.relax(state, "intent", world.hostility, params.threat.intent_decay)
    shocks = params.shocks
    kernels.relax(state, "protest", 0.0, shocks.protest_decay)
    kernels.relax(state, "offers", 0.0, shocks.offer_decay)
    kernels.relax(state, "grievance", 0.0, shocks.grievance_decay)
    kernels.relax(state, "crisis", 0.0, shocks.regime_decay)
    kernels.relax(state, "war_load", 0.0, shocks.war_recovery)
    kernels.relax(state, "demand", 0.0, shocks.demand_decay)
    hegemon = params.hegemon
    kernels.relax(state, "reward", 0.0, hegemon.reward_decay)
    kernels.relax(state, "signal", 0.0, hegemon.signal_decay)


def capability(world: World, state: State) -> np.ndarray:
    """Each member's capability now: power times capacity, the hegemon's drained by its war, (..., m)."""
    m = world.m
    cap = dyn.effective_capacity(world.power[:m], world.capacity[:m], state.war_load, world.is_hegemon)
    return np.asarray(cap)


def available_capacity(world: World, state: State) -> np.ndarray:
    """Share of capacity each member can commit now (the war drains the hegemon's), (..., m)."""
    load = np.asarray(state.war_load)[..., None] * world.is_hegemon
    return np.asarray(world.capacity[: world.m] * (1.0 - load))


def spare_capacity(world: World, state: State) -> np.ndarray:
    """Share of its capacity the hegemon can spare from its war, (...)."""
    return np.asarray(world.capacity[world.hegemon] * (1.0 - np.asarray(state.war_load)))


VALUE_TERMS = (
    "protection",
    "regime",
    "benefits",
    "entrapment",
    "domestic",
    "sovereignty",
    "outside",
    "grievance",
    "fear",
    "coercion",
)
"""The named terms of the values, in order. The first six make up the value of staying
(entrapment, domestic pressure and sovereignty cost with a minus sign), the last four the
value of leaving (coercion with a minus sign); each is kept weighted and signed as it
enters its value (`State.terms`), so the values are their sums."""

STAY_TERMS = 6
"""How many of `VALUE_TERMS` make up the value of staying."""


def weigh_membership(world: World, state: State) -> np.ndarray:
    """Phase 4: every member weighs staying against leaving; returns the net value of leaving.

    Also stores the named terms, the values, the credibility against each actor and for
    help with internal unrest, and the largest threat, in `state`.

    Returns:
        Net value of leaving, V_leave - V_stay, shape (..., m).
    """
    net = kernels.weigh(world, state)
    if net is not None:
        return net
    params = world.config.model
    w = params.value
    threats = dyn.threat(world.ratio, world.proximity, world.offense, state.intent)
    active = (state.status == dyn.MEMBER).astype(float)
    able = capability(world, state)
    need = params.threat.sufficiency * world.power
    cred, internal = kernels.credibility(
        state.alpha, state.beta, state.alpha_int, state.beta_int, world.share, active, able, world.ties, need
    )
    departed = dyn.departed_share(state.status[..., None, :], world.others)
    option = dyn.exit_option(
        world.outside_option,
        world.patron_option,
        state.offers * world.is_outside,
        world.compatibility,
        departed,
        params.shocks.contagion,
    )
    coercion = dyn.coercion(world.coercion_exposure, spare_capacity(world, state), state.signal, params.hegemon.resolve)
    domestic = np.minimum(world.domestic_pressure + state.protest, 1.0)
    terms = np.stack(
        [
            w.protection * dyn.sequential_sum(threats * world.is_outside * cred),
            w.regime * world.regime_security * internal * (1.0 + state.crisis),
            w.dependence * (world.dependence + state.reward),
            -w.entrapment * world.war_exposure * np.asarray(state.demand)[..., None],
            -w.domestic * domestic,
            -w.sovereignty * np.broadcast_to(world.sovereignty_cost, np.shape(domestic)),
            w.outside * option,
            w.grievance * dyn.weighted_grievance(state.grievance, world.share),
            w.fear * threats[..., world.hegemon],
            -w.coercion * coercion,
        ],
        axis=-1,
    )
    stay = dyn.sequential_sum(terms[..., :STAY_TERMS])
    leave = dyn.sequential_sum(terms[..., STAY_TERMS:])
    state.terms[...] = terms
    state.value_stay[...] = stay
    state.value_leave[...] = leave
    state.cred[...] = cred
    state.credibility[...] = internal
    state.max_threat[...] = np.max(threats, axis=-1)
    return np.asarray(leave - stay)


def update_pressure(world: World, state: State, net: np.ndarray) -> None:
    """Phase 4 (end): fold this month's net value into every member's smoothed pressure."""
    if kernels.smooth_pressure(state, net, world.config.model.status.smoothing):
        return
    state.pressure[...] = dyn.smooth_pressure(state.pressure, net, world.config.model.status.smoothing)


def hegemon_acts(world: World, state: State) -> None:
    """Phase 5: the hegemon rewards or coerces members whose pressure rises, and deters after a defection.

    It acts where a member's pressure to leave has risen since it last looked and is
    within `hegemon.watch` of the disengage threshold (or above it), within what its war
    leaves it: it rewards a member little exposed to coercion and coerces an exposed one,
    in proportion to the exposure (`hegemon.reward`, `hegemon.coerce`). When a first member
    disengages or gives notice, it reacts once to deter the others: its deterrent signal
    to every member rises by `hegemon.deter`, and the defector sees it as that much more
    hostile.
    """
    if kernels.hegemon_acts(world, state):
        return
    params = world.config.model.hegemon
    h = world.hegemon
    spare = spare_capacity(world, state)[..., None]
    outside = 1.0 - world.is_hegemon
    watch = world.config.model.status.disengage - params.watch
    attention = dyn.hegemon_attention(state.pressure, state.previous, watch) * outside
    attention = attention * (state.status != dyn.WITHDRAWN)
    exposure = world.coercion_exposure
    state.reward[...] = dyn.raise_toward_one(
        state.reward, np.minimum(params.reward * spare * (1.0 - exposure) * attention, 1.0)
    )
    coerce = np.minimum(params.coerce * exposure * attention, 1.0)
    state.signal[...] = dyn.raise_toward_one(state.signal, coerce)
    state.intent[..., :, h] = dyn.raise_toward_one(state.intent[..., :, h], coerce)
    defectors = (state.status != dyn.MEMBER) & (world.is_hegemon == 0)
    first = np.any(defectors, axis=-1) & ~state.reacted
    state.signal[...] = dyn.raise_toward_one(state.signal, np.where(first[..., None], params.deter, 0.0) * outside)
    hostile = np.where(first[..., None] & defectors, params.deter, 0.0)
    state.intent[..., :, h] = dyn.raise_toward_one(state.intent[..., :, h], hostile)
    state.reacted[...] = state.reacted | first
    state.previous[...] = state.pressure


def reconsider_status(world: World, state: State, draw: np.ndarray) -> np.ndarray:
    """Phase 6: every member's status transition from one draw each, withdrawal after notice.

    Returns:
        The new statuses.
    """
    if kernels.transition(world, state, draw):
        return state.status
    status = world.config.model.status
    new, notice = dyn.transition_with_notice(
        state.status,
        state.notice,
        state.pressure,
        draw,
        status.disengage,
        status.withdraw,
        status.reengage,
        status.rejoin,
        status.scale,
        status.notice_months,
        world.is_hegemon > 0,
    )
    state.status[...] = new
    state.notice[...] = notice
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
    return np.asarray(np.moveaxis(matrix[..., k], 0, -1))


def answer_scores(world: World, state: State, request: Request) -> np.ndarray:
    """Every member's willingness to help with `request` (see `dynamics.willingness`), (..., m)."""
    params = world.config.model.answer
    r = request.requester
    capacity = available_capacity(world, state)
    k = attacker_of(state, request)
    # Each ally's trust in the requester for the kind of help asked: defence, or help with unrest.
    defence = dyn.trust(state.alpha[..., r], state.beta[..., r])
    regime = dyn.trust(state.alpha_int[..., r], state.beta_int[..., r])
    trust_in_requester = np.where(np.asarray(k < 0)[..., None], regime, defence)
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
    trust = params.trust
    r = request.requester
    unrest = np.asarray(attacker_of(state, request)) < 0  # a request about internal unrest
    defence = dyn.trust(state.alpha[..., r, :], state.beta[..., r, :])
    regime = dyn.trust(state.alpha_int[..., r, :], state.beta_int[..., r, :])
    expectation = np.where(unrest[..., None], regime, defence)
    answer: np.ndarray
    if request.forced is not None:
        answer = np.full(np.shape(asked), ANSWER_LEVEL[request.forced], dtype=np.int8)
    else:
        answer = dyn.alliance_answer(levels, world.hegemon, world.config.alliance.decision_rule.value)
    state.alpha, state.beta, state.alpha_int, state.beta_int = kernels.learn(
        state.alpha,
        state.beta,
        state.alpha_int,
        state.beta_int,
        levels,
        answer,
        asked,
        unrest,
        state.status,
        r,
        trust.spillover,
        trust.learning,
        trust.vote_visibility,
        trust.token_credit,
        trust.cross_domain,
    )
    grievance = state.grievance[..., r, :]
    shortfall = dyn.refusal_weights(levels, answer, trust.vote_visibility, expectation)
    new = np.where((answer == dyn.FULL)[..., None], 0.0, dyn.raise_toward_one(grievance, shortfall))
    state.grievance[..., r, :] = np.where(np.asarray(asked)[..., None], new, grievance)
    if request.index >= 0:
        state.answers[..., request.index] = np.where(asked, answer, state.answers[..., request.index])
    unanswered = np.asarray(asked) & (answer != dyn.FULL)
    state.grievance_source[..., r] = np.where(unanswered, attacker_of(state, request), state.grievance_source[..., r])
    return answer


def ally_answers(world: World, state: State, request: Request, draws: np.ndarray) -> np.ndarray:
    """Every member's answer level to `request` from its draw (0 refuse, 1 token, 2 full), (..., m)."""
    levels = kernels.ally_answers(world, state, request.requester, attacker_of(state, request), draws)
    if levels is not None:
        return levels
    scores = answer_scores(world, state, request)
    return np.asarray(dyn.ally_answer(scores, world.config.model.answer.token_band, draws))


RecordFn = Callable[[Event, np.ndarray, Request | None, np.ndarray | None, np.ndarray | None], None]
"""Receives (event, fired, request, levels, answer) for the event log."""


SUBSET_SHARE = 0.25
"""An event that happens in fewer than this share of the replicates is played on those alone."""


def play_events(world: World, state: State, step: int, draws: np.ndarray, record: RecordFn | None = None) -> None:
    """Phases 2 and 3: this month's events fire, then each request is answered in turn.

    Scripted events come first, in file order, then hazards, in file order, each firing
    where its draw falls below its monthly rate. Each request is answered as soon as
    the event that raised it has happened. What an event does, which requests it
    raises and who really asks are its kind's (`alliance_sim.core.events`).

    In a batch, an event that happens in few replicates (a hazard mostly) is played on
    those replicates alone (`State.take`, `State.put`): every phase works row by row, so
    the numbers are the same, and the months where nothing happens cost nothing.

    Args:
        world: The compiled scenario.
        state: The state, modified in place.
        step: The month index.
        draws: This month's row of the random block, shape (..., columns).
        record: Optional callback for the event log.
    """
    month = kernels.per_world(world, "calendar", _calendar)[step]
    floats = draws.tolist() if draws.ndim == 1 and month else None  # one run: its draws as floats
    for event, kind, column, first_slot in month:
        if column < 0:
            fired = happens(event, state)  # a scripted event: where its condition holds
        else:  # a hazard: where its draw falls below its rate
            draw = floats[column] if floats is not None else draws[..., column]
            fired = np.asarray(draw < kind.rate(world, state, event))
        if fired.ndim == 0 and not fired:
            continue  # one run, and the hazard did not fire: it would change nothing
        if fired.ndim == 1 and np.count_nonzero(fired) < SUBSET_SHARE * fired.shape[0]:
            rows = np.flatnonzero(fired)
            if rows.size == 0 and record is None:
                continue  # it happened nowhere: it would change nothing
            part = state.take(rows)
            logged = _widened(record, fired, rows, state, part)
            _play_event(world, part, event, fired[rows], draws[rows], first_slot, logged)
            state.put(rows, part)
        else:
            _play_event(world, state, event, fired, draws, first_slot, record)


Happening = tuple[Event, EventKind, int, int]
"""An event of a month as `play_events` plays it: the event, its kind, the column of its
draw in the random block (-1 for a scripted event) and its first request slot."""


def _calendar(world: World) -> tuple[tuple[Happening, ...], ...]:
    """Each month's events in the order they happen: scripted ones in file order, then hazards.

    A world fixes them, so an engine derives them once per world, not every month.
    """
    months: list[tuple[Happening, ...]] = []
    for step in range(world.steps):
        slot = 0
        happenings: list[Happening] = []
        events = [(event, -1) for event in world.scripted[step]]
        events += [(event, world.hazard_column(h)) for h, event in world.hazards_at(step)]
        for event, column in events:
            kind = event.behaviour
            happenings.append((event, kind, column, slot))
            slot += kind.slots(event, world.m)
        months.append(tuple(happenings))
    return tuple(months)


def _widened(
    record: RecordFn | None, fired: np.ndarray, rows: np.ndarray, state: State, part: State
) -> RecordFn | None:
    """The event-log callback for an event played on `rows` only: it sees the whole batch.

    The part is written back into the whole state before each call, so that the log reads
    the state as it is at that point of the event, as it would without the part.
    """
    if record is None:
        return None

    def widened(
        event: Event, where: np.ndarray, request: Request | None, levels: np.ndarray | None, answer: np.ndarray | None
    ) -> None:
        full_where = np.zeros(fired.shape, dtype=bool)
        full_where[rows] = where
        full_levels = full_answer = None
        if levels is not None:
            full_levels = np.full((*fired.shape, levels.shape[-1]), dyn.ABSTAIN, dtype=levels.dtype)
            full_levels[rows] = levels
        if answer is not None and request is not None:
            unasked = dyn.REFUSED if request.forced is None else ANSWER_LEVEL[request.forced]
            full_answer = np.full(fired.shape, unasked, dtype=answer.dtype)
            full_answer[rows] = answer
        state.put(rows, part)
        record(event, full_where, request, full_levels, full_answer)

    return widened


def _play_event(
    world: World,
    state: State,
    event: Event,
    fired: np.ndarray,
    draws: np.ndarray,
    first_slot: int,
    record: RecordFn | None,
) -> None:
    """One event's effect where it fired, then the answer to each request it raises."""
    kind = event.behaviour
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
        if request.forced is not None:
            # A replayed answer is what the alliance delivered; the allies' own parts in it
            # are not on record, so each ally that took part is credited with it.
            levels = np.where(levels >= 0, np.int8(ANSWER_LEVEL[request.forced]), levels).astype(np.int8)
        result = resolve_request(world, state, request, levels, asked)
        if record is not None:
            record(event, asked, request, levels, result)
