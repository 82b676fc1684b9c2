"""Figures of a posterior (`alliance-sim calibrate`): what the reported patterns pin down.

- `posterior_figure`: per calibrated parameter, the prior (uniform on its plausible range)
  against the posterior (a weighted histogram of the particles), with the point estimate
  marked. A posterior as flat as the prior means the patterns leave the parameter open.
- `pairs_figure`: the posterior's particles over the pairs of parameters with the
  strongest weighted correlations, the ridges along which the patterns trade one
  parameter against another.

Both take a `Posterior` (`alliance_sim.evidence.posterior.read_posterior`) or a run's
result whose manifest names one (`posterior_of`). Deterministic: no random numbers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from alliance_sim.errors import InputError
from alliance_sim.evidence.posterior import Posterior, file_hash, read_posterior
from alliance_sim.reporting.figures.style import FONT, SMALL, figure_title, new_figure, style_axes

PRIOR_COLOUR = "#999999"
POSTERIOR_COLOUR = "#0072B2"
POINT_COLOUR = "#D55E00"
BINS = 20
"""Histogram bins across each parameter's prior range."""


def posterior_of(result: Any) -> Posterior:
    """The posterior a run's result names in its manifest.

    It is looked for at `posterior.file` (as the run saw it), then at `posterior.path`
    next to the scenario file.

    Raises:
        InputError: The result drew from no posterior, or the file is missing or changed
            since the run (its hash differs).
    """
    if isinstance(result, Posterior):
        return result
    record = (getattr(result, "manifest", None) or {}).get("posterior") or {}
    if not record or record.get("fixed", True):
        raise InputError("these results did not draw from a posterior (run without --fixed)", field="kind")
    manifest = result.manifest
    candidates = [Path(record["file"])] if record.get("file") else []
    if manifest.get("scenario_file") and record.get("path"):
        candidates.append(Path(manifest["scenario_file"]).parent / record["path"])
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise InputError(f"the posterior of these results, {record.get('path')}, is not here", field="kind")
    if record.get("sha256") and file_hash(path) != record["sha256"]:
        raise InputError(f"the posterior {path} changed since these results were made", field="kind")
    return read_posterior(path)


def has_posterior(result: Any) -> bool:
    """Whether `posterior_of(result)` would succeed."""
    try:
        posterior_of(result)
    except (InputError, KeyError, TypeError):
        return False
    return True


def _short(name: str) -> str:
    return name.removeprefix("model.")


def posterior_figure(result: Any) -> Figure:
    """Prior against posterior, one small panel per calibrated parameter.

    Args:
        result: A `Posterior`, or a run's result that drew from one.
    """
    posterior = posterior_of(result)
    parameters = posterior.spec.parameters
    values, weights = posterior.values, posterior.weights
    columns = 5
    rows = math.ceil(len(parameters) / columns)
    fig = new_figure(0.9 + 2.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for k, (ax, parameter) in enumerate(zip(axes, parameters, strict=False)):
        style_axes(ax)
        low, high = parameter.low, parameter.high
        edges = np.linspace(low, high, BINS + 1)
        density, _ = np.histogram(values[:, k], bins=edges, weights=weights, density=True)
        ax.stairs(density, edges, fill=True, color=POSTERIOR_COLOUR, alpha=0.55, gid=f"posterior:{parameter.name}")
        prior = 1.0 / (high - low) if high > low else 0.0
        ax.plot([low, low, high, high], [0, prior, prior, 0], color=PRIOR_COLOUR, lw=1.5, ls="--")
        ax.axvline(parameter.point, color=POINT_COLOUR, lw=1.5)
        name = _short(parameter.name)
        ax.set_title(name, fontsize=SMALL if len(name) <= 26 else SMALL - 3)
        ax.tick_params(labelsize=SMALL - 2)
        ax.set_yticks([])
    for ax in axes[len(parameters) :]:
        ax.set_visible(False)
    spec = posterior.spec
    figure_title(
        fig,
        "Prior (dashed) against posterior (filled); point estimate in orange",
        f"{spec.scenario}: {len(spec.particles)} particles, seed {spec.seed}",
    )
    return fig


def strongest_pairs(posterior: Posterior, count: int = 6) -> list[tuple[int, int, float]]:
    """The `count` pairs of parameters with the largest weighted |correlation|: (i, j, r)."""
    values, weights = posterior.values, posterior.weights
    mean = weights @ values
    centred = values - mean
    cov = (centred * weights[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    pairs = [
        (i, j, float(corr[i, j])) for i in range(len(sd)) for j in range(i + 1, len(sd)) if np.isfinite(corr[i, j])
    ]
    pairs.sort(key=lambda p: (-abs(p[2]), p[0], p[1]))
    return pairs[:count]


def pairs_figure(result: Any, *, count: int = 6) -> Figure:
    """The posterior's particles over the most correlated pairs of parameters.

    Args:
        result: A `Posterior`, or a run's result that drew from one.
        count: Number of pairs.
    """
    posterior = posterior_of(result)
    pairs = strongest_pairs(posterior, count)
    parameters = posterior.spec.parameters
    values, weights = posterior.values, posterior.weights
    columns = 3
    rows = max(1, math.ceil(len(pairs) / columns))
    fig = new_figure(1.0 + 3.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    sizes = 8 + 120 * weights / weights.max()
    for ax, (i, j, r) in zip(axes, pairs, strict=False):
        style_axes(ax)
        ax.scatter(values[:, i], values[:, j], s=sizes, color=POSTERIOR_COLOUR, alpha=0.35, linewidths=0)
        ax.plot([parameters[i].point], [parameters[j].point], "+", color=POINT_COLOUR, ms=14, mew=2.5)
        ax.set_xlim(parameters[i].low, parameters[i].high)
        ax.set_ylim(parameters[j].low, parameters[j].high)
        ax.set_xlabel(_short(parameters[i].name), fontsize=SMALL)
        ax.set_ylabel(_short(parameters[j].name), fontsize=SMALL)
        ax.set_title(f"r = {r:+.2f}", fontsize=FONT)
        ax.tick_params(labelsize=SMALL - 2)
    for ax in axes[len(pairs) :]:
        ax.set_visible(False)
    figure_title(
        fig,
        "Posterior: the most correlated pairs of parameters",
        f"{posterior.spec.scenario}: dot size = particle weight; + = point estimate",
    )
    return fig
