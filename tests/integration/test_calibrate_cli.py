"""`alliance-sim calibrate` and the posterior column of `alliance-sim patterns`, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main
from alliance_sim.evidence.posterior import read_posterior
from alliance_sim.experiments.calibrate import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "csto_2022.yaml"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_calibrate_writes_a_posterior_and_prints_its_fit(tmp_path):
    out = tmp_path / "posterior.yaml"
    result = invoke("calibrate", SCENARIO, "--out", out, "--population", 16, "--generations", 2, "-n", 4, "--seed", 5)
    assert result.exit_code == 0, result.output
    posterior = read_posterior(out)
    assert posterior.spec.seed == 5 and posterior.spec.settings.population == 16
    assert "log-likelihood of the reported patterns: point estimate" in result.stdout
    assert "--population 16 --generations 2 -n 4 --seed 5" in out.read_text().splitlines()[2]
    assert not (tmp_path / "posterior.yaml.partial").exists()
    again = invoke("calibrate", SCENARIO, "--out", out, "--population", 16, "--generations", 2, "-n", 4)
    assert again.exit_code == 2 and "--overwrite" in again.stderr


def test_calibrate_defaults_are_the_samplers():
    command = main.get_command(click.Context(main), "calibrate")
    defaults = {p.name: p.default for p in command.params}
    assert (defaults["population"], defaults["generations"], defaults["replicates"]) == (
        DEFAULTS.population,
        DEFAULTS.generations,
        DEFAULTS.replicates,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["calibrate", "scenarios/what_if/none.yaml"], "none.yaml"),
        (["calibrate", "scenarios/examples/triple_entente.yaml"], "names no"),
    ],
)
def test_calibrate_refuses_bad_input_in_one_line(args, fragment, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr


def test_patterns_prints_the_posterior_next_to_the_point_estimate():
    result = invoke("patterns", SCENARIO, "-n", 40, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "posterior_log_likelihood" in data
    assert all("posterior" in row for row in data["patterns"])


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """A copy of the scenarios and seeds to change, as the current folder."""
    import shutil

    for name in ("scenarios", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name, symlinks=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_calibrating_a_what_if_never_replaces_the_baselines_posterior(inputs):
    shipped = (inputs / "seeds" / "csto_2022.posterior.yaml").read_bytes()
    what_if = "scenarios/what_if/russia_recovers.yaml"
    result = invoke("calibrate", what_if, "-n", 2, "--population", 10, "--generations", 1)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "--out" in result.stderr and "extends" in result.stderr
    assert (inputs / "seeds" / "csto_2022.posterior.yaml").read_bytes() == shipped


def test_remaking_the_scenarios_posterior_with_other_settings_needs_overwrite(inputs):
    shipped = (inputs / "seeds" / "csto_2022.posterior.yaml").read_bytes()
    result = invoke("calibrate", "scenarios/csto_2022.yaml", "-n", 2, "--population", 10, "--generations", 1)
    assert result.exit_code == 2
    assert "other settings" in result.stderr and "--overwrite" in result.stderr, result.stderr
    assert (inputs / "seeds" / "csto_2022.posterior.yaml").read_bytes() == shipped
    assert not (inputs / "seeds" / "csto_2022.posterior.yaml.partial").exists()


def test_patterns_compares_the_scenario_that_names_the_posterior(inputs):
    scenario = inputs / "scenarios" / "csto_2022.yaml"
    scenario.write_text(scenario.read_text().replace("name: CSTO", "name: changed CSTO", 1))
    result = invoke("patterns", scenario, "-n", 10)
    assert result.exit_code == 0, result.output
    assert "stale (the scenario changed)" in result.stderr
    what_if = invoke("patterns", "scenarios/what_if/russia_recovers.yaml", "-n", 10)
    assert "stale (the scenario changed)" in what_if.stderr  # its base changed
