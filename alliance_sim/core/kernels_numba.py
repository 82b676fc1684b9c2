"""The numba implementations of `alliance_sim.core.kernels` (imported only through it).

Each kernel loops over a flat batch axis and does, element by element, the operations
of the numpy implementation in the same order: no fast-math, no reassociation, no
transcendental functions, so the results are the same bit for bit.
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
