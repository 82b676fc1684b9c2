"""The tables a run keeps, built from traces, each with one declared Arrow schema.

A trace (`alliance_sim.core.trace.Trace`) holds every traced quantity for every month of
a block of R replicates (arrays of shape (steps + 1, R, members)). This module turns it
into tidy tables, the same functions for `run` and for `sweep`:

- `runs` (one row per run): `run_id`, `point`, `replicate`, `seed`, `status` (`ok` or
  `failed`), `error`, `seconds`, `engine`.
- `outcomes` (one row per run and member): `steps`, and by outcome name: `final_status`
  (status), `step_disengaged` / `month_disengaged` (disengaged: first step with the
  member disengaged or withdrawn; empty when it never happens, i.e. censored at the
  horizon), `step_withdrawn` / `month_withdrawn` (withdrawn), `min_trust_in_hegemon`,
  `final_trust_in_hegemon`, `final_pressure`, `max_pressure`.
- `alliance` (a sweep: one row per run): `cohesion` (share of members active at the
  end), `min_cohesion`, `war_load` (at the end).
- `timeseries` (one row per run, kept step and member): the chosen traced quantities.
- `alliance_monthly` (a run: one row per run and step): war load, cohesion, members by
  status, mean trust in the hegemon.
- `trust` (one row per run, step, observer and ally), when the scenario asks for it.
- `events` (the event log, one row per event; the same on both engines) and `answers` (one row per
  request and ally that answered: `request`, `ally`, `answer`).

Column types are the same in every table and every part file: `run_id` and `point`
int64, `replicate`, `step` and `steps` int32, `seed` uint64; `member`, `month`, `ally`
and the other labels dictionary-encoded strings; statuses and answers ordered
dictionaries (pandas: ordered categoricals) over `STATUS_NAMES` and `ANSWER_NAMES`;
other numbers float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from alliance_sim.core.dynamics import ANSWER_NAMES, STATUS_NAMES
from alliance_sim.core.trace import Trace

LABEL = pa.dictionary(pa.int32(), pa.string())
"""A string column with few distinct values (member, month, ...)."""

STATUS = pa.dictionary(pa.int8(), pa.string(), ordered=True)
"""A status column: an ordered dictionary over `STATUS_NAMES`."""

ANSWER = STATUS
"""An answer column: an ordered dictionary over `ANSWER_NAMES` (the same Arrow type as a status)."""

STATUS_DTYPE = pd.CategoricalDtype(list(STATUS_NAMES), ordered=True)
"""pandas type of a status column."""

ANSWER_DTYPE = pd.CategoricalDtype(list(ANSWER_NAMES), ordered=True)
"""pandas type of an answer column."""

KEYS: dict[str, pa.DataType] = {
    "run_id": pa.int64(),
    "point": pa.int64(),
    "replicate": pa.int32(),
    "seed": pa.uint64(),
    "step": pa.int32(),
    "steps": pa.int32(),
    "month": LABEL,
    "member": LABEL,
}
"""Types of the key columns, the same in every table."""

SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "runs": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "seed")},
        "status": LABEL,
        "error": pa.string(),
        "seconds": pa.float64(),
        "engine": LABEL,
    },
    "outcomes": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "member", "steps")},
        "final_status": STATUS,
        "step_disengaged": pa.int32(),
        "month_disengaged": LABEL,
        "step_withdrawn": pa.int32(),
        "month_withdrawn": LABEL,
    },
    "alliance": {k: KEYS[k] for k in ("run_id", "point", "replicate")},
    "timeseries": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "step", "month", "member")},
        "status": STATUS,
    },
    "alliance_monthly": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "step", "month")},
        "members_active": pa.int32(),
        "members_disengaged": pa.int32(),
        "members_withdrawn": pa.int32(),
    },
    "trust": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "step", "month")},
        "observer": LABEL,
        "ally": LABEL,
    },
    "events": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate", "step", "month")},
        "request": pa.int32(),
        "event": pa.string(),
        "kind": LABEL,
        "target": LABEL,
        "source": LABEL,
        "requester": LABEL,
        "answer": ANSWER,
        "replayed": pa.bool_(),
        "note": pa.string(),
    },
    "answers": {
        **{k: KEYS[k] for k in ("run_id", "point", "replicate")},
        "request": pa.int32(),
        "ally": LABEL,
        "answer": ANSWER,
    },
}
"""Declared column types of each table; other key columns as `KEYS`, any other column float64."""

EVENT_COLUMNS = [
    "replicate",
    "request",
    "step",
    "month",
    "event",
    "kind",
    "target",
    "source",
    "severity",
    "requester",
    "answer",
    "replayed",
    "note",
]
"""Columns of a run's event log (`RunResult.events`)."""

ANSWER_COLUMNS = ["replicate", "request", "ally", "answer"]
"""Columns of a run's answers table (`RunResult.answers`)."""


def schema(table: str, columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of `table` with these columns (undeclared ones are float64)."""
    declared = SCHEMAS[table]
    return pa.schema([pa.field(c, declared.get(c) or KEYS.get(c) or pa.float64()) for c in columns])


def _ordered_dtype(column: str) -> pd.CategoricalDtype:
    """The ordered categories of a column: answers for `answer`, statuses otherwise."""
    return ANSWER_DTYPE if column == "answer" else STATUS_DTYPE


def to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    """A frame as an Arrow table with the declared schema of `table`."""
    frame = frame.copy(deep=False)
    for name, kind in SCHEMAS[table].items():
        if name not in frame.columns:
            continue
        if pa.types.is_dictionary(kind) and kind.ordered:
            frame[name] = pd.Categorical(frame[name], dtype=_ordered_dtype(name))
        elif pa.types.is_dictionary(kind) and frame.empty:
            frame[name] = frame[name].astype(object)  # an empty column is float64 by default: a run with no requests
    return pa.Table.from_pandas(frame, schema=schema(table, list(frame.columns)), preserve_index=False, nthreads=1)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas: labels as categoricals, statuses and answers ordered ones.

    The categories of a label column are the values it holds, sorted (months in calendar
    order), so a table has the same types however its rows were cut into chunks. `step_disengaged`,
    `step_withdrawn` and `request` become nullable integers (empty: never).
    """
    frame = table.to_pandas()
    for field in table.schema:
        if not pa.types.is_dictionary(field.type):
            continue
        if field.type.ordered:
            frame[field.name] = frame[field.name].astype(_ordered_dtype(field.name))
        else:
            frame[field.name] = _used_sorted(frame[field.name])
    for column in ("step_disengaged", "step_withdrawn", "request"):
        if column in frame.columns:
            frame[column] = frame[column].astype("Int32")
    return frame


def _used_sorted(column: pd.Series) -> pd.Series:
    """A categorical column with only the categories it uses, sorted.

    The same as ``remove_unused_categories`` then ``set_categories(sorted(...))``, without
    the sort of every code that ``remove_unused_categories`` makes (a count per category
    instead: a run's trust table has half a million rows).
    """
    codes = column.cat.codes.to_numpy()
    categories = column.cat.categories
    counts = np.bincount(codes[codes >= 0], minlength=len(categories))
    return column.cat.set_categories(sorted(categories[counts[: len(categories)] > 0]))


# --- From traces to tables ---------------------------------------------------------------


def _first(hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First step where `hit` holds, along axis 0, and whether it ever does."""
    return hit.argmax(axis=0), hit.any(axis=0)


def _coded(codes: np.ndarray, names: Sequence[str] | np.ndarray) -> pd.Categorical:
    """A label column from codes into distinct names (cheaper than a column of strings)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(np.asarray(names, dtype=object), dtype=object))


def _labels(values: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(values.astype(np.int8), categories=list(names), ordered=True)


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
        data["final_status"] = _labels(status[-1].reshape(-1), STATUS_NAMES)
    for name, hit in (("disengaged", status >= 1), ("withdrawn", status == 2)):
        if name not in outcomes:
            continue
        first, ever = _first(hit)
        first, ever = first.reshape(-1), ever.reshape(-1)
        steps_at = np.asarray(np.where(ever, first, 0), dtype=np.int32)
        data[f"step_{name}"] = pd.arrays.IntegerArray(steps_at, mask=~ever)
        data[f"month_{name}"] = np.asarray(np.where(ever, months[first], None), dtype=object)
    trust = trace.members["trust_in_hegemon"]
    pressure = trace.members["pressure"]
    with np.errstate(invalid="ignore"):
        if "min_trust_in_hegemon" in outcomes:
            data["min_trust_in_hegemon"] = _nanmin(trust).reshape(-1)
        if "final_trust_in_hegemon" in outcomes:
            data["final_trust_in_hegemon"] = trust[-1].reshape(-1)
        if "final_pressure" in outcomes:
            data["final_pressure"] = pressure[-1].reshape(-1)
        if "max_pressure" in outcomes:
            data["max_pressure"] = np.max(pressure, axis=0).reshape(-1)
    return pd.DataFrame(data)


def _nanmin(values: np.ndarray) -> np.ndarray:
    """Minimum over steps, NaN where every step is NaN (no warning)."""
    empty = np.isnan(values).all(axis=0)
    return np.where(empty, np.nan, np.min(np.where(np.isnan(values), np.inf, values), axis=0))


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


def kept_steps(steps: int, stride: int) -> np.ndarray:
    """Every `stride`-th step from 0, and the last."""
    kept = np.arange(0, steps, stride)
    if kept[-1] != steps - 1:
        kept = np.append(kept, steps - 1)
    return kept


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
    kept = kept_steps(steps, stride)
    k = kept.size
    data: dict[str, object] = {
        "run_id": np.repeat(run_ids.astype(np.int64), k * m),
        "point": np.repeat(points.astype(np.int64), k * m),
        "replicate": np.repeat(replicates.astype(np.int32), k * m),
        "step": np.tile(np.repeat(kept.astype(np.int32), m), runs),
        "month": _coded(np.tile(np.repeat(np.arange(k), m), runs), months[kept]),
        "member": _coded(np.tile(np.arange(m), runs * k), members),
    }
    for name in quantities:
        # (k, R, m) -> (R, k, m): run-major, then step, then member
        values = np.swapaxes(trace.members[name][kept], 0, 1).reshape(-1)
        data[name] = _labels(values, STATUS_NAMES) if name == "status" else values
    return pd.DataFrame(data)


def alliance_monthly(
    trace: Trace, months: np.ndarray, run_ids: np.ndarray, points: np.ndarray, replicates: np.ndarray
) -> pd.DataFrame:
    """Per-month alliance metrics of a block of runs, one row per run and step."""
    status = np.swapaxes(trace.members["status"], 0, 1)  # (R, steps, m)
    trust = np.swapaxes(trace.members["trust_in_hegemon"], 0, 1)
    runs, steps, _ = status.shape
    mean_trust = np.full((runs, steps), np.nan)
    present = ~np.isnan(trust).all(axis=-1)
    with np.errstate(invalid="ignore"):
        mean_trust[present] = np.nanmean(trust[present], axis=-1)
    return pd.DataFrame(
        {
            "run_id": np.repeat(run_ids.astype(np.int64), steps),
            "point": np.repeat(points.astype(np.int64), steps),
            "replicate": np.repeat(replicates.astype(np.int32), steps),
            "step": np.tile(np.arange(steps, dtype=np.int32), runs),
            "month": _coded(np.tile(np.arange(steps), runs), months),
            "war_load": np.swapaxes(trace.war_load, 0, 1).reshape(-1),
            "cohesion": np.mean(status == 0, axis=-1).reshape(-1),
            "members_active": np.sum(status == 0, axis=-1).astype(np.int32).reshape(-1),
            "members_disengaged": np.sum(status == 1, axis=-1).astype(np.int32).reshape(-1),
            "members_withdrawn": np.sum(status == 2, axis=-1).astype(np.int32).reshape(-1),
            "mean_trust_in_hegemon": mean_trust.reshape(-1),
        }
    )


def trust_rows(
    trust: np.ndarray,
    members: Sequence[str],
    months: np.ndarray,
    run_ids: np.ndarray,
    points: np.ndarray,
    replicates: np.ndarray,
) -> pd.DataFrame:
    """The trust matrix of a block of runs, one row per run, step, observer and ally (no diagonal)."""
    steps, runs, m, _ = trust.shape
    observer, ally = np.nonzero(~np.eye(m, dtype=bool))
    pairs = observer.size
    names = np.asarray(members, dtype=object)
    values = np.swapaxes(trust[:, :, observer, ally], 0, 1)  # (R, steps, pairs)
    return pd.DataFrame(
        {
            "run_id": np.repeat(run_ids.astype(np.int64), steps * pairs),
            "point": np.repeat(points.astype(np.int64), steps * pairs),
            "replicate": np.repeat(replicates.astype(np.int32), steps * pairs),
            "step": np.tile(np.repeat(np.arange(steps, dtype=np.int32), pairs), runs),
            "month": _coded(np.tile(np.repeat(np.arange(steps), pairs), runs), months),
            "observer": _coded(np.tile(observer, steps * runs), names),
            "ally": _coded(np.tile(ally, steps * runs), names),
            "trust": values.reshape(-1),
        }
    )


def event_rows(logs: Sequence[tuple[int, int, int, Sequence[dict[str, Any]]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mesa models' event logs as two tidy tables: the events, and each ally's answer to each request.

    Args:
        logs: (run id, point, replicate, event log) of each run.

    Returns:
        The events (requests numbered from 0 within each run in `request`, empty for
        other events) and the answers (one row per request and ally that answered).
    """
    events: dict[str, list[Any]] = {c: [] for c in ("run_id", "point", *EVENT_COLUMNS)}
    answers: dict[str, list[Any]] = {c: [] for c in ("run_id", "point", *ANSWER_COLUMNS)}
    for run_id, point, replicate, log in logs:
        request = 0
        for entry in log:
            answer = str(entry.get("answer") or "")
            is_request = entry.get("kind") == "request"
            row = {
                **entry,
                "run_id": run_id,
                "point": point,
                "replicate": replicate,
                "replayed": answer.endswith(" (replayed)"),
                "answer": answer.removesuffix(" (replayed)") or None,
                "request": request if is_request else None,
            }
            for column, values in events.items():
                values.append(row.get(column))
            if is_request:
                for vote in str(entry.get("votes") or "").split():
                    ally, _, level = vote.rpartition(":")
                    for column, value in zip(answers, (run_id, point, replicate, request, ally, level), strict=True):
                        answers[column].append(value)
                request += 1
    frame = pd.DataFrame(events)
    frame["request"] = frame["request"].astype("Int32")
    return frame, pd.DataFrame(answers)


def ensemble_event_rows(
    events: dict[str, np.ndarray],
    answers: dict[str, np.ndarray],
    run_ids: np.ndarray,
    points: np.ndarray,
    replicates: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ensemble's event log (`alliance_sim.core.ensemble.EventLog.columns`) as the two tables of `event_rows`.

    Args:
        events: The log's event columns; `replicate` is the position in the block.
        answers: The log's answer columns, likewise.
        run_ids: Run id of each replicate in the block, shape (R,).
        points: Design point of each, shape (R,).
        replicates: Replicate index of each, shape (R,).

    Returns:
        The events and the answers, with the columns and order `event_rows` gives the
        Mesa engine's logs of the same runs.
    """
    at = events["replicate"].astype(np.intp)
    request = events["request"]
    frame = pd.DataFrame(
        {
            "run_id": run_ids[at].astype(np.int64),
            "point": points[at].astype(np.int64),
            "replicate": replicates[at].astype(np.int64),
            "request": pd.arrays.IntegerArray(np.maximum(request, 0).astype(np.int32), mask=request < 0),
            **{c: events[c] for c in EVENT_COLUMNS[2:]},
        }
    )
    at = answers["replicate"].astype(np.intp)
    table = pd.DataFrame(
        {
            "run_id": run_ids[at].astype(np.int64),
            "point": points[at].astype(np.int64),
            "replicate": replicates[at].astype(np.int64),
            "request": answers["request"].astype(np.int64),
            "ally": answers["ally"],
            "answer": answers["answer"],
        }
    )
    return frame, table
