"""Sweep figures: a member's defection probability over two parameters, and sensitivity indices."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.scenario import (
    display_name,
    hegemon,
    horizon_text,
    member_colours,
    member_order,
    scenario_name,
)
from alliance_sim.reporting.figures.style import (
    FONT,
    LEGEND_ROW,
    OKABE_ITO,
    PROBABILITY_CMAP,
    SMALL,
    figure_title,
    legend_row,
    new_figure,
    style_axes,
)


def _sweep_subtitle(sweep: Any, probabilities: pd.DataFrame | None = None, extra: str = "") -> str:
    manifest = getattr(sweep, "manifest", {}) or {}
    design = manifest.get("design")
    design_name = design.get("kind") or design.get("method") if isinstance(design, dict) else design
    points = int(sweep.design["point"].nunique()) if getattr(sweep, "design", None) is not None else None
    parts = [scenario_name(sweep)]
    if design_name:
        parts.append(f"{design_name} design")
    if points is not None:
        parts.append(f"{points} points")
    if probabilities is not None and len(probabilities):
        reps = probabilities["replicates"]
        parts.append(
            f"{int(reps.min())} replicates per point"
            if reps.min() == reps.max()
            else f"{int(reps.min())}-{int(reps.max())} replicates per point"
        )
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def _short_param(path: str) -> str:
    return path if len(path) <= 40 else "…" + path[-39:]


def _sweep_member(sweep: Any, probabilities: pd.DataFrame, member: str | None, outcome: str) -> str:
    available = list(dict.fromkeys(probabilities["member"]))
    if member is None:
        means = probabilities.groupby("member", sort=False)[f"p_{outcome}"].mean()
        return str(means.idxmax())
    if member not in available:
        raise InputError(f"unknown member {member!r} (members: {', '.join(available)})", field="member")
    return member


def _check_outcome(outcome: str | None) -> None:
    if outcome is not None and outcome not in ("disengaged", "withdrawn"):
        raise InputError(f"unknown outcome {outcome!r} (disengaged or withdrawn)", field="outcome")


def _varying(probabilities: pd.DataFrame, member: str) -> list[str]:
    part = probabilities[probabilities["member"] == member]
    return [o for o in ("disengaged", "withdrawn") if len(part) and float(np.ptp(part[f"p_{o}"].to_numpy())) > 1e-12]


def _default_outcome(sweep: Any, probabilities: pd.DataFrame, members: Sequence[str] | None) -> str:
    """The first outcome that varies over the design for one of `members` (else `disengaged`)."""
    candidates = (
        list(members) if members else [m for m in dict.fromkeys(probabilities["member"]) if m != hegemon(sweep)]
    )
    for member in candidates:
        varying = _varying(probabilities, member)
        if varying:
            return varying[0]
    return "disengaged"


def _wrap(text: str, width: int = 120) -> str:
    """Break a long subtitle into lines (figure titles are not wrapped by matplotlib)."""
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) if len(text) > width else text


def heatmap_cells(probabilities: pd.DataFrame, member: str, outcome: str, x: str, y: str) -> pd.DataFrame:
    """One member's probability on the grid of two parameters (rows y, columns x).

    Where the design varies more parameters, a cell pools the replicates of every point
    sharing its (x, y) values (a replicate-weighted mean).
    """
    part = probabilities[probabilities["member"] == member]
    weighted = part.assign(k=part[f"p_{outcome}"] * part["replicates"])
    sums = weighted.groupby([y, x])[["k", "replicates"]].sum()
    return (sums["k"] / sums["replicates"]).unstack(x).sort_index().sort_index(axis=1)


def _is_grid(part: pd.DataFrame, x: str, y: str) -> bool:
    nx, ny = part[x].nunique(), part[y].nunique()
    return nx <= 30 and ny <= 30 and len(part[[x, y]].drop_duplicates()) == nx * ny


def _format_value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)


def heatmap_figure(
    sweep: Any,
    *,
    member: str | None = None,
    outcome: str | None = None,
    x: str | None = None,
    y: str | None = None,
) -> Figure:
    """One member's defection probability over two swept parameters.

    On a grid design each cell is the probability at that pair of values (pooled over
    any other parameters); on a sampled design (Latin hypercube, Sobol, Morris) each
    design point is a dot coloured by its probability. With one parameter, the
    probability and its 95% interval are drawn against it.

    Args:
        sweep: A `SweepResult`.
        member: The member (default: the one with the highest mean probability).
        outcome: `withdrawn` or `disengaged` (default: the first that varies over the
            design for the member, or for any member).
        x: Parameter path on the horizontal axis (default: the first varied).
        y: Parameter path on the vertical axis (default: the second varied).
    """
    _check_outcome(outcome)
    probabilities = sweep.probabilities()
    parameters = list(sweep.parameters)
    if not parameters:
        raise InputError("the sweep varies no parameter; nothing to draw a heatmap over")
    x = x or parameters[0]
    y = y or (next((p for p in parameters if p != x), None))
    for axis in (x, y):
        if axis is not None and axis not in probabilities.columns:
            raise InputError(f"{axis!r} is not a parameter of this sweep ({', '.join(parameters)})", field="x/y")
    if outcome is None:
        outcome = _default_outcome(sweep, probabilities, [member] if member else None)
    member = _sweep_member(sweep, probabilities, member, outcome)
    colour = member_colours(member_order(sweep), hegemon(sweep)).get(member, OKABE_ITO[0])
    name = display_name(sweep, member)
    part = probabilities[probabilities["member"] == member]
    fig = new_figure(7.0)
    ax = fig.add_subplot()
    if y is None:
        style_axes(ax)
        line = part.groupby(x)[[f"p_{outcome}", f"p_{outcome}_low", f"p_{outcome}_high"]].mean().sort_index()
        xs = line.index.to_numpy(dtype=float)
        ax.fill_between(
            xs,
            line[f"p_{outcome}_low"],
            line[f"p_{outcome}_high"],
            color=colour,
            alpha=0.25,
            linewidth=0,
            gid="interval",
        )
        ax.plot(xs, line[f"p_{outcome}"], "o-", color=colour, linewidth=2.2, gid="probability")
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"P({outcome})", fontsize=FONT)
        ax.set_xlabel(_short_param(x), fontsize=FONT)
    elif _is_grid(part, x, y):
        cells = heatmap_cells(probabilities, member, outcome, x, y)
        image = ax.imshow(
            cells.to_numpy(dtype=float),
            cmap=PROBABILITY_CMAP,
            vmin=0,
            vmax=1,
            origin="lower",
            aspect="auto",
            gid="heatmap",
        )
        small = cells.size > 80
        for i in range(cells.shape[0]):
            for j in range(cells.shape[1]):
                value = cells.iat[i, j]
                if np.isfinite(value) and not small:
                    ax.text(
                        j,
                        i,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=SMALL,
                        color="white" if value < 0.6 else "black",
                    )
        ax.set_xticks(range(cells.shape[1]), [_format_value(v) for v in cells.columns], fontsize=SMALL)
        ax.set_yticks(range(cells.shape[0]), [_format_value(v) for v in cells.index], fontsize=SMALL)
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(f"P({outcome})", fontsize=FONT)
        bar.ax.tick_params(labelsize=SMALL)
    else:
        style_axes(ax)
        dots = ax.scatter(
            part[x],
            part[y],
            c=part[f"p_{outcome}"],
            cmap=PROBABILITY_CMAP,
            vmin=0,
            vmax=1,
            s=60,
            edgecolors="none",
            gid="points",
        )
        bar = fig.colorbar(dots, ax=ax)
        bar.set_label(f"P({outcome})", fontsize=FONT)
        bar.ax.tick_params(labelsize=SMALL)
    if y is not None:
        ax.set_xlabel(_short_param(x), fontsize=FONT)
        ax.set_ylabel(_short_param(y), fontsize=FONT)
    rest = [p for p in parameters if p not in (x, y)]
    others = ", ".join(_short_param(p) for p in rest) if len(rest) <= 2 else f"{len(rest)} other parameters"
    extra = ""
    if others:
        extra = f"pooled over {others}" if y is not None and _is_grid(part, x, y) else f"{others} vary across points"
    figure_title(
        fig,
        f"{name}: probability of having {outcome} within {horizon_text(sweep)}",
        _wrap(_sweep_subtitle(sweep, part, extra)),
    )
    return fig


INDEX_LABELS = {"S1": "S1 (first order)", "ST": "ST (total)", "mu_star": "μ* (mean |effect|)", "sigma": "σ"}


def sensitivity_figure(sweep: Any, *, members: Sequence[str] | None = None, outcome: str | None = None) -> Figure:
    """Sensitivity indices of each member's defection probability, with their intervals.

    Sobol designs give first-order (S1) and total (ST) indices; Morris designs give
    mu* and sigma. One panel per member; parameters sorted by their largest index.

    Args:
        sweep: A `SweepResult` of a Sobol or Morris design.
        members: Members to show (default: all with indices).
        outcome: `withdrawn` or `disengaged` (default: the first that varies over the
            design for one of the members).

    Sobol indices are shares of variance: the axis ends just past 1 and longer interval
    bars are cut there.
    """
    _check_outcome(outcome)
    if outcome is None:
        outcome = _default_outcome(sweep, sweep.probabilities(), members)
    try:
        table = sweep.sensitivity()
    except InputError:
        raise
    except Exception as exc:  # the design has no sensitivity analysis
        raise InputError(f"no sensitivity indices for this sweep: {exc}") from None
    if table is None or len(table) == 0:
        raise InputError("no sensitivity indices for this sweep (use a sobol or morris design)", field="design")
    table = table[table["outcome"].isin([outcome, f"p_{outcome}"])]
    if table.empty:
        raise InputError(f"no sensitivity indices for outcome {outcome!r}", field="outcome")
    available = list(dict.fromkeys(table["member"]))
    if members:
        unknown = [m for m in members if m not in available]
        if unknown:
            raise InputError(f"unknown member {unknown[0]!r} (members: {', '.join(available)})", field="member")
        available = [m for m in available if m in members]
    colours = member_colours(member_order(sweep), hegemon(sweep))
    indices = list(dict.fromkeys(table["index"]))
    order = table.groupby("parameter")["value"].max().sort_values(ascending=True).index.tolist()
    n = len(available)
    ncols = min(n, 3)
    nrows = (n + ncols - 1) // ncols
    heights = [LEGEND_ROW] + [0.7 + 0.5 * len(order)] * nrows
    fig = new_figure(sum(heights) + 1.6)
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=heights)
    height = 0.8 / len(indices)
    lows = (table["value"] - table["conf"].fillna(0.0)).to_numpy(dtype=float)
    left = max(-0.25, min(0.0, float(np.nanmin(lows)) if len(lows) else 0.0)) - 0.02
    first = None
    for i, member in enumerate(available):
        ax = fig.add_subplot(grid[1 + i // ncols, i % ncols], sharex=first)
        first = first or ax
        style_axes(ax)
        colour = colours.get(member, OKABE_ITO[0])
        part = table[table["member"] == member]
        if "noise_floor" in part.columns and part["noise_floor"].notna().any():
            ax.axvspan(0, float(part["noise_floor"].max()), color="#DDDDDD", zorder=0, gid=f"noise:{member}")
        for k, index in enumerate(indices):
            rows = part[part["index"] == index].set_index("parameter").reindex(order)
            # The first index sits above the second within each parameter's group.
            ys = np.arange(len(order)) + ((len(indices) - 1) / 2 - k) * height
            ax.barh(
                ys,
                rows["value"],
                height=height * 0.9,
                xerr=rows["conf"],
                color=colour,
                alpha=1.0 if k == 0 else 0.45,
                hatch=None if k == 0 else "//",
                edgecolor=colour,
                error_kw={"elinewidth": 1.4, "capsize": 3, "ecolor": "#333333"},
                label=index,
                gid=f"sensitivity:{member}:{index}",
            )
        ax.set_yticks(range(len(order)), [_short_param(p) for p in order], fontsize=SMALL)
        ax.set_title(display_name(sweep, member), fontsize=FONT, fontweight="bold", color=colour)
        ax.axvline(0, color="#888888", linewidth=0.8)
        ax.set_xlabel("index value (bars: 95% interval)", fontsize=SMALL)
        if set(indices) <= {"S1", "ST"}:
            ax.set_xlim(left, 1.05)
    handles = [
        Patch(
            facecolor="#555555",
            alpha=1.0 if k == 0 else 0.45,
            hatch=None if k == 0 else "//",
            label=INDEX_LABELS.get(index, index),
        )
        for k, index in enumerate(indices)
    ]
    if "noise_floor" in table.columns:
        handles.append(Patch(color="#DDDDDD", label="below the replicate noise floor"))
    legend_row(fig.add_subplot(grid[0, :]), handles)
    named = ", ".join(INDEX_LABELS.get(i, i) for i in indices)
    figure_title(fig, f"Sensitivity of P({outcome}) to the swept parameters ({named})", _wrap(_sweep_subtitle(sweep)))
    return fig
