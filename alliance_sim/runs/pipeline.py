"""`run`: one scenario, many replicates, one `RunResult`.

Replicate r is seeded with child r of `numpy.random.SeedSequence(seed)` (turned into a
64-bit integer, see `alliance_sim.core.randomness.seed_to_int`), so the same seed gives the same
tables bit for bit, and any one replicate can be re-run alone with
`AllianceModel(config, rng=<its seed from runs.seed>)`.

Replicates run in chunks through the executors of sweeps
(`alliance_sim.experiments.executors`): in this process with one worker, in local worker
processes with more. The tables do not depend on the number of workers. The Mesa engine
(the default) narrates events into the event log; the ensemble engine runs a chunk's
replicates at once and gives the same trajectories, but no event log.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

import alliance_sim
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.core.trace import Trace
from alliance_sim.model import AllianceModel
from alliance_sim.runs.results import RunResult, alliance_table, git_commit, member_table, run_table, trust_table
from alliance_sim.scenario.config import ScenarioConfig, month_label
from alliance_sim.scenario.loader import LoadedScenario, config_hash

ENGINES = ("mesa", "ensemble")
"""Engines `run` can use."""

EVENT_COLUMNS = [
    "replicate",
    "step",
    "month",
    "event",
    "kind",
    "target",
    "source",
    "severity",
    "requester",
    "answer",
    "votes",
    "note",
]
"""Columns of the event log."""

Progress = Callable[[int], None]
"""Called with the number of replicates just finished."""


def step_months(config: ScenarioConfig) -> list[str]:
    """Label of each recorded step: step s is the end of month s - 1 (step 0: the month before)."""
    return [month_label(config.time.start, s - 1) for s in range(config.time.horizon_months + 1)]


def run(
    scenario: ScenarioConfig | LoadedScenario,
    *,
    seed: int = 0,
    replicates: int = 1,
    steps: int | None = None,
    progress: Progress | None = None,
    engine: str = "mesa",
    workers: int = 1,
) -> RunResult:
    """Run a scenario for a number of replicates.

    Args:
        scenario: A validated scenario, or a `LoadedScenario` (which adds provenance).
        seed: Root seed.
        replicates: Number of replicates (>= 1).
        steps: Months to run (default: the scenario's horizon; at most the horizon).
        progress: Optional callback with the number of replicates just finished.
        engine: `mesa` (with the event log) or `ensemble` (same tables, no event log).
        workers: Worker processes (1 runs in this process).

    Returns:
        The tables and manifest.
    """
    loaded = scenario if isinstance(scenario, LoadedScenario) else LoadedScenario(config=scenario)
    config = loaded.config
    if steps is not None:
        if not 1 <= steps <= config.time.horizon_months:
            raise ValueError(f"steps must be between 1 and the horizon ({config.time.horizon_months})")
        config = config.model_copy(update={"time": config.time.model_copy(update={"horizon_months": steps})})
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    seeds = replicate_seeds(seed, replicates)
    months = step_months(config)
    context = _RunContext(config=config, months=months, engine=engine)
    started = time.perf_counter()
    parts = _run_chunks(context, seeds, workers, progress)
    elapsed = time.perf_counter() - started
    members = [t for part in parts for t in part["members"]]
    alliance = [t for part in parts for t in part["alliance"]]
    runs = [t for part in parts for t in part["runs"]]
    trusts = [t for part in parts for t in part["trust"]]
    events = [t for part in parts for t in part["events"]]
    event_columns = EVENT_COLUMNS
    manifest = {
        "package": "alliance-sim",
        "version": alliance_sim.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_files": loaded.files,
        "scenario_hash": config_hash(config),
        "overrides": loaded.overrides,
        "engine": engine,
        "workers": workers,
        "seed": seed,
        "replicates": replicates,
        "steps": config.time.horizon_months,
        "start": config.time.start,
        "replicate_seeds": [str(s) for s in seeds],
        "git_commit": git_commit(Path(loaded.path).parent if loaded.path else None),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "run_seconds": round(elapsed, 3),
        "ledger": loaded.ledger,
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
    return RunResult(
        members=pd.concat(members, ignore_index=True),
        alliance=pd.concat(alliance, ignore_index=True),
        events=pd.concat(events, ignore_index=True) if events else pd.DataFrame(columns=event_columns),
        runs=pd.concat(runs, ignore_index=True),
        manifest=manifest,
        scenario=config.model_dump(mode="json"),
        trust=pd.concat(trusts, ignore_index=True) if trusts else None,
    )


# --- Chunks of replicates, through the sweep executors -----------------------------------


@dataclass(frozen=True)
class _RunContext:
    config: ScenarioConfig
    months: list[str]
    engine: str


Chunk = tuple[tuple[int, ...], tuple[int, ...]]
"""(replicate indices, their seeds)."""

_ENSEMBLE_BLOCK = 1024
"""Most replicates the ensemble engine runs at once."""


def _run_chunks(
    context: _RunContext, seeds: list[int], workers: int, progress: Progress | None
) -> list[dict[str, list[pd.DataFrame]]]:
    from alliance_sim.experiments.executors import ProcessExecutor, SerialExecutor

    n = len(seeds)
    if workers > 1 and n > 1:
        executor: SerialExecutor | ProcessExecutor = ProcessExecutor(min(workers, n))
        size = max(1, -(-n // (4 * workers)))
    else:
        executor = SerialExecutor()
        size = 1 if context.engine == "mesa" else _ENSEMBLE_BLOCK
    if context.engine == "ensemble":
        size = min(size, _ENSEMBLE_BLOCK)
    chunks: list[Chunk] = [
        (tuple(range(start, min(start + size, n))), tuple(seeds[start : start + size])) for start in range(0, n, size)
    ]
    parts = []
    with executor:
        for part in executor.map_unordered(run_replicate_chunk, context, chunks):
            parts.append(part)
            if progress is not None:
                progress(len(part["runs"]))
    parts.sort(key=lambda part: int(part["first"][0]))
    return parts


def run_replicate_chunk(context: _RunContext, chunk: Chunk) -> dict[str, list[Any]]:
    """Run some replicates of a scenario; returns their tables, one frame per replicate.

    The task function `run` hands to an executor (module level, so worker processes can
    import it).
    """
    indices, seeds = chunk
    out: dict[str, list[Any]] = {
        "first": [indices[0]],
        "members": [],
        "alliance": [],
        "runs": [],
        "trust": [],
        "events": [],
    }
    if context.engine == "ensemble":
        from alliance_sim.core.ensemble import run_ensemble

        trace = run_ensemble(context.config, list(seeds))
        ids = list(context.config.member_ids)
        for k, (r, replicate_seed) in enumerate(zip(indices, seeds, strict=True)):
            one = Trace(
                members={name: values[:, k] for name, values in trace.members.items()},
                war_load=trace.war_load[:, k],
                trust=trace.trust[:, k] if trace.trust is not None else None,
            )
            _tables(out, one, ids, context.months, r, replicate_seed, [])
        return out
    for r, replicate_seed in zip(indices, seeds, strict=True):
        model = AllianceModel(context.config, rng=replicate_seed).run()
        _tables(out, model.trace, list(model.world.members), context.months, r, replicate_seed, model.event_log)
    return out


def _tables(
    out: dict[str, list[Any]],
    trace: Trace,
    ids: list[str],
    months: list[str],
    r: int,
    replicate_seed: int,
    event_log: list[dict[str, Any]],
) -> None:
    status = trace.members["status"]
    trust = trace.members["trust_in_hegemon"]
    out["members"].append(member_table(trace.members, ids, months, r))
    out["alliance"].append(alliance_table(status, trace.war_load, trust, months, r))
    out["runs"].append(run_table(status, trust, ids, months, r, replicate_seed))
    if trace.trust is not None:
        out["trust"].append(trust_table(trace.trust, ids, months, r))
    if event_log:
        log = pd.DataFrame(event_log)
        log.insert(0, "replicate", r)
        out["events"].append(log)
