"""What a sweep keeps of each run: outcome rows computed from a run's trace.

A trace (`alliance_sim.core.trace.Trace`) holds every traced quantity for every month; a sweep
keeps only what the spec's `outcomes` name, computed here for a whole block of replicates
at once (arrays of shape (months + 1, R, members)). The columns and values are those of
`alliance_sim.runs.results.run_table`, so the per-run table of `alliance-sim run` and the
outcomes table of a sweep agree on every run they share.

Tables (all keyed by `run_id`, with `point` and `replicate` repeated for grouping):

- `outcomes`: one row per run and member: `steps`, and by outcome name: `final_status`
  (status), `step_disengaged` / `month_disengaged` (disengaged: first step with the member
  disengaged or withdrawn; empty when it never happens, i.e. censored at the horizon),
  `step_withdrawn` / `month_withdrawn` (withdrawn), `min_trust_in_hegemon`,
  `final_trust_in_hegemon`, `final_pressure`, `max_pressure`.
- `alliance`: one row per run: `cohesion` (share of members active at the end),
  `min_cohesion`, `war_load` (at the end).
- `timeseries` (optional): one row per run, kept step and member.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliance_sim.core.trace import Trace
from alliance_sim.scenario.config import ScenarioConfig, month_label

STATUS_NAMES = np.array(["member", "disengaged", "withdrawn"])


def step_labels(config: ScenarioConfig) -> np.ndarray:
    """Month label of each recorded step: step s is the end of month s - 1."""
    start = config.time.start
    return np.array([month_label(start, s - 1) for s in range(config.time.horizon_months + 1)])


def _first(hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First step where `hit` holds, along axis 0, and whether it ever does."""
    return hit.argmax(axis=0), hit.any(axis=0)


def member_outcomes(
    trace: Trace,
    members: Sequence[str],
    months: np.ndarray,
    run_ids: np.ndarray,
    points: np.ndarray,
    replicates: np.ndarray,
    outcomes: Sequence[str],
) -> pd.DataFrame:
    """Outcome rows of a block of runs, one per run and member.

    Args:
        trace: The block's trace, arrays of shape (steps + 1, R, m).
        members: Member ids (the last axis).
        months: Month label of each step.
        run_ids: Run id of each replicate in the block, shape (R,).
        points: Design point of each, shape (R,).
        replicates: Replicate index of each, shape (R,).
        outcomes: Outcome names to compute (see `alliance_sim.experiments.spec`).

    Returns:
        The outcome table (run-major, members in scenario order).
    """
    status = trace.members["status"]
    steps, runs, m = status.shape
    data: dict[str, object] = {
        "run_id": np.repeat(run_ids.astype(np.int64), m),
        "point": np.repeat(points.astype(np.int64), m),
        "replicate": np.repeat(replicates.astype(np.int32), m),
        "member": np.tile(np.asarray(members, dtype=object), runs),
        "steps": np.full(runs * m, steps - 1, dtype=np.int32),
    }
    if "status" in outcomes:
        data["final_status"] = STATUS_NAMES[status[-1].reshape(-1)]
    for name, hit in (("disengaged", status >= 1), ("withdrawn", status == 2)):
        if name not in outcomes:
            continue
        first, ever = _first(hit)
        first, ever = first.reshape(-1), ever.reshape(-1)
        data[f"step_{name}"] = pd.arrays.IntegerArray(np.where(ever, first, 0).astype(np.int32), mask=~ever)
        data[f"month_{name}"] = np.where(ever, months[first], None).astype(object)
    trust = trace.members["trust_in_hegemon"]
    pressure = trace.members["pressure"]
    with np.errstate(invalid="ignore"):
        if "min_trust_in_hegemon" in outcomes:
            data["min_trust_in_hegemon"] = np.min(trust, axis=0).reshape(-1)
        if "final_trust_in_hegemon" in outcomes:
            data["final_trust_in_hegemon"] = trust[-1].reshape(-1)
        if "final_pressure" in outcomes:
            data["final_pressure"] = pressure[-1].reshape(-1)
        if "max_pressure" in outcomes:
            data["max_pressure"] = np.max(pressure, axis=0).reshape(-1)
    return pd.DataFrame(data)


def alliance_outcomes(
    trace: Trace,
    run_ids: np.ndarray,
    points: np.ndarray,
    replicates: np.ndarray,
    outcomes: Sequence[str],
) -> pd.DataFrame:
    """Alliance-level outcome rows of a block of runs, one per run."""
    status = trace.members["status"]
    cohesion = np.mean(status == 0, axis=-1)
    data: dict[str, object] = {
        "run_id": run_ids.astype(np.int64),
        "point": points.astype(np.int64),
        "replicate": replicates.astype(np.int32),
    }
    if "cohesion" in outcomes:
        data["cohesion"] = cohesion[-1]
    if "min_cohesion" in outcomes:
        data["min_cohesion"] = cohesion.min(axis=0)
    if "war_load" in outcomes:
        data["war_load"] = trace.war_load[-1]
    return pd.DataFrame(data)


def timeseries_rows(
    trace: Trace,
    members: Sequence[str],
    months: np.ndarray,
    run_ids: np.ndarray,
    points: np.ndarray,
    replicates: np.ndarray,
    stride: int,
    quantities: Sequence[str],
) -> pd.DataFrame:
    """Every `stride`-th step (and the last) of the chosen quantities, one row per run, step, member."""
    status = trace.members["status"]
    steps, runs, m = status.shape
    kept = np.arange(0, steps, stride)
    if kept[-1] != steps - 1:
        kept = np.append(kept, steps - 1)
    k = kept.size
    data: dict[str, object] = {
        "run_id": np.tile(np.repeat(run_ids.astype(np.int64), m), k),
        "point": np.tile(np.repeat(points.astype(np.int64), m), k),
        "replicate": np.tile(np.repeat(replicates.astype(np.int32), m), k),
        "step": np.repeat(kept.astype(np.int32), runs * m),
        "month": np.repeat(months[kept], runs * m).astype(object),
        "member": np.tile(np.asarray(members, dtype=object), runs * k),
    }
    for name in quantities:
        values = trace.members[name][kept].reshape(-1)
        data[name] = STATUS_NAMES[values] if name == "status" else values
    return pd.DataFrame(data)
