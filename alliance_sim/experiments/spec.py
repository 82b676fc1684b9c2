"""The sweep spec: a YAML file naming a base scenario, parameters, a design and replicates.

`load_sweep_spec` reads the file with positions (`alliance_sim.scenario.yamlio`), so that every
problem is reported as one line with the file, line, column and field, checks each
parameter against the base scenario (its path must exist and every value it can take must
pass the scenario's own bounds), and returns a frozen `SweepSpec`. `docs/sweeps.md` is the
reference of the format; in short:

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
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alliance_sim.core.trace import TRACED
from alliance_sim.errors import InputError
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario, config_hash, load, with_overrides
from alliance_sim.scenario.yamlio import Positions, read_yaml

if TYPE_CHECKING:
    from alliance_sim.experiments.designs import Design

DESIGNS = ("grid", "montecarlo", "lhs", "sobol", "morris")
"""Design kinds: full factorial grid, Monte Carlo, Latin hypercube, Sobol (Saltelli), Morris."""

SAMPLED = ("montecarlo", "lhs", "sobol", "morris")
"""Designs that sample bounded ranges rather than enumerate values."""

ENGINES = ("auto", "mesa", "ensemble")
"""Engines a sweep can run on; `auto` is the ensemble engine."""

MEMBER_OUTCOMES = (
    "status",
    "disengaged",
    "withdrawn",
    "min_trust_in_hegemon",
    "final_trust_in_hegemon",
    "final_pressure",
    "max_pressure",
)
"""Per-run, per-member outcomes a sweep can record (see docs/sweeps.md)."""

ALLIANCE_OUTCOMES = ("cohesion", "min_cohesion", "war_load")
"""Per-run alliance outcomes a sweep can record."""

DEFAULT_OUTCOMES = ("status", "disengaged", "withdrawn", "min_trust_in_hegemon", "cohesion")
"""Recorded when the spec names none."""

TIMESERIES_QUANTITIES = TRACED
"""Per-member quantities a time series can keep (the traced quantities of a run)."""

_TOP_LEVEL = {
    "name",
    "description",
    "scenario",
    "set",
    "design",
    "parameters",
    "zip",
    "replicates",
    "seed",
    "common_random_numbers",
    "engine",
    "outcomes",
    "timeseries",
}
_MAX_RUNS = 100_000_000


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
        """The engine runs use: `engine` if given, else the spec's; `auto` is `ensemble`."""
        choice = engine or self.engine
        if choice not in ENGINES:
            raise InputError(f"unknown engine {choice!r} (choose from {', '.join(ENGINES)})", field="engine")
        return "ensemble" if choice == "auto" else choice

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
        """SHA-256 (16 hex digits) of everything that decides the results.

        That is the base scenario as run (after `set:`), the design, the parameters, the
        replicates, the seed, common random numbers, the outcomes and the time series; not
        the name, the description, the engine or the executor, which do not change a
        single number.
        """
        data = self.as_dict()
        for key in ("name", "description", "file", "scenario", "set", "engine"):
            data.pop(key)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Reading ---------------------------------------------------------------------------


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
    data, positions = read_yaml(path)
    return _Reader(data, positions, path).spec()


class _Reader:
    def __init__(self, data: dict[str, Any], positions: Positions, path: Path) -> None:
        self.data = data
        self.pos = positions
        self.path = path

    def error(self, message: str, *where: str | int) -> InputError:
        return self.pos.error(message, list(where))

    def spec(self) -> SweepSpec:
        data = self.data
        for key in data:
            if key not in _TOP_LEVEL:
                raise self.error(f"unknown field {key!r} (known: {', '.join(sorted(_TOP_LEVEL))})", key)
        name = self._string("name", default=self.path.stem)
        description = self._string("description", default="")
        kind, samples, levels = self._design()
        overrides = self._overrides()
        loaded = self._scenario(overrides)
        parameters = self._parameters(kind)
        zip_groups = self._zip(kind, parameters)
        replicates = self._integer("replicates", 1, 1, 10_000_000)
        seed = self._integer("seed", 0, 0, 2**63 - 1)
        crn = self._boolean("common_random_numbers", False)
        engine = self._choice("engine", "auto", ENGINES)
        outcomes = self._outcomes()
        timeseries = self._timeseries()
        self._check_values(loaded.config, parameters, zip_groups)
        spec = SweepSpec(
            name=name,
            description=description,
            file=self.path,
            scenario_file=Path(str(loaded.path)),
            overrides=overrides,
            base=loaded.config,
            loaded=loaded,
            kind=kind,
            samples=samples,
            levels=levels,
            parameters=tuple(parameters),
            zip=zip_groups,
            replicates=replicates,
            seed=seed,
            common_random_numbers=crn,
            engine=engine,
            outcomes=outcomes,
            timeseries=timeseries,
        )
        if spec.runs > _MAX_RUNS:
            raise self.error(f"{spec.describe()}: more than {_MAX_RUNS:,} runs", "replicates")
        return spec

    # --- scalars ---

    def _string(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self.error(f"expected text, got {value!r}", key)
        return value

    def _integer(self, key: str, default: int, low: int, high: int, *where: str) -> int:
        node = self.data
        for part in where:
            node = node[part]
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected a whole number, got {value!r}", *where, key)
        if not low <= value <= high:
            raise self.error(f"must be between {low} and {high} (got {value})", *where, key)
        return value

    def _boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {value!r}", key)
        return value

    def _choice(self, key: str, default: str, choices: tuple[str, ...], *where: str) -> str:
        node = self.data
        for part in where:
            node = node[part]
        value = node.get(key, default)
        if value not in choices:
            raise self.error(f"expected one of {', '.join(choices)}, got {value!r}", *where, key)
        return str(value)

    # --- design ---

    def _design(self) -> tuple[str, int | None, int]:
        if "design" not in self.data:
            raise self.error("required field is missing", "design")
        design = self.data["design"]
        if isinstance(design, str):
            design = {"kind": design}
            self.data["design"] = design
        if not isinstance(design, dict):
            raise self.error("expected a design kind or a mapping with kind, samples, levels", "design")
        for key in design:
            if key not in ("kind", "samples", "levels"):
                raise self.error(f"unknown field {key!r} (known: kind, samples, levels)", "design", key)
        if "kind" not in design:
            raise self.error("required field is missing", "design", "kind")
        kind = self._choice("kind", "grid", DESIGNS, "design")
        samples: int | None = None
        if kind == "grid":
            if "samples" in design:
                raise self.error("a grid enumerates its values; samples is for sampled designs", "design", "samples")
        else:
            if "samples" not in design:
                raise self.error(f"a {kind} design needs samples", "design", "samples")
            samples = self._integer("samples", 1, 1, 10_000_000, "design")
            if kind == "sobol" and samples & (samples - 1):
                raise self.error(f"a sobol design needs a power of 2 (got {samples})", "design", "samples")
            if kind == "sobol" and samples < 2:
                raise self.error("a sobol design needs at least 2 samples", "design", "samples")
        levels = self._integer("levels", 4, 2, 100, "design")
        if "levels" in design and kind != "morris":
            raise self.error("levels is for morris designs", "design", "levels")
        if kind == "morris" and levels % 2:
            raise self.error(f"a morris design needs an even number of levels (got {levels})", "design", "levels")
        return kind, samples, levels

    # --- scenario ---

    def _overrides(self) -> dict[str, Any]:
        raw = self.data.get("set", {}) or {}
        if not isinstance(raw, dict):
            raise self.error("expected a mapping of dotted.path: value", "set")
        return dict(raw)

    def _scenario(self, overrides: dict[str, Any]) -> LoadedScenario:
        if "scenario" not in self.data:
            raise self.error("required field is missing", "scenario")
        value = self.data["scenario"]
        if not isinstance(value, str) or not value.strip():
            raise self.error("expected the path of a scenario file", "scenario")
        target = self.path.parent / value
        if not target.is_file():
            raise self.error(f"no such scenario file {target}", "scenario")
        try:
            return load(target, overrides or None)
        except InputError as exc:
            from_set = exc.file.startswith("--set ") if exc.file else exc.message.startswith("--set ")
            if not from_set or not overrides:
                raise
            named = exc.file[6:].split("=", 1)[0] if exc.file else exc.field
            key = next((k for k in overrides if named == k or str(named).startswith(k + ".")), None)
            if key is None:
                key = next((k for k in overrides if str(exc.field).startswith(k)), next(iter(overrides)))
            message = exc.message.split(": ", 1)[1] if exc.message.startswith("--set ") else exc.message
            raise self.error(message, "set", key) from None

    # --- parameters ---

    def _parameters(self, kind: str) -> list[Parameter]:
        raw = self.data.get("parameters")
        if raw is None:
            raise self.error("required field is missing", "parameters")
        if not isinstance(raw, dict) or not raw:
            raise self.error("expected a mapping of dotted.path: values or range", "parameters")
        return [self._parameter(str(path), spec, kind) for path, spec in raw.items()]

    def _parameter(self, path: str, spec: Any, kind: str) -> Parameter:
        where = ("parameters", path)
        if not path or any(not part for part in path.split(".")):
            raise self.error("expected a dotted path such as actors.russia.capacity", *where)
        if isinstance(spec, list):
            spec = {"values": spec}
        if not isinstance(spec, dict):
            raise self.error("expected a list of values, {start, stop, step} or {low, high}", *where)
        keys = set(spec)
        forms = ({"values"}, {"start", "stop", "step"}, {"low", "high"}, {"low", "high", "levels"})
        if keys not in forms:
            for key in keys:
                if key not in {"values", "start", "stop", "step", "low", "high", "levels"}:
                    raise self.error(f"unknown field {key!r}", *where, key)
            raise self.error(
                "give values: [...], or start, stop and step, or low and high (with levels in a grid)", *where
            )
        if kind in SAMPLED and keys != {"low", "high"}:
            raise self.error(f"a {kind} design samples ranges: give low and high", *where)
        if "values" in keys:
            values = spec["values"]
            if not isinstance(values, list) or not values:
                raise self.error("expected a non-empty list", *where, "values")
            for i, value in enumerate(values):
                if isinstance(value, dict | list) or value is None:
                    raise self.error(f"expected a plain value, got {value!r}", *where, "values", i)
            if len(set(map(repr, values))) != len(values):
                raise self.error("the values repeat", *where, "values")
            return Parameter(path, values=tuple(values))
        if "start" in keys:
            return Parameter(path, values=tuple(self._steps(spec, where)))
        low, high = (self._number(spec, key, where) for key in ("low", "high"))
        if not low < high:
            raise self.error(f"low must be below high (got {low} and {high})", *where, "low")
        if "levels" in keys:
            levels = spec["levels"]
            if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 10_000:
                raise self.error(f"expected a whole number from 2 to 10000, got {levels!r}", *where, "levels")
            grid = [round(low + (high - low) * k / (levels - 1), 12) for k in range(levels)]
            return Parameter(path, values=tuple(grid))
        if kind == "grid":
            raise self.error("a grid needs values: give levels with low and high, or a list", *where)
        return Parameter(path, low=low, high=high)

    def _number(self, spec: dict[str, Any], key: str, where: tuple[str, ...]) -> float:
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(f"expected a number, got {value!r}", *where, key)
        return float(value)

    def _steps(self, spec: dict[str, Any], where: tuple[str, ...]) -> list[float]:
        start, stop, step = (self._number(spec, key, where) for key in ("start", "stop", "step"))
        if step <= 0:
            raise self.error(f"step must be positive (got {step})", *where, "step")
        if stop < start:
            raise self.error(f"stop must not be below start (got {start} and {stop})", *where, "stop")
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > 100_000:
            raise self.error(f"{count} values; use a coarser step", *where, "step")
        values = [round(start + k * step, 12) for k in range(count)]
        if all(isinstance(spec[k], int) for k in ("start", "stop", "step")):
            return [int(v) for v in values]
        return values

    def _zip(self, kind: str, parameters: list[Parameter]) -> tuple[tuple[str, ...], ...]:
        raw = self.data.get("zip", []) or []
        if not isinstance(raw, list):
            raise self.error("expected a list of groups, each a list of parameter paths", "zip")
        if raw and kind != "grid":
            raise self.error("zip groups are for grid designs", "zip")
        by_path = {p.path: p for p in parameters}
        seen: set[str] = set()
        groups = []
        for g, group in enumerate(raw):
            if not isinstance(group, list) or len(group) < 2:
                raise self.error("a zip group lists at least two parameter paths", "zip", g)
            lengths = set()
            for k, path in enumerate(group):
                if path not in by_path:
                    raise self.error(f"{path!r} is not one of the parameters", "zip", g, k)
                if path in seen:
                    raise self.error(f"{path!r} is in two zip groups", "zip", g, k)
                seen.add(path)
                values = by_path[path].values
                assert values is not None
                lengths.add(len(values))
            if len(lengths) > 1:
                raise self.error(f"zipped parameters need the same number of values (got {sorted(lengths)})", "zip", g)
            groups.append(tuple(str(p) for p in group))
        return tuple(groups)

    # --- outcomes ---

    def _outcomes(self) -> tuple[str, ...]:
        raw = self.data.get("outcomes", list(DEFAULT_OUTCOMES))
        if not isinstance(raw, list) or not raw:
            raise self.error("expected a non-empty list of outcome names", "outcomes")
        known = (*MEMBER_OUTCOMES, *ALLIANCE_OUTCOMES)
        for i, name in enumerate(raw):
            if name not in known:
                raise self.error(f"unknown outcome {name!r} (known: {', '.join(known)})", "outcomes", i)
        if len(set(raw)) != len(raw):
            raise self.error("an outcome is listed twice", "outcomes")
        return tuple(raw)

    def _timeseries(self) -> TimeseriesSpec | None:
        raw = self.data.get("timeseries")
        if raw is None or raw is False:
            return None
        if not isinstance(raw, dict):
            raise self.error("expected a mapping with stride and quantities", "timeseries")
        for key in raw:
            if key not in ("stride", "quantities"):
                raise self.error(f"unknown field {key!r} (known: stride, quantities)", "timeseries", key)
        stride = self._integer("stride", 1, 1, 600, "timeseries")
        quantities = raw.get("quantities", ["status", "trust_in_hegemon", "pressure"])
        if not isinstance(quantities, list) or not quantities:
            raise self.error("expected a non-empty list", "timeseries", "quantities")
        for i, name in enumerate(quantities):
            if name not in TIMESERIES_QUANTITIES:
                raise self.error(
                    f"unknown quantity {name!r} (known: {', '.join(TIMESERIES_QUANTITIES)})",
                    "timeseries",
                    "quantities",
                    i,
                )
        return TimeseriesSpec(stride=stride, quantities=tuple(dict.fromkeys(quantities)))

    # --- values against the scenario ---

    def _check_values(
        self, base: ScenarioConfig, parameters: list[Parameter], groups: tuple[tuple[str, ...], ...]
    ) -> None:
        """Every value each parameter can take must be valid in the base scenario.

        Lists are checked value by value (zipped parameters together), ranges at both
        bounds and at a fractional point inside (which catches whole-number fields, which
        a continuous range cannot sample). Combinations of
        parameters are checked when each point is built; a point that fails there is
        recorded with its error.
        """
        by_path = {p.path: p for p in parameters}
        grouped = {path for group in groups for path in group}
        for group in groups:
            columns = [by_path[path].values or () for path in group]
            for row in zip(*columns, strict=True):
                self._try(base, dict(zip(group, row, strict=True)), group[0])
        for parameter in parameters:
            if parameter.path in grouped:
                continue
            if parameter.values is not None:
                candidates = list(parameter.values)
            else:
                assert parameter.low is not None and parameter.high is not None
                inside = parameter.low + (parameter.high - parameter.low) * 0.6180339887498949
                candidates = [parameter.low, inside, parameter.high]
            for value in candidates:
                self._try(base, {parameter.path: value}, parameter.path)

    def _try(self, base: ScenarioConfig, values: dict[str, Any], path: str) -> None:
        try:
            with_overrides(base, values)
        except InputError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise self.error(f"{shown} is not valid for the scenario: {exc.message}", "parameters", path) from None
