"""Sensitivity indices, noise floor and probabilities: known answers through our code paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliance_sim.experiments.designs import morris_sample, sobol_sample
from alliance_sim.experiments.driver import sweep
from alliance_sim.experiments.executors import SerialExecutor
from alliance_sim.experiments.results import SENSITIVITY_COLUMNS, SweepResult
from alliance_sim.runs.statistics import (
    defection_table,
    kaplan_meier,
    morris_indices,
    replicate_noise,
    sobol_indices,
)

from .reference_statistics import loop_defection_table, loop_kaplan_meier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweeps"

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_through_the_sobol_path():
    x = sobol_sample(ISHIGAMI, 2048, seed=1)
    assert x.shape == (2048 * 5, 3)
    table = sobol_indices(ISHIGAMI, ishigami(x), resamples=100, seed=1)
    s1 = table[table["index"] == "S1"].set_index("parameter")
    st = table[table["index"] == "ST"].set_index("parameter")
    np.testing.assert_allclose(s1.loc[["x1", "x2", "x3"], "value"], ISHIGAMI_S1, atol=0.04)
    np.testing.assert_allclose(st.loc[["x1", "x2", "x3"], "value"], ISHIGAMI_ST, atol=0.04)
    assert (table["conf"] > 0).all() and (table["conf"] < 0.1).all()
    assert table["noise_floor"].isna().all()  # no replicates, no noise estimate


def test_morris_on_a_linear_function_gives_its_slopes():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [-1, 1]]}
    x = morris_sample(problem, 20, 4, seed=3)
    y = 3.0 * x[:, 0] - 1.0 * x[:, 1] + 0.0 * x[:, 2]
    table = morris_indices(problem, x, y, levels=4, resamples=50, seed=0).set_index(["parameter", "index"])
    # Elementary effects are per unit of the scaled input: slope times range.
    assert table.loc[("a", "mu_star"), "value"] == pytest.approx(3.0)
    assert table.loc[("b", "mu_star"), "value"] == pytest.approx(2.0)
    assert table.loc[("c", "mu_star"), "value"] == pytest.approx(0.0, abs=1e-12)
    assert table.loc[("a", "sigma"), "value"] == pytest.approx(0.0, abs=1e-9)


def test_replicate_noise_and_the_sobol_noise_floor():
    rng = np.random.default_rng(0)
    x = sobol_sample(ISHIGAMI, 512, seed=2)
    replicates = 40
    # Pure noise: the output does not depend on x at all.
    p_hat = rng.binomial(replicates, 0.3, size=len(x)) / replicates
    noise = replicate_noise(p_hat, replicates)
    assert noise == pytest.approx(0.3 * 0.7 / replicates, rel=0.1)
    table = sobol_indices(ISHIGAMI, p_hat, noise=noise, resamples=50, seed=0)
    floor = table["noise_floor"].iloc[0]
    assert floor == pytest.approx(1.0, abs=0.15)
    st = table[table["index"] == "ST"]["value"]
    assert (st > 0.5 * floor).all()  # noise inflates every total index up to the floor
    # A real signal dwarfs the floor.
    signal = np.clip(0.5 + 0.1 * ishigami(x) / 4, 0, 1)
    p_hat = rng.binomial(replicates, signal) / replicates
    table = sobol_indices(ISHIGAMI, p_hat, noise=replicate_noise(p_hat, replicates), resamples=50, seed=0)
    assert table["noise_floor"].iloc[0] < 0.6
    assert replicate_noise(np.array([0.5]), 1) != replicate_noise(np.array([0.5]), 1)  # NaN with one replicate


def random_runs(seed: int, points: int = 7, replicates: int = 9, p_out: float = 0.6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for point in range(points):
        for replicate in range(replicates):
            for member in ("b", "a", "c"):
                out = rng.integers(0, 30) if rng.random() < p_out else None
                gone = out + rng.integers(0, 5) if out is not None and rng.random() < 0.5 else None
                final = "withdrawn" if gone is not None else ("disengaged" if out is not None else "member")
                rows.append(
                    {
                        "point": point,
                        "replicate": replicate,
                        "member": member,
                        "steps": 30,
                        "final_status": final,
                        "step_disengaged": out,
                        "month_disengaged": f"2022-{out % 12 + 1:02d}" if out is not None else None,
                        "step_withdrawn": gone,
                        "month_withdrawn": f"2023-{gone % 12 + 1:02d}" if gone is not None else None,
                    }
                )
    runs = pd.DataFrame(rows)
    for column in ("step_disengaged", "step_withdrawn"):
        runs[column] = runs[column].astype("Int32")
    return runs


def test_defection_table_equals_the_loop_it_replaced():
    runs = random_runs(4)
    for frame in (runs, runs.drop(columns="point")):
        for members in (None, ["c", "a", "b"]):
            pd.testing.assert_frame_equal(defection_table(frame, members), loop_defection_table(frame, members))


@pytest.mark.parametrize(
    ("seed", "points", "replicates", "p_out"),
    [(1, 1, 40, 0.6), (2, 3, 9, 0.6), (3, 2, 25, 0.0), (5, 2, 30, 1.0), (6, 1, 3, 0.5)],
)
def test_kaplan_meier_through_scipy_equals_the_hand_loop(seed, points, replicates, p_out):
    runs = random_runs(seed, points, replicates, p_out)
    for frame in (runs, runs.drop(columns="point")):
        for event in ("disengaged", "withdrawn"):
            got = kaplan_meier(frame, event=event)
            expected = loop_kaplan_meier(frame, event=event)
            pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def sobol_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("sobol") / "out"
    return sweep(FIXTURES / "sobol.yaml", executor=SerialExecutor(), out=out)


def test_sweep_result_contract(sobol_result):
    result = SweepResult.load(sobol_result.folder)
    assert result.parameters == ["actors.big.capacity", "actors.small.outside_option", "actors.small.dependence"]
    assert list(result.design.columns) == ["point", *result.parameters]
    assert result.manifest["design"]["kind"] == "sobol"
    assert result.manifest["spec"]["name"] == "sobol_test"
    table = result.probabilities()
    expected = [
        "point",
        *result.parameters,
        "member",
        "replicates",
        "p_disengaged",
        "p_disengaged_low",
        "p_disengaged_high",
        "p_withdrawn",
        "p_withdrawn_low",
        "p_withdrawn_high",
    ]
    assert set(expected) <= set(table.columns)
    assert list(table.columns[: len(result.parameters) + 2]) == ["point", *result.parameters, "member"]
    assert len(table) == 80 * 3
    assert (table["p_withdrawn_low"] <= table["p_withdrawn"]).all()
    assert (table["p_withdrawn"] <= table["p_withdrawn_high"]).all()
    sensitivity = result.sensitivity(resamples=50)
    assert list(sensitivity.columns) == SENSITIVITY_COLUMNS
    assert set(sensitivity["index"]) == {"S1", "ST"}
    assert set(sensitivity["outcome"]) <= {"p_disengaged", "p_withdrawn"}
    assert "big" not in set(sensitivity["member"])  # the hegemon never leaves: no variance
    assert sensitivity["conf"].notna().all()
    survival = result.survival()
    assert {"member", "step", "survival", "low", "high"} <= set(survival.columns)
    assert "point" not in survival.columns  # pooled for sampled designs
    written = result.save_analysis(resamples=20)
    assert sorted(written) == ["probabilities", "sensitivity", "survival"]


def test_sensitivity_wiring_recovers_an_additive_model(sobol_result, monkeypatch):
    """Indices come out for the right parameters when p is a known function of the design."""
    result = SweepResult.load(sobol_result.folder)
    design = result.design
    weights = {"actors.big.capacity": 0.0, "actors.small.outside_option": 2.0, "actors.small.dependence": 1.0}
    p = sum(w * (design[k] - 0.45) / 0.9 for k, w in weights.items()) / 4 + 0.5
    fake = pd.DataFrame(
        {"point": design["point"], "member": "small", "replicates": 1000, "p_disengaged": p, "p_withdrawn": 1 - p}
    )
    monkeypatch.setattr(SweepResult, "probabilities", lambda self: fake)
    monkeypatch.setattr(SweepResult, "members", property(lambda self: ["small"]))
    table = result.sensitivity(resamples=50).set_index(["outcome", "parameter", "index"])["value"]
    # Variance contributions 4:1:0. With N = 16 the estimates are rough, but a parameter
    # the output ignores has a total index of exactly 0, and the ranking holds.
    for outcome in ("p_disengaged", "p_withdrawn"):
        assert table[(outcome, "actors.big.capacity", "ST")] == 0.0
        assert table[(outcome, "actors.big.capacity", "S1")] == 0.0
        assert (
            table[(outcome, "actors.small.outside_option", "ST")]
            > 2 * table[(outcome, "actors.small.dependence", "ST")]
        )
        assert table[(outcome, "actors.small.dependence", "ST")] > 0.05


def test_grid_has_no_sensitivity_and_survival_by_point(tmp_path):
    result = sweep(FIXTURES / "grid.yaml", executor=SerialExecutor(), out=tmp_path / "out")
    assert result.sensitivity().empty
    assert list(result.sensitivity().columns) == SENSITIVITY_COLUMNS
    survival = result.survival("disengaged")
    assert {"point", "actors.big.capacity", "member", "step"} <= set(survival.columns)
    assert survival["point"].nunique() == 6
