"""Agents are views over the state arrays, and the model behaves like a Mesa model."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from alliance_sim import agents
from alliance_sim.core import dynamics as dyn
from alliance_sim.core.trace import TRACED
from alliance_sim.model import AllianceModel


def test_names_live_once_in_dynamics():
    assert agents.STATUS_NAMES is dyn.STATUS_NAMES and agents.ANSWER_NAMES is dyn.ANSWER_NAMES
    assert dyn.STATUS_NAMES[dyn.WITHDRAWN] == "withdrawn" and dyn.ANSWER_NAMES[dyn.FULL] == "full"


def test_setting_an_attribute_writes_the_state_row(small_config):
    model = AllianceModel(small_config, rng=1)
    small = model.member("small")
    small.pressure = 0.5
    small.protest = 0.25
    assert model.state.pressure[small.index] == 0.5 and model.state.protest[small.index] == 0.25
    small.status = "disengaged"
    assert model.state.status[small.index] == dyn.DISENGAGED and small.status == "disengaged"
    with pytest.raises(ValueError):
        small.status = "gone"
    big = model.member("big")
    small.set_trust(big, 0.2)
    assert small.trust_in(big) == pytest.approx(0.2) and small.trust_in_hegemon == pytest.approx(0.2)
    model.step()
    assert model.trace.members["pressure"][0, small.index] != 0.5  # row 0 was recorded before the change


def test_a_change_between_steps_changes_the_run(small_config):
    a = AllianceModel(small_config, rng=3)
    b = AllianceModel(small_config, rng=3)
    b.member("small").pressure = 2.0
    a.run()
    b.run()
    assert not np.array_equal(a.trace.members["pressure"], b.trace.members["pressure"])


def test_rng_accepts_a_generator_deterministically(small_config):
    a = AllianceModel(small_config, rng=np.random.default_rng(1)).run()
    b = AllianceModel(small_config, rng=np.random.default_rng(1)).run()
    seed = int(np.random.default_rng(1).integers(2**63))
    c = AllianceModel(small_config, rng=seed).run()
    assert a.seed == b.seed == seed
    assert np.array_equal(a.trace.members["pressure"], c.trace.members["pressure"])


def test_mesa_scenario_is_not_shadowed(small_config):
    model = AllianceModel(small_config, rng=1)
    assert "scenario" in dir(mesa.Model)  # Mesa 3.5 has its own `scenario`; ours is `config`
    assert type(model.scenario).__module__.startswith("mesa.")
    assert model.config is small_config
    assert model.agents_by_type[agents.MemberState] is not None and len(model.members) == len(model.world.members)


def test_datacollector_reports_every_traced_quantity(small_config):
    model = AllianceModel(small_config, rng=2).run()
    frames = [model.datacollector.get_agenttype_vars_dataframe(kind) for kind in (agents.MemberState, agents.Hegemon)]
    frame = pd.concat(frames)
    assert {"member", *TRACED} <= set(frame.columns)
    last = frame.xs(model.steps, level="Step")
    for agent in model.members:
        row = last[last["member"] == agent.actor_id].iloc[0]
        assert row["status"] == agent.status and row["pressure"] == agent.pressure
