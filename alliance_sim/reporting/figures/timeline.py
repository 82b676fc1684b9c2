"""Time axes and scripted events: calendar dates, event marks, the event strip and key.

A state recorded at step s (the end of month s - 1) is drawn at the first day of month s;
a scripted event is drawn at the middle of its month, numbered in a strip above the time
panels and listed under the figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import scenario_of
from alliance_sim.reporting.figures.style import EVENT_COLOUR, SMALL
from alliance_sim.scenario.config import month_label


def start_month(result: Any) -> str:
    """The first month of a result (`YYYY-MM`)."""
    start = (scenario_of(result).get("time") or {}).get("start") or (result.manifest or {}).get("start")
    if not start:
        raise InputError("the result does not record its start month (scenario.time.start)")
    return str(start)


def step_dates(start: str, steps: Iterable[int] | np.ndarray) -> np.ndarray:
    """Where step s is drawn: the first day of month s after `start` (the end of month s - 1)."""
    offsets = np.asarray(steps, dtype=np.int64).astype("timedelta64[M]")
    return (np.datetime64(start, "M") + offsets).astype("datetime64[D]")


def month_middle(month: str) -> np.datetime64:
    """The 15th of a ``YYYY-MM`` month, where a scripted event is drawn."""
    return np.datetime64(month, "M").astype("datetime64[D]") + np.timedelta64(14, "D")


def month_text(month: str) -> str:
    """A `YYYY-MM` month as text, such as `Mar 2023`."""
    return pd.Timestamp(f"{month}-01").strftime("%b %Y")


def event_label(event: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """Short label of a scripted event: its note up to the first ';', else its id in words."""
    note = str(event.get("note") or "").split(";")[0].strip()
    if note:
        return note if len(note) <= 56 else note[:55].rstrip() + "…"
    if event.get("id"):
        words = re.sub(r"(_\d{4})(_\d{2})?$", "", str(event["id"])).replace("_", " ")
        return words[:1].upper() + words[1:]
    target = (names or {}).get(event.get("target") or "", event.get("target") or "")
    return f"{str(event.get('type', 'event')).replace('_', ' ').capitalize()} {target}".strip()


def scripted_events(result: Any) -> list[dict[str, Any]]:
    """The scenario's scripted events grouped for labelling, in time order.

    Events in the same month with the same label (for example one offer to several
    members) share one entry that names their targets. Events after the last month run
    (a run shorter than the horizon) are left out.

    Returns:
        Entries with `number` (1, 2, ...), `month`, `label` and `ids`.
    """
    scenario = scenario_of(result)
    names = {k: str((a or {}).get("name") or k) for k, a in (scenario.get("actors") or {}).items()}
    members = getattr(result, "members", None)
    last = None
    if isinstance(members, pd.DataFrame) and len(members) and "step" in members.columns:
        last = month_label(start_month(result), int(members["step"].max()) - 1)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in sorted(scenario.get("events") or [], key=lambda e: str(e.get("month"))):
        if last is not None and str(event["month"]) > last:
            continue
        grouped.setdefault((str(event["month"]), event_label(event, names)), []).append(event)
    entries = []
    for number, ((month, label), events) in enumerate(grouped.items(), start=1):
        if len(events) > 1:
            targets = [names.get(e.get("target") or "", "") for e in events if e.get("target")]
            if targets:
                label = f"{label} ({', '.join(dict.fromkeys(targets))})"
        entries.append({"number": number, "month": month, "label": label, "ids": [e.get("id") for e in events]})
    return entries


def _number_ranges(numbers: list[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"


def date_axis(ax: Any) -> None:
    """Calendar ticks and labels on a time axis."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def mark_events(axes: Iterable[Any], entries: list[dict[str, Any]]) -> None:
    """Dotted vertical lines at the scripted events' months on every time axis."""
    months = sorted({e["month"] for e in entries})
    for ax in axes:
        for month in months:
            ax.axvline(
                month_middle(month), color=EVENT_COLOUR, linestyle=":", linewidth=1.1, zorder=2.5, gid=f"event:{month}"
            )


def event_clusters(entries: list[dict[str, Any]], xlim: tuple[Any, Any], width_in: float) -> list[dict[str, Any]]:
    """Group the numbered events into labels that do not overlap on an axis `width_in` inches wide.

    Months whose labels would touch share one label ("3–11"); each label sits at the
    middle of its months.

    Returns:
        Labels in time order, each with `months`, `text` and `x` (matplotlib date number).
    """
    by_month: dict[str, list[int]] = {}
    for entry in entries:
        by_month.setdefault(entry["month"], []).append(entry["number"])
    x0, x1 = (float(mdates.date2num(v)) for v in xlim)
    per_inch = (x1 - x0) / max(width_in, 0.5)

    def label(months: list[str]) -> dict[str, Any]:
        numbers = [n for m in months for n in by_month[m]]
        text = _number_ranges(sorted(numbers))
        xs = [float(mdates.date2num(month_middle(m))) for m in months]
        half = (0.62 * SMALL * len(text) + 12) / 72 / 2 * per_inch
        return {"months": months, "text": text, "x": (xs[0] + xs[-1]) / 2, "half": half}

    clusters: list[dict[str, Any]] = []
    for month in sorted(by_month):
        current = label([month])
        while clusters and current["x"] - current["half"] < clusters[-1]["x"] + clusters[-1]["half"]:
            current = label(clusters.pop()["months"] + current["months"])
        clusters.append(current)
    for cluster in clusters:  # keep every label inside the axis
        cluster["x"] = min(max(cluster["x"], x0 + cluster["half"]), x1 - cluster["half"])
    return clusters


def event_strip(ax: Any, entries: list[dict[str, Any]], xlim: tuple[Any, Any], width_in: float) -> None:
    """A thin axis above a time panel: the events' numbers over their months."""
    ax.set_xlim(*xlim)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.tick_params(labelbottom=False, bottom=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    for cluster in event_clusters(entries, xlim, width_in):
        xs = [float(mdates.date2num(month_middle(m))) for m in cluster["months"]]
        for x in xs:
            ax.plot([x, x], [0, 0.22], color=EVENT_COLOUR, linestyle=":", linewidth=1.1)
        ax.plot([min(xs[0], cluster["x"]), max(xs[-1], cluster["x"])], [0.22, 0.22], color=EVENT_COLOUR, linewidth=0.8)
        ax.text(
            cluster["x"],
            0.3,
            cluster["text"],
            ha="center",
            va="bottom",
            fontsize=SMALL,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": EVENT_COLOUR, "linewidth": 0.8},
            gid=f"event-label:{cluster['text']}",
        )


def event_key(fig: Figure, entries: list[dict[str, Any]]) -> None:
    """The numbered list of scripted events under the figure."""
    if not entries:
        return
    handles = [Line2D([], [], linestyle="none") for _ in entries]
    labels = [f"{e['number']}  {month_text(e['month'])}: {e['label']}" for e in entries]
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=2 if len(entries) > 3 else len(entries),
        handlelength=0,
        handletextpad=0,
        frameon=False,
        fontsize=SMALL,
        columnspacing=2.5,
        title="Scripted events",
        title_fontsize=SMALL,
        alignment="left",
    )


def time_figure_height(rows: Sequence[float], entries: list[dict[str, Any]]) -> float:
    """Height of a time figure: its rows, the title and tick labels, and the event key."""
    key = 0.45 + 0.25 * ((len(entries) + 1) // 2) if entries else 0.0
    return sum(rows) + 1.3 + key


def time_limits(result: Any) -> tuple[np.datetime64, np.datetime64]:
    """The first and last dates a run's time panels show."""
    steps = int(result.members["step"].max())
    dates = step_dates(start_month(result), [0, steps])
    return dates[0], dates[1]
