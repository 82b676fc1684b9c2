"""Every performance target, measured in one run on this machine and printed as ratios.

    python bench/run_all.py            # or: make bench (several minutes)
    python bench/run_all.py --quick    # smaller sizes: a smoke test, not a measurement
    python bench/run_all.py --profile  # also where the Mesa path spends its time

Prints one line per measurement as it goes, then the target table (docs/performance.md
records it, with the machine):

1. Mesa path per run against a plain Mesa model of the same size (bench/plain_mesa.py and
   bench/scenario_8.yaml: 8 agents, 120 steps, one data collection per step).
2. Ensemble engine, microseconds per replicate-step on the calibrated baseline, at 1,000,
   10,000 and 100,000 replicates, run as the pipeline runs them (blocks of
   `alliance_sim.runs.pipeline.BLOCK`).
3. Peak memory of a whole sweep of 100,000 runs against one of 10,000 (fresh process each,
   bench/memory_sweep.py).
4. 1,000,000 runs of the baseline over 48 months on 2 workers, results written to Parquet
   (`alliance-sim sweep`, whole process).
5. 2 workers over 1 (`alliance-sim sweep --workers 2` against `--workers 1`, whole
   process), on sweeps of 10,000 and 100,000 runs, and on a small sweep of 320 runs.
6. `--dask local` against local worker processes, the same sweep, whole process; and the
   CPU and page faults of the same ensemble work under glibc's defaults, under the Dask
   nanny's ``MALLOC_TRIM_THRESHOLD_=65536``, and under the project's worker settings.
7. A generated 32-member alliance against a generated 6-member one, ensemble cost per
   replicate-step (bench/large_alliance.py when present, else the generator below).
8. `alliance-sim run` of the baseline, 300 replicates, whole process.
9. `alliance-sim --help` against `python -c pass`, whole process (best of 5).

Benchmarks are never asserted by the test suite; this script only prints.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = ROOT / "scenarios" / "csto_2022.yaml"
SCENARIO_8 = HERE / "scenario_8.yaml"
sys.path.insert(0, str(HERE))

Row = tuple[str, str, str, str]
"""(measure, measured, target, verdict)."""

TARGETS: list[Row] = []
"""The rows of the target table, in the order they are measured."""


def line(name: str, measured: str, note: str = "") -> None:
    """Print one measurement."""
    print(f"  {name:<62}{measured:>24}  {note}", flush=True)


def target(name: str, measured: str, goal: str, ok: bool | None) -> None:
    """Print and keep one row of the target table."""
    verdict = "" if ok is None else ("meets" if ok else "MISSES")
    TARGETS.append((name, measured, goal, verdict))
    line(name, measured, f"target {goal}: {verdict}")


def command(*args: object, env: dict[str, str] | None = None) -> float:
    """Wall time of one `python -m alliance_sim ...` process (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alliance_sim", *map(str, args)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    return time.perf_counter() - started


def best_of(n: int, fn: Callable[[], float]) -> float:
    """The shortest of n timings (the least disturbed by other work on the machine)."""
    return min(fn() for _ in range(n))


# --- 1. Mesa path against plain Mesa ---------------------------------------------------------


def per_run(make: Callable[[int], object], runs: int) -> float:
    """Seconds per call of `make(seed)`, after one warm-up call."""
    make(0)
    started = time.perf_counter()
    for seed in range(1, runs + 1):
        make(seed)
    return (time.perf_counter() - started) / runs


def bench_mesa(quick: bool) -> None:
    from plain_mesa import PlainAlliance

    from alliance_sim.core.world import compile_timeline
    from alliance_sim.evidence import load_scenario
    from alliance_sim.model import AllianceModel

    print("\n1. Mesa path per run against a plain Mesa model (8 agents, 120 steps)")
    config = load_scenario(SCENARIO_8)
    timeline = compile_timeline(config)  # compiled once per design point, as the pipeline does
    plain = per_run(lambda s: PlainAlliance(rng=s).run(), 30 if quick else 200)
    mesa_path = per_run(lambda s: AllianceModel(config, rng=s, timeline=timeline).run(), 5 if quick else 40)
    line("plain Mesa model, per run", f"{plain * 1e3:.2f} ms")
    line("alliance-sim Mesa path (AllianceModel), per run", f"{mesa_path * 1e3:.2f} ms")
    ratio = mesa_path / plain
    target("Mesa path per run / plain Mesa", f"{ratio:.1f}x", "<= 2x", ratio <= 2)


def bench_profile() -> None:
    import cProfile
    import pstats

    from alliance_sim.evidence import load_scenario
    from alliance_sim.model import AllianceModel

    print("\n1b. Where the Mesa path spends its time (cProfile, 10 runs, top 12 by own time)")
    config = load_scenario(SCENARIO_8)
    AllianceModel(config, rng=0).run()
    profile = cProfile.Profile()
    profile.enable()
    for seed in range(10):
        AllianceModel(config, rng=seed).run()
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


# --- 2. Ensemble per replicate-step ---------------------------------------------------------


def ensemble_step_us(config: object, replicates: int) -> float:
    """Microseconds per replicate-step of the ensemble engine on `replicates` replicates.

    The replicates run as the pipeline runs them: blocks of at most `BLOCK` at a time.
    """
    from alliance_sim.core.ensemble import run_ensemble
    from alliance_sim.core.world import compile_timeline
    from alliance_sim.runs.pipeline import BLOCK
    from alliance_sim.runs.seeds import run_seeds

    timeline = compile_timeline(config)
    run_ensemble(timeline, run_seeds(1, 0, range(8)))  # warm-up (compiled kernels, caches)
    seeds = run_seeds(1, 0, range(replicates))
    started = time.perf_counter()
    for start in range(0, replicates, BLOCK):
        run_ensemble(timeline, seeds[start : start + BLOCK])
    seconds = time.perf_counter() - started
    return seconds / (replicates * config.time.horizon_months) * 1e6  # type: ignore[attr-defined]


def compiled_floor_us(config: object, replicates: int) -> tuple[float, float]:
    """The part of an ensemble run spent in compiled code, per replicate-step, and the whole.

    Times every call into the numba kernels and the random block (numpy's generator, C)
    while the replicates run as `ensemble_step_us` runs them: what is left when the Python
    around them (events, requests, bookkeeping) costs nothing. The wrappers' own cost, a
    fraction of a microsecond per call on blocks of a thousand replicates, is included.
    """
    from alliance_sim.core import kernels, randomness

    if kernels.backend() != "numba":
        return float("nan"), float("nan")
    from alliance_sim.core import kernels_numba as compiled

    spent = [0.0]

    def timed(fn: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started

        return call

    names = [name for name in dir(compiled) if hasattr(getattr(compiled, name), "py_func")]
    saved = {name: getattr(compiled, name) for name in names}
    blocks = randomness.random_blocks
    try:
        for name in names:
            setattr(compiled, name, timed(saved[name]))
        randomness.random_blocks = timed(blocks)  # type: ignore[assignment]
        whole = ensemble_step_us(config, replicates)
    finally:
        for name, fn in saved.items():
            setattr(compiled, name, fn)
        randomness.random_blocks = blocks  # type: ignore[assignment]
    months = config.time.horizon_months  # type: ignore[attr-defined]
    return spent[0] / (replicates * months) * 1e6, whole


def bench_ensemble(quick: bool) -> None:
    from alliance_sim.evidence import load_scenario

    sizes = (256, 512, 1_024) if quick else (1_000, 10_000, 100_000)
    print(f"\n2. Ensemble engine on the baseline, per replicate-step, at {' / '.join(f'{n:,}' for n in sizes)}")
    config = load_scenario(BASELINE)
    costs = [ensemble_step_us(config, n) for n in sizes]
    for n, cost in zip(sizes, costs, strict=True):
        line(f"{n:,} replicates", f"{cost:.2f} us")
    floor, whole = compiled_floor_us(config, sizes[1])
    line(
        f"compiled code alone at {sizes[1]:,} (the kernels and the random block)",
        f"{floor:.2f} us",
        f"of {whole:.2f} us measured in the same run: the floor of compiled code for this model's state",
    )
    measured = " / ".join(f"{c:.2f}" for c in costs)
    target(
        "ensemble us per replicate-step at " + " / ".join(f"{n // 1000}k" for n in sizes),
        measured + f" (compiled floor {floor:.2f})",
        "<= 0.5",
        max(costs) <= 0.5,
    )


# --- 3. Memory -------------------------------------------------------------------------------


def bench_memory(folder: Path, quick: bool) -> None:
    sizes = (1_000, 4_000) if quick else (10_000, 100_000)
    print(f"\n3. Peak memory of a whole sweep, {sizes[0]:,} and {sizes[1]:,} runs (fresh process each, serial)")
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
        line(f"{runs:,} runs", f"{measured['peak_mb']:.0f} MB peak", f"({measured['seconds']:.1f} s)")
    growth = peaks[1] / peaks[0]
    target(f"peak memory, {sizes[1]:,} runs / {sizes[0]:,} runs", f"{growth:.2f}x", "<= 1.2x", growth <= 1.2)


# --- sweeps through the command line ------------------------------------------------------


def baseline_spec(folder: Path, runs: int, months: int | None = None) -> Path:
    """A grid sweep of `runs` runs on the baseline over Russia's capacity.

    At least 1,000 replicates a point from 10,000 runs up (100 points for a million runs),
    80 for a small sweep: the ensemble engine runs a point's replicates at once, so its cost
    per run falls with the replicates per point.
    """
    points = min(100, runs // 1_000) if runs >= 10_000 else max(1, runs // 80)
    replicates = runs // points
    spec = folder / f"baseline_{runs}_{months}.yaml"
    spec.write_text(
        f"name: bench_{runs}\n"
        f"scenario: {BASELINE}\n" + (f"set: {{time.horizon_months: {months}}}\n" if months else "") + "design: grid\n"
        "parameters:\n"
        f"  actors.russia.capacity: {{low: 0.2, high: 1.0, levels: {points}}}\n"
        f"replicates: {replicates}\n"
        "engine: ensemble\n"
        "seed: 5\n"
    )
    return spec


def sweep_seconds(spec: Path, out: Path, *options: str) -> float:
    """Wall time of `alliance-sim sweep SPEC` as one process, results written to `out`."""
    return command("sweep", spec, "--out", out, "--overwrite", "-q", *options)


PEAK = """
import resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - started
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
"""Runs a command; prints its wall time and the peak memory (kB) of its largest process."""


def bench_million(folder: Path, quick: bool) -> None:
    runs = 4_000 if quick else 1_000_000
    print(f"\n4. {runs:,} runs of the baseline over 48 months, 2 workers, results written (whole process)")
    spec = baseline_spec(folder, runs, 48)
    sweep = ["sweep", str(spec), "--out", str(folder / "million"), "--overwrite", "-q", "--workers", "2"]
    done = subprocess.run(
        [sys.executable, "-c", PEAK, sys.executable, "-m", "alliance_sim", *sweep],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, peak_kb = (float(x) for x in done.stdout.split())
    line(f"{runs:,} runs", f"{seconds:.1f} s", f"({runs / seconds:,.0f} runs/s)")
    line("  peak memory of its largest process", f"{peak_kb / 1024:.0f} MB")
    target(f"{runs:,} runs x 48 months, 2 workers, written", f"{seconds:.0f} s", "< 60 s", seconds < 60)


def bench_workers(folder: Path, quick: bool) -> Path:
    sizes = (2_000,) if quick else (10_000, 100_000)
    print("\n5. 2 workers over 1 (alliance-sim sweep, whole process)")
    big = folder / "none"
    for runs in sizes:
        spec = baseline_spec(folder, runs)
        one = sweep_seconds(spec, folder / f"w1_{runs}", "--workers", "1")
        two = sweep_seconds(spec, folder / f"w2_{runs}", "--workers", "2")
        line(f"{runs:,} runs: 1 / 2 workers", f"{one:.1f} s / {two:.1f} s")
        target(f"2 workers over 1, {runs:,} runs", f"{one / two:.2f}x", ">= 1.8x", one / two >= 1.8)
        big = spec
    spec = baseline_spec(folder, 320)
    tries = 1 if quick else 3
    one = best_of(tries, lambda: sweep_seconds(spec, folder / "w1_small", "--workers", "1"))
    two = best_of(tries, lambda: sweep_seconds(spec, folder / "w2_small", "--workers", "2"))
    line(f"320 runs: 1 / 2 workers (best of {tries})", f"{one:.2f} s / {two:.2f} s")
    target("2 workers over 1, small sweep (320 runs)", f"{one / two:.2f}x", ">= 1x", one / two >= 0.97)
    return big


ALLOCATOR_PROBE = """
import json, resource, sys, time
from alliance_sim.experiments.executors import tune_allocator
if sys.argv[1] == "project":
    tune_allocator()
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.world import compile_timeline
from alliance_sim.evidence import load_scenario
timeline = compile_timeline(load_scenario(sys.argv[2]))
run_ensemble(timeline, list(range(64)))
before, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time()
for k in range(3):
    run_ensemble(timeline, list(range(k * 1024, (k + 1) * 1024)))
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"cpu": time.process_time() - cpu, "faults": faults}))
"""
"""CPU seconds and page faults of 3 x 1,024 replicates of the baseline, in a fresh process."""


def allocator_probe(mode: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", ALLOCATOR_PROBE, mode, str(BASELINE)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_allocator() -> None:
    print("\n6b. The same ensemble work (3 x 1,024 replicates of the baseline): CPU and page faults by allocator")
    rows = {
        "glibc defaults": allocator_probe("default", {}),
        "Dask nanny's MALLOC_TRIM_THRESHOLD_=65536": allocator_probe("default", {"MALLOC_TRIM_THRESHOLD_": "65536"}),
        "the nanny's setting, then the project's (workers)": allocator_probe(
            "project", {"MALLOC_TRIM_THRESHOLD_": "65536"}
        ),
    }
    for name, row in rows.items():
        line(name, f"{row['cpu']:.2f} s CPU, {row['faults']:,.0f} faults")
    nanny = rows["Dask nanny's MALLOC_TRIM_THRESHOLD_=65536"]["cpu"] / rows["glibc defaults"]["cpu"]
    ours = rows["the nanny's setting, then the project's (workers)"]["cpu"] / rows["glibc defaults"]["cpu"]
    line("CPU against glibc defaults: nanny's / project's", f"{nanny:.2f}x / {ours:.2f}x")


def bench_dask(folder: Path, spec: Path) -> None:
    print("\n6. --dask local against local worker processes, the same sweep (whole process)")
    try:
        import distributed  # noqa: F401
    except ImportError:
        line("Dask is not installed (pip install 'alliance-sim[dask]')", "skipped")
        return
    processes = sweep_seconds(spec, folder / "processes", "--workers", "2")
    dask = sweep_seconds(spec, folder / "dask", "--dask", "local", "--workers", "2")
    line(f"{spec.stem}: processes / dask local (2 workers)", f"{processes:.1f} s / {dask:.1f} s")
    target("--dask local / processes, same sweep", f"{dask / processes:.2f}x", "<= 1.2x", dask / processes <= 1.2)


# --- 7. Large alliances ------------------------------------------------------------------------


def alliance_yaml(members: int) -> str:
    """A generated alliance of `members` members (a hegemon and members - 1 others), the shape of
    bench/scenario_8.yaml: one attacker and one patron outside, scripted events, monthly hazards."""
    lines = [
        f'name: "Generated alliance of {members} members"',
        "alliance: {name: Generated Pact, hegemon: hub, decision_rule: consensus}",
        'time: {start: "2030-01", horizon_months: 60}',
        "actors:",
        "  hub: {name: Hub, power: 0.05, capacity: 0.6, offense: 0.6, trust_prior: 0.6,",
        "        relations: {raider: {proximity: 0.3, hostility: 0.2}}}",
    ]
    for k in range(1, members):
        dependence = 0.4 + 0.3 * ((k * 7) % 10) / 10
        outside = 0.15 + 0.2 * ((k * 3) % 10) / 10
        relation = f", relations: {{raider: {{proximity: {0.2 + 0.8 * (k % 3) / 2:.2f}, hostility: 0.3}}}}"
        lines.append(
            f"  m{k}: {{name: M{k}, power: {0.002 + 0.001 * (k % 5):.3f}, dependence: {dependence:.2f}, "
            f"regime_security: 0.4, outside_option: {outside:.2f}{relation if k % 4 == 1 else ''}}}"
        )
    lines += [
        "  raider: {name: Raider, kind: outside, power: 0.01, offense: 0.7}",
        "  patron: {name: Patron, kind: outside, power: 0.1}",
        "events:",
        '  - {id: probe, type: attack, month: "2030-06", source: raider, target: m1, severity: 0.5}',
        '  - {id: drain, type: war_drain, month: "2030-03", severity: 0.3}',
        '  - {id: summit, type: summit, month: "2030-12"}',
        "hazards:",
        "  - {id: raids, type: attack, source: raider, target: m1, monthly_rate: 0.03, severity: 0.4}",
        "  - {id: courting, type: outside_offer, source: patron, target: m2, monthly_rate: 0.02, severity: 0.3}",
        "  - {id: protests, type: protest, target: m3, monthly_rate: 0.05, severity: 0.3}",
    ]
    return "\n".join(lines) + "\n"


def large_alliance_scenario(folder: Path, members: int) -> Path:
    """The scenario file of a generated alliance: bench/large_alliance.py's when present."""
    path = folder / f"alliance_{members}.yaml"
    try:
        import large_alliance  # the NATO-sized generator kept beside this script, when present

        large_alliance.write(members, path)
    except (ImportError, AttributeError):
        path.write_text(alliance_yaml(members))
    return path


def bench_members(folder: Path, quick: bool) -> None:
    from alliance_sim.evidence import load_scenario

    replicates = 64 if quick else 2_000
    print(f"\n7. Generated alliances, 6 and 32 members, ensemble engine, {replicates:,} replicates x 60 months")
    costs = {}
    for members in (6, 32):
        config = load_scenario(large_alliance_scenario(folder, members))
        costs[members] = ensemble_step_us(config, replicates)
        line(f"{members} members, per replicate-step", f"{costs[members]:.2f} us")
    ratio = costs[32] / costs[6]
    target("32 members / 6 members, per replicate-step", f"{ratio:.0f}x", "<= 30x", ratio <= 30)


# --- 8-9. Whole commands ---------------------------------------------------------------------


def bench_commands(folder: Path, quick: bool) -> None:
    print("\n8. alliance-sim run of the baseline, 300 replicates (whole process)")
    seconds = command("run", BASELINE, "-n", "300", "--seed", "7", "--out", folder / "run", "--overwrite", "-q")
    line("run, default engine", f"{seconds:.2f} s")
    target("run of the baseline, 300 replicates, whole process", f"{seconds:.1f} s", "< 2 s", seconds < 2)
    print("\n9. alliance-sim --help against python -c pass (whole process, best of 5)")

    def bare() -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        return time.perf_counter() - started

    tries = 2 if quick else 5
    empty = best_of(tries, bare)
    helped = best_of(tries, lambda: command("--help"))
    line("python -c pass / alliance-sim --help", f"{empty * 1e3:.0f} ms / {helped * 1e3:.0f} ms")
    target("alliance-sim --help / python -c pass", f"{helped / empty:.1f}x", "<= 3x", helped / empty <= 3)


# --- main --------------------------------------------------------------------------------------


def machine() -> str:
    """One line about this machine."""
    from alliance_sim.experiments.executors import cpu_count

    model = platform.processor() or platform.machine()
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 2**20:.0f} GB memory"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{model}, {cpu_count()} cores{memory}, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test, not a measurement)")
    parser.add_argument("--profile", action="store_true", help="also profile the Mesa path")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"alliance-sim benchmarks, {'quick' if args.quick else 'full'} sizes")
    print(f"machine: {machine()}")
    print(f"load average at the start: {load:.2f}")
    if load > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine is busy; timings, and the worker speed-ups most, will be off")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        folder = Path(tmp)
        bench_mesa(args.quick)
        if args.profile:
            bench_profile()
        bench_ensemble(args.quick)
        bench_memory(folder, args.quick)
        bench_million(folder, args.quick)
        big = bench_workers(folder, args.quick)
        bench_dask(folder, big)
        bench_allocator()
        bench_members(folder, args.quick)
        bench_commands(folder, args.quick)
    kind = "quick sizes: not a measurement" if args.quick else "one run"
    print(f"\ntargets ({kind}, {time.perf_counter() - started:.0f} s)")
    print(f"machine: {machine()}; load average at the end: {os.getloadavg()[0]:.2f}")
    width = max(len(name) for name, *_ in TARGETS)
    print(f"| {'measure':<{width}} | measured | target | |")
    print(f"|{'-' * (width + 2)}|---|---|---|")
    for name, measured, goal, verdict in TARGETS:
        print(f"| {name:<{width}} | {measured} | {goal} | {verdict} |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    main()
