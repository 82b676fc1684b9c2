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
def credibility(alpha, beta, alpha_int, beta_int, share, active, able, ties, need, cred, internal):  # type: ignore[no-untyped-def]  # noqa: D103
    rows, m, _ = alpha.shape
    n = need.shape[0]
    free = np.empty((m, n))
    for b in range(rows):
        for j in range(m):
            for k in range(m, n):
                x = able[b, j] / need[k]
                if x > 1.0:
                    x = 1.0
                free[j, k] = (1.0 - ties[j, k]) * x
        for i in range(m):
            for k in range(n):
                cred[b, i, k] = 0.0
            total = 0.0
            for j in range(m):
                w = alpha[b, i, j] / (alpha[b, i, j] + beta[b, i, j]) * share[i, j] * active[b, j]
                for k in range(m, n):
                    cred[b, i, k] = cred[b, i, k] + w * free[j, k]
                e = able[b, j] / need[i]
                if e > 1.0:
                    e = 1.0
                t = alpha_int[b, i, j] / (alpha_int[b, i, j] + beta_int[b, i, j])
                total = total + t * share[i, j] * active[b, j] * e
            internal[b, i] = total


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
