"""Run figures of defection: each member's probabilities and its Kaplan-Meier survival."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alliance_sim.reporting.figures.scenario import (
    colours_of,
    display_name,
    hegemon_note,
    member_order,
    run_subtitle,
    shown_members,
)
from alliance_sim.reporting.figures.style import (
    FONT,
    LEGEND_ROW,
    SMALL,
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
from alliance_sim.runs.statistics import defection_table, kaplan_meier


def probabilities_figure(result: Any, *, members: Sequence[str] | None = None) -> Figure:
    """Each member's probability of disengaging and of withdrawing, with 95% Wilson intervals.

    For a run that drew its parameters from a posterior, both interval kinds: the Monte
    Carlo (Wilson) interval as a thick bar and the posterior predictive one, which also
    covers what the evidence leaves open, as a thin bar with caps (its bounds printed).

    Args:
        result: A `RunResult`.
        members: Members to show (default: all but the hegemon).
    """
    shown = shown_members(result, members)
    predictive = bool(getattr(result, "predictive", False))
    table = (
        (result.summary() if predictive else defection_table(result.runs, member_order(result)))
        .set_index("member")
        .loc[shown]
    )
    colours = colours_of(result)
    fig = new_figure(2.4 + 0.62 * len(shown))
    axes = fig.subplots(1, 2, sharey=True)
    steps = (result.manifest or {}).get("steps") or int(result.runs["steps"].max())
    for ax, what in zip(axes, ("disengaged", "withdrawn"), strict=True):
        style_axes(ax)
        for y, member in enumerate(shown):
            row = table.loc[member]
            p, low, high = row[f"p_{what}"], row[f"p_{what}_low"], row[f"p_{what}_high"]
            if predictive:  # the posterior predictive interval, thin; the Monte Carlo one, thick
                ax.errorbar(
                    [p],
                    [y],
                    xerr=[[max(p - low, 0.0)], [max(high - p, 0.0)]],
                    fmt="none",
                    ecolor=colours[member],
                    elinewidth=1.2,
                    capsize=7,
                    alpha=0.8,
                    gid=f"pi:{what}:{member}",
                )
                mc_low, mc_high = row[f"p_{what}_mc_low"], row[f"p_{what}_mc_high"]
            else:
                mc_low, mc_high = low, high
            ax.errorbar(
                [p],
                [y],
                xerr=[[max(p - mc_low, 0.0)], [max(mc_high - p, 0.0)]],
                fmt="o",
                color=colours[member],
                markersize=9,
                elinewidth=4.0 if predictive else 2.4,
                capsize=0 if predictive else 5,
                gid=f"p:{what}:{member}",
            )
            ax.annotate(
                f"{p:.2f} [{low:.2f}–{high:.2f}]",
                (high, y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=SMALL,
            )
        ax.set_xlim(-0.03, 1.3)
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.set_title(f"P({what} within {steps} months)", fontsize=FONT, fontweight="bold")
        ax.set_xlabel(
            "thick: 95% Monte Carlo; thin, printed: 95% posterior predictive"
            if predictive
            else "probability (95% Wilson interval)",
            fontsize=FONT if not predictive else SMALL,
        )
    axes[0].set_yticks(range(len(shown)), [display_name(result, m) for m in shown], fontsize=FONT)
    colour_labels(axes[0].get_yticklabels(), shown, colours)
    axes[0].set_ylim(len(shown) - 0.5, -0.5)
    figure_title(fig, "Probability of defection by member", run_subtitle(result, hegemon_note(result, members)))
    return fig


def survival_figure(result: Any, *, members: Sequence[str] | None = None) -> Figure:
    """Kaplan-Meier survival per member: still engaged, and still a member.

    Args:
        result: A `RunResult`.
        members: Members to show (default: all but the hegemon).
    """
    shown = shown_members(result, members)
    colours = colours_of(result)
    entries = scripted_events(result)
    start = start_month(result)
    xlim = time_limits(result)
    heights = [LEGEND_ROW, STRIP_ROW, 4.2]
    fig = new_figure(time_figure_height(heights, entries))
    grid = fig.add_gridspec(3, 2, height_ratios=heights)
    titles = {"disengaged": "Still engaged (not yet disengaged)", "withdrawn": "Still a member (not yet withdrawn)"}
    first = None
    for c, event in enumerate(("disengaged", "withdrawn")):
        strip = fig.add_subplot(grid[1, c])
        event_strip(strip, entries, xlim, 0.4 * WIDTH)
        strip.set_title(titles[event], fontsize=FONT, fontweight="bold")
        ax = fig.add_subplot(grid[2, c], sharex=strip, sharey=first)
        first = first or ax
        style_axes(ax)
        curves = kaplan_meier(result.runs, event=event)
        never = [display_name(result, m) for m in shown if (curves.loc[curves["member"] == m, "survival"] >= 1.0).all()]
        if never:
            # Curves that stay at 1 hide one another: name them.
            ax.set_xlabel(f"never {event} in any replicate: {', '.join(never)}", fontsize=SMALL, color="#333333")
        for member in shown:
            part = curves[curves["member"] == member].sort_values("step")
            x = step_dates(start, part["step"].to_numpy())
            ax.fill_between(
                x,
                part["low"],
                part["high"],
                step="post",
                color=colours[member],
                alpha=0.15,
                linewidth=0,
                gid=f"km-band:{event}:{member}",
            )
            ax.step(
                x,
                part["survival"],
                where="post",
                color=colours[member],
                linewidth=2.2,
                label=display_name(result, member),
                gid=f"km:{event}:{member}",
            )
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("share of replicates" if c == 0 else "", fontsize=FONT)
        mark_events([ax], entries)
    for ax in fig.axes:
        if ax.axison:
            date_axis(ax)
    handles: list[Artist] = [
        Line2D([], [], color=colours[m], linewidth=2.5, label=display_name(result, m)) for m in shown
    ]
    handles.append(Patch(color="#333333", alpha=0.2, label="95% interval"))
    legend_row(fig.add_subplot(grid[0, :]), handles)
    event_key(fig, entries)
    figure_title(fig, "Survival of membership (Kaplan-Meier)", run_subtitle(result, hegemon_note(result, members)))
    return fig
