"""Parameter paths: their grammar, the bounds config.py sets, and the ids a scenario has.

A claim targets a parameter by a dotted path (``actors.<id>.<field>``,
``actors.<id>.relations.<other>.<field>``, ``events.<id>[.severity]``,
``hazards.<id>.<field>`` or ``model.<section>.<field>``). The fields come from the models
of config.py, so the ledger can only name what a scenario can set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from alliance_sim.evidence.ledger import Claim, Ledger, claim_where
from alliance_sim.scenario.config import ActorConfig, EventConfig, HazardConfig, ModelParams, Relation

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

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
    name: cast("type[BaseModel]", info.annotation)
    for name, info in ModelParams.model_fields.items()
    if info.annotation is not None
}
"""Sections of the behavioural constants (`model.<section>.<field>`)."""


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
    annotation: Any = info.annotation
    if info.metadata:
        return TypeAdapter(Annotated[(annotation, *info.metadata)])  # type: ignore[valid-type]
    return TypeAdapter(annotation)


def _model_of(path: ParamPath) -> type[BaseModel]:
    models: dict[str, type[BaseModel]] = {
        "actor": ActorConfig,
        "relation": Relation,
        "event": EventConfig,
        "hazard": HazardConfig,
    }
    return models.get(path.kind) or MODEL_SECTIONS[path.owner]


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


# --- Checking against a scenario --------------------------------------------------------


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
        raise ledger.error(f"{path.kind} {path.owner!r} is not in {name} ({known})", claim_where(claim))
    outside = isinstance(actors.get(path.owner), dict) and actors[path.owner].get("kind") == "outside"
    if path.kind == "actor" and path.field in MEMBER_ONLY_FIELDS and outside:
        raise ledger.error(f"{path.field} is for members only; {path.owner!r} is an outside actor", claim_where(claim))
