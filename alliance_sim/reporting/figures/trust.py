"""The run figure of trust between members: the trust matrix as heatmaps at chosen months."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import colours_of, display_name, require, run_subtitle, shown_members
from alliance_sim.reporting.figures.style import FONT, SMALL, TRUST_CMAP, WIDTH, colour_labels, figure_title, new_figure
from alliance_sim.reporting.figures.timeline import month_text, scripted_events, start_month
from alliance_sim.scenario.config import month_label


def trust_matrix(trust: pd.DataFrame, step: int, members: Sequence[str]) -> pd.DataFrame:
    """Mean trust across replicates at one step: rows observers, columns allies (NaN diagonal)."""
    part = trust[trust["step"] == step]
    matrix = part.groupby(["observer", "ally"])["trust"].mean().unstack()
    return matrix.reindex(index=list(members), columns=list(members))


def _default_trust_steps(result: Any, steps: int) -> list[int]:
    start = start_month(result)
    events = [e["month"] for e in scripted_events(result)]
    chosen = [0]
    if events:
        last = max(events)
        # The step after the last scripted month's events: step s is the end of month s - 1.
        index = (np.datetime64(last, "M") - np.datetime64(start, "M")).astype(int) + 1
        if 0 < index < steps:
            chosen.append(int(index))
    chosen.append(steps)
    return list(dict.fromkeys(chosen))


def trust_figure(result: Any, *, months: Sequence[str] | None = None, members: Sequence[str] | None = None) -> Figure:
    """The trust matrix at chosen months: each observer's mean trust in each ally.

    Args:
        result: A `RunResult` with a `trust` table (`outputs.trust_matrix: true`).
        months: ``YYYY-MM`` months, the state at the end of each (default: the start, the
            end of the last scripted event's month, and the end of the run).
        members: Members to show (default: all, the hegemon included).
    """
    trust = getattr(result, "trust", None)
    if trust is None or len(trust) == 0:
        raise InputError(
            "this result has no trust matrix; set outputs.trust_matrix: true in the scenario and run it again",
            field="outputs.trust_matrix",
        )
    require(trust, ["step", "month", "observer", "ally", "trust"], "trust")
    shown = shown_members(result, members, with_hegemon=True)
    colours = colours_of(result)
    start = start_month(result)
    last = int(trust["step"].max())
    if months:
        labels = {month_label(start, s - 1): s for s in range(last + 1)}
        unknown = [m for m in months if m not in labels]
        if unknown:
            raise InputError(
                f"month {unknown[0]} is not in the run ({labels and min(labels)} to {labels and max(labels)})",
                field="months",
            )
        steps = [labels[m] for m in months]
    else:
        steps = _default_trust_steps(result, last)
    n = len(steps)
    size = len(shown)
    panel = min((WIDTH - 2.2) / n, 5.0)
    fig = new_figure(panel + 2.3)
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    names = [display_name(result, m) for m in shown]
    image = None
    for ax, step in zip(axes, steps, strict=True):
        matrix = trust_matrix(trust, step, shown)
        image = ax.imshow(matrix.to_numpy(dtype=float), cmap=TRUST_CMAP, vmin=0, vmax=1, gid=f"trust:{step}")
        for i in range(size):
            for j in range(size):
                value = matrix.iat[i, j]
                if np.isfinite(value):
                    ax.text(
                        j,
                        i,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=SMALL if size <= 6 else 8,
                        color="white" if abs(value - 0.5) > 0.3 else "black",
                    )
        ax.set_xticks(range(size), names, rotation=45, ha="right", fontsize=SMALL)
        ax.set_yticks(range(size), names, fontsize=SMALL)
        colour_labels(ax.get_xticklabels(), shown, colours)
        colour_labels(ax.get_yticklabels(), shown, colours)
        ax.set_facecolor("#BDBDBD")  # the diagonal (no trust in oneself)
        when = "start" if step == 0 else f"end of {month_text(month_label(start, step - 1))}"
        ax.set_title(when, fontsize=FONT, fontweight="bold")
        ax.set_xlabel("trust in (ally)", fontsize=SMALL)
    axes[0].set_ylabel("observer", fontsize=FONT)
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes), shrink=0.85)
        bar.set_label("trust (mean over replicates)", fontsize=SMALL)
        bar.ax.tick_params(labelsize=SMALL)
    figure_title(fig, "Trust between members", run_subtitle(result))
    return fig
