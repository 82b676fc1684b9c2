"""The structure of the ledger file: strict pydantic models of its YAML.

Unknown keys, missing keys and values of the wrong kind are refused here, before any
cross-check, and reported at their file, line, column and field (`_validation_error`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alliance_sim.errors import InputError
from alliance_sim.scenario.yamlio import Positions

_ITEM_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ScaleSpec(_Strict):
    reference: float = Field(gt=0.0)
    note: str = ""
    evidence: str | None = None


class _MappingSpec(_Strict):
    neutral_prior: float = Field(gt=0.0, lt=1.0)
    steps: dict[str, Annotated[float, Field(gt=0.0, le=10.0)]] = Field(min_length=1)
    scales: dict[str, _ScaleSpec] = Field(default_factory=dict)


class _PriorSpec(_Strict):
    value: float = Field(ge=0.0, le=1.0)
    reason: str = Field(min_length=1)


class _SourceSpec(_Strict):
    file: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class _ClaimSpec(_Strict):
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
    def _one_kind(self) -> _ClaimSpec:
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
        if self.direction is not None:
            return "direction"
        if self.supports is not None:
            return "supports"
        if self.value is not None:
            return "value"
        return "scale" if self.scale is not None else "rate"


class _ItemSpec(_Strict):
    id: str = Field(pattern=_ITEM_ID, max_length=80)
    source: str = Field(min_length=1)
    quote: str | None = None
    date: str
    actors: list[str] = Field(min_length=1)
    claims: list[_ClaimSpec] = Field(default_factory=list)
    note: str = ""


class _LedgerSpec(_Strict):
    mapping: _MappingSpec
    priors: dict[str, _PriorSpec] = Field(default_factory=dict)
    sources: dict[str, _SourceSpec] = Field(default_factory=dict)
    items: list[_ItemSpec] = Field(min_length=1)


def _validation_error(exc: ValidationError, positions: Positions) -> InputError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif isinstance(error.get("input"), str | int | float | bool):
        message = f"{message} (got {error['input']!r})"
    return positions.error(message, loc)
