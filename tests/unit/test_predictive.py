"""Posterior predictive runs: each replicate's parameters drawn from the scenario's posterior."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliance_sim.evidence import load_with_provenance
from alliance_sim.experiments.driver import run
from alliance_sim.runs.pipeline import RUN_OUTCOMES, RunContext, Timeseries, plan_chunks, run_chunk
from alliance_sim.runs.predictive import PARTICLES, load_predictive
from alliance_sim.runs.statistics import variance_split

ROOT = Path(__file__).resolve().parents[2]
CSTO = ROOT / "scenarios" / "csto_2022.yaml"
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"


@pytest.fixture(scope="module")
def loaded():
    return load_with_provenance(CSTO)


def _without_posterior(loaded):
    config = loaded.config
    calibration = config.calibration.model_copy(update={"posterior": None})
    return dataclasses.replace(loaded, config=config.model_copy(update={"calibration": calibration}))


def _members(result) -> pd.DataFrame:
    return result.members.sort_values(["replicate", "step", "member"]).reset_index(drop=True)


def test_assignment_draws_by_weight_in_equal_blocks(loaded):
    predictive = load_predictive(loaded, 3, 100)
    assert predictive is not None
    assert len(predictive.values) == PARTICLES
    draws = predictive.draw_of(np.arange(100))
    assert np.all(np.diff(draws) >= 0)
    assert set(np.bincount(draws)) == {100 // PARTICLES}
    # few replicates: one draw each
    assert list(load_predictive(loaded, 3, 4).draw_of(range(4))) == [0, 1, 2, 3]
    assert load_predictive(loaded, 3, 100, fixed=True) is None


def test_posterior_predictive_is_the_default_and_recorded(loaded):
    result = run(loaded, seed=4, replicates=8, steps=12)
    posterior = result.manifest["posterior"]
    assert posterior["fixed"] is False and posterior["draws"] == 8 and len(posterior["sha256"]) == 16
    assert result.predictive
    fixed = run(loaded, seed=4, replicates=8, steps=12, fixed=True)
    assert fixed.manifest["posterior"] == {"path": loaded.config.calibration.posterior, "fixed": True}
    assert not fixed.predictive and fixed.variance_split() is None
    assert not _members(result).equals(_members(fixed))


def test_fixed_runs_as_a_scenario_without_posterior(loaded):
    fixed = run(loaded, seed=6, replicates=5, steps=18, fixed=True)
    plain = run(_without_posterior(loaded), seed=6, replicates=5, steps=18)
    assert "posterior" not in plain.manifest
    pd.testing.assert_frame_equal(_members(fixed), _members(plain))
    pd.testing.assert_frame_equal(fixed.runs, plain.runs)


def test_no_posterior_runs_as_before():
    small = load_with_provenance(SMALL)
    a = run(small, seed=1, replicates=4)
    b = run(small, seed=1, replicates=4, fixed=True)
    assert "posterior" not in a.manifest
    pd.testing.assert_frame_equal(_members(a), _members(b))


def test_bit_identical_across_chunking_and_workers(loaded):
    replicates, steps = 12, 14
    config = loaded.config.model_copy(update={"time": loaded.config.time.model_copy(update={"horizon_months": steps})})
    predictive = load_predictive(loaded, 9, replicates)
    context = RunContext(
        base=config,
        paths=(),
        root=9,
        common=False,
        engine="ensemble",
        replicates=replicates,
        outcomes=RUN_OUTCOMES,
        timeseries=Timeseries(),
        detail=True,
        predictive=predictive,
    )
    todo = np.arange(replicates, dtype=np.int64)
    tables = []
    for size in (replicates, 5, 1):
        parts = [
            run_chunk(context, chunk).get("timeseries") for chunk in plan_chunks(todo, replicates, lambda p: (), size)
        ]
        frame = pd.concat([p.to_pandas() for p in parts]).sort_values(["run_id", "step", "member"])
        tables.append(frame.reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])
    serial = run(loaded, seed=9, replicates=replicates, steps=steps)
    parallel = run(loaded, seed=9, replicates=replicates, steps=steps, workers=2)
    pd.testing.assert_frame_equal(_members(serial), _members(parallel))
    mesa = run(loaded, seed=9, replicates=3, steps=steps, engine="mesa")
    ensemble = run(loaded, seed=9, replicates=3, steps=steps, engine="ensemble")
    pd.testing.assert_frame_equal(_members(mesa), _members(ensemble))


def test_variance_split_sums_to_the_total():
    rng = np.random.default_rng(0)
    draws = np.repeat(np.arange(10), 20)
    p = rng.uniform(0, 1, 10)[draws]
    runs = pd.DataFrame(
        {
            "replicate": np.arange(200),
            "member": "a",
            "step_disengaged": np.where(rng.random(200) < p, 3.0, np.nan),
            "step_withdrawn": np.where(rng.random(200) < p / 2, 5.0, np.nan),
        }
    )
    split = variance_split(runs, draws)
    for _, row in split.iterrows():
        assert row["calibration"] + row["chance"] == pytest.approx(row["total"], abs=1e-15)
        assert row["total"] == pytest.approx(row["p"] * (1 - row["p"]), abs=1e-12)
        assert 0 <= row["calibration_share"] <= 1
        assert row["low"] <= row["mc_low"] <= row["p"] <= row["mc_high"] <= row["high"]
    # without calibration (one probability everywhere) the split gives it little
    flat = runs.assign(step_disengaged=np.where(rng.random(200) < 0.5, 1.0, np.nan))
    row = variance_split(flat, draws).iloc[0]
    assert row["calibration_share"] < 0.2


def test_armenia_interval_covers_the_threshold_plateau(loaded):
    # Across plausible withdraw thresholds, P(Armenia withdrawn by the horizon) ranged from
    # about 0.006 to above 0.3: the posterior predictive interval must cover that spread.
    result = run(loaded, seed=0, replicates=200)
    row = result.summary().set_index("member").loc["armenia"]
    assert row["p_withdrawn_low"] <= 0.006 and row["p_withdrawn_high"] >= 0.32
    assert row["p_withdrawn_mc_high"] - row["p_withdrawn_mc_low"] < row["p_withdrawn_high"] - row["p_withdrawn_low"]
    assert row["p_withdrawn_calibration_share"] > 0.1
    from alliance_sim.reporting.summary import format_summary

    text = format_summary(result)
    assert "95% PI" in text and "calib." in text and "Monte Carlo only" in text


def test_explain_knocks_out_with_the_run_s_particles(loaded):
    from alliance_sim.runs.explain import explain

    config = loaded.config
    short = loaded  # explain runs the whole horizon
    explained = explain(short, seed=2, replicates=4, mechanisms=["contagion"], events=False)
    result = run(short, seed=2, replicates=4)
    table = result.summary().set_index("member")
    base = explained.knockouts[explained.knockouts["outcome"] == "disengaged"].set_index("member")["baseline"]
    for member in config.member_ids:
        assert base[member] == pytest.approx(table.loc[member, "p_disengaged"], abs=1e-12)
    fixed = explain(short, seed=2, replicates=4, mechanisms=["contagion"], events=False, fixed=True)
    point = run(short, seed=2, replicates=4, fixed=True).summary().set_index("member")
    base = fixed.knockouts[fixed.knockouts["outcome"] == "disengaged"].set_index("member")["baseline"]
    for member in config.member_ids:
        assert base[member] == pytest.approx(point.loc[member, "p_disengaged"], abs=1e-12)


def test_posterior_figures_are_deterministic_and_in_the_standard_set(loaded, tmp_path):
    from alliance_sim.reporting import figures as plotting
    from alliance_sim.reporting.figures.posterior import strongest_pairs

    result = run(loaded, seed=1, replicates=6, steps=6)
    result.save(tmp_path / "run")
    kinds = plotting.standard_kinds(result)
    assert kinds[-2:] == ["posterior", "posterior_pairs"]
    for kind in ("posterior", "posterior_pairs"):
        one = plotting.figure_bytes(plotting.plot(result, kind), "png", dpi=40)
        two = plotting.figure_bytes(plotting.plot(result, kind), "png", dpi=40)
        assert one == two, kind
    pairs = strongest_pairs(plotting.posterior_of(result), 3)
    assert len(pairs) == 3 and abs(pairs[0][2]) >= abs(pairs[-1][2])
    fixed = run(loaded, seed=1, replicates=6, steps=6, fixed=True)
    assert "posterior" not in plotting.standard_kinds(fixed)


def test_run_command_prints_the_split_and_takes_fixed(tmp_path):
    from click.testing import CliRunner

    from alliance_sim.cli.main import main as cli

    runner = CliRunner()
    out = runner.invoke(cli, ["run", str(CSTO), "-n", "20", "--steps", "12", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert "95% PI" in out.output and "calib." in out.output and "drawn from the posterior" in out.output
    fixed = runner.invoke(cli, ["run", str(CSTO), "-n", "20", "--steps", "12", "--seed", "3", "--fixed"])
    assert fixed.exit_code == 0, fixed.output
    assert "95% CI" in fixed.output and "calib." not in fixed.output and "--fixed" in fixed.output
