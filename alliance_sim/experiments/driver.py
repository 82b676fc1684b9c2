"""`sweep`: run every point and replicate of a design, stream results to disk, resume.

The driver (this process) reads the spec, creates or reopens the sweep folder, works out
which runs are still missing, runs a short *pilot* chunk itself to time a run, then cuts
the rest into chunks of about `chunk_seconds` each and hands them to an executor. Each
finished chunk is written as Parquet part files at once (`alliance_sim.experiments.storage`),
so memory does not grow with the sweep, a crash loses at most the chunks in flight, and
`resume=True` runs only what is missing.

A chunk is a list of (design point, replicates). The worker builds the point's scenario
once (`alliance_sim.scenario.loader.with_overrides`), compiles it once, and runs its replicates:
all at once on the ensemble engine (`run_ensemble`, in blocks of at most `BLOCK`), or one
`AllianceModel` each on the Mesa engine. Run (i, j) is seeded as `seeds.run_seed` says,
and the two engines give the same trace for the same seed, so the results are the same
bit for bit whatever the engine, executor, worker count, chunking, order or resume.

A run that raises is recorded in the `runs` table with `status: failed` and its error;
the other runs go on. `retry_failed=True` runs those again.
"""

from __future__ import annotations

import math
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

import alliance_sim
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import compile_world
from alliance_sim.errors import InputError
from alliance_sim.experiments.executors import Executor, SerialExecutor, make_executor
from alliance_sim.experiments.outcomes import alliance_outcomes, member_outcomes, step_labels, timeseries_rows
from alliance_sim.experiments.results import SweepResult
from alliance_sim.experiments.seeds import run_seeds
from alliance_sim.experiments.spec import SweepSpec, TimeseriesSpec, load_sweep_spec
from alliance_sim.experiments.storage import SweepStore, arrow_table
from alliance_sim.model import AllianceModel
from alliance_sim.runs.results import git_commit
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import with_overrides

BLOCK = 1024
"""Most replicates the ensemble engine runs at once (bounds a worker's memory)."""

PILOT_RUNS = {"ensemble": 256, "mesa": 4}
"""Runs in the pilot chunk that times a run, by engine."""


@dataclass(frozen=True)
class SweepContext:
    """What every worker needs, sent once per worker.

    Attributes:
        base: The base scenario.
        paths: Dotted paths of the varied parameters.
        root: Root seed.
        common: Common random numbers.
        engine: `mesa` or `ensemble`.
        replicates: Replicates per point (run id = point * replicates + replicate).
        outcomes: Outcomes to record.
        timeseries: Per-month records, or None.
        block: Most replicates per ensemble call.
    """

    base: ScenarioConfig
    paths: tuple[str, ...]
    root: int
    common: bool
    engine: str
    replicates: int
    outcomes: tuple[str, ...]
    timeseries: TimeseriesSpec | None = None
    block: int = BLOCK


Group = tuple[int, tuple[Any, ...], tuple[int, ...]]
"""(design point, its parameter values, replicate indices)."""


@dataclass(frozen=True)
class Chunk:
    """A unit of work: some replicates of some design points.

    Attributes:
        groups: (point, values, replicates) triples.
    """

    groups: tuple[Group, ...]

    @property
    def runs(self) -> int:
        """Number of runs in the chunk."""
        return sum(len(reps) for _, _, reps in self.groups)


# --- The worker side -------------------------------------------------------------------


def point_config(context: SweepContext, values: Sequence[Any]) -> ScenarioConfig:
    """The scenario of one design point: the base with the point's values."""
    if not context.paths:
        return context.base
    return with_overrides(context.base, dict(zip(context.paths, values, strict=True)))


def run_chunk(context: SweepContext, chunk: Chunk) -> dict[str, pa.Table]:
    """Run a chunk; returns its tables (`runs`, `outcomes`, `alliance`, maybe `timeseries`).

    The tables come back as Arrow tables with the storage's column types, ready to write
    (the worker converts them, not the driver). Never raises for a run's own error: a
    point whose scenario cannot be built, or a run that raises, is recorded as failed
    with its error text.
    """
    tables: dict[str, list[pd.DataFrame]] = {"runs": [], "outcomes": [], "alliance": [], "timeseries": []}
    for point, values, replicates in chunk.groups:
        reps = np.asarray(replicates, dtype=np.int64)
        seeds = run_seeds(context.root, point, replicates, common=context.common)
        try:
            config = point_config(context, values)
            world = compile_world(config)
            months = step_labels(config)
        except Exception as exc:  # a bad combination of values: the whole point fails
            tables["runs"].append(_runs_frame(context, point, reps, seeds, _error_text(exc), 0.0))
            continue
        if context.engine == "ensemble":
            for start in range(0, len(reps), context.block):
                _run_ensemble_block(
                    context,
                    world,
                    months,
                    point,
                    reps[start : start + context.block],
                    seeds[start : start + context.block],
                    tables,
                )
        else:
            _run_mesa(context, config, world.members, months, point, reps, seeds, tables)
    return {name: arrow_table(pd.concat(frames, ignore_index=True)) for name, frames in tables.items() if frames}


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _runs_frame(
    context: SweepContext, point: int, reps: np.ndarray, seeds: Sequence[int], error: str, seconds: float
) -> pd.DataFrame:
    n = len(reps)
    return pd.DataFrame(
        {
            "run_id": point * context.replicates + reps,
            "point": np.full(n, point, dtype=np.int64),
            "replicate": reps.astype(np.int32),
            "seed": np.asarray(seeds, dtype=np.uint64),
            "status": np.full(n, "failed" if error else "ok", dtype=object),
            "error": np.full(n, error, dtype=object),
            "seconds": np.full(n, seconds, dtype=float),
            "engine": np.full(n, context.engine, dtype=object),
        }
    )


def _record(
    context: SweepContext,
    trace: Trace,
    members: Sequence[str],
    months: np.ndarray,
    point: int,
    reps: np.ndarray,
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    run_ids = point * context.replicates + reps
    points = np.full(len(reps), point, dtype=np.int64)
    tables["outcomes"].append(member_outcomes(trace, members, months, run_ids, points, reps, context.outcomes))
    tables["alliance"].append(alliance_outcomes(trace, run_ids, points, reps, context.outcomes))
    if context.timeseries is not None:
        ts = context.timeseries
        tables["timeseries"].append(
            timeseries_rows(trace, members, months, run_ids, points, reps, ts.stride, ts.quantities)
        )


def _run_ensemble_block(
    context: SweepContext,
    world: Any,
    months: np.ndarray,
    point: int,
    reps: np.ndarray,
    seeds: Sequence[int],
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    started = time.perf_counter()
    try:
        trace = run_ensemble(world, list(seeds))
    except Exception:
        if len(reps) == 1:
            raise
        # Find the runs that fail: run each replicate alone.
        for k in range(len(reps)):
            try:
                _run_ensemble_block(context, world, months, point, reps[k : k + 1], seeds[k : k + 1], tables)
            except Exception as exc:
                tables["runs"].append(
                    _runs_frame(context, point, reps[k : k + 1], seeds[k : k + 1], _error_text(exc), 0.0)
                )
        return
    seconds = (time.perf_counter() - started) / len(reps)
    _record(context, trace, world.members, months, point, reps, tables)
    tables["runs"].append(_runs_frame(context, point, reps, seeds, "", seconds))


def _run_mesa(
    context: SweepContext,
    config: ScenarioConfig,
    members: Sequence[str],
    months: np.ndarray,
    point: int,
    reps: np.ndarray,
    seeds: Sequence[int],
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    traces: list[Trace] = []
    good: list[int] = []
    for k, seed in enumerate(seeds):
        started = time.perf_counter()
        try:
            model = AllianceModel(config, rng=seed).run()
        except Exception as exc:
            tables["runs"].append(_runs_frame(context, point, reps[k : k + 1], [seed], _error_text(exc), 0.0))
            continue
        seconds = time.perf_counter() - started
        traces.append(model.trace)
        good.append(k)
        tables["runs"].append(_runs_frame(context, point, reps[k : k + 1], [seed], "", seconds))
    if traces:
        stacked = Trace(
            members={name: np.stack([t.members[name] for t in traces], axis=1) for name in traces[0].members},
            war_load=np.stack([t.war_load for t in traces], axis=1),
        )
        _record(context, stacked, members, months, point, reps[good], tables)


# --- The driver side -------------------------------------------------------------------


def plan_chunks(
    todo: np.ndarray,
    replicates: int,
    values: Callable[[int], tuple[Any, ...]],
    chunk_runs: int,
    workers: int | None = None,
) -> Iterator[Chunk]:
    """Cut the runs still to do into chunks of at most `chunk_runs` runs.

    With `workers`, chunks shrink toward the end (guided scheduling): each holds at most
    the runs not yet handed out divided by twice the workers, so the workers finish at
    about the same time.

    Args:
        todo: Run ids to do, sorted.
        replicates: Replicates per point.
        values: The parameter values of a point.
        chunk_runs: Most runs per chunk.
        workers: Number of workers, for guided chunk sizes (None: fixed size).

    Yields:
        Chunks, in run-id order; one point's replicates stay together where they fit.
    """
    groups: list[Group] = []
    size = 0
    left = int(todo.size)

    def target() -> int:
        if workers is None:
            return chunk_runs
        return max(1, min(chunk_runs, math.ceil(left / (2 * workers))))

    limit = target()
    points = todo // replicates
    boundaries = np.flatnonzero(np.diff(points)) + 1
    for block in np.split(todo, boundaries):
        if block.size == 0:
            continue
        point = int(block[0] // replicates)
        reps = (block - point * replicates).tolist()
        point_values = values(point)
        while reps:
            room = limit - size
            take, reps = reps[:room], reps[room:]
            groups.append((point, point_values, tuple(take)))
            size += len(take)
            if size >= limit:
                yield Chunk(tuple(groups))
                left -= size
                groups, size = [], 0
                limit = target()
    if groups:
        yield Chunk(tuple(groups))


def _prepare_store(spec: SweepSpec, out: Path, resume: bool, overwrite: bool, engine: str) -> SweepStore:
    store = SweepStore(out)
    if out.exists() and not store.exists():
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
            return store
        if overwrite:
            store.remove()
        else:
            raise InputError(
                f"{out} already holds a sweep; pass --resume to finish it, or --overwrite to start again",
                field="out",
            )
    design = spec.design
    manifest = {
        "kind": "sweep",
        "format": 1,
        "package": "alliance-sim",
        "version": alliance_sim.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "spec_hash": spec.hash,
        "scenario_hash": spec.as_dict()["scenario_hash"],
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
        "scenario": spec.base.name,
        "scenario_files": spec.loaded.files,
        "calibration": {
            path: {"value": p.calibrated, "evidence": list(p.evidence), "used": p.used}
            for path, p in spec.loaded.calibration.items()
        },
        "git_commit": git_commit(spec.file.parent if spec.file else None),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "engine": engine,
        "state": "created",
    }
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
) -> SweepResult:
    """Run a sweep and return its results.

    Args:
        spec: A `SweepSpec`, or the path of a spec file.
        executor: Where chunks run (default: local processes on every core, started only
            if the sweep needs more than one chunk).
        out: The sweep folder (default: a new temporary folder).
        engine: `auto`, `mesa` or `ensemble`, over the spec's choice.
        resume: Continue the sweep in `out`: run only what is missing. Refused when the
            folder holds another spec (its hash differs).
        retry_failed: Like `resume`, and also run again the runs that failed.
        overwrite: Delete a sweep already in `out` and start again.
        progress: True for a progress bar on stderr, or a callback given the number of
            runs just finished.
        chunk_seconds: Target duration of a chunk, from the pilot's timing.
        chunk_runs: Fixed chunk size instead (runs per chunk).

    Returns:
        The results (read back from the folder).

    Raises:
        InputError: A bad spec, an existing folder, a changed spec on resume.
        KeyboardInterrupt: On Ctrl-C, after the folder is left resumable.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    chosen = spec.resolved_engine(engine)
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"sweep-{spec.name}-")) / "sweep"
    store = _prepare_store(spec, folder, resume or retry_failed, overwrite, chosen)
    context = SweepContext(
        base=spec.base,
        paths=tuple(spec.paths),
        root=spec.seed,
        common=spec.common_random_numbers,
        engine=chosen,
        replicates=spec.replicates,
        outcomes=spec.outcomes,
        timeseries=spec.timeseries,
    )
    design = spec.design
    with store.lock():
        store.clean()
        todo = _todo(store, spec, retry_failed)
        started = time.perf_counter()
        store.update_manifest(state="running")
        bar = _Bar(len(todo), progress, spec.name)
        used: list[Executor] = [executor] if executor is not None else []
        try:
            _execute(store, context, design.values, todo, spec.replicates, used, bar, chunk_seconds, chunk_runs)
        except KeyboardInterrupt:
            store.update_manifest(state="interrupted")
            raise
        finally:
            bar.close()
            if executor is None:
                for created in used:
                    created.close()
        status = store.run_status()
        failed = int((status["status"] == "failed").sum())
        missing = spec.runs - len(status)
        store.update_manifest(
            state="complete" if missing == 0 else "incomplete",
            runs_ok=len(status) - failed,
            runs_failed=failed,
            runs_missing=missing,
            executor=used[0].describe() if used else "serial (1 worker)",
            engine=chosen,
            last_seconds=round(time.perf_counter() - started, 3),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    return SweepResult.load(folder)


def _execute(
    store: SweepStore,
    context: SweepContext,
    values: Callable[[int], tuple[Any, ...]],
    todo: np.ndarray,
    replicates: int,
    used: list[Executor],
    bar: _Bar,
    chunk_seconds: float,
    chunk_runs: int | None,
) -> None:
    """Pilot, then the rest in chunks, on `used[0]` (created and appended when empty)."""
    if todo.size == 0:
        return
    chunk = store.next_chunk()
    if chunk_runs is None:
        pilot_size = min(PILOT_RUNS[context.engine], todo.size)
        if used and todo.size > pilot_size:
            used[0].warm(context)  # workers start while the pilot runs here
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
            small = per_run * todo.size <= chunk_seconds
            used.append(SerialExecutor() if small else make_executor())
        size = max(1, int(chunk_seconds / per_run))
        tasks = plan_chunks(todo, replicates, values, size, used[0].workers)
    else:
        if not used:
            used.append(make_executor())
        tasks = plan_chunks(todo, replicates, values, max(1, chunk_runs))
    for tables in used[0].map_unordered(run_chunk, context, tasks):
        store.write_chunk(chunk, tables)
        chunk += 1
        bar.update(tables["runs"].num_rows)
