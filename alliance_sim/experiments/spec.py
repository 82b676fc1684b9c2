"""The sweep spec: a YAML file naming a base scenario, parameters, a design and replicates.

`load_sweep_spec` reads the file through its pydantic model
(`alliance_sim.scenario.sweep`), so that every problem is reported as one line with the
file, line, column and field; loads the base scenario with its calibration and the spec's
`set:` overrides; checks each parameter against it (its path must exist and every value
it can take must pass the scenario's own bounds); refuses a design of more than
`max_points` points (default `MAX_POINTS`, one million; a spec raises it with
``max_points: N``) or more than `MAX_RUNS` runs before anything is built; and returns a
frozen `SweepSpec`. `docs/sweeps.md` is the reference of the format; in short:

    name: russia_capacity_vs_outside_options
    scenario: ../csto_2022.yaml          # path relative to this file
    set: {time.horizon_months: 48}       # fixed overrides of the base (optional)
    design: grid                         # grid | montecarlo | lhs | sobol | morris
    parameters:
      actors.russia.capacity: {start: 0.2, stop: 1.0, step: 0.2}
      actors.armenia.outside_option: [0.1, 0.3, 0.5, 0.7, 0.9]
    replicates: 200
    seed: 7
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alliance_sim.errors import InputError
from alliance_sim.evidence.scenarios import load_with_provenance
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario, Override, config_hash, with_overrides
from alliance_sim.scenario.locate import Origin, shorten
from alliance_sim.scenario.sweep import (
    ALLIANCE_OUTCOMES,
    DEFAULT_OUTCOMES,
    DESIGNS,
    ENGINES,
    MAX_POINTS,
    MAX_RUNS,
    MEMBER_OUTCOMES,
    SAMPLED,
    TIMESERIES_QUANTITIES,
    Parameter,
    SweepFile,
    TimeseriesSpec,
    grid_points,
    read_sweep_file,
    sweep_parameters,
)
from alliance_sim.scenario.yamlio import Positions

if TYPE_CHECKING:
    from alliance_sim.experiments.designs import Design

__all__ = [
    "ALLIANCE_OUTCOMES",
    "DEFAULT_OUTCOMES",
    "DESIGNS",
    "ENGINES",
    "MAX_POINTS",
    "MAX_RUNS",
    "MEMBER_OUTCOMES",
    "SAMPLED",
    "TIMESERIES_QUANTITIES",
    "Parameter",
    "SweepSpec",
    "TimeseriesSpec",
    "load_sweep_spec",
]


@dataclass(frozen=True, eq=False)
class SweepSpec:
    """A validated sweep spec.

    Attributes:
        name: Name of the sweep (default: the file's stem).
        description: What it asks.
        file: The spec file (None when built in code).
        scenario_file: The base scenario file.
        overrides: Fixed `set:` overrides of the base, by dotted path.
        base: The base scenario with the overrides applied.
        loaded: The base scenario's provenance (files, calibration).
        kind: The design kind (one of `DESIGNS`).
        samples: Sample size of a sampled design (points for Monte Carlo and Latin
            hypercube, base size N for Sobol, trajectories for Morris); None for a grid.
        levels: Number of levels of a Morris design.
        parameters: The varied parameters, in file order.
        zip: Groups of parameters whose values move together in a grid.
        replicates: Replicates per design point.
        seed: Root seed.
        common_random_numbers: Every point uses the seeds of point 0.
        engine: `auto`, `mesa` or `ensemble`.
        outcomes: Outcomes recorded for each run.
        timeseries: Per-month records, or None.
    """

    name: str
    description: str
    file: Path | None
    scenario_file: Path
    overrides: dict[str, Any]
    base: ScenarioConfig
    loaded: LoadedScenario
    kind: str
    samples: int | None
    levels: int
    parameters: tuple[Parameter, ...]
    zip: tuple[tuple[str, ...], ...] = ()
    replicates: int = 1
    seed: int = 0
    common_random_numbers: bool = False
    engine: str = "auto"
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    timeseries: TimeseriesSpec | None = None

    @property
    def paths(self) -> list[str]:
        """Dotted paths of the varied parameters, in order."""
        return [p.path for p in self.parameters]

    @cached_property
    def design(self) -> Design:
        """The design: one row per point (built once, deterministically from the seed)."""
        from alliance_sim.experiments.designs import build_design

        return build_design(self)

    @property
    def points(self) -> int:
        """Number of design points."""
        return len(self.design.frame)

    @property
    def runs(self) -> int:
        """Number of runs: points times replicates."""
        return self.points * self.replicates

    def describe(self) -> str:
        """One line: design, parameters, points, replicates and runs."""
        d = len(self.parameters)
        return (
            f"{self.kind}, {d} parameter{'s' if d != 1 else ''}, {self.points} points x "
            f"{self.replicates} replicate{'s' if self.replicates != 1 else ''} = {self.runs} runs"
        )

    def resolved_engine(self, engine: str | None = None) -> str:
        """The engine runs use: `engine` if given, else the spec's (`auto`: `runs.pipeline.resolve_engine`)."""
        choice = engine or self.engine
        if choice not in ENGINES:
            raise InputError(f"unknown engine {choice!r} (choose from {', '.join(ENGINES)})", field="engine")
        from alliance_sim.runs.pipeline import resolve_engine  # tables and Arrow: not for validate

        return resolve_engine(choice, self.runs)

    def as_dict(self) -> dict[str, Any]:
        """The spec as plain data (what the manifest records)."""
        return {
            "name": self.name,
            "description": self.description,
            "file": str(self.file) if self.file else None,
            "scenario": str(self.scenario_file),
            "set": dict(self.overrides),
            "design": {"kind": self.kind, "samples": self.samples, "levels": self.levels},
            "parameters": {p.path: p.as_dict() for p in self.parameters},
            "zip": [list(group) for group in self.zip],
            "replicates": self.replicates,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "engine": self.engine,
            "outcomes": list(self.outcomes),
            "timeseries": (
                {"stride": self.timeseries.stride, "quantities": list(self.timeseries.quantities)}
                if self.timeseries
                else None
            ),
            "scenario_hash": config_hash(self.base),
        }

    @property
    def hash(self) -> str:
        """SHA-256 (16 hex digits) of everything that decides the results, in its order.

        That is the base scenario as run (after `set:`), the design, the parameters in
        the order that numbers the design's points, the replicates, the seed, common
        random numbers, the outcomes and the time series; not the name, the
        description, the engine or the executor, which do not change a single number.
        A spec whose parameters are listed in another order has another hash.
        """
        data = self.as_dict()
        for key in ("name", "description", "file", "scenario", "set", "engine"):
            data.pop(key)
        data["parameter_order"] = self.paths
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Reading ---------------------------------------------------------------------------

_CHECKED_VALUES = 64
"""A parameter list longer than this is checked at its ends and at one value of each kind."""


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec file.

    Args:
        path: The YAML file.

    Returns:
        The validated spec.

    Raises:
        InputError: Anything wrong with the spec or its base scenario, located at the
            file, line, column and field.
    """
    path = Path(path)
    file, positions = read_sweep_file(path)
    parameters, groups = sweep_parameters(file, positions)
    points = _check_size(file, parameters, groups, positions)
    loaded = _base(file, positions, path)
    _check_values(loaded.config, parameters, groups, positions)
    design = file.design
    timeseries = (
        TimeseriesSpec(stride=file.timeseries.stride, quantities=tuple(file.timeseries.quantities))
        if file.timeseries is not None
        else None
    )
    spec = SweepSpec(
        name=file.name if file.name is not None else path.stem,
        description=file.description,
        file=path,
        scenario_file=Path(str(loaded.path)),
        overrides=dict(file.set),
        base=loaded.config,
        loaded=loaded,
        kind=design.kind,
        samples=design.samples,
        levels=design.levels or 4,
        parameters=tuple(parameters),
        zip=groups,
        replicates=file.replicates,
        seed=file.seed,
        common_random_numbers=file.common_random_numbers,
        engine=file.engine,
        outcomes=tuple(file.outcomes),
        timeseries=timeseries,
    )
    assert points == spec.points or design.kind != "grid" or not parameters
    return spec


def _check_size(
    file: SweepFile, parameters: list[Parameter], groups: tuple[tuple[str, ...], ...], positions: Positions
) -> int:
    """Refuse a design beyond `max_points` points or `MAX_RUNS` runs, before building it."""
    from alliance_sim.experiments.designs import design_size

    kind = file.design.kind
    grid = grid_points(parameters, groups) if kind == "grid" else None
    points = design_size(kind, len(parameters), file.design.samples, grid)
    if points > file.max_points:
        where = ("parameters",) if kind == "grid" else ("design", "samples")
        if points >= 10**15:  # a count too long to print (a grid of thousands of values a parameter)
            raise positions.error(
                f"the {kind} design has about {_scientific(points)} points, more than the limit of {file.max_points:,}",
                where,
            )
        raise positions.error(
            f"the {kind} design has {points:,} points, more than the limit of {file.max_points:,}; "
            f"to run it on purpose, add `max_points: {points}` to the spec",
            where,
        )
    runs = points * file.replicates
    if runs > MAX_RUNS:
        raise positions.error(
            f"{points:,} points x {file.replicates:,} replicates = {runs:,} runs, more than {MAX_RUNS:,}",
            ("replicates",),
        )
    return points


def _scientific(count: int) -> str:
    """An integer of any size as 2.43e+17 (a float would overflow past about 1e308)."""
    digits = str(count)
    return f"{digits[0]}.{digits[1:3].ljust(2, '0')}e+{len(digits) - 1:02d}"


def _base(file: SweepFile, positions: Positions, path: Path) -> LoadedScenario:
    """The base scenario with the spec's `set:` overrides, errors located in the spec."""
    target = path.parent / file.scenario
    if not target.is_file():
        raise positions.error(f"no such scenario file {shorten(str(target), 200)}", ("scenario",))
    overrides = [
        Override(key, value, Origin(positions.file, *positions.locate(("set", key)), prefix="set."))
        for key, value in file.set.items()
    ]
    return load_with_provenance(target, overrides or None)


def _check_values(
    base: ScenarioConfig,
    parameters: list[Parameter],
    groups: tuple[tuple[str, ...], ...],
    positions: Positions,
) -> None:
    """Every value each parameter can take must be valid in the base scenario.

    Lists are checked value by value (zipped parameters together; a list longer than
    `_CHECKED_VALUES` at its first and last values, its extremes and one value of each
    kind), ranges at both bounds and at a fractional point inside (which catches
    whole-number fields, which a continuous range cannot sample). Combinations of
    parameters are checked when each point is built; a point that fails there is
    recorded with its error.
    """
    by_path = {p.path: p for p in parameters}
    grouped = {path for group in groups for path in group}
    for group in groups:
        columns = [by_path[path].values or () for path in group]
        rows = list(zip(*columns, strict=True))
        for index in _sample_rows(columns):
            _try(base, dict(zip(group, rows[index], strict=True)), group[0], positions)
    for parameter in parameters:
        if parameter.path in grouped:
            continue
        if parameter.values is not None:
            candidates = [parameter.values[i] for i in _sample_rows([parameter.values])]
        else:
            assert parameter.low is not None and parameter.high is not None
            inside = parameter.low + (parameter.high - parameter.low) * 0.6180339887498949
            candidates = [parameter.low, inside, parameter.high]
        for value in candidates:
            _try(base, {parameter.path: value}, parameter.path, positions)


def _sample_rows(columns: list[tuple[Any, ...]]) -> list[int]:
    """Indexes of the rows to check: all of a short list; else ends, extremes, one of each kind."""
    n = len(columns[0])
    if n <= _CHECKED_VALUES:
        return list(range(n))
    chosen = {0, n - 1}
    for column in columns:
        numbers = [i for i, v in enumerate(column) if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            chosen.update((min(numbers, key=lambda i: column[i]), max(numbers, key=lambda i: column[i])))
            fractional = next((i for i in numbers if float(column[i]) != int(column[i])), None)
            if fractional is not None:
                chosen.add(fractional)
        else:
            chosen.update(range(min(n, _CHECKED_VALUES)))
    return sorted(chosen)


def _try(base: ScenarioConfig, values: dict[str, Any], path: str, positions: Positions) -> None:
    try:
        with_overrides(base, values)
    except InputError as exc:
        shown = ", ".join(f"{k}={shorten(v)}" for k, v in values.items())
        raise positions.error(f"{shown} is not valid for the scenario: {exc.message}", ("parameters", path)) from None
