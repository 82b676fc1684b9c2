"""The one pipeline of runs and sweeps: chunks of runs in, typed tables out.

A *run* (`alliance_sim.run`) is a sweep of one design point: both cut their runs into
chunks (`plan_chunks`), run each chunk with `run_chunk` (in this process or in a worker,
through an executor of `alliance_sim.experiments.executors`) and hand the chunk's
Arrow tables to a store: the sweep folder (`alliance_sim.experiments.storage.SweepStore`)
or, for a run, a `MemoryStore`.

A chunk is a list of (design point, replicates). The worker builds the point's scenario
once (`alliance_sim.scenario.loader.with_overrides`), compiles it once, and runs its
replicates: all at once on the ensemble engine (`run_stacked`, in blocks of at most
`BLOCK`), or one `AllianceModel` each on the Mesa engine. Run (i, j) is seeded as
`alliance_sim.runs.seeds.run_seed` says, and the two engines give the same trace and the
same event log for the same seed, so the results are the same bit for bit whatever the
engine, executor, worker count, chunking, order or resume. `auto` (the default) is the
ensemble engine for more than one run and the Mesa model for one (`resolve_engine`).

Under a posterior (`alliance_sim.runs.predictive`, the default for a scenario that names
one), each replicate takes a particle: each particle's scenario is built once per process
(`Predictive.config`) and compiled once per point, and on the ensemble engine the
particles' replicates share blocks (one trace, one event log and one set of tables per
block, in the replicates' order), each replicate on its own particle's compiled world and
seed, so a replicate's result still depends only on its seed and its particle. On the Mesa
engine each particle's replicates run as a group of their own.

A run that raises is recorded in the `runs` table with `status: failed` and its error;
the other runs go on.

What a chunk records (`RunContext`): always the `runs` table and the `outcomes` named;
a sweep adds the alliance outcomes and, when asked, time series; a run's full record
(`detail=True`) adds every traced quantity for every month, the alliance per month, the
trust matrix (when the scenario asks) and the event log with each ally's answers (see
`alliance_sim.runs.tables`).
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from alliance_sim.core import kernels
from alliance_sim.core.ensemble import EventLog, Timeline, run_stacked
from alliance_sim.core.trace import TRACED, Trace
from alliance_sim.core.world import compile_timeline
from alliance_sim.runs import tables as tb
from alliance_sim.runs.predictive import Predictive
from alliance_sim.runs.seeds import run_seeds
from alliance_sim.scenario.config import ScenarioConfig, month_label
from alliance_sim.scenario.loader import LoadedScenario, config_hash, with_overrides

ENGINES = ("mesa", "ensemble")
"""Engines a run can use."""

ENGINE_CHOICES = ("auto", *ENGINES)
"""What a user may ask for: an engine, or `auto` (`resolve_engine`)."""


def resolve_engine(engine: str, runs: int) -> str:
    """The engine that runs: `auto` is the ensemble engine for more than one run, the Mesa model for one.

    Both give the same tables, event log included; the Mesa model is the reference and
    the engine for stepping through one run, the ensemble runs many at once.

    Raises:
        ValueError: An unknown engine.
    """
    if engine not in ENGINE_CHOICES:
        raise ValueError(f"engine must be one of {', '.join(ENGINE_CHOICES)}, got {engine!r}")
    if engine == "auto":
        return "mesa" if runs == 1 else "ensemble"
    return engine


BLOCK = 1024
"""Most replicates the ensemble engine runs at once (bounds a worker's memory)."""

RUN_OUTCOMES = ("status", "disengaged", "withdrawn", "min_trust_in_hegemon")
"""Outcomes a run records per replicate and member (its `runs` table)."""


@dataclass(frozen=True)
class Timeseries:
    """Which months and quantities to keep per run.

    Attributes:
        stride: Keep every `stride`-th step (and the last).
        quantities: Traced quantities to keep.
    """

    stride: int = 1
    quantities: tuple[str, ...] = TRACED


@dataclass(frozen=True)
class RunContext:
    """What every worker needs, sent once per worker.

    Attributes:
        base: The base scenario.
        paths: Dotted paths of the varied parameters (none for a run).
        root: Root seed.
        common: Common random numbers.
        engine: `mesa` or `ensemble`.
        replicates: Replicates per point (run id = point * replicates + replicate).
        outcomes: Outcomes to record.
        timeseries: Per-month records, or None.
        detail: A run's full record: the alliance per month, the trust matrix and the
            event log, instead of the alliance outcomes.
        block: Most replicates per ensemble call.
        predictive: The posterior's particles of a posterior predictive run, or None
            (the point estimate).
    """

    base: ScenarioConfig
    paths: tuple[str, ...]
    root: int
    common: bool
    engine: str
    replicates: int
    outcomes: tuple[str, ...]
    timeseries: Timeseries | None = None
    detail: bool = False
    block: int = BLOCK
    predictive: Predictive | None = None


SweepContext = RunContext
"""The context of a sweep (the same as a run's)."""

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


def step_labels(config: ScenarioConfig) -> np.ndarray:
    """Month label of each recorded step: step s is the end of month s - 1 (step 0: the month before)."""
    start = config.time.start
    return np.array([month_label(start, s - 1) for s in range(config.time.horizon_months + 1)])


# --- The worker side -------------------------------------------------------------------


def point_config(context: RunContext, values: Sequence[Any]) -> ScenarioConfig:
    """The scenario of one design point: the base with the point's values."""
    if not context.paths:
        return context.base
    return with_overrides(context.base, dict(zip(context.paths, values, strict=True)))


def particle_groups(context: RunContext, replicates: Sequence[int]) -> list[tuple[int | None, np.ndarray]]:
    """(draw, positions in `replicates`) per particle; one group (None, all) without a posterior."""
    if context.predictive is None:
        return [(None, np.arange(len(replicates)))]
    return [(draw, rows) for draw, rows in context.predictive.groups(replicates)]


def variant_config(context: RunContext, values: Sequence[Any], draw: int | None) -> ScenarioConfig:
    """The scenario of one design point under one particle's draw (None: the point estimate)."""
    if draw is None or context.predictive is None:
        return point_config(context, values)
    config = context.predictive.config(draw, context.base)
    if not context.paths:
        return config
    return with_overrides(config, dict(zip(context.paths, values, strict=True)))


def run_chunk(context: RunContext, chunk: Chunk) -> dict[str, pa.Table]:
    """Run a chunk; returns its tables, as Arrow tables with their declared schemas.

    The task function executors run (module level, so worker processes can import it).
    Never raises for a run's own error: a point whose scenario cannot be built, or a run
    that raises, is recorded as failed with its error text.
    """
    tables: dict[str, list[pd.DataFrame]] = {}
    if context.engine == "ensemble":
        kernels.expect(chunk.runs)  # by the chunk's size, not by each particle's block
    for point, values, replicates in chunk.groups:
        if context.engine == "ensemble":
            _run_point(context, point, values, replicates, tables)
            continue
        for draw, rows in particle_groups(context, replicates):
            _run_group(context, point, values, [replicates[int(i)] for i in rows], draw, tables)
    return {name: tb.to_arrow(pd.concat(frames, ignore_index=True), name) for name, frames in tables.items()}


def _run_group(
    context: RunContext,
    point: int,
    values: Sequence[Any],
    replicates: Sequence[int],
    draw: int | None,
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    """Run some replicates of one point that share a scenario (one particle's, or the point's)."""
    reps = np.asarray(replicates, dtype=np.int64)
    seeds = run_seeds(context.root, point, replicates, common=context.common)
    try:
        config = variant_config(context, values, draw)
        timeline = compile_timeline(config)  # the scenario, then each of its `changes`
        months = step_labels(config)
    except Exception as exc:  # a bad combination of values: the whole point fails
        _add(tables, "runs", _runs_frame(context, point, reps, seeds, error_text(exc), 0.0))
        return
    _run_mesa(context, config, timeline, months, point, reps, seeds, tables)


Part = tuple[Timeline, np.ndarray, list[int]]
"""Replicates of one point that share a scenario: (its timeline, replicate indices, seeds)."""


def _run_point(
    context: RunContext,
    point: int,
    values: Sequence[Any],
    replicates: Sequence[int],
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    """Run some replicates of one point on the ensemble engine, every particle's in the same blocks.

    Each particle's scenario is built and compiled once; the replicates then run in blocks
    of at most `RunContext.block`, each block holding the replicates of one or more
    particles (`alliance_sim.core.ensemble.run_stacked`, particle by particle, in order of
    first draw) and giving one set of tables. A replicate's numbers depend on its seed and
    particle only.
    """
    reps = np.asarray(replicates, dtype=np.int64)
    seeds = run_seeds(context.root, point, replicates, common=context.common)
    parts: list[Part] = []
    months: np.ndarray | None = None
    for draw, rows in particle_groups(context, replicates):
        try:
            config = variant_config(context, values, draw)
            timeline = compile_timeline(config)  # the scenario, then each of its `changes`
            months = step_labels(config)
        except Exception as exc:  # a bad combination of values: the point fails under this particle
            _add(
                tables,
                "runs",
                _runs_frame(context, point, reps[rows], [seeds[int(i)] for i in rows], error_text(exc), 0.0),
            )
            continue
        parts.append((timeline, reps[rows], [seeds[int(i)] for i in rows]))
    if months is None:
        return
    block: list[Part] = []
    room = context.block
    for worlds, part_reps, part_seeds in parts:
        start = 0
        while start < len(part_reps):
            take = min(room, len(part_reps) - start)
            block.append((worlds, part_reps[start : start + take], part_seeds[start : start + take]))
            start += take
            room -= take
            if room == 0:
                _run_ensemble_block(context, block, months, point, tables)
                block, room = [], context.block
    if block:
        _run_ensemble_block(context, block, months, point, tables)


def _add(tables: dict[str, list[pd.DataFrame]], name: str, frame: pd.DataFrame) -> None:
    tables.setdefault(name, []).append(frame)


def error_text(exc: BaseException) -> str:
    """One line: the exception's type, message and where it was raised."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _runs_frame(
    context: RunContext, point: int, reps: np.ndarray, seeds: Sequence[int], error: str, seconds: float
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
    context: RunContext,
    trace: Trace,
    members: Sequence[str],
    months: np.ndarray,
    point: int,
    reps: np.ndarray,
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    run_ids = point * context.replicates + reps
    points = np.full(len(reps), point, dtype=np.int64)
    _add(tables, "outcomes", tb.member_outcomes(trace, members, months, run_ids, points, reps, context.outcomes))
    if context.detail:
        _add(tables, "alliance_monthly", tb.alliance_monthly(trace, months, run_ids, points, reps))
        if trace.trust is not None:
            _add(tables, "trust", tb.trust_rows(trace.trust, members, months, run_ids, points, reps))
    else:
        _add(tables, "alliance", tb.alliance_outcomes(trace, run_ids, points, reps, context.outcomes))
    if context.timeseries is not None:
        ts = context.timeseries
        _add(
            tables,
            "timeseries",
            tb.timeseries_rows(trace, members, months, run_ids, points, reps, ts.stride, ts.quantities),
        )


def _run_ensemble_block(
    context: RunContext,
    block: Sequence[Part],
    months: np.ndarray,
    point: int,
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    """Run one block of replicates (of one or more particles) and add its tables, in the block's order."""
    started = time.perf_counter()
    reps = np.concatenate([part_reps for _, part_reps, _ in block])
    seeds = [seed for _, _, part_seeds in block for seed in part_seeds]
    log = EventLog() if context.detail else None
    try:
        trace = run_stacked([(timeline, part_seeds) for timeline, _, part_seeds in block], log=log)
    except Exception:
        if len(reps) == 1:
            raise
        # Find the runs that fail: run each replicate alone.
        for timeline, part_reps, part_seeds in block:
            for k in range(len(part_reps)):
                one: Part = (timeline, part_reps[k : k + 1], part_seeds[k : k + 1])
                try:
                    _run_ensemble_block(context, [one], months, point, tables)
                except Exception as exc:
                    _add(tables, "runs", _runs_frame(context, point, one[1], one[2], error_text(exc), 0))
        return
    seconds = (time.perf_counter() - started) / len(reps)
    world = block[0][0][0][1]
    _record(context, trace, world.members, months, point, reps, tables)
    if log is not None:
        events, answers = tb.ensemble_event_rows(
            *log.columns(world), point * context.replicates + reps, np.full(len(reps), point), reps
        )
        _add(tables, "events", events)
        _add(tables, "answers", answers)
    _add(tables, "runs", _runs_frame(context, point, reps, seeds, "", seconds))


def _run_mesa(
    context: RunContext,
    config: ScenarioConfig,
    timeline: Timeline,
    months: np.ndarray,
    point: int,
    reps: np.ndarray,
    seeds: Sequence[int],
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    from alliance_sim.model import AllianceModel  # the Mesa face, only on this engine

    members = timeline[0][1].members

    traces: list[Trace] = []
    good: list[int] = []
    errors: list[str] = []
    seconds: list[float] = []
    logs: list[tuple[int, int, int, list[dict[str, Any]]]] = []
    for k, seed in enumerate(seeds):
        started = time.perf_counter()
        try:
            model = AllianceModel(config, rng=seed, timeline=tuple(timeline)).run()
        except Exception as exc:
            errors.append(error_text(exc))
            seconds.append(0.0)
            continue
        seconds.append(time.perf_counter() - started)
        errors.append("")
        traces.append(model.trace)
        good.append(k)
        if context.detail:
            r = int(reps[k])
            logs.append((point * context.replicates + r, point, r, model.event_log))
    runs = _runs_frame(context, point, reps, seeds, "", 0.0)
    runs["status"] = np.where(np.asarray(errors) == "", "ok", "failed").astype(object)
    runs["error"] = np.asarray(errors, dtype=object)
    runs["seconds"] = np.asarray(seconds, dtype=float)
    _add(tables, "runs", runs)
    if logs:
        events, answers = tb.event_rows(logs)
        _add(tables, "events", events)
        _add(tables, "answers", answers)
    if traces:
        stacked = Trace(
            members={name: np.stack([t.members[name] for t in traces], axis=1) for name in traces[0].members},
            war_load=np.stack([t.war_load for t in traces], axis=1),
            trust=np.stack([t.trust for t in traces if t.trust is not None], axis=1)
            if traces[0].trust is not None
            else None,
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


class MemoryStore:
    """Where a run's chunks go: kept in memory, in chunk order (the store of a run)."""

    def __init__(self) -> None:
        self.chunks: dict[int, dict[str, pa.Table]] = {}

    def next_chunk(self) -> int:
        """A chunk number not used yet."""
        return len(self.chunks)

    def write_chunk(self, chunk: int, tables: dict[str, pa.Table]) -> None:
        """Keep one finished chunk."""
        self.chunks[chunk] = tables

    def read(self, table: str) -> pd.DataFrame | None:
        """A table over every chunk, sorted by run (None when no chunk has it)."""
        parts = [c[table] for _, c in sorted(self.chunks.items()) if table in c and c[table].num_rows]
        if not parts:
            return None
        frame = tb.to_pandas(pa.concat_tables(parts, promote_options="permissive"))
        if frame["run_id"].is_monotonic_increasing:  # one chunk, or chunks in order: sorted already
            return frame
        return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


# --- Provenance ------------------------------------------------------------------------


def file_hash(path: str | Path) -> str | None:
    """SHA-256 of a file, the first 16 hex digits (None when it cannot be read)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def ledger_record(loaded: LoadedScenario) -> dict[str, Any] | None:
    """The evidence ledger as the manifest records it: its path relative to the scenario file, and its hash."""
    if not loaded.ledger:
        return None
    ledger = Path(loaded.ledger)
    base = Path(loaded.path).resolve().parent if loaded.path else Path.cwd()
    try:
        relative = os.path.relpath(ledger, base)
    except ValueError:  # another drive (Windows)
        relative = ledger.name
    return {"path": Path(relative).as_posix(), "sha256": file_hash(ledger)}


def provenance(loaded: LoadedScenario, config: ScenarioConfig, engine: str) -> dict[str, Any]:
    """What every manifest records about the scenario and the software (run and sweep alike)."""
    from importlib.metadata import version

    from alliance_sim.runs.results import git_commit
    from alliance_sim.version import __version__

    return {
        "package": "alliance-sim",
        "version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_files": loaded.files,
        "scenario_hash": config_hash(config),
        "overrides": loaded.overrides,
        "engine": engine,
        "git_commit": git_commit(Path(loaded.path).parent if loaded.path else None),
        "python": platform.python_version(),
        "mesa": version("mesa"),  # without importing Mesa (a second of start-up)
        "numpy": np.__version__,
        "ledger": ledger_record(loaded),
        "calibration": {
            path: {"value": p.calibrated, "evidence": list(p.evidence), "used": p.used, "set_by": p.set_by}
            for path, p in loaded.calibration.items()
        },
        "event_evidence": {k: list(v) for k, v in loaded.event_evidence.items()},
        "evidence": {
            key: {
                "source": item.source,
                "citation": item.citation,
                "kind": item.kind,
                "quote": item.quote,
                "date": item.date,
                "actors": list(item.actors),
                "note": item.note,
            }
            for key, item in loaded.evidence.items()
        },
    }
