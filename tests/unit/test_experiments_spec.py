"""Sweep specs: reading, validation with located errors, designs, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alliance_sim.errors import InputError
from alliance_sim.experiments.spec import load_sweep_spec
from alliance_sim.model import seed_to_int
from alliance_sim.runs.seeds import run_seed, run_seeds

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweeps"
PACT = FIXTURES / "pact.yaml"


def write_spec(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"scenario: {PACT}\n" + text)
    return path


# --- sizes and bounds of designs ------------------------------------------------------


def test_grid_size_order_and_values(tmp_path):
    spec = load_sweep_spec(
        write_spec(
            tmp_path,
            """
design: grid
parameters:
  actors.big.capacity: [0.2, 0.5, 0.8]
  actors.small.outside_option: {start: 0.1, stop: 0.7, step: 0.2}
  model.trust.spillover: {low: 0.2, high: 0.6, levels: 3}
replicates: 4
""",
        )
    )
    frame = spec.design.frame
    assert spec.points == 3 * 4 * 3 == len(frame)
    assert spec.runs == 36 * 4
    assert list(frame.columns) == [
        "point",
        "actors.big.capacity",
        "actors.small.outside_option",
        "model.trust.spillover",
    ]
    assert frame["point"].tolist() == list(range(36))
    assert sorted(set(frame["actors.small.outside_option"])) == [0.1, 0.3, 0.5, 0.7]
    assert sorted(set(frame["model.trust.spillover"])) == [0.2, 0.4, 0.6]
    # The last parameter varies fastest.
    assert frame["model.trust.spillover"].tolist()[:3] == [0.2, 0.4, 0.6]
    assert frame["actors.big.capacity"].tolist()[:12] == [0.2] * 12
    assert spec.describe() == "grid, 3 parameters, 36 points x 4 replicates = 144 runs"


def test_zip_groups_move_together(tmp_path):
    spec = load_sweep_spec(
        write_spec(
            tmp_path,
            """
design: grid
parameters:
  actors.big.capacity: [0.2, 0.5, 0.8]
  model.shocks.war_recovery: [0.0, 0.05, 0.1]
  actors.small.outside_option: [0.1, 0.9]
zip: [[actors.big.capacity, model.shocks.war_recovery]]
""",
        )
    )
    frame = spec.design.frame
    assert len(frame) == 3 * 2
    pairs = set(zip(frame["actors.big.capacity"], frame["model.shocks.war_recovery"], strict=True))
    assert pairs == {(0.2, 0.0), (0.5, 0.05), (0.8, 0.1)}


@pytest.mark.parametrize(
    ("kind", "extra", "points"),
    [
        ("montecarlo", "", 50),
        ("lhs", "", 50),
        ("sobol", "", 16 * (3 + 2)),
        ("morris", ", levels: 6", 16 * (3 + 1)),
    ],
)
def test_sampled_design_sizes_and_bounds(tmp_path, kind, extra, points):
    samples = 50 if kind in ("montecarlo", "lhs") else 16
    spec = load_sweep_spec(
        write_spec(
            tmp_path,
            f"""
design: {{kind: {kind}, samples: {samples}{extra}}}
parameters:
  actors.big.capacity: {{low: 0.3, high: 0.9}}
  actors.small.outside_option: {{low: 0.0, high: 0.5}}
  hazards.raids.monthly_rate: {{low: 0.01, high: 0.2}}
seed: 5
""",
        )
    )
    frame = spec.design.frame
    assert len(frame) == points == spec.points
    for column, (low, high) in zip(spec.paths, [(0.3, 0.9), (0.0, 0.5), (0.01, 0.2)], strict=True):
        assert frame[column].between(low, high).all()
        assert frame[column].max() - frame[column].min() > 0.5 * (high - low)
    # Deterministic from the seed.
    again = load_sweep_spec(spec.file)
    np.testing.assert_array_equal(again.design.matrix(), spec.design.matrix())


def test_latin_hypercube_fills_every_stratum(tmp_path):
    spec = load_sweep_spec(
        write_spec(
            tmp_path,
            """
design: {kind: lhs, samples: 20}
parameters:
  actors.big.capacity: {low: 0.0, high: 1.0}
  actors.small.outside_option: {low: 0.0, high: 1.0}
""",
        )
    )
    for column in spec.paths:
        strata = np.floor(spec.design.frame[column].to_numpy() * 20).astype(int)
        assert sorted(strata) == list(range(20))


def test_morris_moves_one_parameter_per_step(tmp_path):
    spec = load_sweep_spec(
        write_spec(
            tmp_path,
            """
design: {kind: morris, samples: 5, levels: 4}
parameters:
  actors.big.capacity: {low: 0.0, high: 1.0}
  actors.small.outside_option: {low: 0.0, high: 1.0}
  actors.small.dependence: {low: 0.0, high: 1.0}
""",
        )
    )
    x = spec.design.matrix().reshape(5, 4, 3)
    changed = (np.abs(np.diff(x, axis=1)) > 1e-12).sum(axis=2)
    assert (changed == 1).all()


def test_hash_ignores_name_and_engine_but_not_replicates(tmp_path):
    base = """
design: grid
parameters:
  actors.big.capacity: [0.2, 0.8]
replicates: 3
"""
    a = load_sweep_spec(write_spec(tmp_path, base + "name: one\nengine: mesa\n", "a.yaml"))
    b = load_sweep_spec(write_spec(tmp_path, base + "name: two\n", "b.yaml"))
    c = load_sweep_spec(write_spec(tmp_path, base.replace("replicates: 3", "replicates: 4"), "c.yaml"))
    assert a.hash == b.hash
    assert a.hash != c.hash


# --- seeds ----------------------------------------------------------------------------


def test_run_seed_is_the_spawn_key_of_point_and_replicate():
    expected = seed_to_int(np.random.SeedSequence(42, spawn_key=(3, 7)))
    assert run_seed(42, 3, 7) == expected
    assert run_seed(42, 3, 7, common=True) == seed_to_int(np.random.SeedSequence(42, spawn_key=(0, 7)))
    seeds = [run_seed(42, i, j) for i in range(20) for j in range(20)]
    assert len(set(seeds)) == 400
    assert run_seeds(42, 5, [0, 1], common=True) == run_seeds(42, 0, [0, 1])


# --- bad specs, one located line each --------------------------------------------------


BAD = [
    (
        "design: grid\nparameters:\n  actors.big.capacity: [0.2, 1.5]\n",
        "parameters.actors.big.capacity",
        "actors.big.capacity=1.5 is not valid",
        4,
    ),
    (
        "design: grid\nparameters:\n  actors.big.capcity: [0.2]\n",
        "parameters.actors.big.capcity",
        "unknown field 'capcity'",
        4,
    ),
    (
        "design: grid\nparameters:\n  actors.nobody.capacity: [0.2]\n",
        "parameters.actors.nobody.capacity",
        "unknown actor 'nobody'",
        4,
    ),
    (
        "design: {kind: sobol, samples: 10}\nparameters:\n  actors.big.capacity: {low: 0.1, high: 0.9}\n",
        "design.samples",
        "power of 2",
        2,
    ),
    (
        "design: {kind: lhs, samples: 10}\nparameters:\n  actors.big.capacity: [0.1, 0.9]\n",
        "parameters.actors.big.capacity",
        "give low and high",
        4,
    ),
    (
        "design: grid\nparameters:\n  actors.big.capacity: {low: 0.9, high: 0.1, levels: 3}\n",
        "parameters.actors.big.capacity.low",
        "low must be below high",
        4,
    ),
    (
        "design: cube\nparameters:\n  actors.big.capacity: [0.2]\n",
        "design.kind",
        "Input should be 'grid', 'montecarlo'",
        2,
    ),
    (
        "design: grid\nparameters:\n  actors.big.capacity: [0.2]\nreplicates: 0\n",
        "replicates",
        "greater than or equal to 1 (got 0)",
        5,
    ),
    ("design: grid\nparameters:\n  actors.big.capacity: [0.2]\nrepilcates: 3\n", "repilcates", "unknown field", 5),
    (
        "design: grid\nparameters:\n  actors.big.capacity: [0.2]\noutcomes: [status, happiness]\n",
        "outcomes.1",
        "Input should be 'status'",
        5,
    ),
    (
        "design: {kind: lhs, samples: 4}\nparameters:\n  time.horizon_months: {low: 12, high: 48}\n",
        "parameters.time.horizon_months",
        "valid integer",
        4,
    ),
    (
        "design: grid\nparameters:\n  actors.big.capacity: [0.2]\n  model.trust.spillover: [0.3]\n"
        "zip: [[actors.big.capacity, model.trust.spilover]]\n",
        "zip.0.1",
        "is not one of the parameters",
        6,
    ),
    (
        "design: grid\nset: {actors.big.capacity: 7}\nparameters:\n  actors.small.capacity: [0.2]\n",
        "set.actors.big.capacity",
        "less than or equal to 1",
        3,
    ),
    ("parameters:\n  actors.big.capacity: [0.2]\n", "design", "required field is missing", None),
]


@pytest.mark.parametrize(("text", "field", "message", "line"), BAD)
def test_bad_specs_name_file_line_and_field(tmp_path, text, field, message, line):
    path = write_spec(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    assert message in error.message
    if line is not None:
        assert error.line == line
    assert "\n" not in str(error)


def test_missing_scenario_file_is_located(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("scenario: nowhere.yaml\ndesign: grid\nparameters:\n  actors.big.capacity: [0.2]\n")
    with pytest.raises(InputError, match="no such scenario file") as caught:
        load_sweep_spec(path)
    assert (caught.value.line, caught.value.field) == (1, "scenario")


def test_auto_engine_is_the_pipelines_choice(tmp_path):
    one = load_sweep_spec(
        write_spec(tmp_path, "design: grid\nparameters:\n  model.trust.spillover: [0.3]\nreplicates: 1\n", "a.yaml")
    )
    many = load_sweep_spec(
        write_spec(tmp_path, "design: grid\nparameters:\n  model.trust.spillover: [0.3]\nreplicates: 2\n", "b.yaml")
    )
    assert (one.runs, one.resolved_engine("auto")) == (1, "mesa")
    assert many.resolved_engine("auto") == "ensemble"
    assert one.resolved_engine("ensemble") == "ensemble"
