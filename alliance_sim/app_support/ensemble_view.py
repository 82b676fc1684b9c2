"""A few hundred replicates of a scenario, summarised and drawn for the interactive page.

`summarise` runs the ensemble engine (`alliance_sim.core.ensemble.run_ensemble`) for the
replicates of one root seed (the seeds of ``alliance-sim run --seed``) and reduces its trace
to what the page shows: each member's pressure and trust in the hegemon (median and 10-90%
band), the share of replicates in each status every month, survival curves (the share of
replicates in which a member has not yet disengaged, or not yet withdrawn) and, since the
ensemble is run with its value terms (at almost no cost), the `explain` decomposition of
each member's values into named terms (`alliance_sim.runs.explain.decomposition_of`).
`draw_trajectories` and `draw_status` turn that into two light matplotlib figures (Agg
canvas, never pyplot), returned as PNG bytes.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.runs.explain import decomposition_of
from alliance_sim.runs.seeds import run_seeds
from alliance_sim.scenario.config import ScenarioConfig, parse_month

BAND = (0.1, 0.5, 0.9)
"""Quantiles of the bands: 10%, median, 90%."""

STATUS_COLOURS = ("#c9d6e3", "#f0a33a", "#c8372d")
"""Fill colours of member, disengaged, withdrawn."""

_DPI = 80


@dataclass(frozen=True)
class EnsembleSummary:
    """What the page shows of one ensemble.

    Attributes:
        members: Member ids, in state order.
        names: Their display names.
        hegemon: Index of the hegemon among the members.
        years: Time axis in fractional years, one entry per row of the trace (months + 1).
        pressure: Quantiles `BAND` of smoothed pressure, shape (3, months + 1, m).
        trust: Quantiles of trust in the hegemon, shape (3, months + 1, m) (NaN for the hegemon).
        status_share: Share of replicates in each status, shape (months + 1, m, 3).
        not_disengaged: Share of replicates in which a member has not yet left full
            membership, shape (months + 1, m).
        not_withdrawn: Share in which it has not yet withdrawn, shape (months + 1, m).
        disengage_threshold: The scenario's disengage threshold (drawn on the pressure panel).
        replicates: Number of replicates.
        seed: Their root seed.
        seconds: Wall time of the ensemble run.
        decomposition: The `explain` decomposition of the same replicates (the long table
            of `alliance_sim.runs.explain.decomposition_of`).
    """

    members: tuple[str, ...]
    names: tuple[str, ...]
    hegemon: int
    years: np.ndarray
    pressure: np.ndarray
    trust: np.ndarray
    status_share: np.ndarray
    not_disengaged: np.ndarray
    not_withdrawn: np.ndarray
    disengage_threshold: float
    replicates: int
    seed: int
    seconds: float
    decomposition: pd.DataFrame

    @property
    def final_share(self) -> dict[str, tuple[float, float]]:
        """Each member's share of replicates disengaged and withdrawn at the horizon."""
        last = self.status_share[-1]
        return {m: (float(last[j, 1]), float(last[j, 2])) for j, m in enumerate(self.members)}


def summarise(config: ScenarioConfig, replicates: int = 300, seed: int = 7) -> EnsembleSummary:
    """Run `replicates` replicates of `config` from root `seed` and summarise them.

    The replicates are those of ``alliance-sim run SCENARIO --seed SEED -n REPLICATES``
    (replicate j seeded as `alliance_sim.runs.seeds.run_seeds` says).
    """
    started = time.perf_counter()
    members = tuple(config.member_ids)
    hegemon = members.index(config.alliance.hegemon)
    trace = run_ensemble(config, run_seeds(seed, 0, range(replicates)), terms=True)
    seconds = time.perf_counter() - started
    status = trace.members["status"]
    share = np.stack([(status == code).mean(axis=1) for code in range(3)], axis=-1)
    left = np.maximum.accumulate(status >= 1, axis=0)
    gone = np.maximum.accumulate(status >= 2, axis=0)
    year, month = parse_month(config.time.start)
    years = year + (month - 1) / 12 + np.arange(status.shape[0]) / 12
    tau = np.nan_to_num(trace.members["trust_in_hegemon"], nan=0.0)
    trust = np.quantile(tau, BAND, axis=1)
    trust[:, :, hegemon] = np.nan
    return EnsembleSummary(
        members=members,
        names=tuple(config.actors[m].name for m in members),
        hegemon=hegemon,
        years=years,
        pressure=np.quantile(trace.members["pressure"], BAND, axis=1),
        trust=trust,
        status_share=share,
        not_disengaged=1.0 - left.mean(axis=1),
        not_withdrawn=1.0 - gone.mean(axis=1),
        disengage_threshold=float(config.model.status.disengage),
        replicates=replicates,
        seed=seed,
        seconds=seconds,
        decomposition=decomposition_of(config, trace),
    )


def member_colour(j: int) -> str:
    """The colour of member `j` on every figure of the page."""
    palette = ("#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
    return palette[j % len(palette)]


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes, at the page's resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, pil_kwargs={"compress_level": 1})  # fast over small
    return buffer.getvalue()


def _others(summary: EnsembleSummary) -> list[int]:
    return [j for j in range(len(summary.members)) if j != summary.hegemon]


def draw_trajectories(summary: EnsembleSummary) -> bytes:
    """Pressure and trust in the hegemon with 10-90% bands, and survival curves, as a PNG."""
    fig = Figure(figsize=(13.5, 3.6))
    fig.subplots_adjust(left=0.04, right=0.99, top=0.9, bottom=0.1, wspace=0.18)
    FigureCanvasAgg(fig)
    ax_p, ax_t, ax_s = fig.subplots(1, 3)
    x = summary.years
    heg = summary.names[summary.hegemon]
    for j in _others(summary):
        colour, name = member_colour(j), summary.names[j]
        ax_p.fill_between(x, summary.pressure[0, :, j], summary.pressure[2, :, j], color=colour, alpha=0.15, lw=0)
        ax_p.plot(x, summary.pressure[1, :, j], color=colour, lw=1.6, label=name)
        ax_t.fill_between(x, summary.trust[0, :, j], summary.trust[2, :, j], color=colour, alpha=0.15, lw=0)
        ax_t.plot(x, summary.trust[1, :, j], color=colour, lw=1.6)
        ax_s.plot(x, summary.not_disengaged[:, j], color=colour, lw=1.6, ls="--")
        ax_s.plot(x, summary.not_withdrawn[:, j], color=colour, lw=1.6)
    ax_p.axhline(summary.disengage_threshold, color="0.3", lw=0.8, ls=":")
    ax_p.set_title("Pressure to leave (median, 10-90%)", fontsize=10)
    ax_p.legend(fontsize=8, loc="upper left", frameon=False)
    ax_t.set_title(f"Trust in {heg} (median, 10-90%)", fontsize=10)
    ax_t.set_ylim(0, 1)
    ax_s.set_title("Survival: not yet withdrawn (solid), fully in (dashed)", fontsize=10)
    ax_s.set_ylim(-0.02, 1.02)
    for ax in (ax_p, ax_t, ax_s):
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, lw=0.5)
    return png(fig)


def draw_status(summary: EnsembleSummary) -> bytes:
    """Each member's share of replicates in each status, month by month (stacked), as a PNG."""
    others = _others(summary)
    fig = Figure(figsize=(13.5, 2.4))
    fig.subplots_adjust(left=0.05, right=0.99, top=0.87, bottom=0.14, wspace=0.08)
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, max(len(others), 1), sharey=True))
    x = summary.years
    for ax, j in zip(axes, others, strict=False):
        share = summary.status_share[:, j, :]
        ax.stackplot(x, share.T, colors=STATUS_COLOURS, labels=("member", "disengaged", "withdrawn"), lw=0)
        ax.set_title(summary.names[j], fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_xlim(x[0], x[-1])
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("share of runs", fontsize=9)
    axes[-1].legend(fontsize=7, loc="lower left", frameon=True)
    return png(fig)
