"""The Mesa model: construction, determinism, the engines' equivalence, mesa.batch_run,
and the direction tests the model must pass."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from alliance_sim import run
from alliance_sim.agents import Hegemon, MemberState, OutsideActor
from alliance_sim.core import dynamics as dyn
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.model import AllianceModel, seed_to_int
from alliance_sim.scenario.loader import with_overrides

REPLICATES = 300


def test_mesa_deprecations_are_errors_here():
    """The pytest configuration turns Mesa's deprecation warnings into errors."""
    with pytest.raises(FutureWarning, match="seed"):
        mesa.Model(seed=1)


def test_agents_built_from_scenario(small_config):
    model = AllianceModel(small_config, rng=1)
    assert [a.actor_id for a in model.members] == ["big", "small", "mid"]
    assert [a.actor_id for a in model.agents_by_type[MemberState]] == ["small", "mid"]
    assert [a.actor_id for a in model.agents_by_type[Hegemon]] == ["big"]
    assert [a.actor_id for a in model.agents_by_type[OutsideActor]] == ["enemy"]
    assert model.member("big").is_hegemon and not model.member("small").is_hegemon
    assert model.member("small").status == "member"
    assert model.draws.shape == (24, model.world.columns)


def test_runs_to_horizon_and_stops(small_config):
    model = AllianceModel(small_config, rng=1).run()
    assert model.steps == 24 and not model.running
    assert model.trace.members["status"].shape == (25, 3)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 25 and {"cohesion", "war_load"} <= set(frame.columns)


def test_same_seed_same_tables_bit_for_bit(small_config):
    a = run(small_config, seed=11, replicates=5)
    b = run(small_config, seed=11, replicates=5)
    for name in ("members", "alliance", "events", "runs"):
        assert getattr(a, name).equals(getattr(b, name)), name
    c = run(small_config, seed=12, replicates=5)
    assert not a.members.equals(c.members)


def test_seed_sequence_and_int_seed_agree(small_config):
    sequence = np.random.SeedSequence(5).spawn(1)[0]
    a = AllianceModel(small_config, rng=sequence).run()
    b = AllianceModel(small_config, rng=seed_to_int(sequence)).run()
    assert np.array_equal(a.trace.members["pressure"], b.trace.members["pressure"])


def _assert_same_trace(config, seeds):
    ensemble = run_ensemble(config, seeds)
    for r, seed in enumerate(seeds):
        model = AllianceModel(config, rng=seed).run()
        for name, values in model.trace.members.items():
            assert np.array_equal(values, ensemble.members[name][:, r], equal_nan=True), (name, r)
        assert np.array_equal(model.trace.war_load, ensemble.war_load[:, r])


def test_mesa_and_ensemble_engines_agree_exactly(small_config):
    _assert_same_trace(small_config, replicate_seeds(3, 40))


def test_engines_agree_exactly_on_csto(csto_config):
    _assert_same_trace(csto_config, replicate_seeds(9, 12))


def test_engines_agree_under_every_decision_rule(small_config):
    for rule in ("consensus", "hegemon_led", "majority"):
        config = with_overrides(small_config, {"alliance.decision_rule": rule, "events.first_attack.answer": None})
        _assert_same_trace(config, replicate_seeds(4, 15))


def test_batch_run_drives_the_model(small_path):
    results = mesa.batch_run(
        AllianceModel,
        parameters={"scenario": str(small_path), "actors__big__capacity": [0.3, 0.9]},
        rng=[1, 2],
        max_steps=24,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len({r["RunId"] for r in results}) == 4
    assert len(results) == 4 * 3  # one row per member agent per run
    assert {r["actors__big__capacity"] for r in results} == {0.3, 0.9}
    assert {r["member"] for r in results} == {"big", "small", "mid"}
    assert all(0.0 <= r["cohesion"] <= 1.0 for r in results)
    row = next(r for r in results if r["actors__big__capacity"] == 0.3 and r["iteration"] == 1)
    again = AllianceModel(str(small_path), rng=2, actors__big__capacity=0.3).run()
    assert again.member(row["member"]).status == row["status"]
    assert again.member(row["member"]).pressure == row["pressure"]


# --- direction tests ---------------------------------------------------------------


def _ensemble(config, seed=1, replicates=REPLICATES):
    return run_ensemble(config, replicate_seeds(seed, replicates))


def _p_disengaged(trace, member):
    return float(np.mean(np.any(trace.members["status"][:, :, member] >= 1, axis=0)))


SMALL, BIG, MID = 1, 0, 2


def test_unanswered_request_lowers_trust_and_raises_risk(small_config):
    quiet = with_overrides(small_config, {"events.first_attack.request": False, "hazards.raids.monthly_rate": 0.0})
    refused = with_overrides(quiet, {"events.first_attack.request": True, "events.first_attack.answer": "refused"})
    a, b = _ensemble(quiet), _ensemble(refused)
    step = 3  # end of March 2022, the month of the attack
    trust_a = a.members["trust_in_hegemon"][step, :, SMALL]
    trust_b = b.members["trust_in_hegemon"][step, :, SMALL]
    assert np.all(trust_b < trust_a)
    assert np.all(b.members["pressure"][step, :, SMALL] > a.members["pressure"][step, :, SMALL])
    assert _p_disengaged(b, SMALL) > _p_disengaged(a, SMALL)


def test_full_answer_raises_trust(small_config):
    config = with_overrides(small_config, {"events.first_attack.answer": "full", "hazards.raids.monthly_rate": 0.0})
    trace = _ensemble(config, replicates=20)
    before = trace.members["trust_in_hegemon"][2, :, SMALL]
    after = trace.members["trust_in_hegemon"][3, :, SMALL]
    assert np.all(after > before)
    observer = trace.members["trust_in_hegemon"][3, :, MID] > trace.members["trust_in_hegemon"][2, :, MID]
    assert np.all(observer), "members watch how others are treated"


def test_more_hegemon_capacity_lowers_defection(small_config):
    weak = _ensemble(with_overrides(small_config, {"actors.big.capacity": 0.2}))
    strong = _ensemble(with_overrides(small_config, {"actors.big.capacity": 1.0}))
    assert _p_disengaged(strong, SMALL) < _p_disengaged(weak, SMALL)
    assert np.mean(strong.members["pressure"][-1, :, SMALL]) < np.mean(weak.members["pressure"][-1, :, SMALL])


def test_stronger_outside_option_raises_defection(small_config):
    low = _ensemble(with_overrides(small_config, {"actors.small.outside_option": 0.1}))
    high = _ensemble(with_overrides(small_config, {"actors.small.outside_option": 0.7}))
    assert _p_disengaged(high, SMALL) > _p_disengaged(low, SMALL)


def test_departure_raises_the_others_risk(small_config):
    def pressure_after(mid_leaves: bool) -> float:
        model = AllianceModel(small_config, rng=4)
        for _ in range(6):  # past the scripted events, so the next month differs only by the departure
            model.step()
        if mid_leaves:
            model.state.status[MID] = dyn.WITHDRAWN
        model.step()
        return model.member("small").pressure

    assert pressure_after(True) > pressure_after(False)


def test_dependent_regime_stays_under_shocks(small_config):
    loyal = with_overrides(
        small_config,
        {
            "actors.mid.dependence": 0.95,
            "actors.mid.regime_security": 0.95,
            "actors.mid.outside_option": 0.1,
            "hazards": [
                {
                    "id": "raids",
                    "type": "attack",
                    "source": "enemy",
                    "target": "mid",
                    "monthly_rate": 0.3,
                    "severity": 0.8,
                },
                {"id": "unrest", "type": "protest", "target": "mid", "monthly_rate": 0.3, "severity": 0.5},
            ],
        },
    )
    trace = _ensemble(loyal)
    assert float(np.mean(trace.members["status"][-1, :, MID] == dyn.WITHDRAWN)) == 0.0
    assert _p_disengaged(trace, MID) < 0.05


@pytest.mark.parametrize("rule", ["consensus", "hegemon_led", "majority"])
def test_hegemon_never_leaves(small_config, rule):
    config = with_overrides(small_config, {"alliance.decision_rule": rule, "actors.big.outside_option": 1.0})
    trace = _ensemble(config, replicates=50)
    assert np.all(trace.members["status"][:, :, BIG] == dyn.MEMBER)


def test_shortened_run_ends_before_later_events(csto_config):
    from alliance_sim.experiments.driver import run as run_scenario

    result = run_scenario(csto_config, seed=1, replicates=2, steps=12)
    assert result.members["step"].max() == 12
    assert set(result.events["month"]) <= {f"2022-{m:02d}" for m in range(1, 13)}
    from alliance_sim.runs.seeds import run_seed

    full = AllianceModel(csto_config, rng=run_seed(1, 0, 0)).run()  # the seed of the run's replicate 0
    assert np.array_equal(
        result.members[result.members["replicate"] == 0]["pressure"].to_numpy().reshape(13, -1),
        full.trace.members["pressure"][:13],
    )


def test_grievance_renewed_at_a_summit_keeps_its_attacker(small_config):
    from alliance_sim.core.events import Request
    from alliance_sim.core.phases import answer_scores, attacker_of

    config = with_overrides(small_config, {"hazards.raids.monthly_rate": 0.0, "events.spring_summit.answer": None})
    model = AllianceModel(config, rng=2)
    for _ in range(3):  # through March 2022: the attack answered with a token
        model.step()
    enemy = model.world.actors.index("enemy")
    assert int(model.state.grievance_source[SMALL]) == enemy
    renewed = Request(SMALL, None, None, 0, "summit", renewed=True)
    fresh = Request(SMALL, enemy, None, 0, "attack")
    internal = Request(SMALL, None, None, 0, "unrest")
    assert attacker_of(model.state, renewed) == enemy
    scores = {
        name: answer_scores(model.world, model.state, r)
        for name, r in (("renewed", renewed), ("fresh", fresh), ("internal", internal))
    }
    for ally in (BIG, MID):
        assert scores["renewed"][ally] == scores["fresh"][ally]
        assert scores["renewed"][ally] != scores["internal"][ally]
