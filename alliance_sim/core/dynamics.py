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

STATUS_NAMES = ("member", "disengaged", "withdrawn")
"""Status codes as words, index = code."""

REFUSED, TOKEN, FULL = 0, 1, 2
"""Answer levels."""

ANSWER_NAMES = ("refused", "token", "full")
"""Answer levels as words, index = level."""

ABSTAIN = -1
"""An ally that does not take part in a decision."""


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
    total = np.zeros(x.shape[:-1], dtype=np.float64)
    for index in range(x.shape[-1]):
        total = total + x[..., index]
    return total


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

    Full help adds w to alpha; refusal adds w to beta; token help splits w by its credit.

    Args:
        alpha: Beliefs' alpha, shape (..., observers, allies).
        beta: Beliefs' beta, same shape.
        credit: Credit of the answer (see `answer_credit`), shape (...) per request.
        weight: Weight of the observation, shape (..., observers, allies): 1 for the
            requester, the spillover rho for other observers, 0 for allies who did not
            take part and on the diagonal.

    Returns:
        The new (alpha, beta).
    """
    c = np.asarray(credit)[..., None, None]
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
        rule: `consensus` (full needs everyone; a refusal makes it token; refusal needs
            the hegemon's; majority if the hegemon abstains), `hegemon_led` (the hegemon decides;
            majority if it abstains)
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
        everyone_full = n_full == n_votes
        hegemon_refuses = hegemon_level == REFUSED
        consensus = np.where(everyone_full, FULL, np.where(hegemon_refuses, REFUSED, TOKEN))
        result = np.where(hegemon_level >= 0, consensus, majority)
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


def credibility(
    trust_row: Array,
    contribution: Array,
    ties_to_threat: Array,
    others: Array,
    reference: Array,
) -> Array:
    """Credibility of the alliance for one member against each actor.

    Cr_ik = sum_j active_j * cap_j * tau_ij * (1 - ties_jk) / sum_j cap0_j over allies j != i.
    Disengaged and withdrawn allies count zero (contagion through credibility).

    Args:
        trust_row: Member i's trust in each ally j, shape (..., m).
        contribution: Each ally's effective capacity times its activity (1 member, 0
            otherwise), shape (..., m).
        ties_to_threat: Ties of each ally j to each actor k, shape (m, n), with 1 on the
            diagonal so that no actor protects anyone against itself.
        others: 1.0 for allies j != i, shape (m,).
        reference: Normaliser sum_j cap0_j over allies j != i (peacetime capacity), shape ().

    Returns:
        Credibility against each actor k in [0, 1], shape (..., n).
    """
    weight = (trust_row * contribution * others)[..., :, None] * (1.0 - ties_to_threat)
    total = np.zeros(weight.shape[:-2] + weight.shape[-1:], dtype=np.float64)
    for j in range(weight.shape[-2]):
        total = total + weight[..., j, :]
    return np.minimum(total / reference, 1.0)


def value_of_staying(
    threats: Array,
    credibility_against: Array,
    internal_credibility: Array,
    regime_security: Array,
    regime_crisis: Array,
    dependence: Array,
    war_exposure: Array,
    war_load: Array,
    domestic: Array,
    sovereignty_cost: Array,
    w_protection: float,
    w_regime: float,
    w_dependence: float,
    w_entrapment: float,
    w_domestic: float,
    w_sovereignty: float,
) -> Array:
    """Value to a member of staying in the alliance.

    V_stay = w_p * sum_k T_ik Cr_ik + w_r * R_i * Cr_i^int * (1 + crisis_i) + w_d * D_i
             - w_e * E_i * war_load - w_dom * dom_i - w_s * S_i

    Args:
        threats: Threat from each actor, shape (..., n).
        credibility_against: Credibility against each actor, shape (..., n).
        internal_credibility: Credibility for help with internal unrest, shape (...).
        regime_security: R_i, shape (...).
        regime_crisis: Current crisis level in [0, 1], shape (...).
        dependence: D_i, shape (...).
        war_exposure: E_i, shape (...).
        war_load: The hegemon's war load, shape (...).
        domestic: Domestic pressure in [0, 1] (baseline plus protests), shape (...).
        sovereignty_cost: S_i, shape (...).
        w_protection: Weight of protection.
        w_regime: Weight of regime security.
        w_dependence: Weight of the benefits of dependence.
        w_entrapment: Weight of entrapment.
        w_domestic: Weight of domestic pressure.
        w_sovereignty: Weight of the sovereignty cost.

    Returns:
        The value, shape (...).
    """
    protection = sequential_sum(threats * credibility_against)
    return (
        w_protection * protection
        + w_regime * regime_security * internal_credibility * (1.0 + regime_crisis)
        + w_dependence * dependence
        - w_entrapment * war_exposure * war_load
        - w_domestic * domestic
        - w_sovereignty * sovereignty_cost
    )


def value_of_leaving(
    outside_option: Array,
    dependence: Array,
    coercion: Array,
    grievance: Array,
    w_outside: float,
    w_punishment: float,
    w_grievance: float,
) -> Array:
    """Value to a member of leaving: V_leave = w_o * O_i - w_pun * D_i * coercion + w_g * G_i."""
    return w_outside * outside_option - w_punishment * dependence * coercion + w_grievance * grievance


def outside_option(baseline: Array, offers: Array, departed_share: Array, contagion: float) -> Array:
    """Attractiveness of the best outside option: O_i = min(1, O0_i + offers_i + kappa * departed_i)."""
    return np.minimum(baseline + offers + contagion * departed_share, 1.0)


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


def transition(
    status: Array,
    pressure: Array,
    draw: Array,
    disengage: float,
    withdraw: float,
    reengage: float,
    rejoin: float,
    scale: float,
    fixed: NDArray[Any],
) -> Array:
    """Monthly status transitions with hysteresis, from one uniform draw per member.

    - member -> disengaged with probability sigma((p - theta_d) / s)
    - disengaged -> withdrawn with probability sigma((p - theta_w) / s); otherwise
      disengaged -> member with probability sigma((theta_re - p) / s) (the upper end of
      the draw), so the two never fire together
    - withdrawn -> member with probability sigma((theta_rj - p) / s)

    Args:
        status: Current statuses, shape (..., m).
        pressure: Smoothed pressure to leave, shape (..., m).
        draw: Uniform draws in [0, 1), shape (..., m).
        disengage: theta_d.
        withdraw: theta_w.
        reengage: theta_re.
        rejoin: theta_rj.
        scale: Logistic scale s.
        fixed: True where a member never changes status (the hegemon), shape (m,).

    Returns:
        New statuses (int8), shape (..., m).
    """
    if np.ndim(status) == 0:
        one = _transition_one(
            int(status), float(pressure), float(draw), disengage, withdraw, reengage, rejoin, scale, bool(fixed)
        )
        return cast(Array, one)
    p_disengage = sigmoid((pressure - disengage) / scale)
    p_withdraw = sigmoid((pressure - withdraw) / scale)
    p_reengage = sigmoid((reengage - pressure) / scale)
    p_rejoin = sigmoid((rejoin - pressure) / scale)
    from_member = np.where(draw < p_disengage, DISENGAGED, MEMBER)
    from_disengaged = np.where(draw < p_withdraw, WITHDRAWN, np.where(draw >= 1.0 - p_reengage, MEMBER, DISENGAGED))
    from_withdrawn = np.where(draw < p_rejoin, MEMBER, WITHDRAWN)
    new = np.where(status == MEMBER, from_member, np.where(status == DISENGAGED, from_disengaged, from_withdrawn))
    return np.where(fixed, status, new).astype(np.int8)


def _transition_one(
    status: int,
    pressure: float,
    draw: float,
    disengage: float,
    withdraw: float,
    reengage: float,
    rejoin: float,
    scale: float,
    fixed: bool,
) -> np.int8:
    """`transition` for one member: the same formulas, computing only the branch it needs."""
    if fixed:
        return np.int8(status)
    if status == MEMBER:
        return np.int8(DISENGAGED if draw < sigmoid((pressure - disengage) / scale) else MEMBER)
    if status == DISENGAGED:
        if draw < sigmoid((pressure - withdraw) / scale):
            return np.int8(WITHDRAWN)
        return np.int8(MEMBER if draw >= 1.0 - sigmoid((reengage - pressure) / scale) else DISENGAGED)
    return np.int8(MEMBER if draw < sigmoid((rejoin - pressure) / scale) else WITHDRAWN)


def casualty_severity(deaths: float, reference: float) -> float:
    """Severity in [0, 1] of an armed clash from its dead: log(1 + n) / log(1 + reference), capped at 1."""
    return float(min(1.0, np.log1p(deaths) / np.log1p(reference)))
