"""The structure of the ledger file: strict pydantic models of its YAML.

Unknown keys, missing keys and values of the wrong kind are refused here, before any
cross-check, and reported at their file, line, column and field through the one mapper
of every input format (`alliance_sim.scenario.locate.input_error`). The parts of the
ledger that need nothing beyond their YAML (the mapping, its scales, the priors and the
data sources) are used as they are validated; items and claims become the dataclasses
of `alliance_sim.evidence.ledger`, which add where they sit and what kind they are.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alliance_sim.scenario.config import ActorId

_ITEM_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Scale(_Strict):
    """A logarithmic scale for numbers stated in the articles: log(1+n) / log(1+reference), capped at 1."""

    reference: float = Field(gt=0.0)
    """The number that maps to 1."""
    note: str = ""
    """Why this reference."""
    evidence: str | None = None
    """Id of the evidence item behind the reference, if any."""


Interval = tuple[float, float]
"""A closed interval ``[low, high]``, written as a two-item list."""


def check_interval(interval: Interval, point: float | None = None) -> str | None:
    """What is wrong with an interval (low above high, or a point outside it), or None."""
    low, high = interval
    if low > high:
        return f"the range [{low:g}, {high:g}] ends below where it starts"
    if point is not None and not low <= point <= high:
        return f"the value {point:g} lies outside its range [{low:g}, {high:g}]"
    return None


class CalibrationMapping(_Strict):
    """The one mapping from evidence to values."""

    neutral_prior: float = Field(gt=0.0, lt=1.0)
    """Where a parameter with direction claims starts without an explicit prior."""
    steps: dict[str, Annotated[float, Field(gt=0.0, le=10.0)]] = Field(min_length=1)
    """Logit step of each claim strength (the point estimate)."""
    step_ranges: dict[str, Interval] = Field(default_factory=dict)
    """Plausible interval of logit steps of each strength, `[low, high]`, containing its step;
    a strength without one is a point (its step, fixed)."""
    prior_spread: float = Field(default=1.0, ge=0.0, le=5.0)
    """Plausible range of a prior without its own `range`: its logit, plus or minus this
    (a prior of exactly 0 or 1 is structural and has no range)."""
    reader_trust: float = Field(default=0.5, ge=0.0, le=1.0)
    """Trust of a reader comment without its own `trust` (see `ItemSpec.trust`)."""
    scales: dict[str, Scale] = Field(default_factory=dict)
    """Named scales for stated numbers."""

    @model_validator(mode="after")
    def _ranges_contain_steps(self) -> CalibrationMapping:
        for name, interval in self.step_ranges.items():
            if name not in self.steps:
                raise ValueError(f"step_ranges names {name!r}, which is not a strength of steps")
            problem = check_interval(interval, self.steps[name])
            if problem:
                raise ValueError(f"step_ranges.{name}: {problem}")
            if interval[0] <= 0.0:
                raise ValueError(f"step_ranges.{name}: a step is positive; the range must start above 0")
        return self


class Prior(_Strict):
    """A non-neutral starting point (or a value set without evidence), with its reason."""

    value: float = Field(ge=0.0, le=1.0)
    """The starting value."""
    reason: str = Field(min_length=1)
    """Why."""
    range: Interval | None = None
    """Plausible range `[low, high]` (default: see `CalibrationMapping.prior_spread`)."""

    @model_validator(mode="after")
    def _range_contains_value(self) -> Prior:
        if self.range is not None:
            problem = check_interval(self.range, self.value)
            if problem:
                raise ValueError(problem)
            if self.range[0] < 0.0 or self.range[1] > 1.0:
                raise ValueError("a prior's range lies within [0, 1]")
        return self


class Range(_Strict):
    """The plausible range of a behavioural constant (`model.<section>.<field>`)."""

    low: float
    """Lowest plausible value."""
    high: float
    """Highest plausible value."""
    reason: str = Field(min_length=1)
    """Why this range (docs/odd.md gives every constant's)."""
    calibrate: bool = True
    """Whether `alliance-sim calibrate` samples it (False: documented only)."""

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        problem = check_interval((self.low, self.high))
        if problem:
            raise ValueError(problem)
        return self


class DataSource(_Strict):
    """A non-article source: a data file next to the ledger and its citation."""

    file: str = Field(min_length=1)
    """The data file (CSV), relative to the ledger."""
    citation: str = Field(min_length=1)
    """How to cite it."""


class ClaimSpec(_Strict):
    """One claim of an item, as written (exactly one kind of claim)."""

    param: str = Field(min_length=1)
    direction: Literal["up", "down"] | None = None
    strength: str | None = None
    supports: Literal["event"] | None = None
    count: float | None = Field(default=None, ge=0.0)
    scale: str | None = None
    window_months: int | None = Field(default=None, ge=1)
    value: float | None = None
    row: str | None = None
    also: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> ClaimSpec:
        kinds = {
            "direction": self.direction is not None or self.strength is not None,
            "supports": self.supports is not None,
            "count": self.count is not None or self.scale is not None or self.window_months is not None,
            "value": self.value is not None or self.row is not None,
        }
        chosen = [k for k, on in kinds.items() if on]
        if not chosen:
            raise ValueError(
                "a claim needs one of: direction and strength; supports: event; "
                "count and scale; count and window_months; value and row"
            )
        if len(chosen) > 1:
            raise ValueError(f"a claim has one kind, this one mixes {' and '.join(chosen)}")
        if chosen == ["direction"] and (self.direction is None or self.strength is None):
            raise ValueError("a direction claim needs both direction (up, down) and strength")
        if chosen == ["value"] and (self.value is None or self.row is None):
            raise ValueError("a value claim needs both value and row")
        if chosen == ["count"]:
            if self.count is None:
                raise ValueError("a scale or rate claim needs a count")
            if (self.scale is None) == (self.window_months is None):
                raise ValueError("a count needs exactly one of scale or window_months")
        return self

    @property
    def kind(self) -> str:
        """`direction`, `supports`, `value`, `scale` or `rate`."""
        if self.direction is not None:
            return "direction"
        if self.supports is not None:
            return "supports"
        if self.value is not None:
            return "value"
        return "scale" if self.scale is not None else "rate"


class ItemSpec(_Strict):
    """One evidence item, as written."""

    id: str = Field(pattern=_ITEM_ID, max_length=80)
    source: str = Field(min_length=1)
    kind: Literal["article", "reader_comment"] = "article"
    """`reader_comment` for a quote from a reader's comment under the article, not the article."""
    trust: float | None = Field(default=None, ge=0.0, le=1.0)
    """How much the item is trusted: the lowest weight of its claims' steps, which range over
    `[trust, 1]` (the point estimate weighs them fully). Default 1 for an article, the
    mapping's `reader_trust` for a reader comment."""
    quote: str | None = None
    date: str
    actors: list[ActorId] = Field(min_length=1)
    claims: list[ClaimSpec] = Field(default_factory=list)
    note: str = ""


class LedgerSpec(_Strict):
    """The ledger file, as written."""

    mapping: CalibrationMapping
    priors: dict[str, Prior] = Field(default_factory=dict)
    ranges: dict[str, Range] = Field(default_factory=dict)
    sources: dict[str, DataSource] = Field(default_factory=dict)
    items: list[ItemSpec] = Field(min_length=1)
