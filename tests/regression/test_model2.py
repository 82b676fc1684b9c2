"""The model's acceptance tests: its named mechanisms carry its results.

- No dead mechanism: knocking out each named mechanism in the CSTO baseline moves some
  member's probability of disengaging or withdrawing by 0.05 or more, on the point
  estimate or in the posterior predictive run that `explain` makes by default (the two
  that do neither today are marked, with their measured value and the reason).
- Non-action teaches: a silence lowers trust like a refusal, without a grievance.
- The exit procedure: a notice delays withdrawal by its length, and can be revoked.
- A summit's host attends it: Armenia asks again at the Yerevan summit.
- Deterrence and bilateral attribution move results where their preconditions hold.
- The reported answers emerge from the decision rule when they are not forced.
- Trust and threat matter, in the expected direction.
- The Mesa and ensemble engines agree bit for bit.

Every comparison uses common random numbers: the same seeds in both arms.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.events.base import Request
from alliance_sim.core.mechanisms import BY_NAME, MECHANISMS
from alliance_sim.core.phases import answer_scores
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.core.state import initial_state
from alliance_sim.core.world import compile_world
from alliance_sim.evidence import load_scenario, load_with_provenance
from alliance_sim.model import AllianceModel
from alliance_sim.runs.explain import knockouts, outcome_indicators, unforced_replay
from alliance_sim.runs.predictive import load_predictive
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import with_overrides

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SEED = 0
DEAD = 0.05
"""A mechanism whose knock-out moves no member's P(disengaged) or P(withdrawn) this much is dead."""


@cache
def csto() -> ScenarioConfig:
    return load_scenario(ROOT / "scenarios" / "csto_2022.yaml")


def largest_changes(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Per knocked-out mechanism, its row with the largest absolute change."""
    sized = table.assign(size=table["change"].abs())
    return {str(row["arm"]): row for _, row in sized.loc[sized.groupby("arm", sort=False)["size"].idxmax()].iterrows()}


# --- no dead mechanism -----------------------------------------------------------------

WEAK = {
    "bilateral_trust": (
        "+0.017 (Kyrgyzstan away at the end; +0.010 under the posterior): a replayed (forced) answer "
        "credits every ally that took part with it, and in a silence every ally is silent, so in "
        "2022-2023 no ally's own vote is seen; Russia holds about 0.9 of every member's capacity share, "
        "so individual and collective blame nearly coincide; only the random requests from 2024 are "
        "attributed vote by vote (where votes differ and weigh alike it works: "
        "test_bilateral_attribution_attaches_lessons_to_each_vote)"
    ),
    "deterrence": (
        "+0.003 (Tajikistan away at the end; +0.005 under the posterior): attack rates fall with the "
        "target's credibility of protection, and the only outside attacker's target (Armenia, by "
        "Azerbaijan) finds the alliance barely credible (about 0.09 from 2024, so its attack rate "
        "falls by about 4%): the articles' 'membership in the CSTO does not deter Azerbaijan' "
        "(test_deterrence_deters_where_protection_is_credible)"
    ),
}
"""Mechanisms that move no member's outcome by 0.05 in the baseline today, on the point
estimate or under the posterior, with the measured largest change (1,000 replicates,
seed 0) and why."""

POSTERIOR = ("grievance",)
"""Mechanisms that move an outcome by 0.05 under the posterior but not on the point estimate:
grievance drives Armenia's withdrawal, which the point estimate gives in under 2% of runs
(-0.027 there; -0.098, Armenia withdrawn, under the posterior)."""

LARGE = (
    "regime_security",
    "dependence_benefits",
    "entrapment",
    "domestic_pressure",
    "sovereignty_cost",
    "outside_options",
    "fear_of_hegemon",
    "coercion",
    "war_recovery",
)
"""Mechanisms whose knock-out moves some member's outcome by 0.2 or more (1,000 replicates)."""


def test_the_lists_name_real_mechanisms():
    assert set(WEAK) <= set(BY_NAME) and set(LARGE) <= set(BY_NAME) and set(POSTERIOR) <= set(BY_NAME)
    assert not set(WEAK) & set(LARGE) and not set(POSTERIOR) & (set(WEAK) | set(LARGE))


@pytest.fixture(scope="module")
def knockout_table() -> dict[str, pd.Series]:
    return largest_changes(knockouts(csto(), replicate_seeds(SEED, 1000), MECHANISMS, events=False))


@pytest.fixture(scope="module")
def posterior_table() -> dict[str, pd.Series]:
    """The knock-outs of the mechanisms that need it, posterior predictive (as `explain` runs by default)."""
    loaded = load_with_provenance(ROOT / "scenarios" / "csto_2022.yaml")
    replicates = 1000
    predictive = load_predictive(loaded, SEED, replicates)
    assert predictive is not None
    chosen = [BY_NAME[name] for name in (*POSTERIOR, *WEAK)]
    return largest_changes(knockouts(loaded.config, replicate_seeds(SEED, replicates), chosen, False, None, predictive))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(m.name, marks=pytest.mark.xfail(strict=True, reason=WEAK[m.name])) if m.name in WEAK else m.name
        for m in MECHANISMS
    ],
)
def test_no_dead_mechanism(knockout_table, posterior_table, name):
    row = knockout_table[name] if name not in POSTERIOR and name not in WEAK else posterior_table[name]
    assert abs(row["change"]) >= DEAD, f"{name}: largest change {row['change']:+.3f} ({row['member']} {row['outcome']})"


@pytest.mark.slow
def test_the_lists_of_weak_mechanisms_are_current(knockout_table):
    """A mechanism listed as needing the posterior, or as weak, does not move the point estimate."""
    for name in (*POSTERIOR, *WEAK):
        change = knockout_table[name]["change"]
        assert abs(change) < DEAD, f"{name} moves the point estimate now ({change:+.3f}): take it off the list"


def test_the_strong_mechanisms_are_alive():
    """The fast version: fewer replicates, only mechanisms whose effect is 0.2 or more."""
    table = knockouts(csto(), replicate_seeds(SEED, 100), [BY_NAME[name] for name in LARGE], events=False)
    for name, row in largest_changes(table).items():
        assert abs(row["change"]) >= DEAD, name
        assert row["low"] > 0 or row["high"] < 0, f"{name}: the 95% interval holds zero"


# --- deterrence and bilateral attribution where their preconditions hold ----------------


def test_deterrence_deters_where_protection_is_credible():
    """A strong, trusted hegemon: the rival raids its target far less often with deterrence."""
    config = load_scenario(FIXTURES / "deterrence.yaml")
    seeds = replicate_seeds(SEED, 30)
    raids, threat = {}, {}
    for d in (config.model.threat.deterrence, 0.0):
        arm = with_overrides(config, {"model.threat.deterrence": d})
        runs = [AllianceModel(arm, rng=seed).run() for seed in seeds]
        raids[d] = np.array([sum(r["event"] == "raids" and r["kind"] == "attack" for r in m.event_log) for m in runs])
        threat[d] = np.array([np.nanmean(m.trace.members["max_threat"][1:, 1]) for m in runs])
    on = config.model.threat.deterrence
    assert on > 0
    credibility = run_ensemble(config, seeds).members["credibility"][1:, :, 1]
    assert float(np.mean(credibility)) > 0.8, "the precondition: protection is credible"
    fewer = raids[0.0] - raids[on]
    assert fewer.mean() >= 0.25 * raids[0.0].mean()
    assert fewer.mean() >= 5 * fewer.std(ddof=1) / np.sqrt(len(fewer))
    assert (threat[on] <= threat[0.0] + 1e-12).mean() > 0.8 and threat[on].mean() < threat[0.0].mean()


def test_bilateral_attribution_attaches_lessons_to_each_vote():
    """Two allies of equal weight vote differently: the requester learns about each from its own vote."""
    config = load_scenario(FIXTURES / "bilateral.yaml")
    seeds = replicate_seeds(SEED, 400)
    small, east, west = (config.member_ids.index(a) for a in ("small", "east", "west"))
    seen = run_ensemble(config, seeds)
    blind = run_ensemble(with_overrides(config, {"model.trust.vote_visibility": 0.0}), seeds)
    assert seen.trust is not None and blind.trust is not None
    gap_seen = seen.trust[-1, :, small, east] - seen.trust[-1, :, small, west]
    gap_blind = blind.trust[-1, :, small, east] - blind.trust[-1, :, small, west]
    assert gap_seen.mean() >= 0.1, "the ally that helps is trusted more than the one that holds back"
    assert np.allclose(gap_blind, 0.0), "without visible votes both allies earn the same lesson"
    # The lesson reaches the outcome: the ally free of ties to the enemy is the one that counts,
    # so the requester finds the alliance more credible and stays more often.
    away = outcome_indicators(seen.members["status"])["disengaged"][:, small].astype(float)
    away_blind = outcome_indicators(blind.members["status"])["disengaged"][:, small].astype(float)
    diff = away - away_blind
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() <= -DEAD, f"P(disengaged) change {diff.mean():+.3f}"
    assert -diff.mean() >= 4 * se


# --- non-action teaches; the exit procedure delays -----------------------------------------


def test_a_silence_teaches_like_a_refusal_without_grievance():
    """Neither the CSTO nor Moscow reacted to the Kyrgyz-Tajik war: Kyrgyzstan learns, others a little."""
    config = csto()
    seeds = replicate_seeds(SEED, 50)
    members = config.member_ids
    kyrgyzstan, kazakhstan = members.index("kyrgyzstan"), members.index("kazakhstan")
    step = 9  # the trace row of 2022-09 (the run starts in 2022-01; row 0 is the start)
    on = run_ensemble(config, seeds).members
    off = run_ensemble(with_overrides(config, {"events.kyrgyz_silence_2022_09.enabled": False}), seeds).members
    for name in ("trust_in_hegemon", "pressure", "status"):
        assert np.array_equal(on[name][:step], off[name][:step], equal_nan=True), "history before it is untouched"
    drop = off["trust_in_hegemon"][step] - on["trust_in_hegemon"][step]
    assert np.all(drop[:, kyrgyzstan] > 0.05), "the member left alone learns as from a refusal"
    assert np.all(drop[:, kazakhstan] > 0.0) and np.all(drop[:, kazakhstan] < drop[:, kyrgyzstan])
    assert np.array_equal(on["grievance"][step], off["grievance"][step]), "nobody asked: no grievance"
    # The severity is the ledger's: a silence teaches less than a refused request would.
    severity = next(e.severity for e in config.events if e.id == "kyrgyz_silence_2022_09")
    assert 0.5 < severity < 1.0


def test_the_exit_procedure_delays_and_can_undo_a_withdrawal():
    """A notice delays a withdrawal by its length; a member whose pressure falls back revokes it."""
    config = csto()
    notice = config.model.status.notice_months
    assert notice > 0
    seeds = replicate_seeds(SEED, 1000)
    armenia = config.member_ids.index("armenia")
    traced = run_ensemble(config, seeds).members
    at_once = run_ensemble(with_overrides(config, {"model.status.notice_months": 0}), seeds).members
    status, notices = traced["status"][:, :, armenia], traced["notice"][:, :, armenia]
    withdrawn = (status == 2).any(axis=0)
    given = (notices == notice).any(axis=0)
    # Every withdrawal was announced, `notice` months before it took effect.
    for r in np.flatnonzero(withdrawn):
        first = int(np.argmax(status[:, r] == 2))
        assert notices[first - notice, r] == notice and (status[first - notice : first, r] == 1).all()
    # A notice ends in withdrawal, runs past the end, or is revoked: the notice drops to 0
    # before it is served, and the member stays disengaged.
    revoked = (notices[:-1] > 1) & (notices[1:] == 0) & (status[1:] == 1)
    assert revoked.any(axis=0).sum() >= 20, "some notices are revoked"
    assert given.sum() > withdrawn.sum()
    # So fewer withdrawals than when leaving takes one month's draw, with the same seeds.
    assert withdrawn.sum() < (at_once["status"][:, :, armenia] == 2).any(axis=0).sum()


def test_the_host_of_a_summit_attends_it():
    """Armenia, disengaged by November 2022, raises its request again at the Yerevan summit it hosts."""
    config = csto()
    seeds = replicate_seeds(SEED, 50)
    armenia = config.member_ids.index("armenia")
    step = 11  # 2022-11
    on = run_ensemble(config, seeds).members
    off = run_ensemble(with_overrides(config, {"events.yerevan_summit_2022_11.target": None}), seeds).members
    away = on["status"][step - 1, :, armenia] == 1
    assert away.sum() >= 10, "the precondition: Armenia is disengaged before the summit in many runs"
    raised = on["grievance"][step, :, armenia] - off["grievance"][step, :, armenia]
    assert np.all(raised[away] > 0.05), "the host asks again and is refused: its grievance rises"
    assert np.array_equal(on["status"][:step], off["status"][:step]), "history before it is untouched"


# --- the reported answers emerge ---------------------------------------------------------


def test_reported_answers_emerge_from_the_decision_rule():
    replay = unforced_replay(csto(), replicate_seeds(SEED, 300)).set_index("event")
    kazakhstan = replay.loc["kazakhstan_unrest_2022_01"]
    armenia = replay.loc["azerbaijan_attack_2022_09"]
    assert kazakhstan["full"] >= 0.6, kazakhstan
    assert armenia["not_full"] >= 0.6, armenia


# --- trust and threat matter -------------------------------------------------------------


def test_an_allys_willingness_rises_with_trust_and_threat():
    config = csto()
    world = compile_world(config)
    armenia, azerbaijan = world.members.index("armenia"), world.actors.index("azerbaijan")
    request = Request(requester=armenia, attacker=azerbaijan, forced=None, slot=0, label="test")
    state = initial_state(world)
    allies = np.arange(world.m) != armenia
    before = answer_scores(world, state, request)

    trusting = copy.deepcopy(state)
    trusting.alpha[:, armenia] += 5.0  # every ally has seen Armenia keep its word
    more_trust = answer_scores(world, trusting, request)
    assert np.all(more_trust[allies] > before[allies])

    # Kazakhstan comes to face Azerbaijan itself (near it, and seen as hostile): only its score rises.
    kazakhstan = world.members.index("kazakhstan")
    exposed = with_overrides(config, {"actors.kazakhstan.relations.azerbaijan": {"proximity": 0.8, "hostility": 0.6}})
    exposed_world = compile_world(exposed)
    more_threat = answer_scores(exposed_world, initial_state(exposed_world), request)
    assert more_threat[kazakhstan] > before[kazakhstan]
    others = allies & (np.arange(world.m) != kazakhstan)
    assert np.allclose(more_threat[others], before[others])


def _pressure_change(config: ScenarioConfig, overrides: dict[str, object]) -> np.ndarray:
    """Per replicate and member: the change in mean pressure over the run (common random numbers)."""
    seeds = replicate_seeds(SEED, 100)
    base = run_ensemble(config, seeds).members["pressure"][1:].mean(axis=0)
    moved = run_ensemble(with_overrides(config, overrides), seeds).members["pressure"][1:].mean(axis=0)
    return moved - base


def _clearly(diff: np.ndarray, sign: int, size: float) -> bool:
    mean = float(diff.mean())
    return sign * mean >= size and sign * mean >= 5 * float(diff.std(ddof=1)) / np.sqrt(len(diff))


def test_pressure_to_leave_rises_with_fear_of_the_hegemon():
    config = csto()
    others = [i for i, m in enumerate(config.member_ids) if m != config.alliance.hegemon]
    offense = _pressure_change(config, {"actors.russia.offense": 1.0})
    assert config.actors["russia"].offense < 1.0
    assert all(_clearly(offense[:, i], +1, 0.03) for i in others)
    belligerence = _pressure_change(config, {"model.hegemon.belligerence": 1.0})
    assert config.model.hegemon.belligerence < 1.0
    assert all(_clearly(belligerence[:, i], +1, 0.005) for i in others)


def test_pressure_to_leave_falls_with_protection_it_trusts():
    config = csto()
    for member in ("kazakhstan", "belarus", "armenia"):
        i = config.member_ids.index(member)
        prior = config.actors[member].trust_prior
        change = _pressure_change(config, {f"actors.{member}.trust_prior": min(0.95, prior + 0.3)})
        assert _clearly(change[:, i], -1, 0.05), member
    armenia = config.member_ids.index("armenia")
    protection = _pressure_change(config, {"model.value.protection": 2 * config.model.value.protection})
    assert _clearly(protection[:, armenia], -1, 0.1)
    # Only Armenia faces an outside threat; the others move only through what Armenia does.
    assert np.all(protection.mean(axis=0) <= 0.01)


# --- the two engines agree ----------------------------------------------------------------


def _assert_same_trace(config: ScenarioConfig, seeds: list[int]) -> None:
    ensemble = run_ensemble(config, seeds)
    for r, seed in enumerate(seeds):
        model = AllianceModel(config, rng=seed).run()
        for name, values in model.trace.members.items():
            assert np.array_equal(values, ensemble.members[name][:, r], equal_nan=True), (name, r)
        assert np.array_equal(model.trace.war_load, ensemble.war_load[:, r])
        assert model.trace.trust is not None and ensemble.trust is not None
        assert np.array_equal(model.trace.trust, ensemble.trust[:, r], equal_nan=True)


def test_engines_agree_on_the_baseline():
    _assert_same_trace(csto(), replicate_seeds(SEED, 6))


def test_engines_agree_on_a_what_if_with_changes():
    config = load_scenario(ROOT / "scenarios" / "what_if" / "russia_recovers.yaml")
    assert config.changes
    _assert_same_trace(config, replicate_seeds(SEED + 1, 6))
