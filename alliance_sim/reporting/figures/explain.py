"""Figures of `explain`: the named terms behind each member's pressure, and the knock-outs.

- `terms_figure`: per member, the named terms of the values over time as stacked areas,
  each signed by what it does to the net value of leaving (V_leave - V_stay): terms that
  push a member out (entrapment, domestic pressure, sovereignty cost, outside options,
  grievance, fear of the hegemon) above zero, terms that hold it in (protection, regime
  security, benefits of dependence, coercion) below; the net value of leaving and the
  smoothed pressure as lines, the thresholds dashed, the scripted events marked.
- `knockouts_figure`: a forest plot of the knock-out table: for each arm (a mechanism
  switched off or a scripted event removed), the change in the probability it moves most,
  with its 95% interval, coloured by member; arms whose largest change is under
  `MOVES_LITTLE` sit in a grey band.

Both take an `ExplainResult`: the three tables of `alliance_sim.runs.explain.explain`
with the scenario as run and a manifest, as `alliance-sim explain --out` writes them
(`load_explain` reads such a folder back).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alliance_sim.core.phases import STAY_TERMS as STAY_COUNT
from alliance_sim.core.phases import VALUE_TERMS
from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import (
    colours_of,
    display_name,
    hegemon_note,
    run_subtitle,
    scenario_of,
    shown_members,
)
from alliance_sim.reporting.figures.style import (
    FONT,
    LEGEND_ROW,
    SMALL,
    STRIP_ROW,
    WIDTH,
    figure_title,
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
)

EXPLAIN_TABLES = ("decomposition", "knockouts", "replay")
"""The tables of an explanation, as files in an explain folder."""
MOVES_LITTLE = 0.05
"""An arm whose largest |change| in probability is below this moves little."""

STAY_TERMS = VALUE_TERMS[:STAY_COUNT]
"""The terms of the value of staying (`alliance_sim.core.phases.VALUE_TERMS`)."""
LEAVE_TERMS = VALUE_TERMS[STAY_COUNT:]
"""The terms of the value of leaving."""
TERM_LABELS = {
    "protection": "protection",
    "regime": "regime security",
    "benefits": "benefits of dependence",
    "entrapment": "entrapment",
    "domestic": "domestic pressure",
    "sovereignty": "sovereignty cost",
    "outside": "outside options",
    "grievance": "grievance",
    "fear": "fear of the hegemon",
    "coercion": "coercion",
}
"""The named terms in words."""
TERM_COLOURS = {
    "protection": "#332288",
    "regime": "#88CCEE",
    "benefits": "#44AA99",
    "coercion": "#117733",
    "entrapment": "#CC6677",
    "domestic": "#DDCC77",
    "sovereignty": "#AA4499",
    "outside": "#882255",
    "grievance": "#999933",
    "fear": "#BBBBBB",
}
"""One colour per term (Paul Tol's muted scheme and its grey, colour-blind-safe): cool
colours for the terms that hold a member in, warm ones for those that push it out."""
OUTCOME_MARKERS = {"disengaged": "o", "withdrawn": "s", "away_at_end": "^", "away_share": "D"}
OUTCOME_LABELS = {
    "disengaged": "P(disengaged)",
    "withdrawn": "P(withdrawn)",
    "away_at_end": "P(away at the end)",
    "away_share": "share of months away",
}


@dataclass
class ExplainResult:
    """The outputs of `explain` with what the figures and the report need around them.

    Attributes:
        decomposition: The decomposition table (`Explanation.decomposition`).
        knockouts: The knock-out table (`Explanation.knockouts`).
        replay: The unforced replay (`Explanation.replay`).
        manifest: Provenance (seed, replicates, scenario hash, ...).
        scenario: The scenario as run, as plain data.
        folder: The folder it was read from, if any.
    """

    decomposition: pd.DataFrame
    knockouts: pd.DataFrame
    replay: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def replicates(self) -> int:
        """Replicates per arm."""
        return int(self.manifest.get("replicates") or 0)


def strongest(knockouts: pd.DataFrame, members: Sequence[str] | None = None) -> pd.DataFrame:
    """Per arm, the row of the largest |change| (over `members`, default all), largest first.

    Adds the column `moves_little`: the largest |change| is below `MOVES_LITTLE`. Ties
    keep the first row (the first member, disengaged before withdrawn).
    """
    table = knockouts if not members else knockouts[knockouts["member"].isin(list(members))]
    if table.empty:
        return table.assign(moves_little=pd.Series(dtype=bool))
    size = table["change"].abs()
    best = table.loc[size.groupby(table["arm"], sort=False).idxmax()]
    best = best.assign(moves_little=best["change"].abs() < MOVES_LITTLE, _size=best["change"].abs())
    return best.sort_values("_size", ascending=False, kind="stable").drop(columns="_size").reset_index(drop=True)


def key_steps(decomposition: pd.DataFrame) -> list[tuple[int, str]]:
    """The key months of a decomposition: the first month, each December and the last month.

    Returns:
        (step, month) pairs in time order.
    """
    months = decomposition[["step", "month"]].drop_duplicates().sort_values("step")
    months = months[months["step"] > 0]
    if months.empty:
        return []
    first, last = months.iloc[0], months.iloc[-1]
    keep = {int(first["step"]): str(first["month"]), int(last["step"]): str(last["month"])}
    for step, month in zip(months["step"], months["month"], strict=True):
        if str(month).endswith("-12"):
            keep[int(step)] = str(month)
    return sorted(keep.items())


DECOMPOSITION_COLUMNS = (*STAY_TERMS, *LEAVE_TERMS, "value_stay", "value_leave", "pressure")
"""The columns of `decomposition_table`, after `member` and `month`."""


def decomposition_table(decomposition: pd.DataFrame, members: Sequence[str]) -> pd.DataFrame:
    """The decomposition at the key months, wide: one row per member and key month.

    Returns:
        Columns `member`, `month` and `DECOMPOSITION_COLUMNS` (the terms signed as they
        enter their values, the two values and the smoothed pressure).
    """
    steps = dict(key_steps(decomposition))
    part = decomposition[decomposition["step"].isin(list(steps)) & decomposition["member"].isin(list(members))]
    wide = part.pivot_table(index=["member", "step"], columns="term", values="value")
    rows = []
    for member in members:
        for step, month in steps.items():
            if (member, step) in wide.index:
                values = wide.loc[(member, step)]
                rows.append({"member": member, "month": month, **{c: float(values[c]) for c in DECOMPOSITION_COLUMNS}})
    return pd.DataFrame(rows, columns=["member", "month", *DECOMPOSITION_COLUMNS])


def load_explain(folder: str | Path) -> ExplainResult:
    """Read a folder written by `alliance-sim explain --out`.

    Raises:
        InputError: The folder is missing, is not an explain folder or is incomplete.
    """
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError("not an explain folder (no manifest.json)", file=str(folder))
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable manifest.json: {exc}", file=str(folder)) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "explain":
        raise InputError("not an explain folder (its manifest is not of kind 'explain')", file=str(folder))
    tables = {}
    for name in EXPLAIN_TABLES:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise InputError(f"incomplete explain folder: no {path.name}", file=str(folder))
        tables[name] = pd.read_parquet(path)
    scenario_path = folder / "scenario.yaml"
    scenario = yaml.safe_load(scenario_path.read_text()) if scenario_path.is_file() else {}
    return ExplainResult(**tables, manifest=manifest, scenario=scenario or {}, folder=folder)


def is_explain_folder(folder: str | Path) -> bool:
    """Whether `folder` holds explain outputs (a manifest of kind `explain`)."""
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("kind") == "explain"
    except (OSError, ValueError, AttributeError):
        return False


def term_contributions(decomposition: pd.DataFrame, member: str) -> pd.DataFrame:
    """One member's terms as what they add to the net value of leaving, by step.

    Stay terms count with a minus sign, leave terms as they are, so that the columns sum to
    V_leave - V_stay.

    Returns:
        Index `step`; a column per term, and `net` and `pressure`.
    """
    part = decomposition[decomposition["member"] == member]
    wide = part.pivot_table(index="step", columns="term", values="value", sort=True)
    out = pd.DataFrame(index=wide.index)
    for term in (*STAY_TERMS, *LEAVE_TERMS):
        if term in wide.columns:
            out[term] = -wide[term] if term in STAY_TERMS else wide[term]
    out["net"] = wide["value_leave"] - wide["value_stay"]
    out["pressure"] = wide["pressure"]
    return out


def _stack(ax: Any, x: np.ndarray, series: dict[str, np.ndarray], member: str) -> None:
    """Stack the positive parts upward from zero and the negative parts downward."""
    up = np.zeros(len(x))
    down = np.zeros(len(x))
    for term, values in series.items():
        pos = np.clip(values, 0.0, None)
        neg = np.clip(values, None, 0.0)
        colour = TERM_COLOURS[term]
        if np.any(pos > 0):
            ax.fill_between(x, up, up + pos, color=colour, linewidth=0, step=None, gid=f"term:{member}:{term}:up")
            up = up + pos
        if np.any(neg < 0):
            ax.fill_between(x, down, down + neg, color=colour, linewidth=0, gid=f"term:{member}:{term}:down")
            down = down + neg


def terms_figure(result: ExplainResult, *, members: Sequence[str] | None = None) -> Figure:
    """Per member, the named terms over time as stacked areas, with the net value and pressure.

    Args:
        result: An `ExplainResult`.
        members: Members to show (default: all but the hegemon).
    """
    table = result.decomposition
    shown = shown_members(result, members)
    colours = colours_of(result)
    entries = scripted_events(result)
    start = start_month(result)
    last = int(table["step"].max())
    xlim = tuple(step_dates(start, [0, last]))
    rows = len(shown)
    height = 1.75
    fig = new_figure(time_figure_height([LEGEND_ROW * 2, STRIP_ROW] + [height] * rows, entries))
    grid = fig.add_gridspec(rows + 2, 1, height_ratios=[LEGEND_ROW * 2, STRIP_ROW] + [height] * rows)
    strip = fig.add_subplot(grid[1, 0])
    event_strip(strip, entries, xlim, 0.85 * WIDTH)
    status = (scenario_of(result).get("model") or {}).get("status") or {}
    first = None
    for r, member in enumerate(shown):
        ax = fig.add_subplot(grid[r + 2, 0], sharex=strip, sharey=first)
        first = first or ax
        style_axes(ax)
        part = term_contributions(table, member)
        x = step_dates(start, part.index.to_numpy())
        series = {t: part[t].to_numpy() for t in (*STAY_TERMS, *LEAVE_TERMS) if t in part.columns}
        _stack(ax, x, series, member)
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.plot(x, part["net"], color="black", linewidth=2.0, gid=f"net:{member}")
        ax.plot(x, part["pressure"], color="black", linewidth=1.6, linestyle=(0, (4, 2)), gid=f"pressure:{member}")
        for name in ("disengage", "withdraw"):
            if name in status:
                ax.axhline(status[name], color="#777777", linestyle="--", linewidth=0.8)
                ax.text(
                    1.0,
                    status[name],
                    f" {name}",
                    transform=ax.get_yaxis_transform(),
                    fontsize=SMALL - 2,
                    color="#555555",
                    va="center",
                )
        ax.set_ylabel(display_name(result, member), fontsize=FONT, color=colours[member], fontweight="bold")
        if r < rows - 1:
            ax.tick_params(labelbottom=False)
        mark_events([ax], entries)
        date_axis(ax)
    strip.set_xlim(*xlim)
    out_terms = [t for t in (*STAY_TERMS, *LEAVE_TERMS) if t not in ("protection", "regime", "benefits", "coercion")]
    in_terms = ["protection", "regime", "benefits", "coercion"]
    handles: list[Artist] = [Patch(color=TERM_COLOURS[t], label=TERM_LABELS[t]) for t in (*out_terms, *in_terms)]
    handles += [
        Line2D([], [], color="black", linewidth=2.0, label="net value of leaving"),
        Line2D([], [], color="black", linewidth=1.6, linestyle=(0, (4, 2)), label="pressure (smoothed)"),
    ]
    key = fig.add_subplot(grid[0, 0])
    key.axis("off")
    key.legend(
        handles=handles,
        loc="center",
        ncols=6,
        fontsize=SMALL,
        frameon=False,
        handlelength=2.0,
        columnspacing=1.5,
    )
    event_key(fig, entries)
    note = hegemon_note(result, members)
    figure_title(
        fig,
        "What pushes each member out (above zero) and holds it in (below zero)",
        run_subtitle(result, "means of replicates" + (f" · {note}" if note else "")),
    )
    return fig


def _arm_label(row: pd.Series, result: ExplainResult) -> str:
    kind = "event" if row["kind"] == "event" else "mechanism"
    return f"{row['arm']} ({kind})"


def knockouts_figure(result: ExplainResult, *, members: Sequence[str] | None = None, top: int | None = None) -> Figure:
    """A forest plot: per arm, the largest change in a member's probability, with its 95% interval.

    Args:
        result: An `ExplainResult`.
        members: Look for the largest change among these members only (default: all).
        top: Show only the `top` arms that move most (default: every arm).
    """
    if members:
        shown_members(result, members, with_hegemon=True)  # checks the ids
    table = strongest(result.knockouts, members)
    if top is not None:
        table = table.head(top)
    if table.empty:
        raise InputError("the knock-out table is empty (no mechanism and no event was knocked out)")
    colours = colours_of(result)
    n = len(table)
    key_rows = 2
    fig = new_figure(1.9 + LEGEND_ROW * key_rows + 0.3 * n)
    grid = fig.add_gridspec(2, 1, height_ratios=[LEGEND_ROW * key_rows, 0.3 * n])
    ax = fig.add_subplot(grid[1, 0])
    style_axes(ax)
    y = np.arange(n)[::-1]
    ax.axvspan(-MOVES_LITTLE, MOVES_LITTLE, color="#EEEEEE", zorder=0, gid="moves-little")
    ax.axvline(0.0, color="#333333", linewidth=0.9)
    for yi, (_, row) in zip(y, table.iterrows(), strict=True):
        unmoved = row["change"] == 0 and row["low"] == row["high"]
        colour = "#888888" if unmoved else colours.get(row["member"], "#333333")
        ax.plot([row["low"], row["high"]], [yi, yi], color=colour, linewidth=2.0, solid_capstyle="butt")
        ax.plot(
            row["change"],
            yi,
            marker=OUTCOME_MARKERS.get(row["outcome"], "o"),
            markersize=7,
            color=colour,
            markeredgecolor="white" if not row["moves_little"] else colour,
            markerfacecolor=colour if not row["moves_little"] else "white",
            linestyle="none",
            gid=f"arm:{row['arm']}",
        )
        outcome = str(row["outcome"]).replace("_", " ")
        where = "no change for any member" if unmoved else f"{display_name(result, row['member'])}, {outcome}"
        ax.text(
            1.01,
            yi,
            where,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize=SMALL - 2,
            color="#444444" if not row["moves_little"] else "#888888",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_arm_label(row, result) for _, row in table.iterrows()], fontsize=SMALL - 1)
    for label, (_, row) in zip(ax.get_yticklabels(), table.iterrows(), strict=True):
        if row["moves_little"]:
            label.set_color("#888888")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(-1.15, 1.15)
    ax.set_xlabel("Change in probability when knocked out (knocked out − baseline), 95% interval", fontsize=FONT)
    present = [m for m in colours if m in set(table.loc[~table["moves_little"], "member"])]
    handles: list[Artist] = [
        Line2D([], [], color=colours[m], linewidth=2.0, label=display_name(result, m)) for m in present
    ]
    outcomes = list(dict.fromkeys(result.knockouts["outcome"]))
    handles += [
        Line2D(
            [],
            [],
            marker=OUTCOME_MARKERS.get(o, "o"),
            color="#333333",
            linestyle="none",
            label=OUTCOME_LABELS.get(o, o),
        )
        for o in outcomes
    ]
    handles.append(Patch(color="#EEEEEE", label=f"moves little (|change| < {MOVES_LITTLE})"))
    key = fig.add_subplot(grid[0, 0])
    key.axis("off")
    key.legend(handles=handles, loc="center", ncols=min(len(handles), 6), fontsize=SMALL, frameon=False)
    figure_title(
        fig,
        "What each mechanism and scripted event does: the largest change it makes, knocked out",
        run_subtitle(result, "common random numbers (the same seeds in every arm)"),
    )
    return fig


def explain_figures(result: ExplainResult, *, members: Sequence[str] | None = None) -> dict[str, Figure]:
    """The figures of an explanation, by file stem (`explain_terms`, `explain_knockouts`)."""
    return {
        "explain_terms": terms_figure(result, members=members),
        "explain_knockouts": knockouts_figure(result, members=members),
    }
