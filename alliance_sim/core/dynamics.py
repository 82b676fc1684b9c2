"""The model's equations, once, as pure numpy functions.

Every function here is pure (inputs in, new arrays out; nothing mutated) and
broadcasts over leading batch axes: the Mesa agents call them for their own row
(no batch axis), the ensemble engine for all replicates at once (a leading axis of
length R). Both engines therefore compute the same numbers with the same
operations in the same order, bit for bit. For that reason reductions over members
are written as explicit sequential sums (`sequential_sum`) instead of `np.sum`,
whose pairwise order depends on the array's length and layout.

Axes: members i, j (the first m actors); any actor k (all n actors, members first);
levels of an answer: 0 refused, 1 token, 2 full; statuses: 0 member, 1 disengaged,
2 withdrawn. `docs/model.md` writes every equation out and cites its source:
Walt (1987) for threat, Snyder (1984) for abandonment and entrapment.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

MEMBER, DISENGAGED, WITHDRAWN = 0, 1, 2
"""Membership statuses."""

REFUSED, TOKEN, FULL = 0, 1, 2
"""Answer levels."""

ABSTAIN = -1
"""An ally that does not take part in a decision."""

STATUS_NAMES = ("member", "disengaged", "withdrawn")
"""Statuses as words, index = code."""

ANSWER_NAMES = ("refused", "token", "full")
"""Answer levels as words, index = level."""


def sigmoid(x: Array | float) -> Array:
    """Logistic function 1 / (1 + exp(-x)), elementwise."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def logit(p: Array | float) -> Array:
    """Inverse of `sigmoid` for p in (0, 1)."""
    p = np.asarray(p, dtype=np.float64)
    return np.log(p / (1.0 - p))


def sequential_sum(x: Array) -> Array:
    """Sum over the last axis, strictly left to right.

    The order of additions is fixed by the length of the last axis alone, so the
    result for one row is the same whether the row stands alone or inside a batch.

    Args:
        x: Array of shape (..., n).

    Returns:
        Array of shape (...).
    """
    if x.ndim == 1:
        # One row: Python floats add with the same IEEE double arithmetic, faster.
        acc = 0.0
        for value in x.tolist():
            acc += value
        return cast(Array, np.float64(acc))  # a NumPy scalar: behaves as a 0-d array
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1], dtype=np.float64)
    # A running sum adds strictly left to right, as `0.0 + x0 + x1 + ...` does, except that
    # it starts from x0 itself: the two differ only in the sign of a zero total, which
    # adding 0.0 at the end settles the same way (-0.0 + 0.0 is 0.0).
    return np.cumsum(x, axis=-1, dtype=np.float64)[..., -1] + 0.0


# --- Threat (Walt 1987) ----------------------------------------------------------------


def power_ratio(power_self: Array, power_other: Array, exponent: float) -> Array:
    """Dyadic power share of the other actor, r = P_k^a / (P_k^a + P_i^a), in (0, 1).

    Args:
        power_self: Power P_i of the threatened actor, shape (..., 1) or broadcastable.
        power_other: Power P_k of each other actor, shape (..., n).
        exponent: Alpha; 0 makes every dyad even, large values make power decisive.

    Returns:
        The share, same shape as the broadcast inputs.
    """
    a = np.power(power_other, exponent)
    b = np.power(power_self, exponent)
    return cast(Array, a / (a + b))


def threat(ratio: Array, proximity: Array, offense: Array, intent: Array) -> Array:
    """Threat T_ik = r_ik * proximity_ik * offense_k * intent_ik, each factor in [0, 1].

    Returns:
        Threat in [0, 1], the broadcast shape of the inputs.
    """
    return ratio * proximity * offense * intent


def relax_toward(value: Array, baseline: Array | float, rate: float) -> Array:
    """One month of exponential relaxation: x <- base + (x - base) * (1 - rate)."""
    return baseline + (value - baseline) * (1.0 - rate)


def raise_toward_one(value: Array, amount: Array | float) -> Array:
    """Raise a [0, 1] quantity by a share of its remaining gap: x <- x + amount * (1 - x).

    Args:
        value: The quantity, in [0, 1].
        amount: Share of the gap to close, in [0, 1] (0 leaves it unchanged).

    Returns:
        The raised quantity, still in [0, 1].
    """
    return value + amount * (1.0 - value)


# --- Trust (Beta-Bernoulli) ------------------------------------------------------------


def trust(alpha: Array, beta: Array) -> Array:
    """Trust as the mean of a Beta belief, tau = a / (a + b), in (0, 1)."""
    return alpha / (alpha + beta)


def forget(alpha: Array, beta: Array, alpha0: Array, beta0: Array, rate: float) -> tuple[Array, Array]:
    """Relax a Beta belief toward its prior (a0, b0) at a monthly rate.

    Returns:
        The new (alpha, beta).
    """
    return relax_toward(alpha, alpha0, rate), relax_toward(beta, beta0, rate)


def answer_credit(level: NDArray[Any], token_credit: float) -> Array:
    """Share of an answer counted as help: 1 full, `token_credit` token, 0 refused."""
    level = np.asarray(level)
    return np.where(level == FULL, 1.0, np.where(level == TOKEN, token_credit, 0.0))


def learn_from_answer(
    alpha: Array,
    beta: Array,
    credit: Array,
    weight: Array,
) -> tuple[Array, Array]:
    """Update observers' Beta beliefs about the allies who answered a request.

    Full credit adds w to alpha; none adds w to beta; partial credit splits w.

    Args:
        alpha: Beliefs' alpha, shape (..., observers, allies).
        beta: Beliefs' beta, same shape.
        credit: Credit each ally earns for its part in the answer (see `attributed_credit`),
            shape (..., allies).
        weight: Weight of the observation, shape (..., observers, allies): 1 for the
            requester, the spillover rho for other observers, 0 for allies who did not
            take part and on the diagonal.

    Returns:
        The new (alpha, beta).
    """
    c = np.asarray(credit)[..., None, :]
    return alpha + weight * c, beta + weight * (1.0 - c)


def observation_weights(requester: int, voters: Array, observers: Array, spillover: float) -> Array:
    """Weight with which each observer learns about each ally from one answer.

    Args:
        requester: Index of the member that asked.
        voters: 1.0 where an ally took part in the answer, shape (..., m).
        observers: 1.0 where a member is still watching (not withdrawn), shape (..., m).
        spillover: Weight rho for observers other than the requester.

    Returns:
        Weights of shape (..., m, m): observer rows, ally columns, zero diagonal.
    """
    m = voters.shape[-1]
    row = np.full(m, spillover)
    row[requester] = 1.0
    weights = row[:, None] * (1.0 - np.eye(m))
    return weights * observers[..., :, None] * voters[..., None, :]


# --- Answers to requests -------------------------------------------------------------


def willingness(
    trust_in_requester: Array,
    capacity: Array,
    threat_from_attacker: Array,
    ties_to_attacker: Array,
    internal: float | Array,
    bias: float,
    w_trust: float,
    w_capacity: float,
    w_threat: float,
    w_ties: float,
    w_internal: float,
) -> Array:
    """An ally's willingness score to help; the latent of an ordinal logit.

    score = bias + w_trust * tau + w_capacity * capacity + w_threat * T - w_ties * ties
            + w_internal * internal
    """
    return (
        bias
        + w_trust * trust_in_requester
        + w_capacity * capacity
        + w_threat * threat_from_attacker
        - w_ties * ties_to_attacker
        + w_internal * internal
    )


def ally_answer(score: Array, band: float, draw: Array) -> Array:
    """An ally's answer from its willingness score and a uniform draw.

    Full with probability sigma(score - band), at least token with probability
    sigma(score + band): an ordinal logit with cut points -band and +band.

    Args:
        score: Willingness score, any shape.
        band: Half-width of the token band (>= 0).
        draw: Uniform draws in [0, 1), same shape.

    Returns:
        Integer levels 0 (refused), 1 (token), 2 (full).
    """
    p_full = sigmoid(score - band)
    p_any = sigmoid(score + band)
    return np.where(draw < p_full, FULL, np.where(draw < p_any, TOKEN, REFUSED)).astype(np.int8)


def alliance_answer(levels: Array, hegemon: int, rule: str) -> Array:
    """Combine allies' answers into the alliance's answer by its decision rule.

    Args:
        levels: Each ally's level, shape (..., m); `ABSTAIN` (-1) for members that
            take no part (the requester, disengaged and withdrawn members).
        hegemon: Index of the hegemon.
        rule: `consensus` (the hegemon leads, the majority if it abstains; any ally's
            refusal is a veto that turns full help into a token answer), `hegemon_led`
            (the hegemon decides; majority if it abstains)
            or `majority` (the highest level a strict majority reaches: the lower median).

    Returns:
        The alliance's level, shape (...); refused when nobody votes.
    """
    levels = np.asarray(levels)
    voting = levels >= 0
    n_votes = sequential_sum(voting.astype(np.float64))
    n_full = sequential_sum((levels == FULL).astype(np.float64))
    n_any = sequential_sum((levels >= TOKEN).astype(np.float64))
    half = n_votes / 2.0
    majority = np.where(n_full > half, FULL, np.where(n_any > half, TOKEN, REFUSED))
    hegemon_level = levels[..., hegemon]
    if rule == "majority":
        result = majority
    elif rule == "hegemon_led":
        result = np.where(hegemon_level >= 0, hegemon_level, majority)
    elif rule == "consensus":
        nobody_refuses = n_any == n_votes
        leader = np.where(hegemon_level >= 0, hegemon_level, majority)
        result = np.where(leader == FULL, np.where(nobody_refuses, FULL, TOKEN), leader)
    else:
        raise ValueError(f"unknown decision rule {rule!r}")
    return np.where(n_votes > 0, result, REFUSED).astype(np.int8)


# --- Value of membership (Snyder 1984) --------------------------------------------------


def effective_capacity(power: Array, capacity: Array, war_load: Array, is_hegemon: Array) -> Array:
    """Capability each member can commit: power * capacity, less the war's share for the hegemon.

    Args:
        power: Power of each member, shape (..., m).
        capacity: Capacity share, shape (..., m).
        war_load: The hegemon's war load in [0, 1], shape (...).
        is_hegemon: 1.0 for the hegemon, else 0.0, shape (m,).

    Returns:
        Effective capacity, shape (..., m).
    """
    load = np.asarray(war_load)[..., None] * is_hegemon
    return power * capacity * (1.0 - load)


def departed_share(status: Array, others: Array) -> Array:
    """Share of the other members who left (withdrawn 1, disengaged 1/2).

    Args:
        status: Statuses, shape (..., m).
        others: 1.0 for members other than the one concerned, shape (m,) or (..., m).

    Returns:
        The share in [0, 1], shape (...).
    """
    departed = np.where(status == WITHDRAWN, 1.0, np.where(status == DISENGAGED, 0.5, 0.0))
    return sequential_sum(departed * others) / sequential_sum(np.asarray(others, dtype=np.float64))


def smooth_pressure(pressure: Array, net_value: Array, smoothing: float) -> Array:
    """Pressure to leave, an exponential moving average of V_leave - V_stay."""
    return (1.0 - smoothing) * pressure + smoothing * net_value


def casualty_severity(deaths: float, reference: float) -> float:
    """Severity in [0, 1] of an armed clash from its dead: log(1 + n) / log(1 + reference), capped at 1."""
    return float(min(1.0, np.log1p(deaths) / np.log1p(reference)))


# --- Patrons, attribution, coercion, deterrence and the way out ---------------------


def noisy_or(shares: Array, axis: int = -1) -> Array:
    """Combine independent chances into one: 1 - prod_p (1 - x_p), in [0, 1].

    Used for the outside option, so that each patron adds to it with diminishing returns
    and the total approaches 1 smoothly instead of being cut off at 1. The product runs
    strictly left to right (like `sequential_sum`), so one row gives the same number alone
    or inside a batch.

    Args:
        shares: Chances in [0, 1].
        axis: The axis to combine over.

    Returns:
        The combined chance, `shares` without `axis`.
    """
    x = np.moveaxis(np.asarray(shares, dtype=np.float64), axis, -1)
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1], dtype=np.float64)
    # A running product multiplies strictly left to right; it starts from (1 - x0) where the
    # loop `1.0 * (1 - x0) * ...` starts from 1.0, which changes no bit.
    return 1.0 - np.cumprod(1.0 - x, axis=-1)[..., -1]


def exit_option(
    baseline: Array,
    patron_option: Array,
    offers: Array,
    compatibility: Array,
    departed: Array,
    contagion: float,
) -> Array:
    """Attractiveness of leaving for a better patron, O_i, in [0, 1].

    O_i = 1 - (1 - kappa d_i) (1 - O0_i) prod_p (1 - a_ip (1 - c_p)),   a_ip = 1 - (1 - o_ip)(1 - f_ip)

    Each patron p (an outside actor) offers member i an option o_ip (baseline, from the
    scenario) raised by its offers f_ip, the two combined as independent chances (a_ip), so
    a new offer always adds; only the part of it that is incompatible with
    staying under the hegemon counts as a reason to leave (1 - c_p: the SCO, co-led by
    Moscow, is largely compatible with staying). Departed allies make leaving look more
    attainable (contagion, kappa d_i); O0_i is the alternative not tied to a modelled
    patron (neutrality, others). Options combine by `noisy_or`: none saturates.

    Args:
        baseline: O0_i, shape (m,).
        patron_option: o_ip, shape (m, n) (zero outside the patrons' columns).
        offers: f_ip, shape (..., m, n).
        compatibility: c_p, shape (n,) (1 for members, who are no patrons).
        departed: d_i, the share of the other members who left, shape (..., m).
        contagion: kappa in [0, 1].

    Returns:
        O_i, shape (..., m).
    """
    options = (1.0 - (1.0 - patron_option) * (1.0 - offers)) * (1.0 - compatibility)
    contagious = np.minimum(contagion * departed, 1.0)[..., None]
    base = np.broadcast_to(baseline, np.shape(departed))[..., None]
    return noisy_or(np.concatenate([contagious, base, options], axis=-1))


def attributed_credit(ally_level: Array, answer: Array, visibility: float, token_credit: float) -> Array:
    """Credit an observer gives each ally for one answer: its own vote, partly visible.

    c_j = v * credit(level_j) + (1 - v) * credit(answer)

    Where the ally's own vote is known (v = 1) it alone is judged; with v = 0 blame and
    credit are collective, as in the first version of the model.

    Args:
        ally_level: Each ally's own answer level, shape (..., m); `ABSTAIN` where it took no part.
        answer: The alliance's answer, shape (...).
        visibility: v in [0, 1], the share of the lesson drawn from the ally's own vote.
        token_credit: Credit of a token answer.

    Returns:
        Credits in [0, 1], shape (..., m).
    """
    own = answer_credit(np.maximum(ally_level, 0), token_credit)
    collective = answer_credit(answer, token_credit)[..., None]
    return visibility * own + (1.0 - visibility) * collective


def refusal_weights(ally_level: Array, answer: Array, visibility: float, expectation: Array) -> Array:
    """How much of a requester's grievance each ally earns: its shortfall, weighed by what was expected.

    w_j = tau_rj * (v * (1 - level_j / 2) + (1 - v) * (1 - answer / 2)), 0 for allies who took
    no part. The shortfall is the ally's own (where its vote is visible, share v) or the
    alliance's; it hurts as much as the requester trusted the ally to help: a refusal
    after an ally has just rescued another member is a betrayal, one from an ally never
    relied on is no surprise (expectancy violation; Crescenzi et al. 2012).

    Args:
        ally_level: Each ally's own answer level, shape (..., m); `ABSTAIN` where it took no part.
        answer: The alliance's answer, shape (...).
        visibility: v in [0, 1].
        expectation: The requester's trust in each ally before the answer, tau_rj, shape (..., m).

    Returns:
        Weights in [0, 1], shape (..., m).
    """
    took_part = ally_level >= 0
    own = 1.0 - np.maximum(ally_level, 0) / 2.0
    collective = (1.0 - np.asarray(answer, dtype=np.float64) / 2.0)[..., None]
    return np.where(took_part, expectation * (visibility * own + (1.0 - visibility) * collective), 0.0)


def weighted_grievance(grievance: Array, share: Array) -> Array:
    """A member's grievance against the alliance: grievance at each ally, by that ally's weight.

    G_i = sum_j g_ij s_ij, with s_ij the ally's share of the alliance's peacetime capacity
    as member i sees it (sum_j s_ij = 1): a refusal by the hegemon weighs most.

    Args:
        grievance: g_ij in [0, 1], shape (..., m, m).
        share: s_ij, shape (m, m), zero diagonal, rows summing to 1.

    Returns:
        G_i in [0, 1], shape (..., m).
    """
    return sequential_sum(grievance * share)


def coercion(exposure: Array, spare: Array, signal: Array, resolve: float) -> Array:
    """Expected cost of leaving from the hegemon's coercion, C_i in [0, 1 + resolve].

    C_i = X_i * spare_h * (1 + resolve * sigma_h): exposure to coercion (bases, energy,
    remittances, border guards) times what the hegemon can spare from its war, raised by its
    deterrent signal after a defection.

    Args:
        exposure: X_i in [0, 1], shape (..., m).
        spare: Share of the hegemon's capacity not absorbed by its war, in [0, 1], shape (...).
        signal: The hegemon's deterrent signal to each member, in [0, 1], shape (..., m).
        resolve: How much the signal raises the expected cost.

    Returns:
        C_i, shape (..., m).
    """
    spare = np.asarray(spare)[..., None]
    return exposure * spare * (1.0 + resolve * signal)


def deterred_rate(rate: float, credibility: Array, deterrence: float) -> Array:
    """Monthly rate of an outside attack on a member, lowered by the alliance's credibility.

    rate_eff = rate * (1 - d * Cr_ik): a credible alliance deters (Snyder 1961; the
    articles: "membership in the CSTO does not deter Azerbaijan").
    """
    return rate * (1.0 - deterrence * credibility)


def hegemon_attention(pressure: Array, previous: Array, watch: float) -> Array:
    """Where the hegemon acts this month: the rise of each member's pressure, where it is above `watch`.

    Returns:
        The rise since last month where the pressure is above `watch` and rising, else 0, (..., m).
    """
    rise = pressure - previous
    return np.where((pressure > watch) & (rise > 0.0), rise, 0.0)


def revoke_threshold(disengage: float, withdraw: float, reengage: float) -> float:
    """Pressure below which revoking a notice of withdrawal is likelier than not, theta_rv.

    theta_rv = theta_w - (theta_d - theta_re): the hysteresis gap between disengaging and
    re-engaging, taken below the withdraw threshold. A notice undoes one step (the member
    stays disengaged), so it asks the same fall of pressure as undoing the other step does;
    a member must keep wanting to leave through its notice period (Helfer 2005 on notice
    periods as a time to reconsider and to bargain).
    """
    return withdraw - (disengage - reengage)


def transition_with_notice(
    status: Array,
    notice: Array,
    pressure: Array,
    draw: Array,
    disengage: float,
    withdraw: float,
    reengage: float,
    rejoin: float,
    scale: float,
    notice_months: int,
    fixed: NDArray[np.bool_],
) -> tuple[Array, Array]:
    """Monthly status transitions with hysteresis and withdrawal as a procedure.

    - member -> disengaged with probability sigma((p - theta_d) / s)
    - disengaged -> gives notice of withdrawal with probability sigma((p - theta_w) / s):
      the withdrawal takes effect `notice_months` later (at once if 0); otherwise
      disengaged -> member with probability sigma((theta_re - p) / s) (the upper end of the draw)
    - under notice: one month less; withdrawn when none is left; otherwise the notice is
      revoked with probability sigma((theta_rv - p) / s), theta_rv = theta_w - (theta_d - theta_re):
      undoing the notice takes the same fall of pressure below the threshold that gave it as
      coming back takes below the disengage threshold (the member stays disengaged)
    - withdrawn -> member with probability sigma((theta_rj - p) / s)

    Args:
        status: Current statuses, shape (..., m).
        notice: Months of notice left (0: none), shape (..., m).
        pressure: Smoothed pressure to leave, shape (..., m).
        draw: Uniform draws in [0, 1), shape (..., m).
        disengage: theta_d.
        withdraw: theta_w.
        reengage: theta_re.
        rejoin: theta_rj.
        scale: Logistic scale s.
        notice_months: Months between notice and withdrawal.
        fixed: True where a member never changes status (the hegemon), shape (m,).

    Returns:
        New statuses (int8) and months of notice left (int16), shape (..., m).
    """
    status = np.asarray(status)
    notice = np.asarray(notice)
    p_disengage = sigmoid((pressure - disengage) / scale)
    p_withdraw = sigmoid((pressure - withdraw) / scale)
    p_reengage = sigmoid((reengage - pressure) / scale)
    p_rejoin = sigmoid((rejoin - pressure) / scale)
    p_revoke = sigmoid((revoke_threshold(disengage, withdraw, reengage) - pressure) / scale)
    back = draw >= 1.0 - p_reengage
    revokes = draw >= 1.0 - p_revoke
    gives = draw < p_withdraw
    served = notice == 1
    under = (status == DISENGAGED) & (notice > 0)
    from_member = np.where(draw < p_disengage, DISENGAGED, MEMBER)
    if notice_months > 0:
        from_free = np.where(gives, DISENGAGED, np.where(back, MEMBER, DISENGAGED))
        free_notice = np.where(gives, notice_months, 0)
    else:
        from_free = np.where(gives, WITHDRAWN, np.where(back, MEMBER, DISENGAGED))
        free_notice = np.zeros_like(notice)
    from_notice = np.where(served, WITHDRAWN, DISENGAGED)
    left = np.where(served | revokes, 0, notice - 1)
    from_withdrawn = np.where(draw < p_rejoin, MEMBER, WITHDRAWN)
    new = np.where(
        status == MEMBER,
        from_member,
        np.where(status == WITHDRAWN, from_withdrawn, np.where(under, from_notice, from_free)),
    )
    new_notice = np.where(under, left, np.where(status == DISENGAGED, free_notice, 0))
    new = np.where(fixed, status, new).astype(np.int8)
    new_notice = np.where(fixed, 0, new_notice).astype(np.int16)
    return new, new_notice


def sufficient_credibility(
    trust_row: Array,
    share: Array,
    active: Array,
    capability: Array,
    ties_to_threat: Array,
    need: Array,
) -> Array:
    """Credibility of the alliance for each member against each actor (model 2).

    Cr_ik = sum_j s_ij act_j tau_ij (1 - ties_jk) min(1, cap_j / need_k)

    The allies' weights s_ij are their shares of the alliance's peacetime capacity (so a
    departed ally leaves a hole); each counts as much as member i trusts it to come, is free
    of ties to the attacker, and can muster enough against it: its capability now (the
    hegemon's drained by its war) against what the threat needs. A hegemon drained by its
    war can still be enough against a small attacker; whether it comes is then a matter of
    trust and ties (Snyder 1984; Walt 1987).

    Args:
        trust_row: tau_ij, shape (..., m, m).
        share: s_ij, shape (m, m), zero diagonal, rows summing to 1.
        active: 1.0 for active members, shape (..., m).
        capability: cap_j, each ally's capability now, shape (..., m).
        ties_to_threat: ties_jk, shape (m, n), 1 on the diagonal.
        need: What a threat from each actor needs, shape (n,) (or (..., n)).

    Returns:
        Cr_ik in [0, 1], shape (..., m, n).
    """
    enough = np.minimum(capability[..., :, None] / need[..., None, :], 1.0)  # (..., j, k)
    weight = trust_row * share * active[..., None, :]  # (..., i, j)
    free = (1.0 - ties_to_threat) * enough  # (..., j, k)
    # One ally at a time, in order: no (..., i, j, k) array is ever made.
    total = np.zeros(np.broadcast_shapes((*weight.shape[:-1], 1), (*free.shape[:-2], 1, free.shape[-1])))
    for j in range(weight.shape[-1]):
        total = total + weight[..., :, j, None] * free[..., None, j, :]
    return total
