"""`alliance-sim sweep` and `alliance-sim analyze`, through click's runner and as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_sim.cli import options as opt
from alliance_sim.cli.main import main
from alliance_sim.experiments.driver import sweep
from alliance_sim.experiments.executors import SerialExecutor
from alliance_sim.experiments.results import SweepResult
from alliance_sim.experiments.storage import SweepStore

ROOT = Path(__file__).resolve().parents[2]
PACT = ROOT / "tests" / "fixtures" / "sweeps" / "pact.yaml"

SPEC = """
design: grid
parameters:
  actors.big.capacity: [0.2, 0.8]
  actors.small.outside_option: [0.1, 0.5, 0.9]
replicates: {replicates}
seed: 5
"""


def write_spec(tmp_path: Path, replicates: int = 4, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"scenario: {PACT}\n" + SPEC.format(replicates=replicates))
    return path


@pytest.fixture()
def cli():
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_help_lists_sweep_and_analyze(cli):
    result = cli("--help")
    assert "sweep" in result.output and "analyze" in result.output


def test_sweep_then_analyze(cli, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "results" / "sweep1"
    done = cli("sweep", spec, "--out", out, "--workers", "1")
    assert done.exit_code == 0, done.output
    assert "24 runs ok, 0 failed, 0 missing" in done.stdout
    assert f"alliance-sim analyze {out}" in done.stdout
    assert (out / "manifest.json").exists() and (out / "design.parquet").exists()
    assert list((out / "runs").glob("part-*.parquet"))
    analysis = cli("analyze", out)
    assert analysis.exit_code == 0, analysis.output
    assert "P(disengaged) for small" in analysis.stdout
    assert "Kaplan-Meier" in analysis.stdout
    for name in ("probabilities.csv", "survival.csv"):
        assert (out / "analysis" / name).exists()
    table = pd.read_csv(out / "analysis" / "probabilities.csv")
    assert len(table) == 6 * 3


def test_sweep_by_default_may_use_every_core_and_runs_a_small_sweep_here(cli, tmp_path, monkeypatch):
    from alliance_sim.experiments import driver

    asked: list[object] = []
    real = driver.execute

    def spy(*args, **kwargs):
        asked.append(args[-1] if len(args) > 8 else kwargs.get("most"))
        return real(*args, **kwargs)

    monkeypatch.setattr(driver, "execute", spy)
    spec = write_spec(tmp_path)
    out = tmp_path / "sweep"
    done = cli("sweep", spec, "--out", out)  # no --workers
    assert done.exit_code == 0, done.output
    assert asked == [opt.resolve_workers(0)]  # up to one worker per core ...
    assert "(engine ensemble, serial (1 worker))" in done.stdout  # ... and the pilot says 24 runs do not pay
    serial = cli("sweep", spec, "--out", tmp_path / "serial", "--workers", "1")
    assert serial.exit_code == 0, serial.output
    default, one = SweepResult.load(out), SweepResult.load(tmp_path / "serial")
    pd.testing.assert_frame_equal(default.outcomes, one.outcomes)
    pd.testing.assert_frame_equal(default.runs.drop(columns="seconds"), one.runs.drop(columns="seconds"))


def test_workers_zero_is_the_cores_this_process_may_use():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert opt.resolve_workers(0) == expected
    assert opt.resolve_workers(3) == 3


def test_sweep_again_needs_resume_or_overwrite(cli, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    assert cli("sweep", spec, "--out", out, "-w", "1", "-q").exit_code == 0
    again = cli("sweep", spec, "--out", out, "-w", "1", "-q")
    assert again.exit_code == 2
    assert "--resume" in again.stderr and "--overwrite" in again.stderr
    resumed = cli("sweep", spec, "--out", out, "-w", "1", "--resume")
    assert resumed.exit_code == 0 and "24 runs ok" in resumed.stdout


def test_changed_spec_refuses_resume(cli, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    assert cli("sweep", spec, "--out", out, "-w", "1", "-q").exit_code == 0
    write_spec(tmp_path, replicates=5)
    refused = cli("sweep", spec, "--out", out, "-w", "1", "--resume")
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "another spec" in refused.stderr


def test_bad_spec_is_one_located_line(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"scenario: {PACT}\ndesign: grid\nparameters:\n  actors.big.capacity: [0.5, 2.0]\n")
    for command in (("sweep", path, "--out", tmp_path / "out"), ("validate", path)):
        result = cli(*command)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert f"{path}:4:3: parameters.actors.big.capacity: actors.big.capacity=2.0 is not valid" in result.stderr
    assert not (tmp_path / "out").exists()


def test_validate_describes_the_shipped_sweeps(cli):
    sweeps = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
    assert len(sweeps) >= 2
    result = cli("validate", *sweeps)
    assert result.exit_code == 0, result.output
    assert "sweep: grid, 2 parameters, 25 points" in result.stdout
    assert "sweep: sobol, 10 parameters" in result.stdout


def test_analyze_rejects_a_folder_that_is_not_a_sweep(cli, tmp_path):
    result = cli("analyze", tmp_path)
    assert result.exit_code == 2 and "not a sweep folder" in result.stderr


def test_run_with_workers_and_ensemble_engine_matches_mesa(cli, tmp_path):
    scenario = ROOT / "tests" / "fixtures" / "sweeps" / "pact.yaml"
    for name, extra in (("mesa", []), ("ensemble", ["--engine", "ensemble", "--workers", "2"])):
        done = cli("run", scenario, "-n", "6", "--seed", "3", "--out", tmp_path / name, "-q", *extra)
        assert done.exit_code == 0, done.output
    mesa = pd.read_parquet(tmp_path / "mesa" / "members.parquet")
    ensemble = pd.read_parquet(tmp_path / "ensemble" / "members.parquet")
    pd.testing.assert_frame_equal(mesa, ensemble)


# --- real processes: SIGKILL and Ctrl-C --------------------------------------------------


def _sweep_process(spec: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "alliance_sim", "sweep", str(spec), "--out", str(out), "-q", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_parts(out: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((out / "runs").glob("part-*.parquet"))) >= count:
            return
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before it could be stopped: {process.stderr.read()}")
        time.sleep(0.02)
    pytest.fail("the sweep wrote no parts in time")


def test_sigkill_midway_then_resume_has_every_run_exactly_once(cli, tmp_path):
    spec = write_spec(tmp_path, replicates=40)
    out = tmp_path / "out"
    process = _sweep_process(spec, out, "--workers", "1", "--engine", "mesa", "--chunk-seconds", "0.05")
    _wait_for_parts(out, 3, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    store = SweepStore(out)
    done_before = len(store.run_status())
    assert 0 < done_before < 240
    assert store.read_manifest()["state"] == "running"
    resumed = cli("sweep", spec, "--out", out, "--resume", "-w", "1")
    assert resumed.exit_code == 0, resumed.output
    result = SweepResult.load(out)
    assert result.manifest["state"] == "complete"
    runs = result.runs
    assert sorted(runs["run_id"]) == list(range(240)) and runs["run_id"].is_unique
    assert len(result.outcomes) == 240 * 3 and not result.outcomes.duplicated(["run_id", "member"]).any()
    reference = sweep(spec, executor=SerialExecutor(), out=tmp_path / "reference")
    pd.testing.assert_frame_equal(result.outcomes, reference.outcomes)
    pd.testing.assert_frame_equal(result.alliance, reference.alliance)


def test_ctrl_c_stops_quickly_and_leaves_a_resumable_folder(cli, tmp_path):
    spec = write_spec(tmp_path, replicates=200)
    out = tmp_path / "out"
    process = _sweep_process(spec, out, "--workers", "2", "--engine", "mesa", "--chunk-seconds", "0.2")
    _wait_for_parts(out, 2, process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the whole group
    started = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    stopped_in = time.monotonic() - started
    assert process.returncode == 130
    assert stopped_in < 3.0
    assert "--resume" in stderr
    store = SweepStore(out)
    assert store.read_manifest()["state"] == "interrupted"
    assert not (out / ".lock").exists()
    resumed = cli("sweep", spec, "--out", out, "--resume", "-w", "1", "--engine", "ensemble", "-q")
    assert resumed.exit_code == 0, resumed.output
    runs = SweepResult.load(out).runs
    assert sorted(runs["run_id"]) == list(range(1200)) and runs["run_id"].is_unique
