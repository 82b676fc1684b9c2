"""The numba implementations of `alliance_sim.core.kernels` (imported only through it).

Each kernel loops over a flat batch axis and does, element by element, the operations
of the numpy implementation in the same order: no fast-math, no reassociation, no
transcendental functions (an `exp` is taken by numpy between two kernels), so the
results are the same bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _jit(function: Callable[..., Any]) -> Any:
    """Compile `function`, cached on disk where numba finds a writable place (else in memory only)."""
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # no writable cache location
        return njit(function)


@_jit
def learn(  # type: ignore[no-untyped-def]  # noqa: D103
    alpha,
    beta,
    alpha_int,
    beta_int,
    levels,
    answer,
    asked,
    unrest,
    status,
    requester,
    spillover,
    learning,
    visibility,
    token_credit,
    cross_domain,
):
    rows, m = levels.shape
    for b in range(rows):
        if not asked[b]:
            continue  # the weights are all 0: nothing changes
        a = answer[b]
        collective = 1.0 if a == 2 else (token_credit if a == 1 else 0.0)
        rate = learning * 1.0
        to_defence = cross_domain if unrest[b] else 1.0
        to_regime = 1.0 if unrest[b] else cross_domain
        for i in range(m):
            observer = 1.0 if status[b, i] != 2 else 0.0
            row = 1.0 if i == requester else spillover
            for j in range(m):
                level = levels[b, j]
                own = 1.0 if level == 2 else (token_credit if level == 1 else 0.0)
                credit = visibility * own + (1.0 - visibility) * collective
                voter = 1.0 if level >= 0 else 0.0
                off = 0.0 if i == j else 1.0
                weight = row * off * observer * voter * rate
                wd = weight * to_defence
                alpha[b, i, j] = alpha[b, i, j] + wd * credit
                beta[b, i, j] = beta[b, i, j] + wd * (1.0 - credit)
                wr = weight * to_regime
                alpha_int[b, i, j] = alpha_int[b, i, j] + wr * credit
                beta_int[b, i, j] = beta_int[b, i, j] + wr * (1.0 - credit)


@_jit
def weigh(  # type: ignore[no-untyped-def]  # noqa: D103
    intent,
    status,
    war_load,
    protest,
    offers,
    crisis,
    reward,
    signal,
    demand,
    grievance,
    alpha,
    beta,
    alpha_int,
    beta_int,
    ratio,
    proximity,
    offense,
    power,
    capacity,
    is_hegemon,
    is_outside,
    need,
    ties,
    share,
    others,
    others_total,
    outside_option,
    patron_option,
    compatibility,
    dependence,
    regime_security,
    war_exposure,
    domestic_pressure,
    sovereignty_cost,
    exposure,
    contagion,
    spare_share,
    resolve,
    hegemon,
    weights,
    terms,
    stay,
    leave,
    cred,
    internal,
    max_threat,
    net,
):
    rows, m, n = intent.shape
    threats = np.empty((m, n))
    active = np.empty(m)
    able = np.empty(m)
    free = np.empty((m, n))
    departed = np.empty(m)
    for b in range(rows):
        for i in range(m):
            for k in range(n):
                threats[i, k] = ratio[i, k] * proximity[i, k] * offense[k] * intent[b, i, k]
        for j in range(m):
            s = status[b, j]
            active[j] = 1.0 if s == 0 else 0.0
            departed[j] = 1.0 if s == 2 else (0.5 if s == 1 else 0.0)
            able[j] = power[j] * capacity[j] * (1.0 - war_load[b] * is_hegemon[j])
        for j in range(m):
            for k in range(m, n):
                x = able[j] / need[k]
                if x > 1.0:
                    x = 1.0
                free[j, k] = (1.0 - ties[j, k]) * x
        spare = spare_share * (1.0 - war_load[b])
        for i in range(m):
            # credibility against each outside actor, and for help with unrest
            for k in range(n):
                cred[b, i, k] = 0.0
            total = 0.0
            for j in range(m):
                w = alpha[b, i, j] / (alpha[b, i, j] + beta[b, i, j]) * share[i, j] * active[j]
                for k in range(m, n):
                    cred[b, i, k] = cred[b, i, k] + w * free[j, k]
                e = able[j] / need[i]
                if e > 1.0:
                    e = 1.0
                t = alpha_int[b, i, j] / (alpha_int[b, i, j] + beta_int[b, i, j])
                total = total + t * share[i, j] * active[j] * e
            internal[b, i] = total
            # protection, the largest threat
            protection = 0.0
            largest = threats[i, 0]
            for k in range(n):
                protection = protection + threats[i, k] * is_outside[k] * cred[b, i, k]
                x = threats[i, k]
                if x > largest or x != x:
                    largest = x
            max_threat[b, i] = largest
            # the way out: contagion, the baseline option, each patron's (noisy-or, in this order)
            gone = 0.0
            for j in range(m):
                gone = gone + departed[j] * others[i, j]
            gone = gone / others_total[i]
            contagious = contagion * gone
            if contagious > 1.0:
                contagious = 1.0
            remaining = 1.0 * (1.0 - contagious)
            remaining = remaining * (1.0 - outside_option[i])
            for k in range(n):
                offer = offers[b, i, k] * is_outside[k]
                option = (1.0 - (1.0 - patron_option[i, k]) * (1.0 - offer)) * (1.0 - compatibility[k])
                remaining = remaining * (1.0 - option)
            option = 1.0 - remaining
            coercion = exposure[i] * spare * (1.0 + resolve * signal[b, i])
            domestic = domestic_pressure[i] + protest[b, i]
            if domestic > 1.0:
                domestic = 1.0
            grieved = 0.0
            for j in range(m):
                grieved = grieved + grievance[b, i, j] * share[i, j]
            terms[b, i, 0] = weights[0] * protection
            terms[b, i, 1] = weights[1] * regime_security[i] * total * (1.0 + crisis[b, i])
            terms[b, i, 2] = weights[2] * (dependence[i] + reward[b, i])
            terms[b, i, 3] = weights[3] * war_exposure[i] * demand[b]
            terms[b, i, 4] = weights[4] * domestic
            terms[b, i, 5] = weights[5] * sovereignty_cost[i]
            terms[b, i, 6] = weights[6] * option
            terms[b, i, 7] = weights[7] * grieved
            terms[b, i, 8] = weights[8] * threats[i, hegemon]
            terms[b, i, 9] = weights[9] * coercion
            value_stay = 0.0
            for q in range(6):
                value_stay = value_stay + terms[b, i, q]
            value_leave = 0.0
            for q in range(6, 10):
                value_leave = value_leave + terms[b, i, q]
            stay[b, i] = value_stay
            leave[b, i] = value_leave
            net[b, i] = value_leave - value_stay


@_jit
def relax(values, baseline, keep):  # type: ignore[no-untyped-def]  # noqa: D103
    rows, size = values.shape
    for b in range(rows):
        for q in range(size):
            base = baseline[q]
            values[b, q] = base + (values[b, q] - base) * keep


@_jit
def relax_to_zero(values, keep):  # type: ignore[no-untyped-def]  # noqa: D103
    for q in range(values.size):
        values.flat[q] = 0.0 + (values.flat[q] - 0.0) * keep


@_jit
def relax_month(  # type: ignore[no-untyped-def]  # noqa: D103
    alpha,
    beta,
    alpha_int,
    beta_int,
    intent,
    protest,
    offers,
    grievance,
    crisis,
    war_load,
    demand,
    reward,
    signal,
    alpha0,
    beta0,
    hostility,
    keeps,
):
    # Phase 1 whole, one flat array per field: `relax` for the first five, `relax_to_zero`
    # for the rest, with the same operations.
    for values, baseline, keep in (
        (alpha, alpha0, keeps[0]),
        (beta, beta0, keeps[0]),
        (alpha_int, alpha0, keeps[0]),
        (beta_int, beta0, keeps[0]),
        (intent, hostility, keeps[1]),
    ):
        size = baseline.size
        for q in range(values.size):
            base = baseline[q % size]
            values[q] = base + (values[q] - base) * keep
    for values, keep in (
        (protest, keeps[2]),
        (offers, keeps[3]),
        (grievance, keeps[4]),
        (crisis, keeps[5]),
        (war_load, keeps[6]),
        (demand, keeps[7]),
        (reward, keeps[8]),
        (signal, keeps[9]),
    ):
        for q in range(values.size):
            values[q] = 0.0 + (values[q] - 0.0) * keep


@_jit
def status_exponents(pressure, disengage, withdraw, reengage, rejoin, revoke, scale, z):  # type: ignore[no-untyped-def]  # noqa: D103
    # The arguments of the five logistic probabilities of `dynamics.transition_with_notice`,
    # negated as `dynamics.sigmoid` negates them; numpy takes their exp (see `kernels.transition`).
    rows, m = pressure.shape
    for b in range(rows):
        for i in range(m):
            p = pressure[b, i]
            z[b, i, 0] = -((p - disengage) / scale)
            z[b, i, 1] = -((p - withdraw) / scale)
            z[b, i, 2] = -((reengage - p) / scale)
            z[b, i, 3] = -((rejoin - p) / scale)
            z[b, i, 4] = -((revoke - p) / scale)


@_jit
def transition(status, notice, draw, e, notice_months, fixed):  # type: ignore[no-untyped-def]  # noqa: D103
    # `dynamics.transition_with_notice`, in place, from e = exp(-x) of each probability's argument.
    rows, m = status.shape
    for b in range(rows):
        for i in range(m):
            s = status[b, i]
            nt = notice[b, i]
            if fixed[i]:
                notice[b, i] = 0
                continue
            d = draw[b, i]
            p_disengage = 1.0 / (1.0 + e[b, i, 0])
            p_withdraw = 1.0 / (1.0 + e[b, i, 1])
            p_reengage = 1.0 / (1.0 + e[b, i, 2])
            p_rejoin = 1.0 / (1.0 + e[b, i, 3])
            p_revoke = 1.0 / (1.0 + e[b, i, 4])
            back = d >= 1.0 - p_reengage
            revokes = d >= 1.0 - p_revoke
            gives = d < p_withdraw
            if s == 0:
                status[b, i] = 1 if d < p_disengage else 0
                notice[b, i] = 0
            elif s == 2:
                status[b, i] = 0 if d < p_rejoin else 2
                notice[b, i] = 0
            elif s == 1 and nt > 0:
                served = nt == 1
                status[b, i] = 2 if served else 1
                notice[b, i] = 0 if (served or revokes) else nt - 1
            else:
                if gives:
                    status[b, i] = 1 if notice_months > 0 else 2
                else:
                    status[b, i] = 0 if back else 1
                notice[b, i] = notice_months if (gives and notice_months > 0 and s == 1) else 0


@_jit
def record(  # type: ignore[no-untyped-def]  # noqa: D103
    status,
    notice,
    pressure,
    credibility,
    value_stay,
    value_leave,
    max_threat,
    protest,
    reward,
    signal,
    offers,
    grievance,
    intent,
    alpha,
    beta,
    alpha_int,
    beta_int,
    share,
    is_hegemon,
    fear_factor,
    hegemon,
    out_status,
    out_notice,
    out_pressure,
    out_credibility,
    out_stay,
    out_leave,
    out_max_threat,
    out_protest,
    out_reward,
    out_signal,
    out_offers,
    out_grievance,
    out_trust,
    out_regime_trust,
    out_fear,
):
    # `trace.QUANTITIES` of one month, for a batch, written into the trace's row.
    rows, m = status.shape
    n = offers.shape[2]
    h = hegemon
    for b in range(rows):
        for i in range(m):
            out_status[b, i] = status[b, i]
            out_notice[b, i] = notice[b, i]
            out_pressure[b, i] = pressure[b, i]
            out_credibility[b, i] = credibility[b, i]
            out_stay[b, i] = value_stay[b, i]
            out_leave[b, i] = value_leave[b, i]
            out_max_threat[b, i] = max_threat[b, i]
            out_protest[b, i] = protest[b, i]
            out_reward[b, i] = reward[b, i]
            out_signal[b, i] = signal[b, i]
            largest = offers[b, i, 0]
            for k in range(1, n):
                x = offers[b, i, k]
                if x > largest or x != x:
                    largest = x
            out_offers[b, i] = largest
            total = 0.0
            for j in range(m):
                total = total + grievance[b, i, j] * share[i, j]
            out_grievance[b, i] = total
            if is_hegemon[i] > 0:
                out_trust[b, i] = np.nan
                out_regime_trust[b, i] = np.nan
            else:
                out_trust[b, i] = alpha[b, i, h] / (alpha[b, i, h] + beta[b, i, h])
                out_regime_trust[b, i] = alpha_int[b, i, h] / (alpha_int[b, i, h] + beta_int[b, i, h])
            out_fear[b, i] = fear_factor[i] * intent[b, i, h]


@_jit
def smooth_pressure(pressure, net, smoothing):  # type: ignore[no-untyped-def]  # noqa: D103
    keep = 1.0 - smoothing
    for q in range(pressure.size):
        pressure.flat[q] = keep * pressure.flat[q] + smoothing * net.flat[q]


@_jit
def hegemon_acts(  # type: ignore[no-untyped-def]  # noqa: D103
    pressure,
    previous,
    status,
    reward,
    signal,
    intent,
    reacted,
    war_load,
    capacity,
    is_hegemon,
    exposure,
    hegemon,
    watch,
    reward_rate,
    coerce_rate,
    deter,
):
    # `phases.hegemon_acts`, in place, the same operations in the same order.
    rows, m = pressure.shape
    h = hegemon
    for b in range(rows):
        spare = capacity * (1.0 - war_load[b])
        first = False
        for i in range(m):
            if status[b, i] != 0 and is_hegemon[i] == 0:
                first = True
        first = first and not reacted[b]
        for i in range(m):
            outside = 1.0 - is_hegemon[i]
            p = pressure[b, i]
            rise = p - previous[b, i]
            attention = (rise if (p > watch and rise > 0.0) else 0.0) * outside
            attention = attention * (1.0 if status[b, i] != 2 else 0.0)
            x = exposure[i]
            amount = reward_rate * spare * (1.0 - x) * attention
            if not (amount < 1.0 or amount != amount):
                amount = 1.0
            reward[b, i] = reward[b, i] + amount * (1.0 - reward[b, i])
            coerce = coerce_rate * x * attention
            if not (coerce < 1.0 or coerce != coerce):
                coerce = 1.0
            signal[b, i] = signal[b, i] + coerce * (1.0 - signal[b, i])
            intent[b, i, h] = intent[b, i, h] + coerce * (1.0 - intent[b, i, h])
            signal[b, i] = signal[b, i] + (deter if first else 0.0) * outside * (1.0 - signal[b, i])
            defector = status[b, i] != 0 and is_hegemon[i] == 0
            hostile = deter if (first and defector) else 0.0
            intent[b, i, h] = intent[b, i, h] + hostile * (1.0 - intent[b, i, h])
            previous[b, i] = p
        reacted[b] = reacted[b] or first


@_jit
def answer_exponents(  # type: ignore[no-untyped-def]  # noqa: D103
    alpha,
    beta,
    alpha_int,
    beta_int,
    intent,
    war_load,
    attacker,
    requester,
    capacity,
    is_hegemon,
    ratio,
    proximity,
    offense,
    ties,
    bias,
    w_trust,
    w_capacity,
    w_threat,
    w_ties,
    w_internal,
    band,
    z,
):
    # The willingness score of every member (`phases.answer_scores`, `dynamics.willingness`)
    # and the negated arguments of its two logistic probabilities (`dynamics.ally_answer`).
    rows, m = war_load.shape[0], capacity.shape[0]
    r = requester
    for b in range(rows):
        k = attacker[b]
        for i in range(m):
            able = capacity[i] * (1.0 - war_load[b] * is_hegemon[i])
            if k < 0:
                tau = alpha_int[b, i, r] / (alpha_int[b, i, r] + beta_int[b, i, r])
                threat = 0.0
                tie = 0.0
                internal = 1.0
            else:
                tau = alpha[b, i, r] / (alpha[b, i, r] + beta[b, i, r])
                threat = ratio[i, k] * proximity[i, k] * offense[k] * intent[b, i, k]
                tie = ties[i, k]
                internal = 0.0
            score = bias + w_trust * tau + w_capacity * able + w_threat * threat - w_ties * tie + w_internal * internal
            z[b, i, 0] = -(score - band)
            z[b, i, 1] = -(score + band)


@_jit
def answer_levels(e, draws, levels):  # type: ignore[no-untyped-def]  # noqa: D103
    # `dynamics.ally_answer` from e = exp(-x) of its two probabilities' arguments.
    rows, m = levels.shape
    for b in range(rows):
        for i in range(m):
            d = draws[b, i]
            if d < 1.0 / (1.0 + e[b, i, 0]):
                levels[b, i] = 2
            elif d < 1.0 / (1.0 + e[b, i, 1]):
                levels[b, i] = 1
            else:
                levels[b, i] = 0
