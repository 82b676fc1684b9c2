"""The calibration ledger: evidence from the articles, checked and turned into parameter values.

`seeds/evidence.yaml` lists evidence items. Each item is a verbatim quote from one of the
articles in `seeds/` (or a row of a cited data set), its date, the actors it concerns and
the claims it makes about model parameters. This module

- loads the ledger and checks its structure, naming file, line, column and field of any
  problem (`load_ledger`);
- checks that every quote stands verbatim in its article and every data value in its data
  file (`verify_quotes`);
- turns the claims into parameter values through one documented mapping, each value with
  the evidence ids behind it and its arithmetic (`calibrate`, `event_support`);
- prints the evidence for the command `alliance-sim evidence` (`format_ledger`).

The mapping (written out in `docs/calibration.md`): a parameter with direction claims is
sigma(logit(prior) + sum of signed steps), one step per claim by its strength; a number
stated in an article goes through a named logarithmic scale or, for a hazard, becomes a
rate count / window; a data value is used as it stands.
"""

from __future__ import annotations

import csv
import difflib
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from alliance_sim.config import (
    ActorConfig,
    EventConfig,
    HazardConfig,
    ModelParams,
    Relation,
    parse_month,
)
from alliance_sim.dynamics import casualty_severity, logit, sigmoid
from alliance_sim.errors import InputError
from alliance_sim.yamlio import PathKey, Positions, read_yaml

DEFAULT_LEDGER = Path("seeds") / "evidence.yaml"
"""Where the ledger sits relative to the repository root (see `find_ledger`)."""

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ITEM_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_ROW = re.compile(r"^([A-Z]{2,3}(?:\+[A-Z]{2,3})*) (\d{4}) ([a-z]+)$")
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_WRAP = 88

ACTOR_FIELDS = tuple(f for f, info in ActorConfig.model_fields.items() if info.annotation is float)
"""Numeric actor fields a claim may target (`actors.<id>.<field>`)."""
MEMBER_ONLY_FIELDS = tuple(
    f for f in ACTOR_FIELDS if (ActorConfig.model_fields[f].description or "").endswith("Members only.")
)
"""Actor fields that config.py documents as meaningful for members only."""
RELATION_FIELDS = tuple(Relation.model_fields)
"""Fields of a relation (`actors.<id>.relations.<other>.<field>`)."""
EVENT_FIELDS = ("severity",)
"""Event fields a claim may target (`events.<id>.<field>`)."""
HAZARD_FIELDS = ("monthly_rate", "severity")
"""Hazard fields a claim may target (`hazards.<id>.<field>`)."""
MODEL_SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation for name, info in ModelParams.model_fields.items() if info.annotation is not None
}
"""Sections of the behavioural constants (`model.<section>.<field>`)."""


# --- The ledger as data -----------------------------------------------------------------


@dataclass(frozen=True)
class ParamPath:
    """A parsed parameter path.

    Attributes:
        kind: `actor`, `relation`, `event`, `hazard` or `model`.
        owner: The actor, event or hazard id, or the model section.
        field: The field, or None for a bare event (`events.<id>`).
        other: For relations, the other actor's id.

    """

    kind: str
    owner: str
    field: str | None
    other: str | None = None

    def actor_ids(self) -> tuple[str, ...]:
        """Return the actor ids the path names (none for events, hazards and the model)."""
        if self.kind == "actor":
            return (self.owner,)
        if self.kind == "relation":
            return (self.owner, self.other or "")
        return ()


@dataclass(frozen=True)
class Claim:
    """What one evidence item says about one parameter.

    Attributes:
        param: Dotted parameter path, for example ``actors.armenia.trust_prior``.
        kind: `direction`, `supports`, `scale`, `rate` or `value`.
        direction: `up` or `down` (direction claims).
        strength: A key of the mapping's steps (direction claims).
        count: A number stated in the source (scale and rate claims).
        scale: Name of the mapping's scale (scale claims).
        window_months: Months the count was observed over (rate claims).
        value: A data value used as it stands (value claims).
        row: Where in the data file the value is, ``"ABB[+ABB...] YEAR column"``.
        also: Ids of other items the claim relies on (a count that spans several items).
        note: Why the claim reads the quote this way.
        line: Line of the claim in the ledger.
        index: Position (item index, claim index) in the ledger.

    """

    param: str
    kind: str
    direction: str | None = None
    strength: str | None = None
    count: float | None = None
    scale: str | None = None
    window_months: int | None = None
    value: float | None = None
    row: str | None = None
    also: tuple[str, ...] = ()
    note: str = ""
    line: int = 0
    index: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class EvidenceItem:
    """One quote (or data row) and its claims.

    Attributes:
        id: Unique id, lower case with dashes.
        source: Article file in the ledger's folder, or a key of the ledger's `sources`.
        quote: The verbatim quote (may be empty for a data item).
        date: ``YYYY-MM`` or a period ``YYYY-MM/YYYY-MM``.
        actors: Actor ids the item concerns.
        claims: What it says about parameters; none for an observed outcome, which is
            recorded to check runs against and is not an input.
        line: Line of the item in the ledger.
        note: Why it is read as it is.

    """

    id: str
    source: str
    quote: str
    date: str
    actors: tuple[str, ...]
    claims: tuple[Claim, ...]
    line: int
    note: str = ""


@dataclass(frozen=True)
class Scale:
    """A logarithmic scale for numbers stated in the articles: log(1+n) / log(1+reference), capped at 1."""

    reference: float
    note: str = ""
    evidence: str | None = None


@dataclass(frozen=True)
class CalibrationMapping:
    """The one mapping from evidence to values."""

    neutral_prior: float
    steps: dict[str, float]
    scales: dict[str, Scale]


@dataclass(frozen=True)
class Prior:
    """A non-neutral starting point (or a value set without evidence), with its reason."""

    value: float
    reason: str


@dataclass(frozen=True)
class DataSource:
    """A non-article source: a data file next to the ledger and its citation."""

    file: str
    citation: str


@dataclass(frozen=True)
class Ledger:
    """A loaded ledger.

    Attributes:
        path: The ledger file.
        items: Evidence items in file order.
        mapping: Neutral prior, steps by strength, scales.
        priors: Starting points by parameter path (a path segment may be ``*``).
        sources: Non-article sources by key.
        positions: Where every key sits in the file, for located errors.

    """

    path: Path
    items: tuple[EvidenceItem, ...]
    mapping: CalibrationMapping
    priors: dict[str, Prior]
    sources: dict[str, DataSource]
    positions: Positions

    def error(self, message: str, where: PathKey) -> InputError:
        """Return an `InputError` located at `where` in the ledger."""
        return self.positions.error(message, where)

    def is_data(self, item: EvidenceItem) -> bool:
        """Whether the item cites a data source rather than an article."""
        return item.source in self.sources


@dataclass(frozen=True)
class CalibratedValue:
    """A parameter value with its provenance.

    Attributes:
        path: Dotted parameter path.
        value: The value.
        evidence_ids: Ids of the items behind it (empty for a value set by a prior alone).
        method: How it was obtained, for example ``logit steps +1.0 -0.5 from prior 0.5``.
        prior: The starting point of direction claims, if any.
        arithmetic: The computation written out.

    """

    path: str
    value: float
    evidence_ids: tuple[str, ...]
    method: str
    prior: float | None = None
    arithmetic: str = ""


# --- Structure (pydantic) ---------------------------------------------------------------


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


# --- Parameter paths --------------------------------------------------------------------


def _choices(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names)


def _check_id(text: str, what: str, allow_pattern: bool) -> None:
    if allow_pattern and text == "*":
        return
    if not _ID.match(text):
        raise ValueError(f"{what} {text!r} is not a valid id (lower case letters, digits, underscores)")


def _check_field(field: str, known: tuple[str, ...], what: str, allow_pattern: bool) -> None:
    if allow_pattern and field == "*":
        return
    if field not in known:
        raise ValueError(f"unknown field {field!r} for {what} ({_choices(known)})")


def parse_param(text: str, *, allow_pattern: bool = False) -> ParamPath:
    """Parse and check a parameter path against the fields of config.py's models.

    Args:
        text: For example ``actors.armenia.relations.azerbaijan.hostility``.
        allow_pattern: Let an id or field be ``*`` (used by `priors`).

    Returns:
        The parsed path.

    Raises:
        ValueError: The path does not follow the grammar or names an unknown field.

    """
    parts = text.split(".")
    head = parts[0]
    if head == "actors" and len(parts) == 3:
        _check_id(parts[1], "actor", allow_pattern)
        _check_field(parts[2], ACTOR_FIELDS, "an actor", allow_pattern)
        return ParamPath("actor", parts[1], parts[2])
    if head == "actors" and len(parts) == 5 and parts[2] == "relations":
        _check_id(parts[1], "actor", allow_pattern)
        _check_id(parts[3], "actor", allow_pattern)
        if parts[1] == parts[3] and parts[1] != "*":
            raise ValueError(f"an actor has no relation to itself ({parts[1]!r})")
        _check_field(parts[4], RELATION_FIELDS, "a relation", allow_pattern)
        return ParamPath("relation", parts[1], parts[4], parts[3])
    if head == "events" and len(parts) in (2, 3):
        _check_id(parts[1], "event", allow_pattern)
        field = parts[2] if len(parts) == 3 else None
        if field is not None:
            _check_field(field, EVENT_FIELDS, "an event", allow_pattern)
        return ParamPath("event", parts[1], field)
    if head == "hazards" and len(parts) == 3:
        _check_id(parts[1], "hazard", allow_pattern)
        _check_field(parts[2], HAZARD_FIELDS, "a hazard", allow_pattern)
        return ParamPath("hazard", parts[1], parts[2])
    if head == "model" and len(parts) == 3:
        section = MODEL_SECTIONS.get(parts[1])
        if section is None:
            raise ValueError(f"unknown model section {parts[1]!r} ({_choices(list(MODEL_SECTIONS))})")
        _check_field(parts[2], tuple(section.model_fields), f"model.{parts[1]}", allow_pattern)
        return ParamPath("model", parts[1], parts[2])
    raise ValueError(
        f"unknown parameter path {text!r}; expected actors.<id>.<field>, "
        "actors.<id>.relations.<other>.<proximity|hostility|ties>, events.<id>[.severity], "
        "hazards.<id>.<monthly_rate|severity> or model.<section>.<field>"
    )


@cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    info = model.model_fields[field]
    if info.metadata:
        return TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[valid-type]
    return TypeAdapter(info.annotation)


def _model_of(path: ParamPath) -> type[BaseModel]:
    return {
        "actor": ActorConfig,
        "relation": Relation,
        "event": EventConfig,
        "hazard": HazardConfig,
    }.get(path.kind) or MODEL_SECTIONS[path.owner]


def check_bounds(param: str, value: float) -> str | None:
    """Check a value against the bounds config.py puts on its field.

    Returns:
        None if the value is allowed, else what is wrong.

    """
    path = parse_param(param)
    assert path.field is not None
    try:
        _adapter(_model_of(path), path.field).validate_python(value)
    except ValidationError as exc:
        return f"{value:.6g} is out of bounds for {param}: {exc.errors(include_url=False)[0]['msg']}"
    return None


# --- Loading ----------------------------------------------------------------------------


def load_ledger(path: str | Path) -> Ledger:
    """Load a ledger and check its structure.

    Args:
        path: The ledger file (YAML).

    Returns:
        The ledger.

    Raises:
        InputError: Anything wrong, located by file, line, column and field.

    """
    path = Path(path)
    data, positions = read_yaml(path)
    try:
        spec = _LedgerSpec.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, positions) from None
    folder = path.parent
    sources = _check_sources(spec, folder, positions)
    mapping = CalibrationMapping(
        spec.mapping.neutral_prior,
        dict(spec.mapping.steps),
        {k: Scale(s.reference, s.note, s.evidence) for k, s in spec.mapping.scales.items()},
    )
    priors = _check_priors(spec, positions)
    items = tuple(_build_item(i, s, spec, folder, positions) for i, s in enumerate(spec.items))
    ledger = Ledger(path, items, mapping, priors, sources, positions)
    _check_references(ledger)
    _check_param_claims(ledger)
    return ledger


def _check_sources(spec: _LedgerSpec, folder: Path, positions: Positions) -> dict[str, DataSource]:
    sources = {}
    for key, source in spec.sources.items():
        if not (folder / source.file).is_file():
            raise positions.error(
                f"data file {source.file!r} not found next to the ledger", ("sources", key, "file")
            )
        sources[key] = DataSource(source.file, source.citation)
    return sources


def _check_priors(spec: _LedgerSpec, positions: Positions) -> dict[str, Prior]:
    priors = {}
    for key, prior in spec.priors.items():
        try:
            parsed = parse_param(key, allow_pattern=True)
        except ValueError as exc:
            raise positions.error(str(exc), ("priors", key)) from None
        if parsed.field is None:
            raise positions.error("a prior needs a field", ("priors", key))
        priors[key] = Prior(prior.value, prior.reason)
    return priors


def _check_date(text: str) -> None:
    parts = text.split("/")
    if len(parts) > 2:
        raise ValueError(f"expected YYYY-MM or YYYY-MM/YYYY-MM, got {text!r}")
    months = [parse_month(p) for p in parts]
    if len(months) == 2 and months[1] < months[0]:
        raise ValueError(f"the period {text!r} ends before it starts")


def _build_item(
    index: int, spec: _ItemSpec, ledger: _LedgerSpec, folder: Path, positions: Positions
) -> EvidenceItem:
    where: PathKey = ("items", index)
    try:
        _check_date(spec.date)
    except ValueError as exc:
        raise positions.error(str(exc), (*where, "date")) from None
    for k, actor in enumerate(spec.actors):
        if not _ID.match(actor):
            raise positions.error(f"{actor!r} is not a valid actor id", (*where, "actors", k))
    is_data = spec.source in ledger.sources
    if not is_data:
        articles = sorted(p.name for p in folder.glob("*.txt"))
        if "/" in spec.source or "\\" in spec.source or not (folder / spec.source).is_file():
            keys = _choices(list(ledger.sources)) or "none"
            raise positions.error(
                f"unknown source {spec.source!r}: neither an article file next to the ledger "
                f"({_choices(articles) or 'none found'}) nor a key of sources ({keys})",
                (*where, "source"),
            )
        if not spec.quote or not spec.quote.strip():
            raise positions.error("an item citing an article needs a quote", (*where, "quote"))
    if not spec.claims and not spec.note.strip():
        raise positions.error(
            "an item without claims records an observed outcome; its note must say what it shows",
            (*where, "claims"),
        )
    claims = tuple(
        _build_claim(index, j, c, spec, is_data, ledger, positions) for j, c in enumerate(spec.claims)
    )
    line = positions.locate(where)[0] or 0
    return EvidenceItem(
        spec.id, spec.source, spec.quote or "", spec.date, tuple(spec.actors), claims, line, spec.note
    )


def _build_claim(
    i: int,
    j: int,
    spec: _ClaimSpec,
    item: _ItemSpec,
    is_data: bool,
    ledger: _LedgerSpec,
    positions: Positions,
) -> Claim:
    where: PathKey = ("items", i, "claims", j)
    try:
        path = parse_param(spec.param)
    except ValueError as exc:
        raise positions.error(str(exc), (*where, "param")) from None
    kind = spec.kind
    if kind == "direction" and spec.strength not in ledger.mapping.steps:
        known = _choices(list(ledger.mapping.steps))
        raise positions.error(f"unknown strength {spec.strength!r} ({known})", (*where, "strength"))
    if (kind == "supports") != (path.kind == "event" and path.field is None):
        message = (
            "supports: event needs a bare event path, events.<id>"
            if kind == "supports"
            else f"{spec.param} names an event; claim `supports: event`, or add a field (severity)"
        )
        raise positions.error(message, (*where, "param"))
    if kind == "scale" and spec.scale not in ledger.mapping.scales:
        known = _choices(list(ledger.mapping.scales)) or "none defined"
        raise positions.error(f"unknown scale {spec.scale!r} ({known})", (*where, "scale"))
    if kind == "rate" and not (path.kind == "hazard" and path.field == "monthly_rate"):
        raise positions.error(
            "a rate claim (count, window_months) needs hazards.<id>.monthly_rate", (*where, "param")
        )
    if (kind == "value") != is_data:
        message = (
            "a value claim needs a data source (a key of sources)"
            if kind == "value"
            else "a data item makes value claims only (value and row)"
        )
        raise positions.error(message, (*where, "param"))
    if kind == "value" and not _ROW.match(spec.row or ""):
        raise positions.error(f"row {spec.row!r} should read 'ABB[+ABB...] YEAR column'", (*where, "row"))
    for actor in path.actor_ids():
        if actor not in item.actors:
            raise positions.error(
                f"{spec.param} names actor {actor!r}, which is not in the item's actors", (*where, "param")
            )
    fields = spec.model_dump(exclude={"supports", "also"})
    line = positions.locate(where)[0] or 0
    return Claim(kind=kind, also=tuple(spec.also), line=line, index=(i, j), **fields)


def _check_references(ledger: Ledger) -> None:
    first: dict[str, int] = {}
    for i, item in enumerate(ledger.items):
        if item.id in first:
            line = ledger.items[first[item.id]].line
            raise ledger.error(f"duplicate id {item.id!r} (first used on line {line})", ("items", i, "id"))
        first[item.id] = i
    for item in ledger.items:
        for claim in item.claims:
            for k, other in enumerate(claim.also):
                if other not in first or other == item.id:
                    where = ("items", *claim.index[:1], "claims", claim.index[1], "also", k)
                    raise ledger.error(f"also: {other!r} is not the id of another item", where)
    for name, scale in ledger.mapping.scales.items():
        if scale.evidence is not None and scale.evidence not in first:
            raise ledger.error(
                f"unknown evidence id {scale.evidence!r}", ("mapping", "scales", name, "evidence")
            )


def _claim_where(claim: Claim, field: str = "param") -> PathKey:
    return ("items", claim.index[0], "claims", claim.index[1], field)


def _check_param_claims(ledger: Ledger) -> None:
    for param, claims in _claims_by_param(ledger).items():
        kinds = [c.kind for c in claims]
        if len(set(kinds)) > 1:
            other = next(c for c in claims if c.kind != kinds[0])
            raise ledger.error(
                f"{param} has both {kinds[0]} and {other.kind} claims; a parameter is set by direction "
                "claims, or by exactly one value, scale or rate claim",
                _claim_where(other),
            )
        if kinds[0] != "direction" and len(claims) > 1:
            raise ledger.error(
                f"{param} has {len(claims)} {kinds[0]} claims; "
                "exactly one is allowed, so that the arithmetic is visible",
                _claim_where(claims[1]),
            )
        prior = ledger.priors.get(param)
        if prior is not None and kinds[0] != "direction":
            raise ledger.error(
                f"a prior has no effect on {param}, which a {kinds[0]} claim sets", ("priors", param)
            )
        if kinds[0] == "direction" and not 0.0 < _prior_for(ledger, param)[0] < 1.0:
            raise ledger.error(
                f"the prior of {param} must lie strictly between 0 and 1", _claim_where(claims[0])
            )


def _claims_by_param(ledger: Ledger) -> dict[str, list[Claim]]:
    grouped: dict[str, list[Claim]] = {}
    for item in ledger.items:
        for claim in item.claims:
            if claim.kind != "supports":
                grouped.setdefault(claim.param, []).append(claim)
    return grouped


def _prior_for(ledger: Ledger, param: str) -> tuple[float, str]:
    """Return the starting point of a parameter and where it comes from."""
    if param in ledger.priors:
        return ledger.priors[param].value, "prior"
    parts = param.split(".")
    for key, prior in ledger.priors.items():
        pattern = key.split(".")
        if len(pattern) == len(parts) and all(fnmatchcase(p, q) for p, q in zip(parts, pattern, strict=True)):
            return prior.value, f"prior {key}"
    return ledger.mapping.neutral_prior, "neutral prior"


def find_ledger(start: Path | None = None) -> Path:
    """Find `seeds/evidence.yaml` in a folder or its parents.

    Args:
        start: Where to start looking (default: the current directory).

    Returns:
        The ledger's path.

    Raises:
        InputError: No folder on the way up holds one.

    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_LEDGER
        if candidate.is_file():
            return candidate
    raise InputError(f"no {DEFAULT_LEDGER} in {here} or any parent folder; pass the ledger's path")


# --- Checking quotes and data -----------------------------------------------------------


def normalise_quote(text: str) -> str:
    """Collapse whitespace runs to one space and map typographic quotes to ASCII ones."""
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def verify_quotes(ledger: Ledger) -> None:
    """Check every quote against its article and every data value against its data file.

    Raises:
        InputError: At the first quote not found verbatim (after `normalise_quote`) or data
            value that differs from the data file.

    """
    texts: dict[str, str] = {}
    for index, item in enumerate(ledger.items):
        file = ledger.sources[item.source].file if ledger.is_data(item) else item.source
        if file not in texts:
            texts[file] = normalise_quote((ledger.path.parent / file).read_text(encoding="utf-8"))
        if item.quote and normalise_quote(item.quote) not in texts[file]:
            raise ledger.error(
                f"the quote of item {item.id!r} is not in {file} (verbatim)", ("items", index, "quote")
            )
        if ledger.is_data(item):
            for claim in item.claims:
                _verify_value(ledger, claim, ledger.path.parent / file)


def _read_rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def _verify_value(ledger: Ledger, claim: Claim, path: Path) -> None:
    match = _ROW.match(claim.row or "")
    assert match is not None and claim.value is not None
    states, year, column = match.group(1).split("+"), match.group(2), match.group(3)
    rows = _read_rows(path)
    total = 0.0
    for state in states:
        found = [r for r in rows if r.get("stateabb") == state and r.get("year") == year]
        if len(found) != 1 or column not in found[0] or float(found[0][column]) == -9:
            raise ledger.error(
                f"{path.name} has no {column} for {state} in {year}", _claim_where(claim, "row")
            )
        total += float(found[0][column])
    if abs(total - claim.value) > 1e-12 + 1e-9 * abs(total):
        raise ledger.error(
            f"{claim.row} is {total:.10g} in {path.name}, the ledger says {claim.value!r}",
            _claim_where(claim, "value"),
        )


def check_against(ledger: Ledger, scenario: Mapping[str, Any], *, name: str = "the scenario") -> None:
    """Check that the ids the ledger names exist in a scenario (raw YAML data).

    Args:
        ledger: The ledger.
        scenario: The scenario as plain data (`actors`, `events`, `hazards`).
        name: How to call the scenario in messages (for example its file).

    Raises:
        InputError: At the first actor, event or hazard the scenario does not have, or a
            member-only field claimed for an outside actor.

    """
    actors: Mapping[str, Any] = scenario.get("actors") or {}
    ids = {
        "event": {e.get("id") for e in scenario.get("events") or [] if isinstance(e, dict)},
        "hazard": {h.get("id") for h in scenario.get("hazards") or [] if isinstance(h, dict)},
    }
    for i, item in enumerate(ledger.items):
        for k, actor in enumerate(item.actors):
            if actor not in actors:
                raise ledger.error(
                    f"actor {actor!r} is not in {name} ({_choices(list(actors))})", ("items", i, "actors", k)
                )
        for claim in item.claims:
            _check_claim_against(ledger, claim, actors, ids, name)


def _check_claim_against(
    ledger: Ledger, claim: Claim, actors: Mapping[str, Any], ids: dict[str, set[Any]], name: str
) -> None:
    path = parse_param(claim.param)
    if path.kind in ids and path.owner not in ids[path.kind]:
        known = _choices(sorted(str(x) for x in ids[path.kind] if x))
        raise ledger.error(f"{path.kind} {path.owner!r} is not in {name} ({known})", _claim_where(claim))
    outside = isinstance(actors.get(path.owner), dict) and actors[path.owner].get("kind") == "outside"
    if path.kind == "actor" and path.field in MEMBER_ONLY_FIELDS and outside:
        raise ledger.error(
            f"{path.field} is for members only; {path.owner!r} is an outside actor", _claim_where(claim)
        )


# --- Calibration ------------------------------------------------------------------------


def calibrate(ledger: Ledger) -> dict[str, CalibratedValue]:
    """Turn the ledger's claims (and its explicit priors) into parameter values.

    Returns:
        Calibrated values by parameter path, in ledger order; parameters that only an
        explicit prior sets come last, with no evidence ids.

    Raises:
        InputError: A value falls outside the bounds config.py sets for its field.

    """
    values: dict[str, CalibratedValue] = {}
    for param, claims in _claims_by_param(ledger).items():
        result = _calibrate_one(ledger, param, claims)
        problem = check_bounds(param, result.value)
        if problem:
            raise ledger.error(problem, _claim_where(claims[-1]))
        values[param] = result
    for param, prior in ledger.priors.items():
        if param in values or "*" in param.split("."):
            continue
        problem = check_bounds(param, prior.value)
        if problem:
            raise ledger.error(problem, ("priors", param, "value"))
        values[param] = CalibratedValue(
            param,
            prior.value,
            (),
            f"prior only, no evidence: {prior.reason}",
            prior.value,
            f"= {prior.value:g}",
        )
    return values


def _evidence_ids(ledger: Ledger, claims: list[Claim]) -> tuple[str, ...]:
    ids: list[str] = []
    for claim in claims:
        for item_id in (ledger.items[claim.index[0]].id, *claim.also):
            if item_id not in ids:
                ids.append(item_id)
    return tuple(ids)


def _calibrate_one(ledger: Ledger, param: str, claims: list[Claim]) -> CalibratedValue:
    ids = _evidence_ids(ledger, claims)
    claim = claims[0]
    if claim.kind == "direction":
        prior, origin = _prior_for(ledger, param)
        steps = [
            (1.0 if c.direction == "up" else -1.0) * ledger.mapping.steps[c.strength or ""] for c in claims
        ]
        total = float(logit(prior)) + sum(steps)
        value = float(sigmoid(total))
        signed = " ".join(f"{s:+.1f}" for s in steps)
        method = f"logit steps {signed} from {origin} {prior:g}"
        arithmetic = f"sigmoid(logit({prior:g}) {signed}) = sigmoid({total:.3f}) = {value:.3f}"
        return CalibratedValue(param, value, ids, method, prior, arithmetic)
    if claim.kind == "scale":
        scale = ledger.mapping.scales[claim.scale or ""]
        count = claim.count or 0.0
        value = casualty_severity(count, scale.reference)
        method = f"{claim.scale} scale: {count:g} against reference {scale.reference:g}"
        arithmetic = f"min(1, log(1 + {count:g}) / log(1 + {scale.reference:g})) = {value:.3f}"
        return CalibratedValue(param, value, ids, method, None, arithmetic)
    if claim.kind == "rate":
        count, window = claim.count or 0.0, claim.window_months or 1
        value = count / window
        method = f"rate: {count:g} events in {window} months"
        return CalibratedValue(param, value, ids, method, None, f"{count:g} / {window} = {value:.4f}")
    assert claim.value is not None
    source = ledger.items[claim.index[0]].source
    method = f"data value {claim.row} ({source})"
    return CalibratedValue(param, claim.value, ids, method, None, f"= {claim.value:.6g}")


def event_support(ledger: Ledger) -> dict[str, tuple[str, ...]]:
    """Evidence ids behind each scripted event, by event path (``events.<id>``)."""
    support: dict[str, list[str]] = {}
    for item in ledger.items:
        for claim in item.claims:
            if claim.kind == "supports":
                ids = support.setdefault(claim.param, [])
                if item.id not in ids:
                    ids.append(item.id)
    return {path: tuple(ids) for path, ids in support.items()}


# --- Printing ---------------------------------------------------------------------------


def describe_claim(claim: Claim, mapping: CalibrationMapping) -> str:
    """One line saying what a claim claims."""
    if claim.kind == "direction":
        step = mapping.steps[claim.strength or ""] * (1 if claim.direction == "up" else -1)
        text = f"{claim.direction} ({claim.strength}, {step:+.1f} in logit)"
    elif claim.kind == "supports":
        text = "supports the event (its occurrence, month and answer)"
    elif claim.kind == "scale":
        text = f"{claim.count:g} on the {claim.scale} scale"
    elif claim.kind == "rate":
        text = f"{claim.count:g} in {claim.window_months} months"
    else:
        text = f"{claim.value!r} ({claim.row})"
    if claim.also:
        text += f"; with {', '.join(claim.also)}"
    return f"{claim.param}: {text}"


def _matches(param: str, wanted: str) -> bool:
    return param == wanted or param.startswith(wanted + ".")


def _format_item(item: EvidenceItem, mapping: CalibrationMapping, claims: tuple[Claim, ...]) -> str:
    lines = [f"{item.id}  {item.date}  {item.source}"]
    if item.quote:
        lines.append(
            textwrap.fill(
                f'"{normalise_quote(item.quote)}"', _WRAP, initial_indent="  ", subsequent_indent="   "
            )
        )
    lines.append(f"  actors: {', '.join(item.actors)}")
    if not item.claims:
        lines.append("  - no claims: an observed outcome, for checking runs, not an input")
    for claim in claims:
        lines.append(f"  - {describe_claim(claim, mapping)}")
        if claim.note:
            lines.append(
                textwrap.fill(claim.note, _WRAP, initial_indent="      ", subsequent_indent="      ")
            )
    if item.note:
        lines.append(
            textwrap.fill(f"note: {item.note}", _WRAP, initial_indent="  ", subsequent_indent="    ")
        )
    return "\n".join(lines)


def _format_value(value: CalibratedValue) -> str:
    lines = [f"{value.path} = {value.value:.4g}", f"  method: {value.method}"]
    if value.arithmetic:
        lines.append(f"  arithmetic: {value.arithmetic}")
    lines.append(f"  evidence: {', '.join(value.evidence_ids) or 'none'}")
    return "\n".join(lines)


def _known_params(ledger: Ledger) -> list[str]:
    params = {c.param for item in ledger.items for c in item.claims}
    params.update(p for p in ledger.priors if "*" not in p)
    return sorted(params)


def format_ledger(ledger: Ledger, *, actor: str | None = None, param: str | None = None) -> str:
    """Render the ledger as plain text, optionally only the items about one actor or one parameter.

    Args:
        ledger: The ledger.
        actor: Only items whose actors include this id.
        param: Only claims on this parameter path (or under it, for a prefix such as
            ``actors.armenia``), followed by the calibrated values and their arithmetic.

    Returns:
        The text.

    Raises:
        InputError: The actor or parameter appears nowhere in the ledger.

    """
    if actor is not None and not any(actor in item.actors for item in ledger.items):
        known = sorted({a for item in ledger.items for a in item.actors})
        raise InputError(
            f"no evidence names actor {actor!r}; the ledger names {_choices(known)}", field="--actor"
        )
    known_params = _known_params(ledger)
    if param is not None and not any(_matches(p, param) for p in known_params):
        close = difflib.get_close_matches(param, known_params, n=5)
        hint = (
            f"did you mean {_choices(close)}?"
            if close
            else "prefixes: actors.<id>, events.<id>, hazards.<id>, model"
        )
        raise InputError(f"no evidence on parameter {param!r}; {hint}", field="--param")
    blocks = []
    for item in ledger.items:
        if actor is not None and actor not in item.actors:
            continue
        claims = tuple(c for c in item.claims if param is None or _matches(c.param, param))
        if claims or (param is None and not item.claims):
            blocks.append(_format_item(item, ledger.mapping, claims))
    header = f"{ledger.path}: {len(blocks)} of {len(ledger.items)} items"
    if param is not None:
        values = calibrate(ledger)
        blocks.extend(_format_value(v) for p, v in values.items() if _matches(p, param))
    return "\n\n".join([header, *blocks]) if blocks else f"{header}\n(no items match)"
