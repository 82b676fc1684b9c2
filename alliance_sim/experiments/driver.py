"""`run` and `sweep`: one driver for both.

A run is a sweep of one design point whose chunks stay in memory (`MemoryStore`); a sweep
streams its chunks to a folder (`alliance_sim.experiments.storage.SweepStore`). Both go
through `execute`: it works out the chunks (`alliance_sim.runs.pipeline.plan_chunks`),
hands them to an executor, and writes each finished chunk to the store at once, so a
sweep's memory does not grow with its size, a crash loses at most the chunks in flight,
and `resume=True` runs only what is missing.

A sweep's driver runs a short *pilot* chunk itself to time a run, then cuts the rest
into chunks of about `chunk_seconds` each. Results are the same bit for bit whatever the
engine, executor, worker count, chunking, order or resume (see
`alliance_sim.runs.pipeline`).

Local worker processes (started when the pilot says they pay, see `choose_workers`)
start by importing the calling script's main module, as Python's `multiprocessing` does:
a script that calls `run(..., workers=2)` or `sweep(...)` must do it under
``if __name__ == "__main__":``. Without it the call fails at once with a message that
says so.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from alliance_sim.core.trace import TRACED
from alliance_sim.errors import InputError
from alliance_sim.experiments.executors import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    cpu_count,
    start_worker_server,
)
from alliance_sim.files import check_replaceable
from alliance_sim.runs.pipeline import (
    BLOCK,
    RUN_OUTCOMES,
    MemoryStore,
    RunContext,
    Timeseries,
    plan_chunks,
    provenance,
    resolve_engine,
    run_chunk,
)
from alliance_sim.runs.predictive import load_predictive, manifest_record
from alliance_sim.runs.results import RunResult
from alliance_sim.runs.seeds import run_seeds
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario

if TYPE_CHECKING:  # sweeps only: imported where a sweep starts, so `run` does not load them
    from alliance_sim.experiments.results import SweepResult
    from alliance_sim.experiments.spec import SweepSpec
    from alliance_sim.experiments.storage import SweepStore

PILOT_RUNS = {"ensemble": 256, "mesa": 4}
"""Runs in the pilot chunk that times a run, by engine."""

MAIN_GUARD = (
    "worker processes re-import the script that starts them, so a script that runs with workers "
    '(run(..., workers=2), sweep(...)) must put that call under  if __name__ == "__main__":  '
    "(or use workers=1 / executor=SerialExecutor())"
)
"""The message when worker processes cannot start from an unguarded script."""

WORKER_START_SECONDS = 1.0
"""What starting local worker processes costs a sweep, in seconds: the fork server's import
of the simulation (measured at about 1 s on a 2-core machine); forking a worker from it
then takes milliseconds."""

GAIN = 1.15
"""Local workers are started only when the pilot's timing says they finish the rest at
least this many times sooner than the driver alone would."""


CHUNK_BYTES = 256e6
"""Most memory a chunk's tables may take (a worker holds one chunk at a time; the driver a
few): caps the chunk size, so the memory of a sweep stays flat however fast its runs are."""


def chunk_bytes_per_run(context: RunContext) -> float:
    """Bytes one run adds to a chunk's tables, estimated generously (pandas, then Arrow)."""
    config = context.base
    m = len(config.member_ids)
    steps = config.time.horizon_months + 1
    per = m * 200 + 400  # the per-member and the alliance outcomes, the run's status row
    if context.detail:
        per += steps * (m * (8 * len(TRACED) + 64) + 120)
        if config.outputs.trust_matrix:
            per += steps * m * (m - 1) * 40
    if context.timeseries is not None:
        kept = steps // max(1, context.timeseries.stride) + 1
        per += kept * m * (64 + 8 * len(context.timeseries.quantities))
    return 3.0 * per


def choose_workers(seconds: float, most: int) -> int:
    """How many local workers to start for `seconds` of work (as the driver alone would do it).

    With n workers the rest takes about ``WORKER_START_SECONDS + seconds / n``; the
    smallest n within 5% of the best is taken, and 1 (run here, start nothing) unless
    workers gain at least `GAIN`.

    Args:
        seconds: The rest of the work, timed by the pilot.
        most: The most workers allowed.

    Returns:
        The number of workers (1: run in this process).
    """
    if most <= 1:
        return 1
    times = {n: WORKER_START_SECONDS + seconds / n for n in range(2, most + 1)}
    best = min(times.values())
    n = min(k for k, t in times.items() if t <= best * 1.05)
    return n if seconds >= GAIN * times[n] else 1


RUN_MEMORY_LIMIT_GB = 4.0
"""Default limit of the memory a run may hold (its tables); `ALLIANCE_SIM_RUN_MEMORY_GB` raises it."""


def _refuse_in_worker_start_up() -> None:
    """Stop at once when a worker process is importing an unguarded script that runs this."""
    if getattr(multiprocessing.process.current_process(), "_inheriting", False):
        # Quietly: the parent sees its workers fail to start and explains (`_explain`).
        raise SystemExit(1)


def _explain() -> InputError:
    return InputError(f"the worker processes stopped while starting: {MAIN_GUARD}", field="workers")


class _Bar:
    def __init__(self, total: int, show: bool | Callable[[int], None], label: str) -> None:
        self.callback = show if callable(show) else None
        self.tqdm = None
        if show is True and total > 0:
            from tqdm.auto import tqdm

            self.tqdm = tqdm(
                total=total, unit="run", file=sys.stderr, desc=label, dynamic_ncols=True, smoothing=0.1, leave=True
            )

    def update(self, n: int) -> None:
        if self.tqdm is not None:
            self.tqdm.update(n)
        if self.callback is not None:
            self.callback(n)

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()


def execute(
    store: SweepStore | MemoryStore,
    context: RunContext,
    values: Callable[[int], tuple[Any, ...]],
    todo: np.ndarray,
    used: list[Executor],
    bar: _Bar,
    chunk_seconds: float,
    chunk_runs: int | None,
    most: int | None = None,
) -> None:
    """Run `todo` in chunks, writing each finished chunk to `store`.

    Without `chunk_runs`, a pilot chunk runs here first to time a run, and the rest is
    cut into chunks of about `chunk_seconds` (shrinking toward the end, so workers finish
    together). The executor is `used[0]`; when `used` is empty, one is created and
    appended, for the caller to close: local processes, as many as `choose_workers` finds
    worth starting for the rest of the work (at most `most`, default every core), or this
    process when the rest is too short for workers to pay for their start.

    Raises:
        InputError: Worker processes could not start (see `MAIN_GUARD`).
    """
    if todo.size == 0:
        return
    most = cpu_count() if most is None else max(1, most)
    replicates = context.replicates
    chunk = store.next_chunk()
    if chunk_runs is None:
        pilot_size = min(PILOT_RUNS[context.engine], todo.size)
        if todo.size > pilot_size:
            if used:
                used[0].warm(context)  # workers start while the pilot runs here
            elif most > 1 and todo.size >= 8 * pilot_size:
                start_worker_server()  # likely needed: it imports the simulation beside the pilot
        pilot = next(plan_chunks(todo[:pilot_size], replicates, values, pilot_size))
        started = time.perf_counter()
        store.write_chunk(chunk, run_chunk(context, pilot))
        per_run = max((time.perf_counter() - started) / pilot_size, 1e-6)
        chunk += 1
        bar.update(pilot_size)
        todo = todo[pilot_size:]
        if todo.size == 0:
            return
        if not used:
            n = choose_workers(per_run * todo.size, min(most, int(todo.size)))
            used.append(SerialExecutor() if n == 1 else ProcessExecutor(n))
        size = max(1, int(chunk_seconds / per_run))
        if context.engine == "ensemble":
            # The ensemble engine runs a point's replicates at once, cheaper per run in
            # larger blocks: chunks of a full block unless that leaves a worker idle.
            size = max(size, min(context.block, -(-int(todo.size) // (2 * used[0].workers))))
        size = max(1, min(size, int(CHUNK_BYTES / chunk_bytes_per_run(context))))
        workers = used[0].workers
        tasks = plan_chunks(todo, replicates, values, size, workers if workers > 1 else None)
    else:
        if not used:
            used.append(SerialExecutor() if most <= 1 else ProcessExecutor(most))
        tasks = plan_chunks(todo, replicates, values, max(1, chunk_runs))
    try:
        for tables in used[0].map_unordered(run_chunk, context, tasks):
            store.write_chunk(chunk, tables)
            chunk += 1
            bar.update(tables["runs"].num_rows)
    except BrokenProcessPool:
        raise _explain() from None


# --- run -------------------------------------------------------------------------------


def run_memory(config: ScenarioConfig, replicates: int) -> float:
    """Bytes a run's tables take in memory, estimated: per replicate, times replicates.

    Per replicate: the member table (one row per month and member, a key and each traced
    quantity), the alliance per month, the per-member outcomes, and the trust matrix when
    the scenario asks; doubled for the copies made while the tables are assembled.
    """
    steps = config.time.horizon_months + 1
    m = len(config.member_ids)
    per = steps * m * (8 * len(TRACED) + 16) + steps * 80 + m * 120
    if config.outputs.trust_matrix:
        per += steps * m * (m - 1) * 40
    return 2.0 * per * replicates


def _memory_limit() -> float:
    text = os.environ.get("ALLIANCE_SIM_RUN_MEMORY_GB")
    try:
        return float(text) if text else RUN_MEMORY_LIMIT_GB
    except ValueError:
        raise InputError(
            f"ALLIANCE_SIM_RUN_MEMORY_GB must be a number of gigabytes, got {text!r}", field="replicates"
        ) from None


def run(
    scenario: ScenarioConfig | LoadedScenario,
    *,
    seed: int = 0,
    replicates: int = 1,
    steps: int | None = None,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
    workers: int = 1,
    max_memory_gb: float | None = None,
    fixed: bool = False,
) -> RunResult:
    """Run a scenario for a number of replicates: a sweep of one design point, kept in memory.

    Replicate j is seeded with ``SeedSequence(seed, spawn_key=(0, j))`` (see
    `alliance_sim.runs.seeds`), so the same seed gives the same tables bit for bit
    whatever the engine and the number of workers, and any replicate can be run again
    alone with ``AllianceModel(config, rng=<its seed in manifest["replicate_seeds"]>)``.

    Args:
        scenario: A validated scenario, or a `LoadedScenario` (which adds provenance).
        seed: Root seed.
        replicates: Number of replicates (>= 1).
        steps: Months to run (default: the scenario's horizon; at most the horizon).
        progress: Optional callback with the number of replicates just finished.
        engine: `auto` (the ensemble engine for more than one replicate, the Mesa model
            for one), `mesa` or `ensemble`: the same tables, event log included. The
            manifest says which ran.
        workers: Worker processes (1 runs in this process). From a script, call `run`
            with workers under ``if __name__ == "__main__":``.
        max_memory_gb: Refuse a run whose tables would take more memory than this
            (default: `RUN_MEMORY_LIMIT_GB`, or the `ALLIANCE_SIM_RUN_MEMORY_GB`
            environment variable).
        fixed: Run the point estimate even when the scenario names a posterior (by
            default each replicate takes the parameters of one of its particles:
            `alliance_sim.runs.predictive`). The manifest's `posterior` says which.

    Returns:
        The tables and manifest.

    Raises:
        ValueError: Bad arguments.
        InputError: The run would need more memory than allowed (the message gives the
            estimate and how to raise the limit), or worker processes cannot start.
        RuntimeError: A replicate failed (the message gives its error).
    """
    _refuse_in_worker_start_up()
    loaded = scenario if isinstance(scenario, LoadedScenario) else LoadedScenario(config=scenario)
    config = loaded.config
    if steps is not None:
        if not 1 <= steps <= config.time.horizon_months:
            raise ValueError(f"steps must be between 1 and the horizon ({config.time.horizon_months})")
        config = config.model_copy(update={"time": config.time.model_copy(update={"horizon_months": steps})})
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    engine = resolve_engine(engine, replicates)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    limit = max_memory_gb if max_memory_gb is not None else _memory_limit()
    need = run_memory(config, replicates)
    if need > limit * 1e9:
        raise InputError(
            f"{replicates:,} replicates would hold about {need / 1e9:,.1f} GB in memory "
            f"({need / replicates / 1e6:.2f} MB per replicate), above the limit of {limit:g} GB. "
            "Use fewer replicates, or a sweep (alliance-sim sweep streams results to disk), or raise the "
            "limit with the environment variable ALLIANCE_SIM_RUN_MEMORY_GB",
            field="replicates",
        )
    predictive = load_predictive(loaded, seed, replicates, fixed=fixed)
    context = RunContext(
        base=config,
        paths=(),
        root=seed,
        common=False,
        engine=engine,
        replicates=replicates,
        outcomes=RUN_OUTCOMES,
        timeseries=Timeseries(),
        detail=True,
        predictive=predictive,
    )
    store = MemoryStore()
    used: list[Executor] = []
    size: int | None = None  # with workers: from the pilot, which also decides whether they pay
    if workers == 1 or replicates == 1:
        used.append(SerialExecutor())
        # Mesa: about ten chunks (progress stays live; tables are built per chunk, not per replicate)
        size = min(50, max(1, replicates // 10)) if engine == "mesa" else BLOCK
    started = time.perf_counter()
    try:
        execute(
            store,
            context,
            lambda point: (),
            np.arange(replicates, dtype=np.int64),
            used,
            _Bar(replicates, progress or False, config.name),
            1.0,
            size,
            most=workers,
        )
    finally:
        for executor in used:
            executor.close()
    elapsed = time.perf_counter() - started
    result = _run_result(store, loaded, config, seed, replicates, engine, workers, elapsed)
    result.manifest["executor"] = used[0].describe() if used else "serial (1 worker)"
    posterior = manifest_record(predictive, loaded)
    if posterior is not None:
        result.manifest["posterior"] = posterior
    return result


def _run_result(
    store: MemoryStore,
    loaded: LoadedScenario,
    config: ScenarioConfig,
    seed: int,
    replicates: int,
    engine: str,
    workers: int,
    elapsed: float,
) -> RunResult:
    from alliance_sim.runs.tables import ANSWER_COLUMNS, EVENT_COLUMNS, to_arrow, to_pandas

    status = store.read("runs")
    assert status is not None
    failed = status[status["status"] == "failed"]
    if not failed.empty:
        first = failed.iloc[0]
        raise RuntimeError(f"replicate {first['replicate']} failed: {first['error']}")
    keys = ["run_id", "point"]
    outcomes = store.read("outcomes")
    assert outcomes is not None
    seeds = status[["replicate", "seed"]]
    runs = outcomes.drop(columns=keys).merge(seeds, on="replicate", how="left", validate="many_to_one")
    runs = runs[["replicate", "seed", *[c for c in runs.columns if c not in ("replicate", "seed")]]]
    members = store.read("timeseries")
    alliance = store.read("alliance_monthly")
    assert members is not None and alliance is not None
    trust = store.read("trust")
    events = store.read("events")
    answers = store.read("answers")
    if events is None:
        events = to_pandas(to_arrow(_empty(EVENT_COLUMNS), "events"))
    if answers is None:
        answers = to_pandas(to_arrow(_empty(ANSWER_COLUMNS), "answers"))
    manifest = {
        "kind": "run",
        **provenance(loaded, config, engine),
        "workers": workers,
        "seed": seed,
        "replicates": replicates,
        "steps": config.time.horizon_months,
        "start": config.time.start,
        "replicate_seeds": [str(s) for s in run_seeds(seed, 0, range(replicates))],
        "run_seconds": round(elapsed, 3),
    }
    return RunResult(
        members=members.drop(columns=keys),
        alliance=alliance.drop(columns=keys),
        events=events.drop(columns=keys, errors="ignore")[EVENT_COLUMNS],
        answers=answers.drop(columns=keys, errors="ignore")[ANSWER_COLUMNS],
        runs=runs,
        manifest=manifest,
        scenario=config.model_dump(mode="json"),
        trust=trust.drop(columns=keys) if trust is not None else None,
    )


def _empty(columns: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


# --- sweep -----------------------------------------------------------------------------


def _prepare_store(
    spec: SweepSpec, out: Path, resume: bool, overwrite: bool, engine: str, posterior: dict[str, Any] | None = None
) -> SweepStore:
    """Open the sweep in `out` (resume), replace it (overwrite) or create it; the caller holds the lock."""
    from alliance_sim.experiments.storage import SweepStore

    store = SweepStore(out)
    if out.exists() and not store.exists():
        if not out.is_dir():
            raise InputError(f"{out} is a file; choose another --out", field="out")
        if any(out.iterdir()):
            raise InputError(f"{out} exists and is not a sweep folder; choose another --out", field="out")
        out.rmdir()
    if store.exists():
        if resume:
            manifest = store.read_manifest()
            if manifest.get("spec_hash") != spec.hash:
                raise InputError(
                    f"{out} holds a sweep of another spec (hash {manifest.get('spec_hash')}, "
                    f"this spec {spec.hash}); it cannot be resumed with this spec. "
                    "Use a new --out, or --overwrite to start again",
                    field="out",
                )
            if manifest.get("posterior") != posterior:
                raise InputError(
                    f"{out} holds a sweep run with another posterior (or with --fixed where this one is not, "
                    "or the other way round); it cannot be resumed so. Use a new --out, or --overwrite",
                    field="out",
                )
            return store
        if overwrite:
            check_replaceable(out, "sweep")
            store.remove()
        else:
            raise InputError(
                f"{out} already holds a sweep; pass --resume to finish it, or --overwrite to start again",
                field="out",
            )
    design = spec.design
    manifest = {
        "kind": "sweep",
        "format": 2,
        **provenance(spec.loaded, spec.base, engine),
        "spec_hash": spec.hash,
        "spec": spec.as_dict(),
        "design": {
            "kind": spec.kind,
            "parameters": spec.paths,
            "points": spec.points,
            "replicates": spec.replicates,
            "runs": spec.runs,
            "samples": spec.samples,
            "levels": spec.levels,
            "seed": spec.seed,
            "common_random_numbers": spec.common_random_numbers,
            "problem": design.problem,
            "description": spec.describe(),
        },
        "state": "created",
    }
    if posterior is not None:
        manifest["posterior"] = posterior
    spec_text = spec.file.read_text(encoding="utf-8") if spec.file else yaml.safe_dump(spec.as_dict())
    scenario_text = yaml.safe_dump(spec.base.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    return SweepStore.create(out, manifest, design.frame, spec_text, scenario_text)


def _todo(store: SweepStore, spec: SweepSpec, retry_failed: bool) -> np.ndarray:
    everything = np.arange(spec.runs, dtype=np.int64)
    status = store.run_status()
    if status.empty:
        return everything
    keep = status if not retry_failed else status[status["status"] == "ok"]
    return np.setdiff1d(everything, keep["run_id"].to_numpy(dtype=np.int64), assume_unique=True)


def _counts(store: SweepStore, spec: SweepSpec) -> dict[str, int]:
    status = store.run_status()
    failed = int((status["status"] == "failed").sum())
    return {"runs_ok": len(status) - failed, "runs_failed": failed, "runs_missing": spec.runs - len(status)}


def sweep(
    spec: SweepSpec | str | Path,
    *,
    executor: Executor | None = None,
    out: str | Path | None = None,
    engine: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    overwrite: bool = False,
    progress: bool | Callable[[int], None] = False,
    chunk_seconds: float = 1.0,
    chunk_runs: int | None = None,
    workers: int | None = None,
    fixed: bool = False,
) -> SweepResult:
    """Run a sweep and return its results.

    Args:
        spec: A `SweepSpec`, or the path of a spec file.
        executor: Where chunks run (default: this process, or local worker processes
            when the pilot's timing says they pay for their start; see `choose_workers`).
            From a script, call `sweep` under ``if __name__ == "__main__":``.
        out: The sweep folder (default: a new temporary folder, deleted when the result
            is no longer used or the interpreter exits).
        engine: `auto`, `mesa` or `ensemble`, over the spec's choice.
        resume: Continue the sweep in `out`: run only what is missing. Refused when the
            folder holds another spec (its hash differs).
        retry_failed: Like `resume`, and also run again the runs that failed.
        overwrite: Replace a sweep already in `out` (only a folder this tool marked as a
            sweep; refused while another process writes to it).
        progress: True for a progress bar on stderr, or a callback given the number of
            runs just finished.
        chunk_seconds: Target duration of a chunk, from the pilot's timing.
        chunk_runs: Fixed chunk size instead (runs per chunk).
        workers: The most local worker processes the default executor may start
            (default: every core); ignored when `executor` is given.
        fixed: Run the point estimate even when the scenario names a posterior (by
            default each replicate takes one of its particles, the same in every point:
            `alliance_sim.runs.predictive`).

    Returns:
        The results (read back from the folder).

    Raises:
        InputError: A bad spec, an existing folder, a changed spec on resume, another
            writer, or worker processes that cannot start.
        KeyboardInterrupt: On Ctrl-C, after the folder is left resumable.
    """
    from alliance_sim.experiments.results import SweepResult
    from alliance_sim.experiments.spec import SweepSpec, load_sweep_spec

    _refuse_in_worker_start_up()
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    chosen = spec.resolved_engine(engine)
    temporary = None
    if out is None:
        temporary = Path(tempfile.mkdtemp(prefix="sweep-"))
        folder = temporary / "sweep"
    else:
        folder = Path(out)
    try:
        _sweep(
            spec,
            folder,
            chosen,
            executor,
            resume,
            retry_failed,
            overwrite,
            progress,
            chunk_seconds,
            chunk_runs,
            workers,
            fixed,
        )
        result = SweepResult.load(folder)
    except BaseException:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    if temporary is not None:
        weakref.finalize(result, shutil.rmtree, str(temporary), True)
    return result


def _sweep(
    spec: SweepSpec,
    folder: Path,
    chosen: str,
    executor: Executor | None,
    resume: bool,
    retry_failed: bool,
    overwrite: bool,
    progress: bool | Callable[[int], None],
    chunk_seconds: float,
    chunk_runs: int | None,
    workers: int | None,
    fixed: bool = False,
) -> None:
    timeseries = spec.timeseries
    predictive = load_predictive(spec.loaded, spec.seed, spec.replicates, fixed=fixed, config=spec.base)
    context = RunContext(
        base=spec.base,
        paths=tuple(spec.paths),
        root=spec.seed,
        common=spec.common_random_numbers,
        engine=chosen,
        replicates=spec.replicates,
        outcomes=spec.outcomes,
        timeseries=Timeseries(timeseries.stride, timeseries.quantities) if timeseries is not None else None,
        predictive=predictive,
    )
    from alliance_sim.experiments.storage import SweepStore

    posterior = manifest_record(predictive, spec.loaded)
    with SweepStore(folder).lock():
        store = _prepare_store(spec, folder, resume or retry_failed, overwrite, chosen, posterior)
        store.clean()
        store.verify()
        todo = _todo(store, spec, retry_failed)
        started = time.perf_counter()
        store.update_manifest(state="running")
        bar = _Bar(len(todo), progress, spec.name)
        used: list[Executor] = [executor] if executor is not None else []
        try:
            execute(store, context, spec.design.values, todo, used, bar, chunk_seconds, chunk_runs, workers)
        except BaseException:
            store.update_manifest(state="interrupted", **_counts(store, spec))
            raise
        finally:
            bar.close()
            if executor is None:
                for created in used:
                    created.close()
        counts = _counts(store, spec)
        store.update_manifest(
            state="complete" if counts["runs_missing"] == 0 else "incomplete",
            **counts,
            executor=used[0].describe() if used else "serial (1 worker)",
            engine=chosen,
            last_seconds=round(time.perf_counter() - started, 3),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
        )
