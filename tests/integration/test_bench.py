"""The benchmark script runs end to end at its smoke-test sizes and prints every target row.

Slow (a few minutes on 2 cores: it starts sweeps, worker pools and a Dask cluster). No
timing is asserted: the rows are only checked to be there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ROWS = (
    "Mesa path per run / plain Mesa",
    "ensemble us per replicate-step at",
    "peak memory,",
    "runs x 48 months, 2 workers, written",
    "2 workers over 1, 2,000 runs",
    "2 workers over 1, small sweep",
    "--dask local / processes",
    "32 members / 6 members, per replicate-step",
    "run of the baseline, 300 replicates, whole process",
    "alliance-sim --help / python -c pass",
)
"""The rows of the target table (docs/performance.md), as the quick run names them."""


@pytest.mark.slow
def test_quick_benchmark_prints_every_target_row(tmp_path):
    pytest.importorskip("distributed")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.split("\ntargets (")[1]
    assert "machine: " in table
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for row in ROWS:
        assert any(row in line for line in rows), row
