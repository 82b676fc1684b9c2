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


def test_trust_learning_directions():
    alpha = np.full((3, 3), 2.0)
    beta = np.full((3, 3), 2.0)
    voters = np.array([1.0, 0.0, 1.0])
    observers = np.ones(3)
    weights = dyn.observation_weights(1, voters, observers, spillover=0.5)
    assert weights[1, 0] == 1.0 and weights[0, 2] == 0.5
    assert np.all(np.diag(weights) == 0) and np.all(weights[:, 1] == 0)
    before = dyn.trust(alpha, beta)
    a_full, b_full = dyn.learn_from_answer(alpha, beta, dyn.answer_credit(np.int8(dyn.FULL), 0.25), weights)
    a_ref, b_ref = dyn.learn_from_answer(alpha, beta, dyn.answer_credit(np.int8(dyn.REFUSED), 0.25), weights)
    a_tok, b_tok = dyn.learn_from_answer(alpha, beta, dyn.answer_credit(np.int8(dyn.TOKEN), 0.25), weights)
    after_full, after_ref, after_tok = (
        dyn.trust(a_full, b_full),
        dyn.trust(a_ref, b_ref),
        dyn.trust(a_tok, b_tok),
    )
    # the requester (row 1) learns most; refusal lowers, full help raises, token in between
    assert after_full[1, 0] > after_full[0, 2] > before[0, 2]
    assert after_ref[1, 0] < after_ref[0, 2] < before[0, 2]
    assert after_ref[1, 0] < after_tok[1, 0] < after_full[1, 0]
    # nobody learns about the requester itself, or about an ally that did not vote
    assert after_full[0, 1] == before[0, 1]


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


def test_credibility_bounded_and_ignores_inactive_allies():
    trust_row = np.array([0.0, 0.8, 0.6])
    ties = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    others = np.array([0.0, 1.0, 1.0])
    full = dyn.credibility(
        trust_row, np.array([0.0, 0.01, 0.002]), ties[:, [2]] * 0 + ties[:, 2:3], others, np.array([0.012])
    )
    assert np.all((full >= 0) & (full <= 1))
    gone = dyn.credibility(trust_row, np.array([0.0, 0.0, 0.002]), ties[:, 2:3], others, np.array([0.012]))
    assert gone[0] < full[0]


def test_values_directions():
    base = dict(
        threats=np.array([0.4]),
        credibility_against=np.array([0.5]),
        internal_credibility=0.5,
        regime_security=0.5,
        regime_crisis=0.0,
        dependence=0.5,
        war_exposure=0.5,
        war_load=0.2,
        domestic=0.2,
        sovereignty_cost=0.2,
        w_protection=2.0,
        w_regime=1.0,
        w_dependence=1.0,
        w_entrapment=1.0,
        w_domestic=1.0,
        w_sovereignty=0.5,
    )
    v = dyn.value_of_staying(**base)
    assert dyn.value_of_staying(**{**base, "credibility_against": np.array([0.9])}) > v
    assert dyn.value_of_staying(**{**base, "war_load": 0.8}) < v
    assert dyn.value_of_staying(**{**base, "domestic": 0.8}) < v
    assert dyn.value_of_staying(**{**base, "regime_crisis": 1.0}) > v
    leave = dict(
        outside_option=0.3,
        dependence=0.5,
        coercion=0.5,
        grievance=0.0,
        w_outside=1.5,
        w_punishment=1.0,
        w_grievance=1.0,
    )
    w = dyn.value_of_leaving(**leave)
    assert dyn.value_of_leaving(**{**leave, "outside_option": 0.8}) > w
    assert dyn.value_of_leaving(**{**leave, "coercion": 0.9}) < w
    assert dyn.value_of_leaving(**{**leave, "grievance": 0.5}) > w


@given(base=unit, offers=unit, share=unit, kappa=unit)
def test_outside_option_bounded(base, offers, share, kappa):
    o = float(dyn.outside_option(base, offers, share, kappa))
    assert 0.0 <= o <= 1.0
    assert o >= min(1.0, base) - 1e-12


def test_departed_share():
    status = np.array([0, 1, 2, 0], dtype=np.int8)
    others = np.array([0.0, 1.0, 1.0, 1.0])
    assert dyn.departed_share(status, others) == pytest.approx(1.5 / 3)


@settings(max_examples=50)
@given(pressure=st.floats(-3, 3), draw=st.floats(0, 0.999999))
def test_transitions_respect_hysteresis_and_fixed_members(pressure, draw):
    kwargs = dict(disengage=0.5, withdraw=1.0, reengage=0.1, rejoin=-0.3, scale=0.1)
    statuses = np.array([0, 1, 2, 0], dtype=np.int8)
    fixed = np.array([False, False, False, True])
    new = dyn.transition(statuses, np.full(4, pressure), np.full(4, draw), fixed=fixed, **kwargs)
    assert new[3] == 0
    assert new[0] in (0, 1)  # a member never jumps straight to withdrawn
    assert new[2] in (0, 2)


def test_transition_probabilities_rise_with_pressure():
    draws = np.random.default_rng(3).random(20000)
    kwargs = dict(disengage=0.5, withdraw=1.0, reengage=0.1, rejoin=-0.3, scale=0.1, fixed=np.zeros(20000, bool))
    members = np.zeros(20000, dtype=np.int8)
    low = dyn.transition(members, np.full(20000, 0.3), draws, **kwargs).mean()
    high = dyn.transition(members, np.full(20000, 0.7), draws, **kwargs).mean()
    assert high > low
    np.testing.assert_allclose(low, dyn.sigmoid(-2.0), atol=0.01)
    disengaged = np.ones(20000, dtype=np.int8)
    back = (dyn.transition(disengaged, np.full(20000, -0.5), draws, **kwargs) == 0).mean()
    assert back > 0.99


def test_casualty_scale():
    assert dyn.casualty_severity(0, 6000) == 0.0
    assert dyn.casualty_severity(6000, 6000) == pytest.approx(1.0)
    assert dyn.casualty_severity(10**6, 6000) == 1.0
    assert dyn.casualty_severity(140, 6000) < dyn.casualty_severity(200, 6000) < 1.0
