"""The interactive page's logic without a browser: levers, the ensemble summary, saving a what-if, the command."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_sim import load_scenario
from alliance_sim.app_support import ensemble_view, explain_view, levers, whatif
from alliance_sim.errors import InputError


def test_levers_cover_the_first_things_a_user_reaches_for(csto_config):
    found = {lever.path: lever for lever in levers.levers_for(csto_config)}
    assert "actors.russia.capacity" in found
    assert "model.shocks.war_recovery" in found
    assert found["alliance.decision_rule"].choices == ("consensus", "hegemon_led", "majority")
    for member in ("belarus", "kazakhstan", "armenia", "kyrgyzstan", "tajikistan"):
        assert f"actors.{member}.outside_option" in found
        assert f"actors.{member}.dependence" in found
    assert "actors.russia.outside_option" not in found
    assert "hazards.war_drain.monthly_rate" in found
    capacity = found["actors.russia.capacity"]
    assert capacity.label == "Russia's capacity to help allies"
    assert capacity.hover.startswith("actors.russia.capacity: Share of its power")
    for lever in found.values():
        value = levers.value_at(csto_config, lever.path)
        if not lever.choices:
            assert lever.minimum <= value <= lever.maximum, lever.path


def test_value_at_and_changed(csto_config):
    assert levers.value_at(csto_config, "alliance.decision_rule") == "consensus"
    rate = levers.value_at(csto_config, "hazards.war_drain.monthly_rate")
    assert rate == pytest.approx(1 / 12)
    with pytest.raises(KeyError):
        levers.value_at(csto_config, "hazards.no_such_hazard.monthly_rate")
    settings = {
        "hazards.war_drain.monthly_rate": rate,
        "actors.russia.capacity": 0.5,
        "alliance.decision_rule": "consensus",
    }
    assert levers.changed(csto_config, settings) == {"actors.russia.capacity": 0.5}


def test_nested_keys_merge_lists_by_id():
    tree = whatif.nested(
        {"actors.russia.capacity": 0.6, "hazards.war_drain.monthly_rate": 0.0, "hazards.war_drain.severity": 0.2}
    )
    assert tree == {
        "actors": {"russia": {"capacity": 0.6}},
        "hazards": [{"id": "war_drain", "monthly_rate": 0.0, "severity": 0.2}],
    }


def test_saved_what_if_loads_with_the_changed_values(csto_path, csto_config, tmp_path):
    changes = {
        "actors.russia.capacity": 0.55,
        "model.shocks.war_recovery": 0.1,
        "alliance.decision_rule": "majority",
        "actors.armenia.outside_option": 0.7,
        "hazards.azerbaijan_attack.monthly_rate": 0.2,
    }
    target = tmp_path / "nested" / "mine.yaml"
    target.parent.mkdir()
    whatif.save_what_if(csto_path, target, changes, name="What-if: mine")
    text = target.read_text()
    assert "extends: " in text and "csto_2022.yaml" in text
    assert "evidence" not in text  # only the changed values, nothing copied from the base
    config = load_scenario(target)
    assert config.name == "What-if: mine"
    assert config.actors["russia"].capacity == 0.55
    assert config.model.shocks.war_recovery == 0.1
    assert config.alliance.decision_rule == "majority"
    assert config.actors["armenia"].outside_option == 0.7
    assert levers.value_at(config, "hazards.azerbaijan_attack.monthly_rate") == 0.2
    assert levers.changed(config, changes) == {}
    assert config.actors["belarus"] == csto_config.actors["belarus"]
    assert [h.id for h in config.hazards] == [h.id for h in csto_config.hazards]


def test_save_refuses_to_replace_its_base_and_leaves_no_temporary_file(csto_path, tmp_path):
    with pytest.raises(InputError, match="cannot replace"):
        whatif.save_what_if(csto_path, csto_path, {"actors.russia.capacity": 0.5})
    with pytest.raises(InputError, match="no such folder"):
        whatif.save_what_if(csto_path, tmp_path / "missing" / "x.yaml", {})
    with pytest.raises(InputError, match=r"\.yaml"):
        whatif.save_what_if(csto_path, tmp_path / "x.txt", {})
    assert list(tmp_path.iterdir()) == []


def test_ensemble_summary_shapes_and_shares(small_config):
    summary = ensemble_view.summarise(small_config, replicates=40, seed=3)
    steps = small_config.time.horizon_months + 1
    m = len(summary.members)
    assert summary.pressure.shape == (3, steps, m)
    assert summary.status_share.shape == (steps, m, 3)
    np.testing.assert_allclose(summary.status_share.sum(axis=-1), 1.0)
    assert np.all(np.diff(summary.not_withdrawn, axis=0) <= 0)
    assert np.all(summary.not_withdrawn >= summary.not_disengaged)
    assert np.all(np.isnan(summary.trust[:, :, summary.hegemon]))
    assert ensemble_view.draw_trajectories(summary).startswith(b"\x89PNG")
    assert ensemble_view.draw_status(summary).startswith(b"\x89PNG")


def test_app_command_help_has_examples():
    from alliance_sim.cli.main import main

    result = CliRunner().invoke(main, ["app", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "alliance-sim app scenarios/csto_2022.yaml --port 8800 --no-browser" in result.output


def test_app_command_without_the_extra_is_one_line_exit_2(monkeypatch):
    from alliance_sim.cli import app as app_command

    real = importlib.util.find_spec
    monkeypatch.setattr(app_command.importlib.util, "find_spec", lambda name: None if name == "solara" else real(name))
    from alliance_sim.cli.main import main

    result = CliRunner().invoke(main, ["app"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: the interactive page needs the app extra: pip install 'alliance-sim[app]'"


def test_app_command_bad_scenario_is_one_line_exit_2(tmp_path):
    from alliance_sim.cli.main import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nalliance: {name: A, hegemon: h}\ntime: {start: '2022-01'}\nactors: {h: {name: H, powr: 1}}\n"
    )
    result = CliRunner().invoke(main, ["app", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "powr" in lines[0]


def test_the_page_decomposition_is_explain_s_on_the_seeds_of_run(small_config):
    from alliance_sim.runs import explain
    from alliance_sim.runs.seeds import run_seeds

    summary = ensemble_view.summarise(small_config, replicates=30, seed=5)
    expected = explain.decompose(small_config, run_seeds(5, 0, range(30)))
    pd.testing.assert_frame_equal(summary.decomposition, expected)
    assert explain_view.seeds_of(5, 30) == run_seeds(5, 0, range(30))


def test_decomposition_of_needs_the_terms(small_config):
    from alliance_sim.core.ensemble import run_ensemble
    from alliance_sim.runs import explain

    with pytest.raises(ValueError, match="terms=True"):
        explain.decomposition_of(small_config, run_ensemble(small_config, [1, 2]))


def test_explain_view_tables_and_figures(csto_config):
    from alliance_sim.runs import explain

    summary = ensemble_view.summarise(csto_config, replicates=20, seed=7)
    replay = explain_view.run_replay(csto_config, 20, 7)
    pd.testing.assert_frame_equal(replay, explain.unforced_replay(csto_config, explain_view.seeds_of(7, 20)))
    result = explain_view.explanation(csto_config, summary.decomposition, replicates=20, seed=7, replay=replay)
    assert result.manifest["seed"] == 7 and result.replicates == 20
    assert explain_view.draw_terms(result).startswith(b"\x89PNG")
    rows = explain_view.replay_rows(result)
    assert len(rows) == len(replay) and all(len(r) == len(explain_view.REPLAY_HEADERS) for r in rows)
    armenia = next(r for r in rows if r[0] == "azerbaijan_attack_2022_09")
    assert armenia[2] == "Armenia" and armenia[3] == "token" and armenia[-1].endswith("%")


def test_knockouts_on_demand_report_progress_and_match_explain(small_config):
    from alliance_sim.core.mechanisms import MECHANISMS
    from alliance_sim.runs import explain

    steps = []
    table = explain_view.run_knockouts(small_config, 10, 3, lambda *step: steps.append(step))
    arms = explain_view.arm_count(small_config)
    assert arms >= len(MECHANISMS)
    assert [done for _, done, _ in steps] == list(range(1, arms + 2))
    assert {total for _, _, total in steps} == {arms + 1}
    pd.testing.assert_frame_equal(table, explain.knockouts(small_config, explain_view.seeds_of(3, 10)))
    result = explain_view.explanation(small_config, None, replicates=10, seed=3, knockouts=table)
    rows = explain_view.knockout_rows(result)
    assert len(rows) == arms and all(len(r) == len(explain_view.KNOCKOUT_HEADERS) for r in rows)
    assert explain_view.draw_knockouts(result).startswith(b"\x89PNG")


def test_the_page_reruns_once_for_both_tabs(small_config):
    pytest.importorskip("solara", reason="the app extra is not installed")
    from alliance_sim import app

    first, second = app.rerun(small_config, 20, 1), app.rerun(small_config, 20, 1)
    assert second.number != first.number
    drawn = app.draw_ensemble(first)
    assert drawn.source is first and drawn.trajectories.startswith(b"\x89PNG")
    explained = app.draw_explain(first)
    assert explained.source is first and explained.terms.startswith(b"\x89PNG")
    steps = []
    knocked = app.compute_knockouts(small_config, "key", 5, 1, lambda *step: steps.append(step))
    assert knocked.key == "key" and knocked.replicates == 5 and knocked.figure.startswith(b"\x89PNG")
    assert steps[-1][1] == steps[-1][2] == explain_view.arm_count(small_config) + 1
