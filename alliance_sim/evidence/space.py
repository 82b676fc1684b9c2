"""The parameters the articles leave open: their plausible ranges, and a particle applied.

`alliance-sim calibrate` samples, uniformly within its plausible range, every parameter
that the evidence does not pin to one value (docs/calibration.md, "Calibration with
honest uncertainty"):

- ``model.<section>.<field>``: a behavioural constant with a range in the ledger's
  `ranges:` (status thresholds, the logistic scale of the transitions, the value weights,
  the hegemon's and the war's constants). Moving ``model.status.disengage`` moves
  ``reengage`` and ``rejoin`` with it, so the hysteresis gaps of the scenario stay;
- ``steps.<strength>``: the logit step of a strength of claim, within its interval
  (`CalibrationMapping.step_ranges`);
- ``trust.<item>``: the weight of the steps of an item trusted less than fully (a reader
  comment), between its `trust` and 1.

A *particle* is one value for each, in the order of `ParameterSpace.names`. The point
estimate (`ParameterSpace.points`) is today's calibration: `ParticleApplier.apply` of it
gives back the loaded scenario unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliance_sim.errors import InputError
from alliance_sim.evidence.calibration import calibrate, step_range
from alliance_sim.evidence.ledger import Ledger, claims_by_param
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario, with_overrides

__all__ = ["Parameter", "ParameterSpace", "ParticleApplier", "parameter_space"]

STEP = "steps."
"""Prefix of the parameter of a strength's logit step."""
TRUST = "trust."
"""Prefix of the parameter of the weight of an item trusted less than fully."""
_DISENGAGE = "model.status.disengage"
_FOLLOWERS = ("model.status.reengage", "model.status.rejoin")


@dataclass(frozen=True)
class Parameter:
    """One parameter of the calibration, with its plausible range.

    Attributes:
        name: ``model.<section>.<field>``, ``steps.<strength>`` or ``trust.<item id>``.
        low: Lowest plausible value.
        high: Highest plausible value.
        point: Today's value (the point estimate).
        reason: Why this range.
    """

    name: str
    low: float
    high: float
    point: float
    reason: str = ""


@dataclass(frozen=True)
class ParameterSpace:
    """The calibrated parameters; their prior is uniform on the box of their ranges.

    Attributes:
        parameters: The parameters, in particle order.
    """

    parameters: tuple[Parameter, ...]

    @property
    def names(self) -> list[str]:
        """Parameter names, in particle order."""
        return [p.name for p in self.parameters]

    @property
    def lows(self) -> np.ndarray:
        """Lower ends of the ranges."""
        return np.array([p.low for p in self.parameters])

    @property
    def highs(self) -> np.ndarray:
        """Upper ends of the ranges."""
        return np.array([p.high for p in self.parameters])

    @property
    def points(self) -> np.ndarray:
        """The point estimate (today's values)."""
        return np.array([p.point for p in self.parameters])

    @property
    def widths(self) -> np.ndarray:
        """Width of each range (1 for a range of one point, so that scaling is safe)."""
        width = self.highs - self.lows
        return np.where(width > 0.0, width, 1.0)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One draw from the prior (uniform on every range)."""
        return self.lows + rng.random(len(self.parameters)) * (self.highs - self.lows)

    def contains(self, values: np.ndarray) -> bool:
        """Whether a particle lies inside every range (the prior's support)."""
        return bool(np.all(values >= self.lows) and np.all(values <= self.highs))


def _model_value(config: ScenarioConfig, path: str) -> float:
    node: Any = config
    for part in path.split(".")[:-1]:
        node = getattr(node, part)
    return float(getattr(node, path.split(".")[-1]))


def _has_model_value(config: ScenarioConfig, path: str) -> bool:
    try:
        _model_value(config, path)
    except (AttributeError, TypeError, ValueError):
        return False
    return True


def parameter_space(ledger: Ledger, config: ScenarioConfig) -> ParameterSpace:
    """The parameters a scenario calibrated by a ledger leaves open.

    Args:
        ledger: The scenario's ledger.
        config: The scenario (its values are the point estimate of the ranged constants).

    Returns:
        The ranged behavioural constants (in ledger order), then the steps of the strengths
        that claims use, then the weights of the items trusted less than fully.

    Raises:
        InputError: A range names a constant the ledger's claims set, or the scenario's
            value lies outside it (located in the ledger).
    """
    claimed = claims_by_param(ledger)
    parameters: list[Parameter] = []
    for path, bounds in ledger.ranges.items():
        if not bounds.calibrate:
            continue
        if path in claimed:
            raise ledger.error(
                f"{path} is set by the ledger's claims; a range is for constants they leave open", ("ranges", path)
            )
        point = _model_value(config, path)
        if not bounds.low <= point <= bounds.high:
            raise ledger.error(
                f"the scenario's value {point:g} lies outside the range [{bounds.low:g}, {bounds.high:g}]",
                ("ranges", path),
            )
        parameters.append(Parameter(path, bounds.low, bounds.high, point, bounds.reason))
    used = {c.strength for claims in claimed.values() for c in claims if c.kind == "direction"}
    for strength, step in ledger.mapping.steps.items():
        low, high = step_range(ledger, strength)
        if strength in used and low < high:
            parameters.append(Parameter(STEP + strength, low, high, step, f"logit step of a {strength} claim"))
    for item in ledger.items:
        if item.trust < 1.0 and any(c.kind == "direction" for c in item.claims):
            reason = f"weight of the steps of {item.attribution}"
            parameters.append(Parameter(TRUST + item.id, item.trust, 1.0, 1.0, reason))
    return ParameterSpace(tuple(parameters))


@dataclass
class ParticleApplier:
    """Turns a particle into the scenario it stands for; send it to workers as it is.

    Build it once per scenario (`ParticleApplier.of`), then call `apply` for each
    particle: the ledger's values are recalibrated with the particle's steps and weights,
    and the values the ledger filled in the scenario (never those a file or an override
    set) are replaced, as are the ranged constants.

    A scenario that extends the calibrated one (a what-if) uses the same posterior
    (`for_posterior`): a constant it sets to another value than the calibrated scenario's
    is *pinned*, and no particle moves it, so the what-if keeps saying what it says.

    Attributes:
        config: The loaded scenario (the point estimate).
        ledger: Its ledger.
        space: The calibrated parameters.
        filled: Paths of the values the ledger filled in the scenario.
        pinned: Names of the constants the scenario sets itself (particles leave them).
    """

    config: ScenarioConfig
    ledger: Ledger
    space: ParameterSpace
    filled: tuple[str, ...] = field(default_factory=tuple)
    pinned: frozenset[str] = frozenset()

    @classmethod
    def of(cls, loaded: LoadedScenario, ledger: Ledger, space: ParameterSpace | None = None) -> ParticleApplier:
        """The applier of a loaded scenario (its space by default from its ledger)."""
        filled = tuple(path for path, prov in loaded.calibration.items() if prov.used)
        return cls(loaded.config, ledger, space or parameter_space(ledger, loaded.config), filled)

    @classmethod
    def for_posterior(
        cls,
        loaded: LoadedScenario,
        ledger: Ledger,
        parameters: Sequence[Parameter],
        locate: Callable[[str, tuple[str | int, ...]], InputError] | None = None,
    ) -> ParticleApplier:
        """The applier of a scenario run with a posterior made for it or for a scenario it extends.

        Args:
            loaded: The scenario.
            ledger: Its ledger.
            parameters: The posterior's parameters (`Posterior.parameters`), whose points
                are the calibrated scenario's values.
            locate: Makes the error about a parameter, given a message and its key path in
                the posterior file (`Posterior.error`); by default an error naming the field.

        Returns:
            The applier, with the constants the scenario sets otherwise pinned.

        Raises:
            InputError: The posterior calibrates a parameter the scenario or ledger lacks.
        """
        items = {item.id for item in ledger.items}
        for k, p in enumerate(parameters):
            known = (
                p.name.removeprefix(STEP) in ledger.mapping.steps
                if p.name.startswith(STEP)
                else p.name.removeprefix(TRUST) in items
                if p.name.startswith(TRUST)
                else p.name.startswith("model.") and _has_model_value(loaded.config, p.name)
            )
            if not known:
                message = (
                    f"the posterior calibrates {p.name}, which this scenario and ledger lack; "
                    "rerun alliance-sim calibrate"
                )
                if locate is not None:
                    raise locate(message, ("parameters", k, "name"))
                raise InputError(message, field=f"parameters.{k}.name")
        applier = cls.of(loaded, ledger, ParameterSpace(tuple(parameters)))
        pinned = frozenset(
            p.name for p in parameters if p.name.startswith("model.") and _model_value(loaded.config, p.name) != p.point
        )
        return dataclasses.replace(applier, pinned=pinned)

    def overrides(self, values: Sequence[float] | np.ndarray | Mapping[str, float]) -> dict[str, float]:
        """The `--set`-style overrides a particle amounts to (empty for the point estimate).

        Args:
            values: One value per parameter, in the order of `space.names`, or by name
                (a name left out keeps its point estimate).

        Raises:
            InputError: Unknown names or the wrong number of values.
        """
        points = dict(zip(self.space.names, self.space.points.tolist(), strict=True))
        changed = {k: v for k, v in self._named(values).items() if v != points[k] and k not in self.pinned}
        out: dict[str, float] = {}
        steps = {k.removeprefix(STEP): v for k, v in changed.items() if k.startswith(STEP)}
        weights = {k.removeprefix(TRUST): v for k, v in changed.items() if k.startswith(TRUST)}
        if steps or weights:
            values_now = calibrate(self.ledger, steps=steps, weights=weights)
            for path in self.filled:
                out[path] = values_now[path].value
        for path, value in changed.items():
            if not path.startswith("model."):
                continue
            out[path] = value
            if path == _DISENGAGE:
                shift = value - points[_DISENGAGE]
                for follower in _FOLLOWERS:
                    out[follower] = _model_value(self.config, follower) + shift
        return out

    def apply(self, values: Sequence[float] | np.ndarray | Mapping[str, float]) -> ScenarioConfig:
        """The scenario with a particle's values: the point estimate gives `config` itself.

        Args:
            values: As for `overrides`.

        Returns:
            The validated scenario.
        """
        overrides = self.overrides(values)
        return with_overrides(self.config, overrides) if overrides else self.config

    def _named(self, values: Sequence[float] | np.ndarray | Mapping[str, float]) -> dict[str, float]:
        names = self.space.names
        if isinstance(values, Mapping):
            unknown = sorted(set(values) - set(names))
            if unknown:
                raise InputError(
                    f"unknown calibrated parameter {unknown[0]!r} ({', '.join(names)})", field="parameters"
                )
            return {n: float(values.get(n, p)) for n, p in zip(names, self.space.points, strict=True)}
        row = [float(v) for v in values]
        if len(row) != len(names):
            raise InputError(
                f"a particle has {len(row)} values, the calibration {len(names)} parameters", field="particles"
            )
        return dict(zip(names, row, strict=True))
