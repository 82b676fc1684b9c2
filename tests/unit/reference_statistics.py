"""The hand-written loops the statistics module used before it moved to array operations
and `scipy.stats.ecdf`: kept here as references the library versions must agree with."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alliance_sim.runs.statistics import Z95, wilson


def loop_defection_table(runs: pd.DataFrame, members: list[str] | None = None) -> pd.DataFrame:
    """Per member: probability of disengaging and of withdrawing, with 95% Wilson intervals.

    Args:
        runs: The per-run table (`RunResult.runs`): one row per replicate and member with
            `step_disengaged` and `step_withdrawn` (NaN when it never happened),
            `month_disengaged`, `month_withdrawn` and `final_status`. Extra key columns
            (such as `point`) are kept as groups.
        members: Order of the members in the output (default: order of appearance).

    Returns:
        One row per member (and group) with `replicates`, `p_disengaged`,
        `p_disengaged_low`, `p_disengaged_high`, `median_month_disengaged`, the same for
        withdrawn, and the share of replicates ending in each status.
    """
    groups = [c for c in ("point",) if c in runs.columns] + ["member"]
    rows = []
    for key, part in runs.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        n = len(part)
        row = dict(zip(groups, key, strict=True))
        row["replicates"] = n
        for what in ("disengaged", "withdrawn"):
            happened = part[f"step_{what}"].notna()
            k = int(happened.sum())
            low, high = wilson(k, n)
            row[f"p_{what}"] = k / n
            row[f"p_{what}_low"] = float(low)
            row[f"p_{what}_high"] = float(high)
            row[f"median_month_{what}"] = _median_month(part.loc[happened, f"month_{what}"])
        for status in ("member", "disengaged", "withdrawn"):
            row[f"final_{status}"] = float((part["final_status"] == status).mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    if members is not None and not table.empty:
        order = {m: i for i, m in enumerate(members)}
        table = table.sort_values(
            [c for c in ("point",) if c in table.columns] + ["member"],
            key=lambda s: s.map(order) if s.name == "member" else s,
            kind="stable",
        ).reset_index(drop=True)
    return table


def _median_month(months: pd.Series) -> str:
    """Median of `YYYY-MM` labels (the lower median), or empty when there are none."""
    values = sorted(months.dropna())
    if not values:
        return ""
    return values[(len(values) - 1) // 2]


def loop_kaplan_meier(runs: pd.DataFrame, event: str = "withdrawn", horizon: int | None = None) -> pd.DataFrame:
    """Kaplan-Meier estimate of staying in the alliance, per member.

    Every replicate is followed from step 0 to the horizon; the time to `event` is the
    first step with that status (runs where it never happens are censored at the horizon).

    Args:
        runs: The per-run table (see `defection_table`).
        event: `disengaged` (first step disengaged or withdrawn) or `withdrawn`.
        horizon: Last step (default: the largest `steps` in the table).

    Returns:
        Columns `member` (and `point` if present), `step`, `at_risk`, `events`,
        `survival`, `low`, `high` (Greenwood 95% interval, log-log transformed).
    """
    groups = [c for c in ("point",) if c in runs.columns] + ["member"]
    if horizon is None:
        horizon = int(runs["steps"].max())
    rows = []
    for key, part in runs.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        times = part[f"step_{event}"].to_numpy(dtype=float)
        survival, variance_sum = 1.0, 0.0
        for step in range(horizon + 1):
            at_risk = int(np.sum(~(times < step)))
            events = int(np.sum(times == step))
            if at_risk > 0 and events > 0:
                survival *= 1.0 - events / at_risk
                if at_risk > events:
                    variance_sum += events / (at_risk * (at_risk - events))
            low, high = _loglog_interval(survival, variance_sum)
            rows.append(
                {
                    **dict(zip(groups, key, strict=True)),
                    "step": step,
                    "at_risk": at_risk,
                    "events": events,
                    "survival": survival,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def _loglog_interval(survival: float, variance_sum: float) -> tuple[float, float]:
    if survival <= 0.0 or survival >= 1.0 or variance_sum <= 0.0:
        return survival, survival
    log_s = math.log(survival)
    se = math.sqrt(variance_sum) / abs(log_s)
    return survival ** math.exp(Z95 * se), survival ** math.exp(-Z95 * se)
