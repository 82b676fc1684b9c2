"""The command line, through click's runner and as a real subprocess, with files in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main
from alliance_sim.runs.results import RunResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_help_lists_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("run", "validate", "evidence"):
        assert command in result.output


def test_python_dash_m_help():
    done = subprocess.run([sys.executable, "-m", "alliance_sim", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "Usage:" in done.stdout and "run" in done.stdout


def test_run_single_replicate_prints_statuses(cli, small_path):
    result = cli("run", small_path, "--replicates", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Small test alliance: 1 replicate, 24 months from 2022-01, seed 3")
    header = next(line for line in lines if line.startswith("member"))
    assert "final status" in header and "disengaged" in header and "withdrawn" in header
    for member in ("big", "small", "mid"):
        assert any(line.startswith(member + " ") for line in lines)


def test_run_replicates_writes_folder_and_summary(cli, small_path, tmp_path):
    out = tmp_path / "res"
    result = cli("run", small_path, "-n", "20", "--seed", "7", "--out", out, "--set", "actors.big.capacity=0.4")
    assert result.exit_code == 0, result.output
    assert "P(disengaged) [95% CI]" in result.output
    assert "overrides: actors.big.capacity=0.4" in result.output
    assert f"Results written to {out}/" in result.output
    for name in (
        "members.parquet",
        "alliance.parquet",
        "events.parquet",
        "runs.parquet",
        "manifest.json",
        "summary.csv",
        "scenario.yaml",
    ):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replicates"] == 20
    assert manifest["overrides"] == ["actors.big.capacity=0.4"]
    assert len(manifest["replicate_seeds"]) == 20 and len(manifest["scenario_hash"]) == 16
    loaded = RunResult.load(out)
    assert loaded.replicates == 20
    assert set(loaded.runs["member"]) == {"big", "small", "mid"}
    assert loaded.members["step"].max() == 24
    assert not list(tmp_path.glob(".*partial*")), "no temporary folder left behind"


def test_run_same_seed_same_files(cli, small_path, tmp_path):
    for name in ("a", "b"):
        assert cli("run", small_path, "-n", "5", "--seed", "1", "--out", tmp_path / name, "-q").exit_code == 0
    a, b = RunResult.load(tmp_path / "a"), RunResult.load(tmp_path / "b")
    for table in ("members", "alliance", "events", "runs"):
        assert getattr(a, table).equals(getattr(b, table))


def test_run_csv_format(cli, small_path, tmp_path):
    out = tmp_path / "csv"
    assert cli("run", small_path, "-n", "3", "--out", out, "--format", "csv", "-q").exit_code == 0
    assert (out / "members.csv").exists() and not (out / "members.parquet").exists()
    assert RunResult.load(out).replicates == 3


def test_run_json_summary(cli, small_path):
    result = cli("run", small_path, "-n", "10", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["manifest"]["replicates"] == 10
    members = {row["member"]: row for row in data["members"]}
    assert set(members) == {"big", "small", "mid"}
    assert (
        0.0
        <= members["small"]["p_disengaged_low"]
        <= members["small"]["p_disengaged"]
        <= members["small"]["p_disengaged_high"]
        <= 1.0
    )


def test_run_quiet_prints_nothing(cli, small_path):
    result = cli("run", small_path, "-n", "2", "-q")
    assert result.exit_code == 0 and result.output == ""


def test_run_steps_shortens(cli, small_path, tmp_path):
    out = tmp_path / "short"
    assert cli("run", small_path, "-n", "2", "--steps", "6", "--out", out, "-q").exit_code == 0
    assert RunResult.load(out).members["step"].max() == 6


def test_existing_output_is_kept_without_overwrite(cli, small_path, tmp_path):
    out = tmp_path / "keep"
    out.mkdir()
    (out / "mine.txt").write_text("precious")
    result = cli("run", small_path, "-n", "2", "--out", out)
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (out / "mine.txt").read_text() == "precious"


def test_overwrite_replaces_only_when_complete(cli, small_path, tmp_path):
    out = tmp_path / "res"
    assert cli("run", small_path, "-n", "2", "--out", out, "-q").exit_code == 0
    assert cli("run", small_path, "-n", "3", "--out", out, "--overwrite", "-q").exit_code == 0
    assert RunResult.load(out).replicates == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "actors.nobody.capacity=1"], "unknown actor 'nobody'"),
        (["--set", "actors.big.capacity=2"], "actors.big.capacity: Input should be less than or equal to 1"),
        (["--set", "nonsense"], "expected dotted.path=value"),
        (["--steps", "99"], "beyond the scenario's horizon"),
    ],
)
def test_bad_run_input_is_one_line_exit_2_and_no_folder(cli, small_path, tmp_path, args, message):
    out = tmp_path / "never"
    result = cli("run", small_path, "-n", "2", "--out", out, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bad_scenario_file_real_process(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nalliance: {name: A, hegemon: a}\ntime: {start: '2022-01'}\nactors:\n  a: {name: A, powr: 1}\n"
    )
    done = subprocess.run([sys.executable, "-m", "alliance_sim", "run", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {bad}:5:16: actors.a.powr: unknown field 'powr'"
    assert done.stdout == ""


def test_debug_shows_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "alliance_sim", "--debug", "run", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_validate_reports_every_file(cli, small_path, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((small_path.read_text()).replace("severity: 0.6", "severity: 6"))
    result = cli("validate", small_path, bad)
    assert result.exit_code == 2
    assert f"ok  {small_path}" in result.output
    assert f"error: {bad}:" in result.output and "events.0.severity" in result.output


def test_validate_shipped_scenarios(cli):
    files = sorted((ROOT / "scenarios").rglob("*.yaml"))
    result = cli("validate", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok  ") == len(files)


def test_evidence_command_filters_by_actor(cli):
    result = cli("evidence", "--actor", "armenia", "--ledger", ROOT / "seeds" / "evidence.yaml")
    assert result.exit_code == 0, result.output
    assert "armenia" in result.output.lower()
    assert "Azerbaijan" in result.output


def test_evidence_unknown_actor(cli):
    result = cli("evidence", "--actor", "atlantis", "--ledger", ROOT / "seeds" / "evidence.yaml")
    assert result.exit_code == 2 and "atlantis" in result.output


def test_validate_warns_when_a_member_starts_past_its_threshold(cli, tmp_path):
    path = tmp_path / "restless.yaml"
    path.write_text(
        "name: restless\nalliance: {name: T, hegemon: big}\ntime: {start: '2022-01', horizon_months: 12}\n"
        "actors:\n  big: {name: Big, power: 0.04}\n  small: {name: Small, outside_option: 1.0}\n"
    )
    result = cli("validate", path)
    assert result.exit_code == 0
    assert f"warning: {path}: actors.small: starts with pressure 1.50 above the disengage threshold" in result.output


def test_altered_quote_stops_the_run_with_its_location(cli, tmp_path):
    """A ledger quote that is not in its article is bad input for any run that uses it."""
    import shutil

    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "csto_2022.yaml", tmp_path / "scenarios" / "csto_2022.yaml")
    ledger = tmp_path / "seeds" / "evidence.yaml"
    text = ledger.read_text()
    quote = "received only a promise to send observers"
    assert quote in text
    ledger.write_text(text.replace(quote, "received a promise to send troops", 1))
    line = next(n for n, row in enumerate(ledger.read_text().splitlines(), 1) if "promise to send troops" in row)
    out = tmp_path / "never"
    result = cli("run", tmp_path / "scenarios" / "csto_2022.yaml", "-n", "2", "--out", out)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {ledger}:{line}:")
    assert ".quote: the quote of item 'armenia-request-observers' is not in 000_cc5006feb213a431.txt" in result.output
    assert not out.exists()


def test_manifest_carries_the_quotes_it_cites(cli, csto_path, tmp_path):
    out = tmp_path / "csto"
    assert cli("run", csto_path, "-n", "2", "--steps", "3", "--out", out, "-q").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    cited = {i for entry in manifest["calibration"].values() for i in entry["evidence"]}
    cited |= {i for ids in manifest["event_evidence"].values() for i in ids}
    assert cited and cited <= set(manifest["evidence"])
    item = manifest["evidence"]["russia-did-not-budge"]
    assert item["quote"] == "Russia did not budge then either." and item["source"].endswith(".txt")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "x.yaml", "-n", "0"], "error: Invalid value for '-n' / '--replicates': 0 is not in the range"),
        (["run"], "error: Missing argument 'SCENARIO'. (see 'python -m alliance_sim run --help')"),
        (["frobnicate"], "error: No such command 'frobnicate'. (see 'python -m alliance_sim --help')"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, message):
    done = subprocess.run([sys.executable, "-m", "alliance_sim", *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr


def test_top_level_python_api():
    import alliance_sim

    for name in ("load_scenario", "AllianceModel", "run", "RunResult", "sweep", "SweepResult", "load_sweep_spec"):
        assert callable(getattr(alliance_sim, name)), name
    with pytest.raises(AttributeError):
        alliance_sim.nothing_here  # noqa: B018
