"""The posterior file: parameter sets with weights, how they were found, and for what.

`alliance-sim calibrate` writes one (`write_posterior`); a scenario names it with
``calibration.posterior`` (a path relative to the scenario file). The file is YAML, small
enough to read and to review in a diff:

    format: alliance-sim posterior          format_version: 1
    version, scenario, scenario_hash, ledger_hash, patterns_hash, seed
    settings: the sampler's settings (population, generations, replicates, quantile, chunk)
    parameters: [{name, low, high, point, reason}]   the calibrated parameters and their prior
    generations: [{epsilon, proposals, accepted, ess}]   acceptance diagnostics
    fit: the pattern log-likelihood of the point estimate and of the posterior, per pattern
    particles: [[weight, distance, value, value, ...], ...]   one row per particle

`read_posterior` validates it with located one-line errors (``FILE:LINE:COL: FIELD:
message``). To use it for posterior predictive runs:

    posterior = read_posterior(path)                    # posterior_path(loaded) names it
    applier = ParticleApplier.for_posterior(loaded, ledger, posterior.parameters, locate=posterior.error)
    for k in posterior.assign(seed, replicates):        # particle of each replicate
        config = applier.apply(posterior.values[k])     # the scenario of that particle

`posterior.stale(...)` says whether the scenario, ledger or patterns changed since.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from alliance_sim import files
from alliance_sim.errors import InputError
from alliance_sim.evidence.space import Parameter, ParticleApplier
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario, config_hash
from alliance_sim.scenario.yamlio import Positions, read_model, read_yaml

__all__ = [
    "ASSIGN_KEY",
    "FORMAT",
    "FORMAT_VERSION",
    "Posterior",
    "PosteriorFile",
    "file_hash",
    "format_posterior",
    "names_its_posterior",
    "posterior_path",
    "posterior_target",
    "read_posterior",
    "row_problem",
    "scenario_hash",
    "summary_rows",
    "write_posterior",
]

FORMAT = "alliance-sim posterior"
"""The `format` of a posterior file."""
FORMAT_VERSION = 1
"""The `format_version` this package reads and writes."""
ASSIGN_KEY = 0x9057
"""Spawn key of the stream that assigns particles to replicates (`Posterior.assign`)."""
WEIGHT_SUM_TOLERANCE = 1e-9
"""How far the weights may sum from 1."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PosteriorParameter(_Strict):
    """A calibrated parameter and its prior (uniform on its range)."""

    name: str = Field(min_length=1)
    """``model.<section>.<field>``, ``steps.<strength>`` or ``trust.<item id>``."""
    low: float
    """Lowest plausible value."""
    high: float
    """Highest plausible value."""
    point: float
    """Today's value (the point estimate)."""
    reason: str = ""
    """Why this range."""


class Settings(_Strict):
    """The sampler's settings."""

    population: int = Field(ge=1)
    """Proposals per generation."""
    generations: int = Field(ge=1)
    """Generations of the sequential sampler."""
    replicates: int = Field(ge=1)
    """Runs per proposal."""
    quantile: float = Field(gt=0.0, lt=1.0)
    """Quantile of the accepted distances that sets the next generation's tolerance."""
    chunk: int = Field(ge=1)
    """Proposals per task."""


class Generation(_Strict):
    """Acceptance diagnostics of one generation."""

    epsilon: float
    """Tolerance: a proposal is accepted when its distance is at most this."""
    proposals: int = Field(ge=0)
    """Proposals made (all simulated: the kernel never leaves the prior's support)."""
    accepted: int = Field(ge=0)
    """Proposals accepted."""
    ess: float = Field(ge=0.0)
    """Effective sample size of the accepted, weighted particles."""


class PatternFit(_Strict):
    """How often one reported fact holds, under the point estimate and under the posterior."""

    pattern: str
    """Pattern id."""
    member: str
    """Member."""
    point: float = Field(ge=0.0, le=1.0)
    """Share of runs of the point estimate in which it holds."""
    posterior: float = Field(ge=0.0, le=1.0)
    """Share of posterior predictive runs in which it holds."""


class Fit(_Strict):
    """The pattern log-likelihood (`alliance_sim.evidence.patterns.log_likelihood`) of both."""

    replicates: int = Field(ge=1)
    """Runs behind each share."""
    seed: int
    """Root seed of those runs (the same for both: common random numbers)."""
    point_log_likelihood: float
    """Of the point estimate."""
    posterior_log_likelihood: float
    """Of the posterior predictive runs."""
    patterns: list[PatternFit] = Field(default_factory=list)
    """Per reported fact."""


class PosteriorFile(_Strict):
    """A posterior file, as written."""

    format: Literal["alliance-sim posterior"]
    """Always `alliance-sim posterior`."""
    format_version: Literal[1]
    """Version of this format."""
    version: str
    """Version of alliance-sim that wrote it."""
    scenario: str
    """Name of the scenario calibrated."""
    scenario_hash: str
    """`scenario_hash` of the scenario calibrated (without its posterior)."""
    ledger_hash: str
    """`file_hash` of its ledger."""
    patterns_hash: str
    """`file_hash` of the reported patterns."""
    seed: int
    """Root seed of the sampler."""
    settings: Settings
    """The sampler's settings."""
    parameters: list[PosteriorParameter] = Field(min_length=1)
    """The calibrated parameters, in particle order."""
    generations: list[Generation] = Field(min_length=1)
    """Acceptance diagnostics, first generation first."""
    fit: Fit | None = None
    """Pattern fit of the point estimate and of the posterior."""
    particles: list[list[float]] = Field(min_length=1)
    """``[weight, distance, value per parameter]`` for each particle."""


def row_problem(spec: PosteriorFile) -> tuple[str, tuple[str | int, ...]] | None:
    """The first problem of a posterior's particles (message, key path), or None.

    Each row has a weight, a distance and one value per parameter, all finite; weights are
    not negative and sum to 1; each value lies within its parameter's range.
    """
    width = 2 + len(spec.parameters)
    total = 0.0
    for i, row in enumerate(spec.particles):
        if len(row) != width:
            return f"{len(row)} numbers, expected {width} (weight, distance, one value per parameter)", ("particles", i)
        if not all(math.isfinite(v) for v in row):
            return "every number must be finite", ("particles", i)
        if row[0] < 0.0:
            return f"weight {row[0]:g} is negative", ("particles", i)
        for parameter, value in zip(spec.parameters, row[2:], strict=True):
            if not parameter.low <= value <= parameter.high:
                message = f"{parameter.name} = {value:g} lies outside its range [{parameter.low:g}, {parameter.high:g}]"
                return message, ("particles", i)
        total += row[0]
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        return f"the weights sum to {total:.12g}, not 1", ("particles",)
    for k, parameter in enumerate(spec.parameters):
        if not parameter.low <= parameter.point <= parameter.high:
            message = f"point {parameter.point:g} is not inside [{parameter.low:g}, {parameter.high:g}]"
            return message, ("parameters", k)
    return None


@dataclass(frozen=True)
class Posterior:
    """A posterior read from its file (or just computed).

    Attributes:
        spec: The file's content.
        path: Where it was read from (None when not from a file).
        positions: Where each key sits in the file (for located errors).
    """

    spec: PosteriorFile
    path: Path | None = None
    positions: Positions | None = None

    @property
    def names(self) -> list[str]:
        """The calibrated parameters, in particle order."""
        return [p.name for p in self.spec.parameters]

    @property
    def parameters(self) -> list[Parameter]:
        """The calibrated parameters with their ranges and points (for `ParticleApplier.for_posterior`)."""
        return [Parameter(p.name, p.low, p.high, p.point, p.reason) for p in self.spec.parameters]

    @property
    def weights(self) -> np.ndarray:
        """Particle weights (sum 1)."""
        return np.array([row[0] for row in self.spec.particles])

    @property
    def distances(self) -> np.ndarray:
        """Each particle's distance to the reported patterns."""
        return np.array([row[1] for row in self.spec.particles])

    @property
    def values(self) -> np.ndarray:
        """Parameter values, shape (particles, parameters), columns in `names` order."""
        return np.array([row[2:] for row in self.spec.particles])

    def assign(self, seed: int, replicates: int) -> np.ndarray:
        """The particle of each replicate of a posterior predictive run.

        Replicate j of a run with root seed `seed` takes particle ``assign(seed, R)[j]``,
        drawn by weight from its own stream (``SeedSequence(seed, spawn_key=(ASSIGN_KEY,))``),
        which no run's random numbers use. It depends on nothing but the seed, the number
        of replicates and the file, so every executor and worker count agrees.
        """
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ASSIGN_KEY,)))
        weights = self.weights
        cumulative = np.cumsum(weights)
        cumulative[-1] = max(cumulative[-1], 1.0)
        return np.searchsorted(cumulative, rng.random(int(replicates)), side="right").astype(int)

    def check(self, applier: ParticleApplier) -> None:
        """Refuse a posterior whose parameters are not the scenario's calibrated ones.

        Raises:
            InputError: Located at the file's `parameters`.
        """
        expected = applier.space.names
        if self.names != expected:
            missing = [n for n in expected if n not in self.names]
            extra = [n for n in self.names if n not in expected]
            detail = f"missing {missing[0]}" if missing else f"unknown {extra[0]}" if extra else "another order"
            raise self.error(
                f"the posterior's parameters are not the scenario's ({detail}); rerun alliance-sim calibrate",
                ("parameters",),
            )

    def stale(self, loaded: LoadedScenario, patterns: str | Path | None = None, *, scenario: bool = True) -> list[str]:
        """What changed since the posterior was made: the scenario, its ledger, the patterns.

        Args:
            loaded: The scenario.
            patterns: The reported patterns file, to compare too.
            scenario: Compare the scenario itself. A scenario that extends the calibrated
                one (a what-if) differs from it by design and still uses its posterior:
                pass False for it; the ledger and the parameters (`check`) must still match.

        Returns:
            One phrase per change (empty when none), for a warning or an error.
        """
        changed = []
        if scenario and scenario_hash(loaded.config) != self.spec.scenario_hash:
            changed.append("the scenario changed")
        if loaded.ledger is not None and file_hash(loaded.ledger) != self.spec.ledger_hash:
            changed.append("the ledger changed")
        if patterns is not None and file_hash(patterns) != self.spec.patterns_hash:
            changed.append("the reported patterns changed")
        return changed

    def differs(self, scenario: str, settings: Settings, seed: int) -> str | None:
        """Why a calibration with these inputs would not simply remake this posterior, or None.

        Args:
            scenario: `scenario_hash` of the scenario to calibrate.
            settings: The sampler's settings.
            seed: Its root seed.

        Returns:
            A phrase (another scenario, other settings or seed), or None when they match.
        """
        spec = self.spec
        if spec.scenario_hash != scenario:
            return f"it calibrates another scenario ({spec.scenario})"
        if spec.settings != settings or spec.seed != seed:
            return "it was made with other settings or seed"
        return None

    def error(self, message: str, where: tuple[str | int, ...]) -> InputError:
        """An `InputError` located at `where` in the file (by field alone when not from a file)."""
        if self.positions is not None:
            return self.positions.error(message, where)
        return InputError(message, file=str(self.path) if self.path else None, field=".".join(map(str, where)))


def read_posterior(path: str | Path) -> Posterior:
    """Read and validate a posterior file.

    Raises:
        InputError: A bad file or field, located by file, line, column and field.
    """
    spec, positions = read_model(path, PosteriorFile)
    problem = row_problem(spec)
    if problem is not None:
        raise positions.error(*problem)
    return Posterior(spec, Path(path), positions)


def _number(value: float) -> str:
    """A float that PyYAML reads back as the same float (a dot, a signed exponent)."""
    text = repr(float(value))
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa and mantissa not in ("inf", "-inf", "nan"):
        mantissa += ".0"
    return mantissa + (e + exponent if e else "")


def write_posterior(path: str | Path, spec: PosteriorFile, command: str | None = None) -> Path:
    """Write a posterior file atomically (header as YAML, one particle per line).

    Args:
        path: The file.
        spec: Its content.
        command: The command that makes it, for the file's opening comment.

    Raises:
        ValueError: The particles are inconsistent (see `row_problem`).
    """
    problem = row_problem(spec)
    if problem is not None:
        raise ValueError(f"{'.'.join(map(str, problem[1]))}: {problem[0]}")
    header = spec.model_dump(mode="json", exclude={"particles"})
    text = [
        "# A posterior of the calibrated parameters (alliance-sim calibrate); docs/calibration.md",
        "# explains it. Never edit it by hand; make it again with:",
        f"#   {command or 'alliance-sim calibrate SCENARIO'}",
        yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=100).rstrip(),
        "particles:  # [weight, distance, one value per parameter, in the order of parameters]",
    ]
    text += ["  - [" + ", ".join(_number(v) for v in row) + "]" for row in spec.particles]
    return files.write_text(path, "\n".join(text) + "\n")


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes, the first 16 hex digits."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def scenario_hash(config: ScenarioConfig) -> str:
    """`config_hash` of a scenario (which leaves out the posterior it names)."""
    return config_hash(config)


def posterior_target(loaded: LoadedScenario) -> tuple[Path, Positions | None] | None:
    """Where a scenario's posterior is (or is to be written), and the positions of the file naming it.

    The path is relative to the file that writes ``calibration.posterior`` (the scenario or
    one of the bases it extends), or to the current folder when an override sets it
    (then there are no positions). None when the scenario names no posterior.
    """
    name = loaded.config.calibration.posterior
    if name is None:
        return None
    for file in loaded.files:
        data, positions = read_yaml(file)
        calibration = data.get("calibration") if isinstance(data, dict) else None
        if isinstance(calibration, dict) and calibration.get("posterior") == name:
            return Path(file).parent / name, positions
    return Path(name), None


def names_its_posterior(loaded: LoadedScenario) -> bool:
    """Whether the scenario file itself names its posterior (not a base it extends, nor an override).

    Only then is the posterior made for this very scenario: a what-if that extends the
    calibrated scenario uses its base's posterior and must never replace it.
    """
    target = posterior_target(loaded)
    return (
        target is not None
        and target[1] is not None
        and bool(loaded.files)
        and Path(target[1].file).resolve() == Path(loaded.files[0]).resolve()
    )


def posterior_path(loaded: LoadedScenario) -> Path | None:
    """The posterior file a scenario names (see `posterior_target`), or None.

    Raises:
        InputError: The file does not exist (located at the line that names it).
    """
    target = posterior_target(loaded)
    if target is None:
        return None
    path, positions = target
    if not path.is_file():
        message = f"posterior {loaded.config.calibration.posterior} not found"
        if positions is not None:
            raise positions.error(message, ("calibration", "posterior"))
        raise InputError(message, field="calibration.posterior")
    return path


def summary_rows(posterior: Posterior) -> list[dict[str, Any]]:
    """Prior against posterior, per parameter: range, point, weighted mean, sd, 5% and 95%.

    `narrowing` is the posterior's 90% interval as a share of the prior's (uniform: 0.9 of
    the range); near 1 the patterns leave the parameter open, well below 1 they pin it down.
    """
    values, weights = posterior.values, posterior.weights
    order = np.argsort(values, axis=0, kind="stable")
    rows = []
    for k, parameter in enumerate(posterior.spec.parameters):
        column = values[:, k]
        mean = float(np.sum(weights * column))
        sd = float(np.sqrt(np.sum(weights * (column - mean) ** 2)))
        sorted_values = column[order[:, k]]
        cumulative = np.cumsum(weights[order[:, k]])
        low, high = (
            float(sorted_values[min(int(np.searchsorted(cumulative, q)), len(column) - 1)]) for q in (0.05, 0.95)
        )
        width = 0.9 * (parameter.high - parameter.low)
        rows.append(
            {
                "parameter": parameter.name,
                "prior": f"{parameter.low:g}-{parameter.high:g}",
                "point": parameter.point,
                "mean": mean,
                "sd": sd,
                "q05": low,
                "q95": high,
                "narrowing": (high - low) / width if width > 0 else float("nan"),
            }
        )
    return rows


def format_posterior(posterior: Posterior) -> str:
    """The posterior for the terminal: diagnostics, prior against posterior, pattern fit."""
    spec = posterior.spec
    lines = [f"{spec.scenario}: posterior of {len(spec.parameters)} parameters, seed {spec.seed}", ""]
    lines.append("generation  tolerance  accepted  effective size")
    for t, g in enumerate(spec.generations, 1):
        tolerance = "-" if g.epsilon >= 1e300 else f"{g.epsilon:.4f}"
        lines.append(f"{t:>10}  {tolerance:>9}  {g.accepted:>4}/{g.proposals:<4}  {g.ess:>14.1f}")
    lines += [
        "",
        f"{'parameter':<40} {'prior':>10} {'point':>7} {'mean':>7} {'5%':>7} {'95%':>7} {'90% width/prior':>15}",
    ]
    for row in summary_rows(posterior):
        lines.append(
            f"{row['parameter']:<40} {row['prior']:>10} {row['point']:>7.3g} {row['mean']:>7.3g} "
            f"{row['q05']:>7.3g} {row['q95']:>7.3g} {row['narrowing']:>15.2f}"
        )
    if spec.fit is not None:
        fit = spec.fit
        lines += ["", f"reported patterns ({fit.replicates} replicates, seed {fit.seed}):"]
        lines.append(f"{'pattern':<38} {'member':<11} {'point':>6} {'posterior':>9}")
        for p in fit.patterns:
            lines.append(f"{p.pattern:<38} {p.member:<11} {p.point:>6.3f} {p.posterior:>9.3f}")
        lines.append(
            f"log-likelihood of the reported patterns: point estimate {fit.point_log_likelihood:.4f}, "
            f"posterior {fit.posterior_log_likelihood:.4f}"
        )
    return "\n".join(lines)
