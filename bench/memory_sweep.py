"""Run one sweep of a given size and print its peak memory: `python bench/memory_sweep.py RUNS OUT`.

Run by `run_all.py` in a fresh process per size, so that each peak is that sweep's own.
The sweep runs serially on the ensemble engine (the whole computation in this process),
over a grid of `RUNS / 100` points with 100 replicates each.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from alliance_sim.experiments.driver import sweep
from alliance_sim.experiments.executors import SerialExecutor

HERE = Path(__file__).resolve().parent


def main(runs: int, out: Path) -> None:
    points = runs // 100
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = out.parent / f"memory_{runs}.yaml"
    spec.write_text(
        f"scenario: {HERE / 'scenario_8.yaml'}\n"
        "set: {time.horizon_months: 36}\n"
        "design: grid\n"
        "parameters:\n"
        f"  actors.hub.capacity: {{low: 0.3, high: 0.9, levels: {points}}}\n"
        "replicates: 100\n"
        "seed: 1\n"
    )
    started = time.perf_counter()
    result = sweep(spec, executor=SerialExecutor(), out=out, overwrite=True)
    seconds = time.perf_counter() - started
    print(json.dumps({"runs": result.manifest["runs_ok"], "seconds": seconds, "peak_mb": peak_kb() / 1024}))


def peak_kb() -> float:
    """Peak resident memory of this process in kB.

    Linux's `VmHWM` belongs to this program alone; `ru_maxrss` would also count the
    parent's memory at the fork that started it.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
