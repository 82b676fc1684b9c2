"""Run figures of each member's state over time: trajectories and status timelines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import (
    colours_of,
    display_name,
    hegemon_note,
    require,
    run_subtitle,
    scenario_of,
    shown_members,
)
from alliance_sim.reporting.figures.style import (
    FONT,
    LEGEND_ROW,
    QUANTITY_LABELS,
    SMALL,
    STATUS_COLOURS,
    STATUS_ORDER,
    STRIP_ROW,
    WIDTH,
    colour_labels,
    figure_title,
    legend_row,
    new_figure,
    style_axes,
)
from alliance_sim.reporting.figures.timeline import (
    date_axis,
    event_key,
    event_strip,
    mark_events,
    scripted_events,
    start_month,
    step_dates,
    time_figure_height,
    time_limits,
)


def quantile_bands(members: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """Per member and step: the 5%, 25%, 50%, 75% and 95% quantiles across replicates.

    Args:
        members: The member table.
        quantity: A numeric column of it.

    Returns:
        Columns `member`, `step`, `q05`, `q25`, `q50`, `q75`, `q95`.
    """
    grouped = members.groupby(["member", "step"], sort=False)[quantity]
    table = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    table.columns = ["q05", "q25", "q50", "q75", "q95"]
    return table.reset_index()


def trajectories_figure(
    result: Any,
    *,
    members: Sequence[str] | None = None,
    quantities: Sequence[str] = ("trust_in_hegemon", "pressure"),
) -> Figure:
    """Trajectories per member: median across replicates with 50% and 90% bands.

    One row per member, one column per quantity; dotted lines mark the scripted events,
    numbered in the strip on top and listed under the figure. In the pressure column,
    dashed lines show the thresholds of disengaging and of withdrawing.

    Args:
        result: A `RunResult`.
        members: Members to show (default: all but the hegemon).
        quantities: Columns of the member table (default: trust in the hegemon, pressure).
    """
    table = require(result.members, ["member", "step", *quantities], "members")
    shown = shown_members(result, members)
    colours = colours_of(result)
    entries = scripted_events(result)
    start = start_month(result)
    xlim = time_limits(result)
    rows = len(shown)
    fig = new_figure(time_figure_height([LEGEND_ROW, STRIP_ROW] + [1.55] * rows, entries))
    grid = fig.add_gridspec(rows + 2, len(quantities), height_ratios=[LEGEND_ROW, STRIP_ROW] + [1.55] * rows)
    status = (scenario_of(result).get("model") or {}).get("status") or {}
    for c, quantity in enumerate(quantities):
        bands = quantile_bands(table, quantity)
        strip = fig.add_subplot(grid[1, c])
        event_strip(strip, entries, xlim, 0.8 * WIDTH / len(quantities))
        strip.set_title(QUANTITY_LABELS.get(quantity, quantity), fontsize=FONT, fontweight="bold")
        first = None
        for r, member in enumerate(shown):
            ax = fig.add_subplot(grid[r + 2, c], sharex=strip, sharey=first)
            first = first or ax
            style_axes(ax)
            part = bands[bands["member"] == member].sort_values("step")
            x = step_dates(start, part["step"].to_numpy())
            colour = colours[member]
            ax.fill_between(
                x, part["q05"], part["q95"], color=colour, alpha=0.15, linewidth=0, gid=f"band90:{quantity}:{member}"
            )
            ax.fill_between(
                x, part["q25"], part["q75"], color=colour, alpha=0.35, linewidth=0, gid=f"band50:{quantity}:{member}"
            )
            ax.plot(x, part["q50"], color=colour, linewidth=2.2, gid=f"median:{quantity}:{member}")
            if quantity == "pressure":
                for name in ("disengage", "withdraw"):
                    if name in status:
                        ax.axhline(status[name], color="#777777", linestyle="--", linewidth=0.9)
                        ax.text(
                            1.0,
                            status[name],
                            f" {name}",
                            transform=ax.get_yaxis_transform(),
                            fontsize=SMALL - 2,
                            color="#555555",
                            va="center",
                            ha="left",
                        )
            if c == 0:
                ax.set_ylabel(display_name(result, member), fontsize=FONT, color=colour, fontweight="bold")
            if r < rows - 1:
                ax.tick_params(labelbottom=False)
            mark_events([ax], entries)
        if quantity == "trust_in_hegemon" and first is not None:
            first.set_ylim(0, 1)
    for ax in fig.axes:
        if ax.axison:
            date_axis(ax)
    legend_row(
        fig.add_subplot(grid[0, :]),
        [
            Line2D([], [], color="#333333", linewidth=2.2, label="median of replicates"),
            Patch(color="#333333", alpha=0.45, label="50% of replicates"),
            Patch(color="#333333", alpha=0.18, label="90% of replicates"),
        ],
    )
    event_key(fig, entries)
    figure_title(
        fig,
        "Trust in the hegemon and pressure to leave, by member",
        run_subtitle(result, hegemon_note(result, members)),
    )
    return fig


def status_shares(members: pd.DataFrame) -> pd.DataFrame:
    """Per member and step: the share of replicates in each status.

    Returns:
        Columns `member`, `step`, `share_member`, `share_disengaged`, `share_withdrawn`.
    """
    counts = pd.crosstab([members["member"], members["step"]], members["status"], normalize="index")
    for status in STATUS_ORDER:
        if status not in counts.columns:
            counts[status] = 0.0
    counts = counts[list(STATUS_ORDER)].add_prefix("share_")
    return counts.reset_index()


def status_figure(result: Any, *, members: Sequence[str] | None = None, replicate: int | None = None) -> Figure:
    """Status timelines.

    With one replicate, or when `replicate` is given: a bar per member coloured by its
    status month by month. With many: per member, the share of replicates in each status
    by month, stacked.

    Args:
        result: A `RunResult`.
        members: Members to show (default: all but the hegemon).
        replicate: Show this replicate alone.
    """
    table = require(result.members, ["member", "step", "status", "replicate"], "members")
    shown = shown_members(result, members)
    colours = colours_of(result)
    entries = scripted_events(result)
    start = start_month(result)
    xlim = time_limits(result)
    single = replicate is not None or result.replicates == 1
    if single:
        replicate = int(replicate if replicate is not None else table["replicate"].min())
        if replicate not in set(table["replicate"]):
            raise InputError(f"no replicate {replicate} (replicates 0 to {result.replicates - 1})", field="replicate")
    rows = [0.45 + 0.5 * len(shown)] if single else [1.25] * len(shown)
    heights = [LEGEND_ROW, STRIP_ROW, *rows]
    fig = new_figure(time_figure_height(heights, entries))
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    legend_row(fig.add_subplot(grid[0, 0]), [Patch(color=STATUS_COLOURS[s], label=s) for s in STATUS_ORDER])
    strip = fig.add_subplot(grid[1, 0])
    event_strip(strip, entries, xlim, 0.85 * WIDTH)
    if single:
        ax = fig.add_subplot(grid[2, 0], sharex=strip)
        style_axes(ax)
        ax.grid(False)
        part = table[table["replicate"] == replicate]
        for r, member in enumerate(shown):
            rows_m = part[part["member"] == member].sort_values("step")
            x = step_dates(start, rows_m["step"].to_numpy())
            # The status recorded at step s holds for month s - 1: from x[s-1] to x[s].
            for status in STATUS_ORDER:
                spans = [(x[i - 1], x[i] - x[i - 1]) for i in range(1, len(x)) if rows_m["status"].iloc[i] == status]
                if spans:
                    ax.broken_barh(
                        [(mdates.date2num(a), float(w / np.timedelta64(1, "D"))) for a, w in spans],
                        (r - 0.38, 0.76),
                        facecolors=STATUS_COLOURS[status],
                        gid=f"status:{member}:{status}",
                    )
        ax.set_yticks(range(len(shown)), [display_name(result, m) for m in shown], fontsize=FONT)
        colour_labels(ax.get_yticklabels(), shown, colours)
        ax.set_ylim(len(shown) - 0.5, -0.5)
        mark_events([ax], entries)
        what = f"Status by month, replicate {replicate}"
    else:
        shares = status_shares(table)
        for r, member in enumerate(shown):
            ax = fig.add_subplot(grid[r + 2, 0], sharex=strip)
            style_axes(ax)
            part = shares[shares["member"] == member].sort_values("step")
            x = step_dates(start, part["step"].to_numpy())
            bottom = np.zeros(len(part))
            for status in STATUS_ORDER:
                top = bottom + part[f"share_{status}"].to_numpy()
                # As in the bars: the status recorded at step s holds for month s - 1.
                ax.fill_between(
                    x,
                    bottom,
                    top,
                    step="pre",
                    color=STATUS_COLOURS[status],
                    linewidth=0,
                    gid=f"share:{member}:{status}",
                )
                bottom = top
            ax.set_ylim(0, 1)
            ax.set_yticks([0, 0.5, 1])
            ax.set_ylabel(display_name(result, member), fontsize=FONT, color=colours[member], fontweight="bold")
            if r < len(shown) - 1:
                ax.tick_params(labelbottom=False)
            mark_events([ax], entries)
        what = "Share of replicates in each status, by month"
    for ax in fig.axes:
        if ax.axison:
            date_axis(ax)
    event_key(fig, entries)
    figure_title(fig, what, run_subtitle(result, hegemon_note(result, members)))
    return fig
