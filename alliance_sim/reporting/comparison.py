"""Scenarios side by side as a table: probabilities, timing and differences from the baseline.

The first result is the baseline. For each other scenario, member and outcome the table
gives the difference of probabilities from the baseline with a 95% interval by
Newcombe's hybrid score method (his method 10: the two Wilson intervals combined), which
behaves at 0 and 1 where the plain Wald interval does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import hegemon, member_order, scenario_name
from alliance_sim.runs.statistics import defection_table

COLUMNS = [
    "scenario",
    "member",
    "outcome",
    "replicates",
    "p",
    "p_low",
    "p_high",
    "median_month",
    "difference",
    "difference_low",
    "difference_high",
]
"""Columns of `comparison_table`."""


def newcombe_difference(
    p1: float, low1: float, high1: float, p0: float, low0: float, high0: float
) -> tuple[float, float, float]:
    """Difference p1 - p0 of two independent proportions with its 95% hybrid score interval.

    Args:
        p1: The what-if's proportion, with its Wilson interval `low1`, `high1`.
        low1: Lower bound of p1's interval.
        high1: Upper bound of p1's interval.
        p0: The baseline's proportion, with its Wilson interval `low0`, `high0`.
        low0: Lower bound of p0's interval.
        high0: Upper bound of p0's interval.

    Returns:
        The difference and its lower and upper bounds.
    """
    d = p1 - p0
    low = d - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2)
    high = d + math.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2)
    return d, max(low, -1.0), min(high, 1.0)


def comparison_table(
    results: Sequence[Any], labels: Sequence[str] | None = None, *, members: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each scenario's probabilities and median months, and differences from the first.

    Args:
        results: One or more `RunResult`s, the baseline first.
        labels: Names of the scenarios (default: their scenario names).
        members: Members to show (default: the baseline's members but its hegemon).

    Returns:
        One row per scenario, member and outcome (`COLUMNS`); the baseline's rows have a
        difference of 0 with no interval.
    """
    if not results:
        raise InputError("compare needs at least one result")
    names = list(labels) if labels else [scenario_name(r) for r in results]
    if len(names) != len(results):
        raise InputError(f"{len(names)} labels for {len(results)} results", field="label")
    base = results[0]
    order = member_order(base)
    if members:
        unknown = [m for m in members if m not in order]
        if unknown:
            raise InputError(f"unknown member {unknown[0]!r} (members: {', '.join(order)})", field="member")
        shown = [m for m in order if m in members]
    else:
        shown = [m for m in order if m != hegemon(base)]
    tables = [defection_table(r.runs, member_order(r)).set_index("member") for r in results]
    rows = []
    for outcome in ("disengaged", "withdrawn"):
        for member in shown:
            reference = tables[0].loc[member] if member in tables[0].index else None
            for name, table in zip(names, tables, strict=True):
                if member not in table.index:
                    continue
                row = table.loc[member]
                p, low, high = (float(row[f"p_{outcome}{s}"]) for s in ("", "_low", "_high"))
                entry = {
                    "scenario": name,
                    "member": member,
                    "outcome": outcome,
                    "replicates": int(row["replicates"]),
                    "p": p,
                    "p_low": low,
                    "p_high": high,
                    "median_month": row[f"median_month_{outcome}"] or None,
                    "difference": math.nan,
                    "difference_low": math.nan,
                    "difference_high": math.nan,
                }
                if reference is not None and table is tables[0]:
                    entry["difference"] = 0.0
                elif reference is not None:
                    base_p = [float(reference[f"p_{outcome}{s}"]) for s in ("", "_low", "_high")]
                    d, d_low, d_high = newcombe_difference(p, low, high, *base_p)
                    entry.update(difference=d, difference_low=d_low, difference_high=d_high)
                rows.append(entry)
    return pd.DataFrame(rows, columns=COLUMNS)


def format_comparison(table: pd.DataFrame) -> str:
    """The comparison table as text, one block per outcome."""
    if table.empty:
        return "nothing to compare"
    scenarios = list(dict.fromkeys(table["scenario"]))
    width = max(len("member"), *(len(str(m)) for m in table["member"])) + 2
    swidth = max(len("scenario"), *(len(s) for s in scenarios)) + 2
    lines = [f"baseline: {scenarios[0]}; difference = scenario - baseline (95% Newcombe interval)"]
    for outcome, part in table.groupby("outcome", sort=False):
        lines.append("")
        lines.append(
            f"{'member':<{width}}{'scenario':<{swidth}}{f'P({outcome}) [95% CI]':<24}{'median month':<14}"
            "difference [95% CI]"
        )
        for _, row in part.iterrows():
            probability = f"{row['p']:.3f} [{row['p_low']:.3f}-{row['p_high']:.3f}]"
            if row["scenario"] == scenarios[0] or math.isnan(row["difference_low"]):
                difference = "(baseline)" if row["scenario"] == scenarios[0] else "-"
            else:
                difference = f"{row['difference']:+.3f} [{row['difference_low']:+.3f} to {row['difference_high']:+.3f}]"
            lines.append(
                f"{row['member']:<{width}}{row['scenario']:<{swidth}}{probability:<24}"
                f"{row['median_month'] or '-':<14}{difference}"
            )
    lines.append("")
    lines.append(
        "P(...) = share of replicates in which the member disengaged (or withdrew) within the horizon; "
        "median month = when it first happened, among those replicates."
    )
    return "\n".join(lines)
