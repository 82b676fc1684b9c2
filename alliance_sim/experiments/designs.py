"""Designs: which parameter values each point of a sweep takes.

- `grid`: the full factorial product of every parameter's values (a zip group counts as
  one factor whose values move together); the last factor varies fastest.
- `montecarlo`: `samples` points drawn uniformly from the ranges.
- `lhs`: a Latin hypercube of `samples` points (`scipy.stats.qmc.LatinHypercube`).
- `sobol`: Saltelli's scheme for first- and total-order Sobol indices (SALib), N = `samples`
  (a power of 2), N * (D + 2) points.
- `morris`: `samples` Morris trajectories on a grid of `levels` levels (SALib),
  N * (D + 1) points.

Every design is a deterministic function of the spec and its root seed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alliance_sim.runs.seeds import design_rng, design_seed

if TYPE_CHECKING:
    from alliance_sim.experiments.spec import Parameter, SweepSpec


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes:
        kind: The design kind.
        frame: One row per point: `point` and one column per parameter path.
        problem: SALib's problem definition (names and bounds) for sampled designs.
        levels: Morris levels (for the analysis).
    """

    kind: str
    frame: pd.DataFrame
    problem: dict[str, Any] | None = None
    levels: int = 4

    @property
    def parameters(self) -> list[str]:
        """The parameter columns."""
        return [c for c in self.frame.columns if c != "point"]

    def values(self, point: int) -> tuple[Any, ...]:
        """Parameter values of one point, as plain Python values."""
        row = self.frame.iloc[point]
        return tuple(_plain(row[name]) for name in self.parameters)

    def matrix(self) -> np.ndarray:
        """The sample as a float matrix (points x parameters), for the analysis."""
        return self.frame[self.parameters].to_numpy(dtype=float)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def build_design(spec: SweepSpec) -> Design:
    """Build the design a spec describes."""
    parameters = list(spec.parameters)
    if spec.kind == "grid":
        return Design("grid", grid_frame(parameters, spec.zip))
    problem = {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }
    assert spec.samples is not None
    unit: np.ndarray
    if spec.kind == "montecarlo":
        unit = design_rng(spec.seed).random((spec.samples, len(parameters)))
        sample = _scale(unit, parameters)
    elif spec.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(parameters), rng=design_rng(spec.seed)).random(spec.samples)
        sample = _scale(unit, parameters)
    elif spec.kind == "sobol":
        sample = sobol_sample(problem, spec.samples, design_seed(spec.seed))
    elif spec.kind == "morris":
        sample = morris_sample(problem, spec.samples, spec.levels, design_seed(spec.seed))
    else:  # pragma: no cover - the spec reader rejects other kinds
        raise ValueError(spec.kind)
    low, high = np.array(problem["bounds"], dtype=float).T
    sample = np.clip(sample, low, high)  # rounding must not step outside a field's bounds
    frame = pd.DataFrame(sample, columns=problem["names"])
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return Design(spec.kind, frame, problem, spec.levels)


def grid_frame(parameters: list[Parameter], groups: tuple[tuple[str, ...], ...] = ()) -> pd.DataFrame:
    """The full factorial design; zipped parameters form one factor.

    Args:
        parameters: Parameters with values, in order.
        groups: Zip groups of parameter paths.

    Returns:
        The design table: `point` and one column per parameter.
    """
    by_path = {p.path: p for p in parameters}
    group_of = {path: group for group in groups for path in group}
    factors: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]] = []
    placed: set[str] = set()
    for parameter in parameters:
        if parameter.path in placed:
            continue
        group = group_of.get(parameter.path, (parameter.path,))
        columns = [by_path[path].values or () for path in group]
        factors.append((group, list(zip(*columns, strict=True))))
        placed.update(group)
    rows = []
    for combination in itertools.product(*(levels for _, levels in factors)):
        row: dict[str, Any] = {}
        for (group, _), values in zip(factors, combination, strict=True):
            row.update(zip(group, values, strict=True))
        rows.append([row[p.path] for p in parameters])
    frame = pd.DataFrame(rows, columns=[p.path for p in parameters])
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def _scale(unit: np.ndarray, parameters: list[Parameter]) -> np.ndarray:
    low = np.array([p.low for p in parameters], dtype=float)
    high = np.array([p.high for p in parameters], dtype=float)
    return low + unit * (high - low)


def sobol_sample(problem: dict[str, Any], samples: int, seed: int) -> np.ndarray:
    """Saltelli's sample for first- and total-order indices: samples * (D + 2) rows."""
    from SALib.sample import sobol

    return sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)


def morris_sample(problem: dict[str, Any], trajectories: int, levels: int, seed: int) -> np.ndarray:
    """Morris trajectories: trajectories * (D + 1) rows."""
    from SALib.sample import morris

    return morris.sample(problem, trajectories, num_levels=levels, seed=seed)


def design_size(kind: str, parameters: int, samples: int | None, grid_points: int | None = None) -> int:
    """Number of points a design has (grids: `grid_points`)."""
    if kind == "grid":
        assert grid_points is not None
        return grid_points
    assert samples is not None
    if kind == "sobol":
        return samples * (parameters + 2)
    if kind == "morris":
        return samples * (parameters + 1)
    return samples
