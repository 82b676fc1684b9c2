"""Scenarios side by side: a baseline's defection probabilities and timing against what-ifs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.typing import LineStyleType

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import (
    colours_of,
    display_name,
    horizon_text,
    member_order,
    scenario_name,
    shown_members,
)
from alliance_sim.reporting.figures.style import FONT, SMALL, colour_labels, figure_title, new_figure, style_axes
from alliance_sim.reporting.figures.timeline import date_axis, start_month, step_dates
from alliance_sim.runs.statistics import defection_table, kaplan_meier

MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
LINESTYLES: tuple[LineStyleType, ...] = (
    "-",
    "--",
    ":",
    "-.",
    (0, (5, 1, 1, 1)),
    (0, (1, 3)),
    (0, (8, 3)),
    (0, (3, 1, 1, 1, 1, 1)),
)
"""Line style of each scenario in the survival panels, in the order of the results."""
SURVIVAL_ROW = 4.0
"""Height (inches) of the row of survival curves."""


def compare_figure(
    results: Sequence[Any], labels: Sequence[str] | None = None, *, members: Sequence[str] | None = None
) -> Figure:
    """Scenarios side by side: each member's defection probabilities and their timing.

    Top row: the probabilities of disengaging and of withdrawing within the horizon, the
    first result being the baseline (filled markers), the others what-ifs (open markers,
    one shape each). Bottom row: Kaplan-Meier curves of staying engaged and of staying a
    member, one line style per scenario, so a what-if that only delays a defection shows.
    Members keep their colours.

    Args:
        results: Two or more `RunResult`s, the baseline first.
        labels: Names of the scenarios (default: their scenario names).
        members: Members to show (default: all but the baseline's hegemon).
    """
    if len(results) < 1:
        raise InputError("compare needs at least one result")
    labels = list(labels) if labels else [scenario_name(r) for r in results]
    if len(labels) != len(results):
        raise InputError(f"{len(labels)} labels for {len(results)} results", field="labels")
    base = results[0]
    shown = shown_members(base, members)
    colours = colours_of(base)
    tables = [defection_table(r.runs, member_order(r)).set_index("member") for r in results]
    k = len(results)
    top = 2.8 + 0.45 * len(shown) * max(k, 2) ** 0.8
    fig = new_figure(top + SURVIVAL_ROW)
    grid = fig.add_gridspec(2, 2, height_ratios=[top, SURVIVAL_ROW])
    first = fig.add_subplot(grid[0, 0])
    axes = [first, fig.add_subplot(grid[0, 1], sharey=first)]
    axes[1].tick_params(labelleft=False)
    offsets = (np.arange(k) - (k - 1) / 2) * min(0.7 / max(k, 1), 0.22)
    for ax, what in zip(axes, ("disengaged", "withdrawn"), strict=True):
        style_axes(ax)
        for y, member in enumerate(shown):
            for s, table in enumerate(tables):
                if member not in table.index:
                    continue
                row = table.loc[member]
                p, low, high = row[f"p_{what}"], row[f"p_{what}_low"], row[f"p_{what}_high"]
                ax.errorbar(
                    [p],
                    [y + offsets[s]],
                    xerr=[[max(p - low, 0.0)], [max(high - p, 0.0)]],
                    fmt=MARKERS[s % len(MARKERS)],
                    color=colours[member],
                    markerfacecolor=colours[member] if s == 0 else "white",
                    markeredgewidth=1.8,
                    markersize=8,
                    elinewidth=2.0,
                    capsize=3,
                    gid=f"p:{what}:{member}:{s}",
                )
        for y in range(len(shown) - 1):
            ax.axhline(y + 0.5, color="#DDDDDD", linewidth=0.8)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.set_title(f"P({what} within {horizon_text(base)})", fontsize=FONT, fontweight="bold")
        ax.set_xlabel("probability (95% Wilson interval)", fontsize=FONT)
    axes[0].set_yticks(range(len(shown)), [display_name(base, m) for m in shown], fontsize=FONT)
    colour_labels(axes[0].get_yticklabels(), shown, colours)
    axes[0].set_ylim(len(shown) - 0.5, -0.5)
    _survival_row(fig, grid, results, shown, colours)
    handles = [
        Line2D(
            [],
            [],
            linestyle=LINESTYLES[s % len(LINESTYLES)],
            linewidth=1.6,
            marker=MARKERS[s % len(MARKERS)],
            markersize=9,
            color="#333333",
            markerfacecolor="#333333" if s == 0 else "white",
            markeredgewidth=1.8,
            label=f"{label} ({results[s].replicates} replicates)",
        )
        for s, label in enumerate(labels)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(k, 3), fontsize=SMALL, frameon=False)
    subtitle = " against ".join([labels[0], ", ".join(labels[1:])]) if k > 1 else labels[0]
    figure_title(
        fig, "Probability of defection: baseline against what-ifs" if k > 1 else "Probability of defection", subtitle
    )
    return fig


def _survival_row(fig: Figure, grid: Any, results: Sequence[Any], shown: list[str], colours: dict[str, str]) -> None:
    """Kaplan-Meier curves of each member in each scenario (line style: scenario)."""
    titles = {"disengaged": "Still engaged (not yet disengaged)", "withdrawn": "Still a member (not yet withdrawn)"}
    first = None
    for c, event in enumerate(("disengaged", "withdrawn")):
        ax = fig.add_subplot(grid[1, c], sharey=first, sharex=first)
        first = first or ax
        style_axes(ax)
        for s, result in enumerate(results):
            curves = kaplan_meier(result.runs, event=event)
            start = start_month(result)
            for member in shown:
                part = curves[curves["member"] == member].sort_values("step")
                if part.empty:
                    continue
                ax.step(
                    step_dates(start, part["step"].to_numpy()),
                    part["survival"],
                    where="post",
                    color=colours[member],
                    linestyle=LINESTYLES[s % len(LINESTYLES)],
                    linewidth=2.0,
                    gid=f"km:{event}:{member}:{s}",
                )
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(titles[event] + " (Kaplan-Meier)", fontsize=FONT, fontweight="bold")
        ax.set_ylabel("share of replicates" if c == 0 else "", fontsize=FONT)
        date_axis(ax)
