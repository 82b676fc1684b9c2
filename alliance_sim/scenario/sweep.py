"""The sweep spec file: its pydantic model, and the parameters it varies.

A sweep spec names a base scenario, fixed overrides of it, a design, the parameters the
design varies, replicates and a seed (`docs/sweeps.md` is the reference). This module is
the format: `read_sweep_file` reads the YAML with positions, validates it against
`SweepFile` (problems come out as one located line through
`alliance_sim.scenario.locate`), and `sweep_parameters` expands the parameters into
`Parameter` objects in file order, with the checks that need the design kind. Loading
the base scenario, checking every value against it and refusing designs beyond
`max_points` happen in `alliance_sim.experiments.spec`, which builds the `SweepSpec`.

Every parameter list holds values of one kind: numbers, or text, or true/false
(``[0.5, '0.6']`` is refused). A `start, stop, step` range expands to at most
`MAX_VALUES` values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from alliance_sim.core.trace import TRACED
from alliance_sim.scenario.locate import shorten
from alliance_sim.scenario.yamlio import Positions, read_model

DesignKind = Literal["grid", "montecarlo", "lhs", "sobol", "morris"]
EngineName = Literal["auto", "mesa", "ensemble"]
OutcomeName = Literal[
    "status",
    "disengaged",
    "withdrawn",
    "min_trust_in_hegemon",
    "final_trust_in_hegemon",
    "final_pressure",
    "max_pressure",
    "cohesion",
    "min_cohesion",
    "war_load",
]

DESIGNS: tuple[str, ...] = get_args(DesignKind)
"""Design kinds: full factorial grid, Monte Carlo, Latin hypercube, Sobol (Saltelli), Morris."""

SAMPLED = ("montecarlo", "lhs", "sobol", "morris")
"""Designs that sample bounded ranges rather than enumerate values."""

ENGINES: tuple[str, ...] = get_args(EngineName)
"""Engines a sweep can run on; `auto` picks one by the number of runs (`runs.pipeline.resolve_engine`)."""

ALLIANCE_OUTCOMES = ("cohesion", "min_cohesion", "war_load")
"""Per-run alliance outcomes a sweep can record."""

MEMBER_OUTCOMES = tuple(name for name in get_args(OutcomeName) if name not in ALLIANCE_OUTCOMES)
"""Per-run, per-member outcomes a sweep can record (see docs/sweeps.md)."""

DEFAULT_OUTCOMES: tuple[OutcomeName, ...] = ("status", "disengaged", "withdrawn", "min_trust_in_hegemon", "cohesion")
"""Recorded when the spec names none."""

TIMESERIES_QUANTITIES = TRACED
"""Per-member quantities a time series can keep (the traced quantities of a run)."""

MAX_POINTS = 1_000_000
"""Largest design (points) a spec may ask for unless it raises `max_points` itself."""

MAX_RUNS = 100_000_000
"""Most runs (points times replicates) of one sweep."""

MAX_VALUES = 100_000
"""Most values one `start, stop, step` range may expand to."""

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Number = StrictInt | Finite
Plain = StrictBool | StrictInt | Finite | StrictStr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class DesignSpec(_Strict):
    """The `design:` of a spec (a bare kind is short for ``{kind: ...}``)."""

    kind: DesignKind
    """grid, montecarlo, lhs, sobol or morris."""
    samples: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    """Sample size of a sampled design (Sobol: a power of 2; Morris: trajectories)."""
    levels: StrictInt | None = Field(default=None, ge=2, le=100)
    """Grid levels of a Morris design (even; default 4)."""

    @model_validator(mode="after")
    def _fits_kind(self) -> DesignSpec:
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("samples: a grid enumerates its values; samples is for sampled designs")
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"samples: a {self.kind} design needs samples")
        if self.kind == "sobol" and self.samples is not None:
            if self.samples < 2:
                raise ValueError("samples: a sobol design needs at least 2 samples")
            if self.samples & (self.samples - 1):
                raise ValueError(f"samples: a sobol design needs a power of 2 (got {self.samples})")
        if self.levels is not None and self.kind != "morris":
            raise ValueError("levels: levels is for morris designs")
        if self.kind == "morris" and (self.levels or 4) % 2:
            raise ValueError(f"levels: a morris design needs an even number of levels (got {self.levels})")
        return self


class ParameterSpec(_Strict):
    """One entry of `parameters:`: a list of values, a stepped range, or a bounded range."""

    values: list[Plain] | None = Field(default=None, min_length=1)
    """The values a grid takes (a bare list is short for ``{values: [...]}``)."""
    start: Number | None = None
    """First value of a stepped range."""
    stop: Number | None = None
    """Last value of a stepped range (included when the steps reach it)."""
    step: Number | None = None
    """Step of a stepped range."""
    low: Number | None = None
    """Lower bound of a range (sampled designs; grids with `levels`)."""
    high: Number | None = None
    """Upper bound of a range."""
    levels: StrictInt | None = Field(default=None, ge=2, le=10_000)
    """Evenly spaced grid values from low to high."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"values": data}
        if not isinstance(data, dict):
            raise ValueError("expected a list of values, {start, stop, step} or {low, high}")
        return data

    @model_validator(mode="after")
    def _one_form(self) -> ParameterSpec:
        given = {name for name in type(self).model_fields if getattr(self, name) is not None}
        forms = ({"values"}, {"start", "stop", "step"}, {"low", "high"}, {"low", "high", "levels"})
        if given not in forms:
            raise ValueError("give values: [...], or start, stop and step, or low and high (with levels in a grid)")
        if self.values is not None:
            kinds = {_kind(v) for v in self.values}
            if len(kinds) > 1:
                raise ValueError(f"values: the values mix {' and '.join(sorted(kinds))}; give one kind")
            if len(set(map(repr, self.values))) != len(self.values):
                raise ValueError("values: the values repeat")
        if self.step is not None and self.start is not None and self.stop is not None:
            if self.step <= 0:
                raise ValueError(f"step: step must be positive (got {self.step})")
            if self.stop < self.start:
                raise ValueError(f"stop: stop must not be below start (got {self.start} and {self.stop})")
            ratio = (self.stop - self.start) / self.step
            if not math.isfinite(ratio) or ratio + 1 > MAX_VALUES:
                shown = f"{math.floor(ratio) + 1:,}" if math.isfinite(ratio) else "too many"
                raise ValueError(f"step: {shown} values, more than {MAX_VALUES:,}; use a coarser step")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low: low must be below high (got {self.low} and {self.high})")
        return self

    @property
    def is_range(self) -> bool:
        """Whether it is a bounded range without levels (sampled designs only)."""
        return self.low is not None and self.levels is None

    def grid_values(self) -> tuple[Any, ...]:
        """The values it takes in a grid (not for a bare range)."""
        if self.values is not None:
            return tuple(self.values)
        if self.step is not None:
            assert self.start is not None and self.stop is not None
            count = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
            steps = [round(self.start + k * self.step, 12) for k in range(count)]
            if all(isinstance(v, int) for v in (self.start, self.stop, self.step)):
                return tuple(int(v) for v in steps)
            return tuple(steps)
        assert self.low is not None and self.high is not None and self.levels is not None
        low, high, levels = float(self.low), float(self.high), self.levels
        return tuple(round(low + (high - low) * k / (levels - 1), 12) for k in range(levels))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "numbers"
    return "text"


class TimeseriesFile(_Strict):
    """The `timeseries:` of a spec."""

    stride: StrictInt = Field(default=1, ge=1, le=600)
    """Keep every `stride`-th step (and always the last one)."""
    quantities: list[StrictStr] = Field(default=["status", "trust_in_hegemon", "pressure"], min_length=1)
    """Which traced per-member quantities to keep."""

    @field_validator("quantities")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        for i, name in enumerate(names):
            if name not in TIMESERIES_QUANTITIES:
                raise ValueError(f"{i}: unknown quantity {shorten(name)} (known: {', '.join(TIMESERIES_QUANTITIES)})")
        return list(dict.fromkeys(names))


class SweepFile(_Strict):
    """A sweep spec file as written."""

    name: StrictStr | None = Field(default=None, max_length=200)
    """Name of the sweep (default: the file's stem)."""
    description: StrictStr = ""
    """What it asks."""
    scenario: StrictStr = Field(min_length=1)
    """The base scenario, relative to the spec."""
    set: dict[str, Any] = Field(default_factory=dict)
    """Fixed overrides of the base, by dotted path."""
    design: DesignSpec
    """The design."""
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    """The varied parameters, by dotted path, in order."""
    zip: list[Annotated[list[StrictStr], Field(min_length=2)]] = Field(default_factory=list)
    """Groups of grid parameters whose values move together."""
    replicates: StrictInt = Field(default=1, ge=1, le=10_000_000)
    """Replicates per design point."""
    seed: StrictInt = Field(default=0, ge=0, le=2**63 - 1)
    """Root seed."""
    common_random_numbers: StrictBool = False
    """Every point uses the seeds of point 0."""
    engine: EngineName = "auto"
    """The engine."""
    outcomes: list[OutcomeName] = Field(default=list(DEFAULT_OUTCOMES), min_length=1)
    """Outcomes recorded for each run."""
    timeseries: TimeseriesFile | None = None
    """Per-month records (off unless given)."""
    max_points: StrictInt = Field(default=MAX_POINTS, ge=1)
    """Largest design this spec accepts (raise it to run a larger design on purpose)."""

    @field_validator("design", mode="before")
    @classmethod
    def _bare_kind(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str | None) -> str | None:
        if name is not None and (not name.strip() or name.startswith(".") or any(c in name for c in "/\\\0")):
            raise ValueError("a sweep's name is a plain folder name: no '/', '\\' or leading '.'")
        return name

    @field_validator("timeseries", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        return None if value is False else value

    @field_validator("set", mode="before")
    @classmethod
    def _no_set(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("zip", mode="before")
    @classmethod
    def _no_zip(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("outcomes")
    @classmethod
    def _once(cls, names: list[str]) -> list[str]:
        if len(set(names)) != len(names):
            raise ValueError("an outcome is listed twice")
        return names


@dataclass(frozen=True)
class Parameter:
    """One varied parameter.

    Attributes:
        path: Dotted path into the scenario, as for `--set` (``actors.russia.capacity``).
        values: The values a grid takes (None for a bounded range).
        low: Lower bound of a range (sampled designs; grids with `levels`).
        high: Upper bound of a range.
    """

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a bounded range rather than a list of values."""
        return self.values is None

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for the manifest and the spec hash."""
        if self.values is not None:
            return {"values": list(self.values)}
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True)
class TimeseriesSpec:
    """Per-month records kept for every run (off unless the spec asks).

    Attributes:
        stride: Keep every `stride`-th step (and always the last one).
        quantities: Which traced per-member quantities to keep.
    """

    stride: int
    quantities: tuple[str, ...]


def read_sweep_file(path: str | Path) -> tuple[SweepFile, Positions]:
    """Read and validate the structure of a sweep spec file.

    Raises:
        InputError: Anything wrong with its structure, located.
    """
    return read_model(path, SweepFile)


def sweep_parameters(spec: SweepFile, positions: Positions) -> tuple[list[Parameter], tuple[tuple[str, ...], ...]]:
    """The varied parameters in file order, and the zip groups, checked against the design.

    Raises:
        InputError: A bad path, a form the design cannot use, or a bad zip group.
    """
    kind = spec.design.kind
    parameters = []
    for path, entry in spec.parameters.items():
        where = ("parameters", path)
        if not path or any(not part for part in path.split(".")):
            raise positions.error("expected a dotted path such as actors.russia.capacity", where)
        if kind in SAMPLED:
            if not entry.is_range:
                raise positions.error(f"a {kind} design samples ranges: give low and high", where)
            assert entry.low is not None and entry.high is not None
            parameters.append(Parameter(path, low=float(entry.low), high=float(entry.high)))
        elif entry.is_range:
            raise positions.error("a grid needs values: give levels with low and high, or a list", where)
        else:
            parameters.append(Parameter(path, values=entry.grid_values()))
    return parameters, _zip_groups(spec, parameters, positions)


def _zip_groups(spec: SweepFile, parameters: list[Parameter], positions: Positions) -> tuple[tuple[str, ...], ...]:
    if spec.zip and spec.design.kind != "grid":
        raise positions.error("zip groups are for grid designs", ("zip",))
    by_path = {p.path: p for p in parameters}
    seen: set[str] = set()
    groups = []
    for g, group in enumerate(spec.zip):
        lengths = set()
        for k, path in enumerate(group):
            if path not in by_path:
                raise positions.error(f"{shorten(path)} is not one of the parameters", ("zip", g, k))
            if path in seen:
                raise positions.error(f"{shorten(path)} is in two zip groups", ("zip", g, k))
            seen.add(path)
            lengths.add(len(by_path[path].values or ()))
        if len(lengths) > 1:
            raise positions.error(
                f"zipped parameters need the same number of values (got {sorted(lengths)})", ("zip", g)
            )
        groups.append(tuple(group))
    return tuple(groups)


def grid_points(parameters: list[Parameter], groups: tuple[tuple[str, ...], ...]) -> int:
    """Number of points of a grid: the product of value counts, a zip group counting once."""
    grouped = {path for group in groups for path in group}
    counts = {p.path: len(p.values or ()) for p in parameters}
    total = math.prod(counts[p.path] for p in parameters if p.path not in grouped)
    return total * math.prod(counts[group[0]] for group in groups)
