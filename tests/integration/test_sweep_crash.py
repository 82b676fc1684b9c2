"""A sweep killed with SIGKILL at random moments and resumed equals an uninterrupted one.

Everything goes through the public command line (`alliance-sim sweep SPEC --out DIR`, then
`--resume`) in subprocesses that are killed without warning (no Ctrl-C handler runs, no
file is closed), 20 times at moments drawn from a seeded generator and spread over the
work of an uninterrupted sweep; the final outcome tables, sorted, must be equal to those of the
uninterrupted sweep, row for row and bit for bit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACT = ROOT / "tests" / "fixtures" / "sweeps" / "pact.yaml"
KILLS = 20

SPEC = f"""\
name: crash_test
scenario: {PACT}
design: grid
parameters:
  actors.big.capacity: [0.2, 0.4, 0.6, 0.8]
  actors.small.outside_option: [0.1, 0.3, 0.5, 0.7, 0.9]
replicates: 50
seed: 5
"""
POINTS = 4 * 5
REPLICATES = 50


def sweep_command(spec: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "alliance_sim", "sweep", str(spec), "--out", str(out), "--quiet", *extra]


def run_to_end(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started


def kill_after(args: list[str], cwd: Path, seconds: float) -> int | None:
    """Start the command in its own process group and SIGKILL the group after `seconds`."""
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == 0, f"exit {process.returncode} after a kill and --resume: {stderr}"
    return process.returncode


def outcome_rows(folder: Path):
    from alliance_sim.experiments.results import SweepResult

    table = SweepResult.load(folder).outcomes
    columns = sorted(table.columns)
    keys = [c for c in ("run_id", "point", "replicate", "member") if c in columns]
    return table[columns].sort_values(keys).reset_index(drop=True)


@pytest.mark.slow
def test_killed_and_resumed_sweep_equals_an_uninterrupted_one(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    whole = tmp_path / "whole"
    # Small chunks, so that a kill can land between commits as well as inside one.
    chunking = ("--chunk-seconds", "0.05")
    duration = run_to_end(sweep_command(spec, whole, *chunking), tmp_path)
    expected = outcome_rows(whole)
    assert expected[["point", "replicate"]].drop_duplicates().shape[0] == POINTS * REPLICATES

    # The cost of starting (imports, reading the spec) is that of a resume with nothing to
    # do. Kill moments are drawn from the start of the command to a little past its
    # startup plus a share of the work, so some land while it starts and most while it
    # runs. A sweep that finishes between kills is checked and started again in a new
    # folder, so that the 20 kills happen whatever the machine's speed.
    startup = run_to_end(sweep_command(spec, whole, "--resume", *chunking), tmp_path)
    work = max(duration - startup, 0.5)
    rng = random.Random(20221)
    kills = launches = finished = 0
    broken = tmp_path / "broken0"
    while kills < KILLS:
        launches += 1
        assert launches <= 4 * KILLS, f"only {kills} kills in {launches} launches"
        moment = rng.uniform(0.1 * startup, 1.2 * startup + 3 * work / KILLS)
        if kill_after(sweep_command(spec, broken, "--resume", *chunking), tmp_path, moment) is None:
            kills += 1
            continue
        assert_same(outcome_rows(broken), expected)
        finished += 1
        broken = tmp_path / f"broken{finished}"
    run_to_end(sweep_command(spec, broken, "--resume", *chunking), tmp_path)
    assert_same(outcome_rows(broken), expected)


def assert_same(got, expected) -> None:
    assert len(got) == len(expected)
    assert list(got.columns) == list(expected.columns)
    assert got.equals(expected)
