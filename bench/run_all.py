"""All benchmarks, measured in one run on this machine, printed as ratios against the targets.

    python bench/run_all.py            # or: make bench
    python bench/run_all.py --quick    # smaller sizes, for a smoke test

Measures (targets in docs/sweeps.md, Performance):

1. Cost of one run: a plain Mesa model (bench/plain_mesa.py: 8 agents, 120 steps, one data
   collection per step), the Mesa path of alliance-sim (`AllianceModel` on
   bench/scenario_8.yaml: 8 agents, 120 months) and the ensemble engine (a block of runs
   at once). Targets: Mesa path within 2x of plain Mesa; ensemble >= 30x faster than the
   Mesa path.
2. Where the Mesa path spends its time (cProfile, by phase).
3. A sweep on 1 and on 2 worker processes (same sweep, Mesa engine). Target: >= 1.8x.
4. The same design through `mesa.batch_run` on `AllianceModel` (1 and 2 processes) and
   through `sweep` (2 workers; Mesa engine and the default engine). Target: >= 2x.
5. Peak memory of a sweep of 10,000 and of 100,000 runs (fresh process each). Target: flat.

Benchmarks are never asserted by the test suite; this script only prints.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from plain_mesa import PlainAlliance  # noqa: E402

from alliance_sim.core.ensemble import run_ensemble  # noqa: E402
from alliance_sim.core.world import compile_timeline, compile_world  # noqa: E402
from alliance_sim.evidence import load_scenario  # noqa: E402
from alliance_sim.experiments.driver import sweep  # noqa: E402
from alliance_sim.experiments.executors import ProcessExecutor, cpu_count  # noqa: E402
from alliance_sim.model import AllianceModel  # noqa: E402

SCENARIO = HERE / "scenario_8.yaml"
ROWS: list[tuple[str, str, str, str]] = []


def report(name: str, measured: str, target: str = "", verdict: str = "") -> None:
    ROWS.append((name, measured, target, verdict))
    print(f"  {name:<58}{measured:>22}  {target:<10}{verdict}", flush=True)


def per_run(make, runs: int) -> float:
    make(0)
    started = time.perf_counter()
    for seed in range(1, runs + 1):
        make(seed)
    return (time.perf_counter() - started) / runs


def bench_per_run(quick: bool) -> tuple[float, float]:
    print("\n1. Cost of one run (8 agents, 120 steps, one data collection per step)")
    config = load_scenario(SCENARIO)
    plain = per_run(lambda s: PlainAlliance(rng=s).run(), 30 if quick else 200)
    timeline = compile_timeline(config)  # as the pipeline does: compiled once, not per run
    mesa_path = per_run(lambda s: AllianceModel(config, rng=s, timeline=timeline).run(), 5 if quick else 40)
    world = compile_world(config)
    block = 256 if quick else 2000
    run_ensemble(world, list(range(8)))
    started = time.perf_counter()
    run_ensemble(world, list(range(block)))
    ensemble = (time.perf_counter() - started) / block
    report("plain Mesa model, per run", f"{plain * 1e3:.2f} ms")
    report("alliance-sim Mesa path (AllianceModel), per run", f"{mesa_path * 1e3:.2f} ms")
    report(f"alliance-sim ensemble engine ({block} runs at once), per run", f"{ensemble * 1e3:.3f} ms")
    steps = world.steps
    report("  ensemble, per replicate-step", f"{ensemble / steps * 1e6:.2f} us")
    ratio = mesa_path / plain
    report("Mesa path / plain Mesa", f"{ratio:.1f}x", "<= 2x", "meets" if ratio <= 2 else "MISSES")
    speedup = mesa_path / ensemble
    report("ensemble speed-up over the Mesa path", f"{speedup:.0f}x", ">= 30x", "meets" if speedup >= 30 else "MISSES")
    return plain, mesa_path


def bench_profile(quick: bool) -> None:
    print("\n2. Where the Mesa path spends its time (cProfile, cumulative share of a run)")
    config = load_scenario(SCENARIO)
    AllianceModel(config, rng=0).run()
    profile = cProfile.Profile()
    profile.enable()
    for seed in range(2 if quick else 10):
        AllianceModel(config, rng=seed).run()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(own for (_, _, own, _, _) in stats.values())
    wanted = [
        ("alliance_sim/agents.py", "weigh_membership", "phase 4: weigh membership (6 calls a month, one per agent)"),
        ("alliance_sim/world.py", "weigh_membership", "  of which the phase function (numpy on one row)"),
        ("alliance_sim/agents.py", "reconsider_status", "phase 5: status (per agent)"),
        ("alliance_sim/world.py", "play_events", "phases 2-3: events and requests"),
        ("alliance_sim/world.py", "relax", "phase 1: relax"),
        ("alliance_sim/world.py", "record", "trace record"),
        ("mesa/datacollection.py", "collect", "Mesa DataCollector.collect"),
        ("alliance_sim/model.py", "__init__", "model construction (agents, random block)"),
    ]
    for suffix, name, label in wanted:
        cumulative = sum(
            ct for (file, _, func), (_, _, _, ct, _) in stats.items() if file.endswith(suffix) and func == name
        )
        report(f"  {label}", f"{cumulative / total:.0%}")
    numpy_calls = sum(nc for (file, _, func), (_, nc, _, _, _) in stats.items() if "numpy" in file or "ufunc" in func)
    report("  numpy-level calls per run (Python-visible)", f"{numpy_calls / (2 if quick else 10):,.0f}")


def grid_spec(folder: Path, points: tuple[int, int], replicates: int, engine: str) -> Path:
    spec = folder / f"grid_{points[0]}x{points[1]}_{replicates}_{engine}.yaml"
    spec.write_text(
        f"scenario: {SCENARIO}\n"
        "design: grid\n"
        "parameters:\n"
        f"  actors.hub.capacity: {{low: 0.3, high: 0.9, levels: {points[0]}}}\n"
        f"  actors.m1.outside_option: {{low: 0.1, high: 0.7, levels: {points[1]}}}\n"
        f"replicates: {replicates}\n"
        f"engine: {engine}\n"
        "seed: 3\n"
    )
    return spec


def timed_sweep(spec: Path, out: Path, workers: int, engine: str | None = None) -> float:
    return timed_sweep_steady(spec, out, workers, engine)[0]


def timed_sweep_steady(spec: Path, out: Path, workers: int, engine: str | None = None) -> tuple[float, float]:
    """Wall time of a sweep, and its throughput (runs/s) once the workers have started.

    The steady rate counts the runs finished after the first chunk a worker returned,
    over the time since then.
    """
    marks: list[tuple[float, int]] = []
    started = time.perf_counter()
    with ProcessExecutor(workers) as executor:
        sweep(
            spec,
            executor=executor,
            out=out,
            engine=engine,
            overwrite=True,
            progress=lambda n: marks.append((time.perf_counter(), n)),
        )
    wall = time.perf_counter() - started
    if len(marks) < 3:
        return wall, float("nan")
    first_time = marks[1][0]
    later = sum(n for _, n in marks[2:])
    return wall, later / (marks[-1][0] - first_time)


def bench_scaling(folder: Path, quick: bool) -> None:
    print("\n3. One sweep on 1 and on 2 worker processes (same sweep, same machine)")
    for engine, points, replicates in (
        ("mesa", (4, 4), 4 if quick else 30),
        ("ensemble", (10, 10), 40 if quick else 300),
    ):
        spec = grid_spec(folder, points, replicates, engine)
        runs = points[0] * points[1] * replicates
        one, one_rate = timed_sweep_steady(spec, folder / f"scale1{engine}", 1)
        two, two_rate = timed_sweep_steady(spec, folder / f"scale2{engine}", 2)
        report(f"{engine} engine, {runs} runs: wall time, 1 / 2 workers", f"{one:.1f} s / {two:.1f} s")
        ratio = one / two
        report(
            f"  {engine}: speed-up of 2 workers over 1 (wall, incl. start-up)",
            f"{ratio:.2f}x",
            ">= 1.8x",
            "meets" if ratio >= 1.8 else "MISSES",
        )
        report(f"  {engine}: throughput after start-up, 1 / 2 workers", f"{one_rate:.0f} / {two_rate:.0f} runs/s")
        ratio = two_rate / one_rate
        report(
            f"  {engine}: speed-up of 2 workers over 1 (after start-up)",
            f"{ratio:.2f}x",
            ">= 1.8x",
            "meets" if ratio >= 1.8 else "MISSES",
        )


def _batch_run(config, workers: int, points: tuple[int, int], replicates: int) -> float:
    import numpy as np
    from mesa.batchrunner import batch_run

    parameters = {
        "scenario": [config],
        "actors__hub__capacity": list(np.linspace(0.3, 0.9, points[0])),
        "actors__m1__outside_option": list(np.linspace(0.1, 0.7, points[1])),
    }
    started = time.perf_counter()
    batch_run(
        AllianceModel,
        parameters,
        number_processes=workers,
        rng=list(range(replicates)),
        max_steps=10_000,
        display_progress=False,
    )
    return time.perf_counter() - started


def bench_batch_run(folder: Path, quick: bool) -> None:
    print("\n4. The same design through mesa.batch_run and through sweep (runs per second)")
    points, replicates = (4, 4), 4 if quick else 12
    runs = points[0] * points[1] * replicates
    config = load_scenario(SCENARIO)
    ours_mesa = runs / timed_sweep(grid_spec(folder, points, replicates, "mesa"), folder / "ours_mesa", 2)
    ours_auto = runs / timed_sweep(grid_spec(folder, points, replicates, "auto"), folder / "ours_auto", 2)
    # batch_run forces the 'spawn' start method for the whole process; it runs last.
    batch_one = runs / _batch_run(config, 1, points, replicates)
    batch_two = runs / _batch_run(config, 2, points, replicates)
    best = max(batch_one, batch_two)
    report(f"mesa.batch_run, 1 process ({runs} runs)", f"{batch_one:.1f} runs/s")
    report(f"mesa.batch_run, 2 processes ({runs} runs)", f"{batch_two:.1f} runs/s")
    report("sweep, 2 workers, Mesa engine", f"{ours_mesa:.1f} runs/s")
    report("sweep, 2 workers, default engine (ensemble)", f"{ours_auto:.1f} runs/s")
    report(
        "sweep (Mesa engine) / best batch_run",
        f"{ours_mesa / best:.2f}x",
        ">= 2x",
        "meets" if ours_mesa / best >= 2 else "MISSES",
    )
    report(
        "sweep (default engine) / best batch_run",
        f"{ours_auto / best:.1f}x",
        ">= 2x",
        "meets" if ours_auto / best >= 2 else "MISSES",
    )
    big = 100 * (20 if quick else 100)
    rate = big / timed_sweep(grid_spec(folder, (10, 10), big // 100, "auto"), folder / "ours_big", 2)
    report(f"sweep, 2 workers, default engine, {big} runs", f"{rate:.0f} runs/s")


def bench_memory(folder: Path, quick: bool) -> None:
    print("\n5. Peak memory of a whole sweep (fresh process each; serial, ensemble engine, 36 months)")
    sizes = (2_000, 20_000) if quick else (10_000, 100_000)
    peaks = []
    for runs in sizes:
        done = subprocess.run(
            [sys.executable, str(HERE / "memory_sweep.py"), str(runs), str(folder / f"memory_{runs}" / "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        peaks.append(measured["peak_mb"])
        report(f"{runs:,} runs", f"{measured['peak_mb']:.0f} MB peak", "", f"({measured['seconds']:.1f} s)")
    growth = peaks[1] / peaks[0]
    report(
        f"peak at {sizes[1]:,} / peak at {sizes[0]:,} runs",
        f"{growth:.2f}x",
        "~1x (flat)",
        "meets" if growth < 1.25 else "MISSES",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test, not a measurement)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"alliance-sim benchmarks: Python {platform.python_version()}, {cpu_count()} cores, "
        f"{platform.machine()}, {'quick' if args.quick else 'full'} sizes, load average {load:.2f}"
    )
    if load > 0.5 * cpu_count():
        print("warning: the machine is busy; timings and the worker speed-up will be off")
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        folder = Path(tmp)
        bench_per_run(args.quick)
        bench_profile(args.quick)
        bench_scaling(folder, args.quick)
        bench_memory(folder, args.quick)
        bench_batch_run(folder, args.quick)
    print("\nsummary")
    for name, measured, target, verdict in ROWS:
        if target:
            print(f"  {name.strip():<48}{measured:>12}  target {target:<8} {verdict}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    main()
