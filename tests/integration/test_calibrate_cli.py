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
