"""Each equation in dynamics.py: bounds kept, directions right, batch-invariant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alliance_sim.core import dynamics as dyn

unit = st.floats(0.0, 1.0, allow_nan=False)
unit_arrays = arrays(np.float64, st.integers(1, 8), elements=unit)


def test_sigmoid_and_logit_are_inverse_and_bounded():
    x = np.linspace(-30, 30, 101)
    p = dyn.sigmoid(x)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) >= 0)
    inner = (p > 1e-9) & (p < 1 - 1e-9)
    np.testing.assert_allclose(dyn.logit(p[inner]), x[inner], rtol=1e-6, atol=1e-6)


def test_sequential_sum_matches_sum_and_is_batch_invariant():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 13))
    total = dyn.sequential_sum(x)
    np.testing.assert_allclose(total, x.sum(axis=1), rtol=1e-12)
    for r in range(50):
        assert dyn.sequential_sum(x[r]) == total[r]


@given(a=unit, b=unit, alpha=st.floats(0.0, 3.0))
def test_power_ratio_in_unit_interval_and_monotone(a, b, alpha):
    pa, pb = 0.001 + a, 0.001 + b
    r = float(dyn.power_ratio(np.array(pa), np.array(pb), alpha))
    assert 0.0 < r < 1.0
    stronger = float(dyn.power_ratio(np.array(pa), np.array(pb * 2), alpha))
    assert stronger >= r


@given(r=unit, p=unit, o=unit, i=unit)
def test_threat_bounded_and_rises_with_intent(r, p, o, i):
    t = float(dyn.threat(r, p, o, i))
    assert 0.0 <= t <= 1.0
    assert float(dyn.threat(r, p, o, min(1.0, i + 0.1))) >= t


@given(x=unit, amount=unit)
def test_raise_toward_one_stays_in_unit_interval(x, amount):
    y = float(dyn.raise_toward_one(x, amount))
    assert x - 1e-12 <= y <= 1.0 + 1e-12


def test_relax_toward_baseline_contracts_gap():
    x = np.array([0.9, 0.1])
    y = dyn.relax_toward(x, 0.5, 0.2)
    assert np.all(np.abs(y - 0.5) < np.abs(x - 0.5))
    np.testing.assert_allclose(dyn.relax_toward(x, 0.5, 0.0), x)
    np.testing.assert_allclose(dyn.relax_toward(x, 0.5, 1.0), [0.5, 0.5])


def test_forgetting_returns_to_prior():
    a, b = np.array([10.0]), np.array([1.0])
    for _ in range(500):
        a, b = dyn.forget(a, b, np.array([2.0]), np.array([2.0]), 0.05)
    np.testing.assert_allclose(dyn.trust(a, b), 0.5, atol=1e-6)


@pytest.mark.parametrize("band", [0.0, 1.5])
def test_ally_answer_levels_follow_score(band):
    draws = np.random.default_rng(1).random(20000)
    low = dyn.ally_answer(np.full(20000, -2.0), band, draws)
    high = dyn.ally_answer(np.full(20000, 2.0), band, draws)
    assert set(np.unique(low)) <= {0, 1, 2}
    assert high.mean() > low.mean()
    np.testing.assert_allclose((high == dyn.FULL).mean(), dyn.sigmoid(2.0 - band), atol=0.01)


def test_willingness_directions():
    base = dict(
        trust_in_requester=0.5,
        capacity=0.5,
        threat_from_attacker=0.2,
        ties_to_attacker=0.2,
        internal=0.0,
        bias=-1.0,
        w_trust=2.0,
        w_capacity=2.0,
        w_threat=2.0,
        w_ties=3.0,
        w_internal=1.5,
    )
    s = dyn.willingness(**base)
    assert dyn.willingness(**{**base, "trust_in_requester": 0.9}) > s
    assert dyn.willingness(**{**base, "capacity": 0.9}) > s
    assert dyn.willingness(**{**base, "threat_from_attacker": 0.9}) > s
    assert dyn.willingness(**{**base, "ties_to_attacker": 0.9}) < s
    assert dyn.willingness(**{**base, "internal": 1.0}) > s


def test_alliance_answer_rules():
    a = dyn.ABSTAIN
    levels = np.array([[2, 2, a], [2, 0, a], [0, 2, 2], [1, 1, 0], [a, a, a], [a, 0, 0], [a, 2, 1]], dtype=np.int8)
    hegemon = 0
    consensus = dyn.alliance_answer(levels, hegemon, "consensus")
    # without the hegemon (it asks, or it is the attacker) consensus falls back to majority
    assert consensus.tolist() == [2, 1, 0, 1, 0, 0, 1]
    led = dyn.alliance_answer(levels, hegemon, "hegemon_led")
    assert led.tolist() == [2, 2, 0, 1, 0, 0, 1]
    majority = dyn.alliance_answer(levels, hegemon, "majority")
    assert majority.tolist() == [2, 0, 2, 1, 0, 0, 1]  # a tie falls to the lower answer
    with pytest.raises(ValueError):
        dyn.alliance_answer(levels, hegemon, "lottery")


def test_effective_capacity_drained_only_for_hegemon():
    cap = dyn.effective_capacity(np.array([0.04, 0.002]), np.array([0.5, 0.5]), np.array(0.5), np.array([1.0, 0.0]))
    np.testing.assert_allclose(cap, [0.01, 0.001])


def test_trust_learning_directions():
    alpha = np.full((3, 3), 2.0)
    beta = np.full((3, 3), 2.0)
    voters = np.array([1.0, 0.0, 1.0])
    observers = np.ones(3)
    weights = dyn.observation_weights(1, voters, observers, spillover=0.5)
    assert weights[1, 0] == 1.0 and weights[0, 2] == 0.5
    assert np.all(np.diag(weights) == 0) and np.all(weights[:, 1] == 0)
    before = dyn.trust(alpha, beta)
    a = dyn.ABSTAIN

    def learned(level: int) -> np.ndarray:
        levels = np.array([level, a, level], dtype=np.int8)
        credit = dyn.attributed_credit(levels, np.int8(level), 0.5, 0.25)
        return dyn.trust(*dyn.learn_from_answer(alpha, beta, credit, weights))

    after_full, after_ref, after_tok = learned(dyn.FULL), learned(dyn.REFUSED), learned(dyn.TOKEN)
    # the requester (row 1) learns most; refusal lowers, full help raises, token in between
    assert after_full[1, 0] > after_full[0, 2] > before[0, 2]
    assert after_ref[1, 0] < after_ref[0, 2] < before[0, 2]
    assert after_ref[1, 0] < after_tok[1, 0] < after_full[1, 0]
    # nobody learns about the requester itself, or about an ally that did not vote
    assert after_full[0, 1] == before[0, 1]


def test_attribution_follows_each_allys_own_vote():
    levels = np.array([dyn.FULL, dyn.REFUSED, dyn.ABSTAIN], dtype=np.int8)
    answer = np.int8(dyn.TOKEN)
    own = dyn.attributed_credit(levels, answer, 1.0, 0.25)
    collective = dyn.attributed_credit(levels, answer, 0.0, 0.25)
    assert own[0] == 1.0 and own[1] == 0.0
    assert collective[0] == collective[1] == 0.25
    blame = dyn.refusal_weights(levels, answer, 1.0, np.array([0.8, 0.8, 0.8]))
    assert blame[1] > blame[0] == 0.0 and blame[2] == 0.0  # the refuser is blamed, the helper is not
    # a refusal hurts as much as the requester had trusted the ally
    trusted = dyn.refusal_weights(levels, answer, 1.0, np.array([0.9, 0.9, 0.9]))
    doubted = dyn.refusal_weights(levels, answer, 1.0, np.array([0.2, 0.2, 0.2]))
    assert trusted[1] > doubted[1]


def test_sufficient_credibility_bounded_trusting_and_hurt_by_departures():
    trust = np.array([[0.0, 0.8, 0.6], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
    share = np.array([[0.0, 0.8, 0.2], [0.7, 0.0, 0.3], [0.9, 0.1, 0.0]])
    ties = np.array([[1.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    able = np.array([0.02, 0.005, 0.001])
    need = np.array([0.04, 0.003, 0.002, 0.004])
    active = np.ones(3)
    cred = dyn.sufficient_credibility(trust, share, active, able, ties, need)
    assert cred.shape == (3, 4) and np.all((cred >= 0) & (cred <= 1))
    more = dyn.sufficient_credibility(trust * 1.2, share, active, able, ties, need)
    assert np.all(more[:, 3] >= cred[:, 3]) and more[0, 3] > cred[0, 3]
    gone = dyn.sufficient_credibility(trust, share, np.array([1.0, 0.0, 1.0]), able, ties, need)
    assert gone[0, 3] < cred[0, 3]
    drained = dyn.sufficient_credibility(trust, share, active, able * np.array([0.01, 1, 1]), ties, need)
    assert drained[1, 3] < cred[1, 3]  # the largest ally can no longer muster enough


def test_exit_option_grows_with_patrons_without_saturating():
    compat = np.array([1.0, 0.0, 0.5])
    base = np.array([0.2])
    none = np.zeros((1, 3))
    one = np.array([[0.0, 0.5, 0.0]])
    two = np.array([[0.0, 0.5, 0.5]])
    departed = np.array([0.0])
    o0 = dyn.exit_option(base, none, none, compat, departed, 0.3)
    o1 = dyn.exit_option(base, one, none, compat, departed, 0.3)
    o2 = dyn.exit_option(base, two, none, compat, departed, 0.3)
    assert o0 == pytest.approx(0.2) and o0 < o1 < o2 < 1.0
    # an offer from a patron compatible with staying counts for less than one that is not
    compatible = dyn.exit_option(base, none, np.array([[0.0, 0.0, 0.5]]), compat, departed, 0.3)
    rival = dyn.exit_option(base, none, np.array([[0.0, 0.5, 0.0]]), compat, departed, 0.3)
    assert compatible < rival
    assert dyn.exit_option(base, none, none, compat, np.array([1.0]), 0.3) > o0  # contagion


@given(base=unit, option=unit, offer=unit, share=unit, kappa=unit, compat=unit)
def test_exit_option_bounded(base, option, offer, share, kappa, compat):
    o = float(
        dyn.exit_option(
            np.array([base]), np.array([[option]]), np.array([[offer]]), np.array([compat]), np.array([share]), kappa
        )[0]
    )
    assert 0.0 <= o <= 1.0
    assert o >= base - 1e-12


def test_coercion_needs_exposure_and_spare_capacity_and_rises_with_signal():
    exposure = np.array([0.0, 0.5, 0.9])
    c = dyn.coercion(exposure, np.array(0.5), np.zeros(3), 1.0)
    assert c[0] == 0.0 and c[1] < c[2]
    assert np.all(dyn.coercion(exposure, np.array(0.1), np.zeros(3), 1.0) <= c)
    assert np.all(dyn.coercion(exposure, np.array(0.5), np.ones(3), 1.0) >= c)


def test_weighted_grievance_and_deterrence():
    grievance = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    share = np.array([[0.0, 0.9, 0.1], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
    assert dyn.weighted_grievance(grievance, share)[0] == pytest.approx(0.9)
    assert dyn.deterred_rate(0.1, np.array(0.0), 0.5) == pytest.approx(0.1)
    assert dyn.deterred_rate(0.1, np.array(1.0), 0.5) == pytest.approx(0.05)


def test_departed_share():
    status = np.array([0, 1, 2, 0], dtype=np.int8)
    others = np.array([0.0, 1.0, 1.0, 1.0])
    assert dyn.departed_share(status, others) == pytest.approx(1.5 / 3)


TRANSITION = dict(disengage=0.5, withdraw=1.0, reengage=0.1, rejoin=-0.3, scale=0.1)


@settings(max_examples=50)
@given(pressure=st.floats(-3, 3), draw=st.floats(0, 0.999999), months=st.integers(0, 6))
def test_transitions_respect_hysteresis_notice_and_fixed_members(pressure, draw, months):
    statuses = np.array([0, 1, 2, 0, 1], dtype=np.int8)
    notice = np.array([0, 0, 0, 0, 1], dtype=np.int16)
    fixed = np.array([False, False, False, True, False])
    new, left = dyn.transition_with_notice(
        statuses, notice, np.full(5, pressure), np.full(5, draw), notice_months=months, fixed=fixed, **TRANSITION
    )
    assert new[3] == 0 and left[3] == 0
    assert new[0] in (0, 1)  # a member never jumps straight to withdrawn
    assert new[2] in (0, 2)
    assert new[4] == dyn.WITHDRAWN and left[4] == 0  # the last month of notice served
    if months > 0:
        assert new[1] in (0, 1)  # withdrawal takes notice first
        assert left[1] in (0, months)


def test_notice_counts_down_and_can_be_revoked():
    status = np.array([dyn.DISENGAGED], dtype=np.int8)
    notice = np.array([3], dtype=np.int16)
    new, left = dyn.transition_with_notice(
        status, notice, np.array([5.0]), np.array([0.5]), notice_months=6, fixed=np.array([False]), **TRANSITION
    )
    assert new[0] == dyn.DISENGAGED and left[0] == 2
    new, left = dyn.transition_with_notice(
        status, notice, np.array([-5.0]), np.array([0.5]), notice_months=6, fixed=np.array([False]), **TRANSITION
    )
    assert new[0] == dyn.DISENGAGED and left[0] == 0  # pressure fell: the notice is withdrawn


def test_transition_probabilities_rise_with_pressure():
    draws = np.random.default_rng(3).random(20000)
    kwargs = dict(**TRANSITION, notice_months=0, fixed=np.zeros(20000, bool))
    members = np.zeros(20000, dtype=np.int8)
    none = np.zeros(20000, dtype=np.int16)
    low = dyn.transition_with_notice(members, none, np.full(20000, 0.3), draws, **kwargs)[0].mean()
    high = dyn.transition_with_notice(members, none, np.full(20000, 0.7), draws, **kwargs)[0].mean()
    assert high > low
    np.testing.assert_allclose(low, dyn.sigmoid(-2.0), atol=0.01)
    disengaged = np.ones(20000, dtype=np.int8)
    back = (dyn.transition_with_notice(disengaged, none, np.full(20000, -0.5), draws, **kwargs)[0] == 0).mean()
    assert back > 0.99


def test_casualty_scale():
    assert dyn.casualty_severity(0, 6000) == 0.0
    assert dyn.casualty_severity(6000, 6000) == pytest.approx(1.0)
    assert dyn.casualty_severity(10**6, 6000) == 1.0
    assert dyn.casualty_severity(140, 6000) < dyn.casualty_severity(200, 6000) < 1.0
