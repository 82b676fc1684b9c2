"""The terminal summaries of a sweep: probabilities by design point, survival, sensitivity."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _interval(row: pd.Series, what: str) -> str:
    return f"{row[what]:.2f} [{row[f'{what}_low']:.2f}-{row[f'{what}_high']:.2f}]"


def _value(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def format_probabilities(
    table: pd.DataFrame, parameters: list[str], kind: str, members: list[str], outcomes: list[str]
) -> str:
    """Probabilities as text: a matrix per member for a two-parameter grid, else a table or a digest."""
    table = table[table["member"].isin(members)]
    lines = []
    if kind == "grid" and len(parameters) == 2:
        rows_name, cols_name = parameters
        for what in outcomes:
            never = [m for m in members if float(table.loc[table["member"] == m, what].max()) == 0.0]
            for member in members:
                if member in never:
                    continue
                part = table[table["member"] == member]
                matrix = part.pivot_table(index=rows_name, columns=cols_name, values=what, aggfunc="first")
                lines.append(f"{what.replace('p_', 'P(')}) for {member}: rows {rows_name}, columns {cols_name}")
                header = " " * 10 + "".join(f"{_value(c):>9}" for c in matrix.columns)
                lines.append(header)
                for index, values in matrix.iterrows():
                    lines.append(f"{_value(index):>10}" + "".join(f"{v:>9.2f}" for v in values))
                lines.append("")
            if never:
                lines.append(f"{what.replace('p_', 'P(')}) is 0 at every point for: {', '.join(never)}")
                lines.append("")
        lines.append(
            f"replicates per point: {int(table['replicates'].min())} (95% Wilson intervals in "
            "analysis/probabilities.csv)"
        )
        return "\n".join(lines).rstrip()
    points = table["point"].nunique()
    if points * len(members) <= 60:
        width = max(len(m) for m in members) + 2
        sizes = [max(len(p), 8) for p in parameters]
        head = f"{'point':>6}  " + "  ".join(f"{p:>{n}}" for p, n in zip(parameters, sizes, strict=True))
        head += f"  {'member':<{width}}" + "".join(f"{w.replace('p_', 'P(') + ') [95% CI]':<24}" for w in outcomes)
        lines.append(head)
        for _, row in table.iterrows():
            text = f"{int(row['point']):>6}  " + "  ".join(
                f"{_value(row[p]):>{n}}" for p, n in zip(parameters, sizes, strict=True)
            )
            text += f"  {row['member']:<{width}}" + "".join(f"{_interval(row, w):<24}" for w in outcomes)
            lines.append(text)
        return "\n".join(lines)
    lines.append(f"over {points} design points (full table in analysis/probabilities.csv):")
    lines.append(f"{'member':<14}{'outcome':<14}{'min':>7}{'median':>8}{'max':>7}  mean replicates")
    for member in members:
        part = table[table["member"] == member]
        for what in outcomes:
            values = part[what]
            lines.append(
                f"{member:<14}{what:<14}{values.min():>7.2f}{values.median():>8.2f}{values.max():>7.2f}"
                f"  {part['replicates'].mean():.0f}"
            )
    return "\n".join(lines)


def format_survival(result: Any, members: list[str]) -> str:
    """Kaplan-Meier share still in the alliance at the horizon, pooled over the sweep."""
    lines = ["Kaplan-Meier: share of runs still a full member / not withdrawn at the horizon (all points)"]
    ends = {}
    for event in ("disengaged", "withdrawn"):
        curves = result.survival(event, by_point=False)
        last = curves.sort_values("step").groupby("member").tail(1).set_index("member")
        ends[event] = last
    lines.append(f"{'member':<14}{'not disengaged [95% CI]':<26}{'not withdrawn [95% CI]':<26}")
    for member in members:
        cells = []
        for event in ("disengaged", "withdrawn"):
            row = ends[event].loc[member]
            cells.append(f"{row['survival']:.2f} [{row['low']:.2f}-{row['high']:.2f}]")
        lines.append(f"{member:<14}{cells[0]:<26}{cells[1]:<26}")
    return "\n".join(lines)


def format_sensitivity(table: pd.DataFrame, kind: str, members: list[str], outcomes: list[str]) -> str:
    """Sensitivity indices as text, one block per member and outcome, largest first."""
    if table.empty:
        return "sensitivity: no member's probabilities vary over the design"
    first, second = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    lines = [
        f"Sensitivity ({kind}): {first} and {second} with 95% half-widths; the noise floor is what "
        "replicate noise alone would give; * marks an index whose interval reaches the floor"
    ]
    for member in members:
        for what in outcomes:
            part = table[(table["member"] == member) & (table["outcome"] == what)]
            if part.empty:
                continue
            cell = {(r.parameter, r.index): (r.value, r.conf) for r in part.itertuples()}
            order = sorted(
                {r.parameter for r in part.itertuples()},
                key=lambda p: -cell.get((p, second if kind == "sobol" else first), (0.0, 0.0))[0],
            )
            floor = float(part["noise_floor"].iloc[0])
            lines.append("")
            if kind == "sobol" and floor >= 0.5:
                lines.append(
                    f"{member}, {what}: barely varies over the design; replicate noise alone explains "
                    f"{min(floor, 1.0):.0%} of its variance, so no index is meaningful"
                )
                continue
            lines.append(f"{member}, {what} (noise floor {floor:.3f})")
            lines.append(f"  {'parameter':<44}{first:>16}{second:>16}")
            for parameter in order:
                texts = []
                for index in (first, second):
                    value, conf = cell.get((parameter, index), (float("nan"), float("nan")))
                    weak = index in ("ST", "mu_star") and value - (conf if conf == conf else 0.0) <= floor
                    texts.append(f"{value:.3f}" + (f"±{conf:.3f}" if conf == conf else "") + ("*" if weak else " "))
                lines.append(f"  {str(parameter)[-44:]:<44}{texts[0]:>16}{texts[1]:>16}")
    return "\n".join(lines)
