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
    (inputs / "seeds" / "csto_2022.posterior.yaml").write_text("format: something else\n")
    result = invoke("calibrate", "scenarios/csto_2022.yaml", "-n", 2, "--population", 10, "--generations", 1)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not a posterior" in result.stderr and "--overwrite" in result.stderr


def test_patterns_compares_the_scenario_that_names_the_posterior(inputs):
    scenario = inputs / "scenarios" / "csto_2022.yaml"
    scenario.write_text(scenario.read_text().replace("name: CSTO", "name: changed CSTO", 1))
    result = invoke("patterns", scenario, "-n", 10)
    assert result.exit_code == 0, result.output
    assert "stale (the scenario changed)" in result.stderr
    what_if = invoke("patterns", "scenarios/what_if/russia_recovers.yaml", "-n", 10)
    assert "stale (the scenario changed)" in what_if.stderr  # its base changed


def one_line_error(result, file: Path, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {file}:") and result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["calibrate", "patterns"])
def test_an_empty_patterns_file_is_one_located_error(tmp_path, command):
    empty = tmp_path / "patterns.yaml"
    empty.write_text("patterns: []\n")
    args = ["--out", tmp_path / "p.yaml"] if command == "calibrate" else []
    result = CliRunner().invoke(main, [command, str(SCENARIO), "--patterns", str(empty), *map(str, args)])
    one_line_error(result, empty, "no reported patterns")
    assert not (tmp_path / "p.yaml.partial").exists()


@pytest.mark.parametrize(
    ("edit", "fragment", "where"),
    [
        (lambda t: t.replace('month: "2022-11"', 'month: "2031-01"', 1), "outside the run", ":15:5:"),
        (lambda t: t.replace("[belarus, kazakhstan", "[belarus, narnia", 1), "unknown member 'narnia'", ":16:"),
    ],
)
def test_a_pattern_outside_the_scenario_is_located(tmp_path, edit, fragment, where):
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text(edit((ROOT / "seeds" / "patterns.yaml").read_text()))
    for command in ("patterns", "calibrate"):
        args = [command, str(SCENARIO), "--patterns", str(patterns), "--out", str(tmp_path / "p.yaml")]
        result = CliRunner().invoke(main, args if command == "calibrate" else args[:4])
        one_line_error(result, patterns, fragment)
        assert where in result.stderr.split(" ")[1], result.stderr


def write_own_posterior(tmp_path: Path, edit) -> tuple[Path, Path]:
    posterior = tmp_path / "posterior.yaml"
    posterior.write_text(edit((ROOT / "seeds" / "csto_2022.posterior.yaml").read_text()))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {SCENARIO}\ncalibration:\n  posterior: posterior.yaml\n")
    return scenario, posterior


def test_a_renamed_posterior_parameter_is_located_in_the_posterior(tmp_path):
    scenario, posterior = write_own_posterior(tmp_path, lambda t: t.replace("name: trust.", "name: trust.x", 1))
    result = CliRunner().invoke(main, ["patterns", str(scenario), "-n", "10"])
    one_line_error(result, posterior, "trust.x")
    assert "parameters" in result.stderr


def test_validate_reads_the_posterior(tmp_path):
    scenario, posterior = write_own_posterior(tmp_path, lambda t: t)
    assert invoke("validate", scenario).exit_code == 0
    posterior.write_text(posterior.read_text().replace("format_version: 1", "format_version: 7"))
    one_line_error(CliRunner().invoke(main, ["validate", str(scenario)]), posterior, "format_version")
    posterior.unlink()
    one_line_error(CliRunner().invoke(main, ["validate", str(scenario)]), scenario, "posterior.yaml not found")
