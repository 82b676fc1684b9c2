"""The ensemble engine gives the same tables as the Mesa engine, event log included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliance_sim.core.ensemble import EventLog, run_ensemble
from alliance_sim.core.world import compile_timeline
from alliance_sim.evidence.scenarios import load_scenario
from alliance_sim.experiments.driver import run
from alliance_sim.model import AllianceModel
from alliance_sim.runs.results import RunResult

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("members", "alliance", "events", "answers", "runs", "trust")

# Thresholds that make members give notice and withdraw often, so that every kind of row
# of the event log (events, requests, summits, status changes, notices) occurs.
RESTLESS = {"model.status.disengage": 0.6, "model.status.withdraw": 0.7, "model.status.scale": 0.3}


def assert_same_tables(mesa: RunResult, ensemble: RunResult) -> None:
    for name in TABLES:
        expected, got = getattr(mesa, name), getattr(ensemble, name)
        if expected is None:
            assert got is None, name
            continue
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)


@pytest.mark.parametrize(
    ("scenario", "overrides", "seed"),
    [
        ("csto_2022.yaml", None, 0),
        ("csto_2022.yaml", None, 5),
        ("what_if/russia_recovers.yaml", None, 3),  # `changes:` switch the world mid-run
        ("what_if/russia_recovers.yaml", RESTLESS, 2),
    ],
)
def test_ensemble_tables_equal_mesa_tables(scenario: str, overrides: dict[str, float] | None, seed: int) -> None:
    config = load_scenario(ROOT / "scenarios" / scenario, overrides)
    mesa = run(config, seed=seed, replicates=6, engine="mesa")
    ensemble = run(config, seed=seed, replicates=6, engine="ensemble")
    assert not mesa.events.empty and not mesa.answers.empty
    if overrides:
        kinds = set(mesa.events["kind"])
        assert {"request", "status", "summit"} <= kinds
        assert mesa.events["event"].str.endswith("_notice").any()
        assert mesa.events["replayed"].any()
    assert_same_tables(mesa, ensemble)


def test_event_log_rows_equal_the_mesa_models_log() -> None:
    """Replicate r of the ensemble's log is `AllianceModel(config, rng=seed_r).event_log`, row by row."""
    config = load_scenario(ROOT / "scenarios" / "what_if" / "russia_recovers.yaml", RESTLESS)
    seeds = [11, 12, 13]
    log = EventLog()
    timeline = compile_timeline(config)
    run_ensemble(timeline, seeds, log=log)
    events, answers = log.columns(timeline[0][1])
    for r, seed in enumerate(seeds):
        model = AllianceModel(config, rng=seed).run()
        mine = {name: values[events["replicate"] == r] for name, values in events.items()}
        assert len(mine["event"]) == len(model.event_log)
        for k, row in enumerate(model.event_log):
            assert mine["step"][k] == row["step"] and mine["event"][k] == row["event"]
            assert mine["note"][k] == row["note"] and mine["kind"][k] == row["kind"]
            answer = row["answer"].removesuffix(" (replayed)")
            assert (mine["answer"][k] or "") == answer
        votes = [v for row in model.event_log for v in row["votes"].split()]
        ally = answers["ally"][answers["replicate"] == r]
        level = answers["answer"][answers["replicate"] == r]
        assert [f"{a}:{b}" for a, b in zip(ally, level, strict=True)] == votes


def test_empty_event_log_has_typed_columns() -> None:
    config = load_scenario(ROOT / "scenarios" / "csto_2022.yaml")
    world = compile_timeline(config)[0][1]
    events, answers = EventLog().columns(world)
    assert all(len(values) == 0 for values in (*events.values(), *answers.values()))
    assert events["step"].dtype == np.int32 and events["request"].dtype == np.int64


def test_auto_engine_is_the_ensemble_for_many_replicates_and_mesa_for_one(small_path: Path) -> None:
    config = load_scenario(small_path)
    assert run(config, replicates=1, steps=3).manifest["engine"] == "mesa"
    many = run(config, replicates=3, steps=3)
    assert many.manifest["engine"] == "ensemble"
    assert_same_tables(run(config, replicates=3, steps=3, engine="mesa"), many)
    with pytest.raises(ValueError, match="engine must be one of auto, mesa, ensemble"):
        run(config, replicates=2, engine="numpy")


def test_trace_collector_gives_what_mesa_collecting_each_step_gives(small_path: Path) -> None:
    """The model's DataCollector reads the trace lazily; a plain one reading agents each step agrees."""
    from mesa.datacollection import DataCollector

    from alliance_sim.agents import Hegemon, MemberState
    from alliance_sim.core.trace import TRACED

    model = AllianceModel(small_path, rng=4)
    plain = DataCollector(
        model_reporters={
            "month": "month",
            "cohesion": "cohesion",
            "war_load": "war_load",
            "disengaged": "n_disengaged",
            "withdrawn": "n_withdrawn",
        },
        agenttype_reporters={
            kind: {"member": "actor_id", **{name: (lambda a, n=name: a.traced(n)) for name in TRACED}}
            for kind in (MemberState, Hegemon)
        },
    )
    plain.collect(model)
    while model.running:
        model.step()
        plain.collect(model)
    for kind in (MemberState, Hegemon):
        pd.testing.assert_frame_equal(
            model.datacollector.get_agenttype_vars_dataframe(kind), plain.get_agenttype_vars_dataframe(kind)
        )
    pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(), plain.get_model_vars_dataframe())
    assert len(model.datacollector.get_model_vars_dataframe()) == model.steps + 1
    assert model.datacollector._collection_steps == plain._collection_steps


def test_a_compiled_timeline_gives_the_same_run(small_path: Path) -> None:
    config = load_scenario(small_path)
    timeline = compile_timeline(config)
    a = AllianceModel(config, rng=9, timeline=timeline).run()
    b = AllianceModel(config, rng=9).run()
    for name in a.trace.members:
        np.testing.assert_array_equal(a.trace.members[name], b.trace.members[name])
    assert a.event_log == b.event_log
    with pytest.raises(ValueError, match="no overrides"):
        AllianceModel(config, rng=9, timeline=timeline, actors__big__capacity=0.3)


def test_trace_collector_still_runs_ordinary_reporters(small_path: Path) -> None:
    from alliance_sim.agents import Hegemon, MemberState
    from alliance_sim.model import MODEL_REPORTERS, TRACE_REPORTERS, TraceCollector

    model = AllianceModel(small_path, rng=4)
    model.datacollector = TraceCollector(
        model_reporters={**MODEL_REPORTERS, "steps_now": lambda m: m.steps},
        agent_reporters={"id_now": "actor_id"},
        agenttype_reporters={kind: {"pressure_now": "pressure", **TRACE_REPORTERS} for kind in (MemberState, Hegemon)},
    )
    model.datacollector.collect(model)
    for _ in range(3):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["steps_now"].tolist() == [0, 1, 2, 3]
    assert frame["cohesion"].notna().all() and len(frame) == 4
    assert model.datacollector.get_agent_vars_dataframe().xs(3, level="Step")["id_now"].notna().all()
    members = model.datacollector.get_agenttype_vars_dataframe(MemberState).xs(3, level="Step")
    assert (members["pressure_now"] == members["pressure"]).all()
