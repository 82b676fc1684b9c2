"""The month's hot loops, compiled with numba where it is installed, in numpy otherwise.

Both engines call these functions (the Mesa engine with no batch axis, the ensemble
with one), so they stay equal by construction whichever implementation runs. The two
implementations do the same IEEE operations in the same order, so they give the same
numbers bit for bit; `tests/unit/test_kernels.py` runs the baseline and every shipped
scenario both ways and compares the whole trace and the event log.

Compiled: relaxation (phase 1), the allies' answers and learning from them (phase 3),
weighing membership and smoothing the pressure (phase 4), the hegemon (phase 5), the
status transitions (phase 6) and writing the month into the trace. numba's `exp` is not
numpy's in the last bit (numpy has SIMD code of its own: on an AVX-512 machine about one
value in twenty differs), so a phase whose probabilities are logistic (the answers, the
status) is split: a kernel writes the negated arguments of every probability of the
month into one array, numpy takes their `exp` in one call, and a second kernel does the
rest. numpy's `exp` of a value does not depend on the array around it, so the numbers
are those of `dynamics.sigmoid`.

Which implementation runs: ``ALLIANCE_SIM_KERNELS=numpy`` selects the numpy one,
``numba`` the compiled one whenever numba imports, and ``auto`` (the default) the compiled
one from the first batch of `AUTO_ROWS` replicates on, or once single runs have stepped
`AUTO_MONTHS` months in the process (small runs do not pay for loading numba). numba is
imported only then, so commands that run no model (``--help``, ``validate``) never load it;
compiled code is cached on disk next to the module (or in numba's user cache, or
``NUMBA_CACHE_DIR``); where nothing is writable it is compiled again in each process.
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from alliance_sim.core import dynamics as dyn

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World

ENV = "ALLIANCE_SIM_KERNELS"
"""Environment variable selecting the implementation: `auto` (the default), `numba` or `numpy`."""

AUTO_ROWS = 1024
"""Under `auto`, numba is loaded for the first batch of at least this many replicates.

Loading numba and the cached kernels costs a process about half a second, more than a
small batch (a single Mesa run, a few hundred replicates) saves by it: those run in numpy
until numba is loaded, after which every batch uses it. The numbers are the same."""

AUTO_MONTHS = 1500
"""Under `auto`, numba is also loaded once single runs (no batch axis: the Mesa engine) have
stepped this many months in numpy in one process.

A single run gains most from the compiled kernels (numpy's cost per call dominates arrays
of a few members), but one run alone does not pay for loading numba. Loading it once the
process has spent about what loading costs (1,500 months of an eight-actor alliance take
about half a second in numpy) makes a batch of Mesa runs (`mesa.batch_run`, a Mesa sweep)
at most about twice as slow as the better of the two choices made in advance, whatever
its length; a run or two never load it. The numbers are the same either way."""

_months = {"one run": 0}
"""Months stepped by single runs in numpy so far (see `AUTO_MONTHS`)."""

_forced: list[str] = []
"""Implementations forced by `using`, innermost last."""


def _compiled(rows: int | None = None) -> ModuleType | None:
    """The numba kernels module for a batch of `rows` replicates, or None for numpy.

    None when numpy is selected (by `using` or the environment), when numba is not
    importable, or under `auto` for a small batch while numba is not loaded yet.
    """
    if _forced and _forced[-1] == "numpy":
        return None
    choice = _choice()
    if choice == "numpy":
        return None
    if choice == "auto" and rows is not None and rows < AUTO_ROWS and _LOADED.get("kernels") is None:
        return None
    return _load()


def _compiled_for(state: State) -> ModuleType | None:
    """`_compiled` for the state's batch; once numba is loaded, without counting the batch."""
    loaded = _LOADED.get("kernels")
    if loaded is not None and not _forced and _choice() != "numpy":
        return loaded
    return _compiled(_rows(state))


@cache
def _choice() -> str:
    choice = os.environ.get(ENV, "auto").strip().lower()
    return choice if choice in ("numba", "numpy") else "auto"


_LOADED: dict[str, ModuleType | None] = {}


def _load() -> ModuleType | None:
    """Import the numba kernels once (None when numba is not importable)."""
    if "kernels" not in _LOADED:
        try:
            from alliance_sim.core import kernels_numba
        except ImportError:
            _LOADED["kernels"] = None
        else:
            _LOADED["kernels"] = kernels_numba
    return _LOADED["kernels"]


def one_run_month() -> None:
    """Count a month of a single run; under `auto`, load numba once `AUTO_MONTHS` were stepped in numpy."""
    if "kernels" in _LOADED or _forced:
        return
    _months["one run"] += 1
    if _months["one run"] >= AUTO_MONTHS and _choice() == "auto":
        _load()


def backend() -> str:
    """The implementation a large batch runs with: `numba` or `numpy`."""
    return "numba" if _compiled() is not None else "numpy"


def expect(rows: int) -> None:
    """Work of `rows` replicates is coming: under `auto`, load numba now if that is `AUTO_ROWS` or more.

    The work may run in smaller batches (a posterior predictive run has one per particle
    and design point); they then use the compiled kernels too. The numbers are the same.
    """
    if rows >= AUTO_ROWS:
        _compiled(rows)


def reset() -> None:
    """Choose the implementation again from the environment (tests switch it)."""
    _choice.cache_clear()


@contextmanager
def using(implementation: str) -> Iterator[None]:
    """Run a block with the `numpy` implementation (or the default, `numba`), whatever the environment.

    `validate` weighs the starting state with numpy, so that checking a scenario never
    loads numba; the numbers are the same either way.
    """
    _forced.append(implementation)
    try:
        yield
    finally:
        _forced.pop()


def _rows(state: State) -> int:
    """Replicates in the state's batch (1 for one run)."""
    shape = state.status.shape
    return math.prod(shape[:-1]) if len(shape) > 1 else 1


_F64, _I8, _I16, _I64, _BOOL = (np.dtype(kind) for kind in (np.float64, np.int8, np.int16, np.int64, np.bool_))
"""The kernels' types, as dtypes (comparing a dtype with a dtype is several times faster than with a type)."""


def _view(array: np.ndarray, tail: int) -> np.ndarray:
    """A C-contiguous `array` as a (batch, *last `tail` axes) view (one batch row when there is no batch)."""
    extra = array.ndim - tail
    if extra == 1:
        return array
    if extra == 0:
        return array[None]
    return array.reshape((-1, *array.shape[extra:]))


def _flat(array: np.ndarray, tail: int, dtype: np.dtype = _F64) -> np.ndarray:
    """`array` as a contiguous (batch, *last `tail` axes) array (one batch row when there is no batch)."""
    if array.dtype != dtype or not array.flags.c_contiguous:
        array = np.ascontiguousarray(array, dtype=dtype)
    extra = array.ndim - tail  # as `_view`, written out: this runs some seventy times a month
    if extra == 1:
        return array
    if extra == 0:
        return array[None]
    return array.reshape((-1, *array.shape[extra:]))


class _Statics:
    """A world's arrays as the compiled kernels take them (contiguous float64), made once per world.

    The engines call the kernels every month with the same world; converting its arrays
    each time would cost a single run more than the kernels' own work.
    """

    def __init__(self, world: World) -> None:
        params = world.config.model
        w = params.value
        m, h = world.m, world.hegemon

        def c(array: Any) -> np.ndarray:
            return np.ascontiguousarray(array, dtype=np.float64)

        self.weights = np.array(
            [
                w.protection,
                w.regime,
                w.dependence,
                -w.entrapment,
                -w.domestic,
                -w.sovereignty,
                w.outside,
                w.grievance,
                w.fear,
                -w.coercion,
            ]
        )
        others = c(world.others)
        others_total = c(dyn.sequential_sum(others)).reshape(m)
        self.weigh = tuple(
            c(a)
            for a in (
                world.ratio,
                world.proximity,
                world.offense,
                world.power,
                world.capacity,
                world.is_hegemon,
                world.is_outside,
                params.threat.sufficiency * world.power,
                world.ties,
                world.share,
                others,
                others_total,
                world.outside_option,
                world.patron_option,
                world.compatibility,
                world.dependence,
                world.regime_security,
                world.war_exposure,
                world.domestic_pressure,
                world.sovereignty_cost,
                world.coercion_exposure,
            )
        )
        self.hegemon_capacity = float(world.capacity[h])
        self.share = c(world.share)
        self.is_hegemon = c(world.is_hegemon)
        self.fixed = np.ascontiguousarray(world.is_hegemon > 0)
        self.fear = c(world.ratio[:m, h] * world.proximity[:m, h] * world.offense[h])
        self.coercion_exposure = c(world.coercion_exposure)
        self.member_capacity = c(world.capacity[:m])
        self.ratio, self.proximity, self.offense, self.ties = (
            c(world.ratio),
            c(world.proximity),
            c(world.offense),
            c(world.ties),
        )
        self.trust_alpha0 = c(world.trust_alpha0).reshape(-1)
        self.trust_beta0 = c(world.trust_beta0).reshape(-1)
        self.hostility = c(world.hostility).reshape(-1)
        shocks, hegemon = params.shocks, params.hegemon
        self.keeps = np.array(
            [
                1.0 - params.trust.forgetting,
                1.0 - params.threat.intent_decay,
                1.0 - shocks.protest_decay,
                1.0 - shocks.offer_decay,
                1.0 - shocks.grievance_decay,
                1.0 - shocks.regime_decay,
                1.0 - shocks.war_recovery,
                1.0 - shocks.demand_decay,
                1.0 - hegemon.reward_decay,
                1.0 - hegemon.signal_decay,
            ]
        )


_PER_WORLD: dict[tuple[int, str], tuple[weakref.ref[World], Any]] = {}
_LAST: dict[str, tuple[World, Any]] = {}
"""The world of the last call of each key and what was made for it (it keeps that one world alive)."""


def per_world[T](world: World, key: str, make: Callable[[World], T]) -> T:
    """`make(world)`, made on first use for this world and `key`, kept while the world lives.

    For what an engine derives from a world every month that the world fixes once (a
    world never changes): the arrays as the kernels take them, the month's calendar.
    """
    last = _LAST.get(key)
    if last is not None and last[0] is world:  # the world of the last call: most calls
        return cast(T, last[1])
    slot = (id(world), key)
    kept = _PER_WORLD.get(slot)
    if kept is not None and kept[0]() is world:
        _LAST[key] = (world, kept[1])
        return cast(T, kept[1])
    made = make(world)
    _LAST[key] = (world, made)

    def forget(ref: weakref.ref[World]) -> None:
        if _PER_WORLD.get(slot, (None,))[0] is ref:
            del _PER_WORLD[slot]

    _PER_WORLD[slot] = (weakref.ref(world, forget), made)
    return made


def _statics(world: World) -> _Statics:
    """The world's `_Statics`, made on first use and kept while the world lives."""
    return per_world(world, "kernels", _Statics)


# --- Credibility (phase 4) ----------------------------------------------------------


def credibility(
    alpha: np.ndarray,
    beta: np.ndarray,
    alpha_int: np.ndarray,
    beta_int: np.ndarray,
    share: np.ndarray,
    active: np.ndarray,
    able: np.ndarray,
    ties: np.ndarray,
    need: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Credibility against each outside actor and for help with internal unrest (numpy; see `weigh`).

    Cr_ik = sum_j tau_ij s_ij act_j (1 - ties_jk) min(1, cap_j / need_k) for outside actors
    k (`dynamics.sufficient_credibility`), 0 for members (an attack by a member is not
    deterred, and a member's threat is not protected against); and the credibility of help
    with unrest, sum_j tau^int_ij s_ij act_j min(1, cap_j / need_i). Each sum runs over j in
    order, so a row gives the same numbers alone or in a batch. Only what (R, m, n) and
    (R, m, m) arrays hold is allocated: the cost is m * m * (outside actors) per replicate.

    Args:
        alpha: Beta counts of help against attack, (..., m, m).
        beta: Beta counts of refusal, (..., m, m).
        alpha_int: Beta counts of help with unrest, (..., m, m).
        beta_int: Beta counts of refusal of such help, (..., m, m).
        share: s_ij, (m, m).
        active: 1.0 for active members, (..., m).
        able: Each member's capability now, (..., m).
        ties: ties_jk, (m, n).
        need: What a threat from each actor needs, (n,).

    Returns:
        Cr, (..., m, n), and the credibility of help with unrest, (..., m).
    """
    batch = alpha.shape[:-2]
    m, n = ties.shape
    weight = dyn.trust(alpha, beta) * share * active[..., None, :]  # (..., i, j)
    enough = np.minimum(able[..., :, None] / need[m:], 1.0)  # (..., j, k outside)
    free = (1.0 - ties[:, m:]) * enough
    if batch or m == 0:
        outside = np.zeros((*batch, m, n - m))
        for j in range(m):
            outside = outside + weight[..., :, j, None] * free[..., None, j, :]
    else:
        # One run: the (m, m, n - m) products are small, and a running sum over j adds them in
        # the same order; every product is +0.0 or more, so starting from the first product
        # instead of from 0.0 changes no bit.
        outside = np.cumsum(weight[:, :, None] * free[None, :, :], axis=1)[:, -1, :]
    cred = np.concatenate([np.zeros((*batch, m, m)), outside], axis=-1)
    # Help with internal unrest needs a force of the member's own size; ties do not discount it.
    enough_int = np.minimum(able[..., None, :] / need[:m, None], 1.0)
    regime_trust = dyn.trust(alpha_int, beta_int)
    internal = dyn.sequential_sum(regime_trust * share * active[..., None, :] * enough_int)
    return cred, np.asarray(internal)


# --- Learning from an answer (phase 3) ----------------------------------------------


def learn(
    alpha: np.ndarray,
    beta: np.ndarray,
    alpha_int: np.ndarray,
    beta_int: np.ndarray,
    levels: np.ndarray,
    answer: np.ndarray,
    asked: np.ndarray,
    unrest: np.ndarray,
    status: np.ndarray,
    requester: int,
    spillover: float,
    learning: float,
    visibility: float,
    token_credit: float,
    cross_domain: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every observer's beliefs about each ally who answered one request, both kinds of help.

    Observer i learns about ally j with weight 1 (the requester) or the spillover (others),
    times the learning rate, where j took part and i has not withdrawn, from the credit j
    earns (`dynamics.attributed_credit`); the kind of help asked learns it whole, the other
    kind a `cross_domain` share (`dynamics.learn_from_answer`, `dynamics.observation_weights`).

    Args:
        alpha: Beta counts of help against attack, (..., m, m).
        beta: Beta counts of refusal, (..., m, m).
        alpha_int: Beta counts of help with unrest, (..., m, m).
        beta_int: Beta counts of refusal of such help, (..., m, m).
        levels: Each ally's level, `ABSTAIN` where it took no part, (..., m).
        answer: The alliance's answer, (...).
        asked: Where the request was made, (...).
        unrest: Where the request is about internal unrest, (...) or a scalar.
        status: Statuses, (..., m).
        requester: The member that asked.
        spillover: Weight for observers other than the requester.
        learning: The learning rate.
        visibility: Share of the lesson drawn from each ally's own vote.
        token_credit: Credit of a token answer.
        cross_domain: Share of the lesson the other kind of help learns.

    Returns:
        The new (alpha, beta, alpha_int, beta_int); the compiled implementation updates the
        given arrays in place where they are C-contiguous float64 and returns them.
    """
    batch = alpha.shape[:-2]
    m = alpha.shape[-1]
    kernels = _compiled(math.prod(batch))
    if kernels is not None:
        # In place where the arrays allow it (the state's own, which this replaces).
        out = [
            a if a.flags.c_contiguous and a.flags.writeable and a.dtype == np.float64 else np.array(a, np.float64)
            for a in (alpha, beta, alpha_int, beta_int)
        ]
        kernels.learn(
            *(_view(a, 2) for a in out),
            _flat(np.broadcast_to(levels, (*batch, m)), 1, _I8),
            _flat(np.broadcast_to(answer, batch), 0, _I8),
            _flat(np.broadcast_to(asked, batch), 0, _BOOL),
            _flat(np.broadcast_to(unrest, batch), 0, _BOOL),
            _flat(np.broadcast_to(status, (*batch, m)), 1, _I8),
            requester,
            spillover,
            learning,
            visibility,
            token_credit,
            cross_domain,
        )
        return out[0], out[1], out[2], out[3]
    credit = dyn.attributed_credit(levels, answer, visibility, token_credit)
    voters = (levels >= 0).astype(float)
    observers = (status != dyn.WITHDRAWN).astype(float)
    weights = dyn.observation_weights(requester, voters, observers, spillover)
    weights = weights * (learning * np.asarray(asked, dtype=float))[..., None, None]
    # The lesson is about the kind of help asked; the other kind learns a share of it.
    to_defence = np.where(unrest, cross_domain, 1.0)[..., None, None]
    to_regime = np.where(unrest, 1.0, cross_domain)[..., None, None]
    alpha, beta = dyn.learn_from_answer(alpha, beta, credit, weights * to_defence)
    alpha_int, beta_int = dyn.learn_from_answer(alpha_int, beta_int, credit, weights * to_regime)
    return alpha, beta, alpha_int, beta_int


# --- Weighing membership (phase 4) ----------------------------------------------------


def weigh(world: World, state: State) -> np.ndarray | None:
    """Phase 4 whole, compiled (`phases.weigh_membership` says what it computes); None under numpy.

    Writes the terms, the values, the credibility and the largest threat into `state`
    and returns the net value of leaving, (..., m); the numpy implementation is
    `phases.weigh_membership` itself.
    """
    kernels = _compiled_for(state)
    if kernels is None:
        return None
    params = world.config.model
    m = world.m
    batch = state.status.shape[:-1]
    statics = _statics(world)
    weights = statics.weights
    # Written in place: the state's own arrays (made C-contiguous float64 if they were not).
    terms, stay, leave, cred, internal, max_threat = (
        _writable(state, name) for name in ("terms", "value_stay", "value_leave", "cred", "credibility", "max_threat")
    )
    net = np.empty((*batch, m))
    kernels.weigh(
        _flat(state.intent, 2),
        _flat(state.status, 1, _I8),
        _flat(state.war_load, 0),
        _flat(state.protest, 1),
        _flat(state.offers, 2),
        _flat(state.crisis, 1),
        _flat(state.reward, 1),
        _flat(state.signal, 1),
        _flat(state.demand, 0),
        _flat(state.grievance, 2),
        _flat(state.alpha, 2),
        _flat(state.beta, 2),
        _flat(state.alpha_int, 2),
        _flat(state.beta_int, 2),
        *statics.weigh,
        params.shocks.contagion,
        statics.hegemon_capacity,
        params.hegemon.resolve,
        world.hegemon,
        weights,
        _view(terms, 2),
        _view(stay, 1),
        _view(leave, 1),
        _view(cred, 2),
        _view(internal, 1),
        _view(max_threat, 1),
        _view(net, 1),
    )
    return net


# --- Relaxation (phase 1) -------------------------------------------------------------


def _writable(state: State, name: str) -> np.ndarray:
    """The state's array `name`, made C-contiguous float64 in place if it was not, to be written in place."""
    array: np.ndarray = getattr(state, name)
    if not (array.dtype == _F64 and array.flags.carray):  # carray: C-contiguous, aligned, writeable
        array = np.array(array, dtype=np.float64, order="C", copy=True)
        setattr(state, name, array)
    return array


def relax(state: State, name: str, baseline: np.ndarray | float, rate: float) -> None:
    """Relax the state's array `name` toward `baseline` for one month (`dynamics.relax_toward`), in place.

    Args:
        state: The state.
        name: A float field of the state.
        baseline: A value per entry of one replicate (the trailing axes), or 0.0.
        rate: The monthly rate.
    """
    kernels = _compiled_for(state)
    if kernels is None:
        setattr(state, name, dyn.relax_toward(getattr(state, name), baseline, rate))
        return
    array = _writable(state, name)
    keep = 1.0 - rate
    if isinstance(baseline, float) and baseline == 0.0:
        kernels.relax_to_zero(array.reshape(-1), keep)
        return
    base = np.ascontiguousarray(baseline, dtype=np.float64)
    kernels.relax(array.reshape(-1, base.size), base.reshape(-1), keep)


RELAXED = (
    "alpha",
    "beta",
    "alpha_int",
    "beta_int",
    "intent",
    "protest",
    "offers",
    "grievance",
    "crisis",
    "war_load",
    "demand",
    "reward",
    "signal",
)
"""The state's arrays phase 1 relaxes, in the order of `relax_month`'s arguments."""


def relax_month(world: World, state: State) -> bool:
    """Phase 1 whole (`phases.relax` says what it does), compiled, in place; False under numpy.

    One call for every array: the same numbers as `relax` array by array.
    """
    kernels = _compiled_for(state)
    if kernels is None:
        return False
    statics = _statics(world)
    keeps = statics.keeps
    kernels.relax_month(
        *(_writable(state, name).reshape(-1) for name in RELAXED),
        statics.trust_alpha0,
        statics.trust_beta0,
        statics.hostility,
        keeps,
    )
    return True


# --- Status (phase 6) -------------------------------------------------------------------


def transition(world: World, state: State, draw: np.ndarray) -> bool:
    """Phase 6 compiled (`phases.reconsider_status`), in place; False (nothing done) under numpy.

    numba's `exp` does not match numpy's in the last bit on every machine (numpy may use
    SIMD code of its own), so the five logistic probabilities take their `exp` from numpy,
    on one array of their negated arguments for the whole batch; the arguments before it
    and everything after it are compiled, with the same operations in the same order as
    `dynamics.transition_with_notice`.
    """
    kernels = _compiled_for(state)
    if kernels is None:
        return False
    status = world.config.model.status
    z = np.empty((*state.status.shape, 5))
    kernels.status_exponents(
        _flat(state.pressure, 1),
        status.disengage,
        status.withdraw,
        status.reengage,
        status.rejoin,
        dyn.revoke_threshold(status.disengage, status.withdraw, status.reengage),
        status.scale,
        _view(z, 2),
    )
    np.exp(z, out=z)
    states = _writable_int(state, "status", _I8)
    notices = _writable_int(state, "notice", _I16)
    kernels.transition(
        _view(states, 1),
        _view(notices, 1),
        _flat(draw, 1),
        _view(z, 2),
        int(status.notice_months),
        _statics(world).fixed,
    )
    return True


def _writable_int(state: State, name: str, dtype: Any) -> np.ndarray:
    """The state's integer array `name`, made C-contiguous of `dtype` in place if it was not."""
    array: np.ndarray = getattr(state, name)
    if not (array.dtype == dtype and array.flags.carray):
        array = np.array(array, dtype=dtype, order="C", copy=True)
        setattr(state, name, array)
    return array


# --- Recording a month ------------------------------------------------------------------


RECORDED = (
    "status",
    "notice",
    "pressure",
    "credibility",
    "value_stay",
    "value_leave",
    "max_threat",
    "protest",
    "reward",
    "signal",
    "offers",
    "grievance",
    "trust_in_hegemon",
    "regime_trust_in_hegemon",
    "fear_of_hegemon",
)
"""The traced quantities `record` writes, in the order of its output arguments."""

_RECORDED_TYPES = (_I8, _I16, *(_F64,) * (len(RECORDED) - 2))


def record(world: World, state: State, members: dict[str, np.ndarray]) -> bool:
    """Write one month's traced per-member quantities into `members` (name -> row), compiled.

    The same numbers as `trace.QUANTITIES` reads; False (nothing done) under numpy or when
    a row is not a C-contiguous array of the trace's type.
    """
    kernels = _compiled_for(state)
    if kernels is None or len(members) != len(RECORDED):
        return False
    rows: list[np.ndarray] = []
    for name, kind in zip(RECORDED, _RECORDED_TYPES, strict=True):
        row = members.get(name)
        if row is None or row.dtype != kind or not row.flags.carray:  # carray: C-contiguous, aligned, writeable
            return False
        rows.append(_view(row, 1))
    h = world.hegemon
    statics = _statics(world)
    kernels.record(
        _flat(state.status, 1, _I8),
        _flat(state.notice, 1, _I16),
        _flat(state.pressure, 1),
        _flat(state.credibility, 1),
        _flat(state.value_stay, 1),
        _flat(state.value_leave, 1),
        _flat(state.max_threat, 1),
        _flat(state.protest, 1),
        _flat(state.reward, 1),
        _flat(state.signal, 1),
        _flat(state.offers, 2),
        _flat(state.grievance, 2),
        _flat(state.intent, 2),
        _flat(state.alpha, 2),
        _flat(state.beta, 2),
        _flat(state.alpha_int, 2),
        _flat(state.beta_int, 2),
        statics.share,
        statics.is_hegemon,
        statics.fear,
        h,
        *rows,
    )
    return True


# --- Pressure and the hegemon (phases 4 and 5) ------------------------------------------


def smooth_pressure(state: State, net: np.ndarray, smoothing: float) -> bool:
    """Fold this month's net value into the smoothed pressure, compiled, in place; False under numpy."""
    kernels = _compiled_for(state)
    if kernels is None:
        return False
    pressure = _writable(state, "pressure")
    if net.shape != pressure.shape:
        net = np.broadcast_to(net, pressure.shape)
    kernels.smooth_pressure(pressure.reshape(-1), _flat(net, 0).reshape(-1), smoothing)
    return True


def hegemon_acts(world: World, state: State) -> bool:
    """Phase 5 compiled (`phases.hegemon_acts` says what it does), in place; False under numpy."""
    kernels = _compiled_for(state)
    if kernels is None:
        return False
    params = world.config.model.hegemon
    reacted = state.reacted
    if not (reacted.flags.c_contiguous and reacted.flags.writeable and reacted.dtype == np.bool_):
        reacted = np.array(reacted, dtype=np.bool_)
        state.reacted = reacted
    statics = _statics(world)
    kernels.hegemon_acts(
        _view(_writable(state, "pressure"), 1),
        _view(_writable(state, "previous"), 1),
        _flat(state.status, 1, _I8),
        _view(_writable(state, "reward"), 1),
        _view(_writable(state, "signal"), 1),
        _view(_writable(state, "intent"), 2),
        reacted.reshape(-1),
        _flat(state.war_load, 0),
        statics.hegemon_capacity,
        statics.is_hegemon,
        statics.coercion_exposure,
        world.hegemon,
        world.config.model.status.disengage - params.watch,
        params.reward,
        params.coerce,
        params.deter,
    )
    return True


# --- The allies' answers (phase 3) ------------------------------------------------------


def ally_answers(
    world: World, state: State, requester: int, attacker: int | np.ndarray, draws: np.ndarray
) -> np.ndarray | None:
    """Every member's answer level to a request (`phases.ally_answers`), compiled; None under numpy.

    As in the status phase, the `exp` of the two logistic probabilities is numpy's, taken on
    one array of their negated arguments; the scores before it and the levels after it are
    compiled.

    Args:
        world: The compiled scenario.
        state: The state.
        requester: The member that asks.
        attacker: The attacker's actor index, -1 for internal unrest; an int or one per replicate.
        draws: Each member's draw for this request, (..., m).

    Returns:
        The levels 0 (refused), 1 (token), 2 (full), int8, (..., m).
    """
    batch = state.status.shape[:-1]
    kernels = _compiled(math.prod(batch))
    if kernels is None:
        return None
    m = world.m
    params = world.config.model.answer
    statics = _statics(world)
    z = np.empty((*batch, m, 2))
    kernels.answer_exponents(
        _flat(state.alpha, 2),
        _flat(state.beta, 2),
        _flat(state.alpha_int, 2),
        _flat(state.beta_int, 2),
        _flat(state.intent, 2),
        _flat(state.war_load, 0),
        _flat(np.broadcast_to(attacker, batch), 0, _I64),
        requester,
        statics.member_capacity,
        statics.is_hegemon,
        statics.ratio,
        statics.proximity,
        statics.offense,
        statics.ties,
        params.bias,
        params.trust,
        params.capacity,
        params.threat,
        params.ties,
        params.internal,
        params.token_band,
        _view(z, 2),
    )
    np.exp(z, out=z)
    levels = np.empty((*batch, m), dtype=np.int8)
    kernels.answer_levels(_view(z, 2), _flat(draws, 1), _view(levels, 1))
    return levels
