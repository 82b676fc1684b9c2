"""A scenario compiled to arrays, the mutable state of a run, and the phases of a month.

`World` holds everything that does not change during a run (indices, parameters as
arrays, the event calendar, the layout of the random block). `State` holds what does,
as numpy arrays whose leading axes are the batch: none for one Mesa run, (R,) for the
ensemble engine. The phase functions at the bottom read and write a `State` through
`dynamics`; both engines call them, so one month means the same thing in each.

Member-level phases take `rows`: an integer (one member, as a Mesa agent calls them)
or `slice(None)` (every member at once, as the ensemble engine does). Every operation
is elementwise or a `dynamics.sequential_sum`, so the two give identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events import Event, Request, compile_events, compile_hazards, summit_askers
from alliance_sim.scenario.config import ANSWER_LEVEL, ScenarioConfig, month_index, month_label

Rows = int | slice


@dataclass(frozen=True)
class World:
    """Static arrays and calendar compiled from a `ScenarioConfig`.

    Attributes:
        config: The scenario.
        members: Member ids, in order (the member axis).
        actors: All actor ids, members first (the actor axis).
        hegemon: Index of the hegemon.
        steps: Number of months.
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
    hazards: tuple[Event, ...]
    hazard_windows: np.ndarray
    n_slots: int
    columns: int

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
    for a, actor in config.actors.items():
        for b, rel in actor.relations.items():
            ties[index[a], index[b]] = rel.ties
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

    steps = config.time.horizon_months
    scripted = compile_events(config, index)
    hazards = compile_hazards(config, index)
    windows = np.zeros((len(hazards), 2), dtype=int)
    for h, hz in enumerate(config.hazards):
        windows[h, 0] = month_index(config.time.start, hz.start) if hz.start else 0
        windows[h, 1] = min(month_index(config.time.start, hz.end), steps - 1) if hz.end else steps - 1

    by_month: list[list[Event]] = [[] for _ in range(steps)]
    for event in scripted:
        if event.step < steps:  # a run shortened with `steps` ends before later events
            by_month[event.step].append(event)
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
        hazards=tuple(hazards),
        hazard_windows=windows,
        n_slots=n_slots,
        columns=m + len(hazards) + n_slots * m,
    )


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
    for i in range(m):
        net = weigh_membership(world, state, i)
        state.pressure[..., i] = net
    return state


# --- Phases of a month ---------------------------------------------------------------


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
    return cap * (state.status == dyn.MEMBER)


def available_capacity(world: World, state: State) -> np.ndarray:
    """Share of capacity each member can commit now (the war drains the hegemon's), (..., m)."""
    load = np.asarray(state.war_load)[..., None] * world.is_hegemon
    return world.capacity[: world.m] * (1.0 - load)


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


def weigh_membership(world: World, state: State, rows: Rows, shared: Survey | None = None) -> np.ndarray:
    """Phase 4 for the members in `rows`: threats, credibility, values; returns net value.

    Also stores the values, credibility and largest threat in `state` for the record.

    Args:
        world: The compiled scenario.
        state: The state, read and written.
        rows: One member index, or `slice(None)` for all members.
        shared: This month's `survey` (computed here when not given).

    Returns:
        Net value of leaving, V_leave - V_stay, for those rows.
    """
    params = world.config.model
    value = params.value
    shared = shared if shared is not None else survey(world, state)
    threats = dyn.threat(world.ratio[rows], world.proximity[rows], world.offense, state.intent[..., rows, :])
    trust_row = dyn.trust(state.alpha[..., rows, :], state.beta[..., rows, :])
    contribution = shared.contribution
    if isinstance(rows, slice):
        contribution = contribution[..., None, :]
    others = world.others[rows]
    reference = world.reference[rows]
    against = dyn.credibility(trust_row, contribution, world.ties, others, np.asarray(reference)[..., None])
    internal = np.minimum(dyn.sequential_sum(trust_row * contribution * others) / reference, 1.0)
    war_load = state.war_load if isinstance(rows, int) else np.asarray(state.war_load)[..., None]
    domestic = np.minimum(world.domestic_pressure[rows] + state.protest[..., rows], 1.0)
    stay = dyn.value_of_staying(
        threats * world.is_outside,  # the treaty protects against outsiders, not fellow members
        against,
        internal,
        world.regime_security[rows],
        state.crisis[..., rows],
        world.dependence[rows],
        world.war_exposure[rows],
        war_load,
        domestic,
        world.sovereignty_cost[rows],
        value.protection,
        value.regime,
        value.dependence,
        value.entrapment,
        value.domestic,
        value.sovereignty,
    )
    departed = shared.departed[..., rows]
    option = dyn.outside_option(world.outside_option[rows], state.offers[..., rows], departed, params.shocks.contagion)
    coercion = world.capacity[world.hegemon]
    leave = dyn.value_of_leaving(
        option,
        world.dependence[rows],
        coercion,
        state.grievance[..., rows],
        value.outside,
        value.punishment,
        value.grievance,
    )
    state.value_stay[..., rows] = stay
    state.value_leave[..., rows] = leave
    state.credibility[..., rows] = internal
    state.max_threat[..., rows] = np.max(threats, axis=-1)
    return leave - stay


def update_pressure(world: World, state: State, rows: Rows, net: np.ndarray) -> None:
    """Phase 4 (end): fold this month's net value into the smoothed pressure."""
    state.pressure[..., rows] = dyn.smooth_pressure(state.pressure[..., rows], net, world.config.model.status.smoothing)


def reconsider_status(world: World, state: State, rows: Rows, draw: np.ndarray) -> np.ndarray:
    """Phase 5 for the members in `rows`: draw status transitions; returns the new statuses."""
    status = world.config.model.status
    new = dyn.transition(
        state.status[..., rows],
        state.pressure[..., rows],
        draw,
        status.disengage,
        status.withdraw,
        status.reengage,
        status.rejoin,
        status.scale,
        world.is_hegemon[rows] > 0,
    )
    state.status[..., rows] = new
    return new


def attacker_of(state: State, request: Request) -> int | np.ndarray:
    """Actor index of the attacker a request is about, -1 for internal unrest.

    A plain int for a new request; for a grievance renewed at a summit, the attacker of
    the requester's last unanswered request, per replicate.
    """
    if request.renewed:
        return state.grievance_source[..., request.requester]
    return -1 if request.attacker is None else request.attacker


def _toward(matrix: np.ndarray, rows: Rows, k: int | np.ndarray) -> np.ndarray:
    """Entries of a static (member, actor) matrix for `rows` toward actor `k` (one per replicate)."""
    if np.ndim(k) == 0:
        return matrix[rows, int(k)]
    return matrix[rows][..., k].T


def answer_scores(world: World, state: State, request: Request, rows: Rows) -> np.ndarray:
    """Willingness of the allies in `rows` to help with `request` (see `dynamics.willingness`)."""
    params = world.config.model.answer
    r = request.requester
    trust_in_requester = dyn.trust(state.alpha[..., rows, r], state.beta[..., rows, r])
    capacity = available_capacity(world, state)[..., rows]
    k = attacker_of(state, request)
    if np.ndim(k) == 0 and int(k) < 0:
        threat_from = np.zeros_like(capacity)
        ties_to = np.zeros_like(capacity)
        internal: float | np.ndarray = 1.0
    else:
        safe = np.maximum(k, 0)
        if np.ndim(k) == 0:
            intent = state.intent[..., rows, int(safe)]
        else:
            intent = np.take_along_axis(state.intent, safe[..., None, None], axis=-1)[..., 0][..., rows]
        offense = world.offense[safe] if np.ndim(k) == 0 else world.offense[safe][..., None]
        threat_from = dyn.threat(
            _toward(world.ratio, rows, safe), _toward(world.proximity, rows, safe), offense, intent
        )
        ties_to = np.broadcast_to(_toward(world.ties, rows, safe), np.shape(capacity))
        if np.ndim(k) == 0:
            internal = 0.0
        else:
            outside = np.asarray(k >= 0)[..., None] if not isinstance(rows, int) else np.asarray(k >= 0)
            threat_from = np.where(outside, threat_from, 0.0)
            ties_to = np.where(outside, ties_to, 0.0)
            internal = np.where(outside, 0.0, 1.0)
    return dyn.willingness(
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
    return eligible


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


AnswerFn = Callable[[Request, np.ndarray, np.ndarray], np.ndarray]
"""Gives each member's answer level to a request: (request, eligible, draws) -> levels."""

RecordFn = Callable[[Event, np.ndarray, Request | None, np.ndarray | None, np.ndarray | None], None]
"""Receives (event, fired, request, levels, answer) for the event log."""


def play_events(
    world: World,
    state: State,
    step: int,
    draws: np.ndarray,
    answer: AnswerFn,
    record: RecordFn | None = None,
) -> None:
    """Phases 2 and 3: this month's events fire, then each request is answered in turn.

    Scripted events come first, in file order, then hazards, in file order, each firing
    where its draw falls below its monthly rate. Each request is answered as soon as
    the event that raised it has happened.

    Args:
        world: The compiled scenario.
        state: The state, modified in place.
        step: The month index.
        draws: This month's row of the random block, shape (..., columns).
        answer: Callback giving the members' answers to a request.
        record: Optional callback for the event log.
    """
    slot = 0
    happenings: list[tuple[Event, np.ndarray]] = [
        (event, np.ones(np.shape(state.war_load), dtype=bool)) for event in world.scripted[step]
    ]
    for h, event in world.hazards_at(step):
        happenings.append((event, draws[..., world.hazard_column(h)] < event.rate))
    for event, fired in happenings:
        if fired.ndim == 0 and not fired:
            # One run, and the hazard did not fire: it would change nothing.
            slot += event.slots(world.m)
            continue
        requests = event.apply(world, state, fired, slot)
        slot += event.slots(world.m)
        if record is not None:
            record(event, fired, None, None, None)
        for request in requests:
            if event.kind == "summit":
                asked = fired & summit_askers(world, state, request)
            else:
                asked = fired & (state.status[..., request.requester] != dyn.WITHDRAWN)
            if asked.ndim == 0 and not asked:
                continue  # nobody asked in this run: answering would change nothing
            eligible = eligible_allies(world, state, request) & asked[..., None]
            levels = answer(request, eligible, draws[..., world.answer_columns(request.slot)])
            levels = np.where(eligible, levels, dyn.ABSTAIN).astype(np.int8)
            result = resolve_request(world, state, request, levels, asked)
            if record is not None:
                record(event, asked, request, levels, result)


def answer_all(world: World, state: State) -> AnswerFn:
    """An `AnswerFn` that computes every member's answer at once (the ensemble's way)."""

    def answer(request: Request, eligible: np.ndarray, draws: np.ndarray) -> np.ndarray:
        scores = answer_scores(world, state, request, slice(None))
        return dyn.ally_answer(scores, world.config.model.answer.token_band, draws)

    return answer


TRACED = (
    "status",
    "pressure",
    "trust_in_hegemon",
    "credibility",
    "value_stay",
    "value_leave",
    "grievance",
    "max_threat",
    "protest",
    "offers",
)
"""Per-member quantities a `Trace` keeps for every month."""


@dataclass
class Trace:
    """Per-month record of a run (or of a batch of runs).

    Attributes:
        members: Arrays of shape (steps + 1, *batch, m), one per name in `TRACED`;
            row 0 is the state before the first month.
        war_load: The hegemon's war load, (steps + 1, *batch).
        trust: Trust of each member (observer) in each other (ally), (steps + 1, *batch, m, m),
            NaN on the diagonal; None unless `outputs.trust_matrix` is set.
    """

    members: dict[str, np.ndarray]
    war_load: np.ndarray
    trust: np.ndarray | None = None

    @classmethod
    def empty(cls, world: World, batch: tuple[int, ...] = ()) -> Trace:
        """Buffers for a whole run, filled with NaN (the trust matrix only if the scenario asks)."""
        shape = (world.steps + 1, *batch, world.m)
        members = {name: np.full(shape, np.nan) for name in TRACED}
        members["status"] = np.zeros(shape, dtype=np.int8)
        trust = np.full((*shape, world.m), np.nan) if world.config.outputs.trust_matrix else None
        return cls(members=members, war_load=np.full((world.steps + 1, *batch), np.nan), trust=trust)

    def record(self, world: World, state: State, row: int) -> None:
        """Copy the current state into month `row`."""
        tau = dyn.trust(state.alpha[..., world.hegemon], state.beta[..., world.hegemon])
        tau = np.where(world.is_hegemon > 0, np.nan, tau)
        values = {
            "status": state.status,
            "pressure": state.pressure,
            "trust_in_hegemon": tau,
            "credibility": state.credibility,
            "value_stay": state.value_stay,
            "value_leave": state.value_leave,
            "grievance": state.grievance,
            "max_threat": state.max_threat,
            "protest": state.protest,
            "offers": state.offers,
        }
        for name, value in values.items():
            self.members[name][row] = value
        self.war_load[row] = state.war_load
        if self.trust is not None:
            matrix = dyn.trust(state.alpha, state.beta)
            self.trust[row] = np.where(np.eye(world.m, dtype=bool), np.nan, matrix)


def start_warnings(world: World) -> list[str]:
    """Members that would be likely to change status before anything happens.

    A scenario usually starts from a status quo: every member in, at rest. A member whose
    starting pressure already exceeds the disengage threshold leaves in the first months
    whatever the events, which is most often a calibration mistake worth a look.

    Returns:
        One message per such member (empty when the start is at rest).
    """
    state = initial_state(world)
    threshold = world.config.model.status.disengage
    return [
        f"actors.{member}: starts with pressure {state.pressure[i]:.2f} above the disengage threshold "
        f"{threshold:.2f} (model.status.disengage): it would likely disengage before any event"
        for i, member in enumerate(world.members)
        if i != world.hegemon and state.pressure[i] > threshold
    ]
