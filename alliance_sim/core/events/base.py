"""What every event kind shares: the config forms, the registry, compiled events, requests.

An event kind is one subclass of `EventKind` in one module. Defining the subclass
registers it under its `type` and builds its two config models: the scripted form (a
calendar `month`, optionally a replayed `answer`) and the hazard form (a
`monthly_rate`, optionally a `start` and `end` month). `ScenarioConfig.events` and
`.hazards` validate each item by the class its `type` names (`event_union`), so a kind
defined later (in a plug-in or a test) is accepted as soon as its module is imported.

A kind says, besides its config fields:

- which roles its `target` and `source` play (`needs_target`, `source_role`, ...), checked
  by `check_fields` on the item alone and by `check_roles` against the scenario's actors;
- its effect on the `State` (`apply`), wherever it fired;
- the requests for assistance it raises (`requests`), who really asks (`asks`), and how
  many request slots (blocks of one answer draw per member) it reserves (`slots`);
- its row of the event-types table in `docs/scenarios.md` (`needs`, `effect`).
"""

from __future__ import annotations

import builtins
import dataclasses
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    Field,
    SerializeAsAny,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.types import ActorId, Answer, FrozenModel, Month, parse_month

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World
    from alliance_sim.scenario.config import ScenarioConfig


# --- The two config forms -------------------------------------------------------------


class EventSpec(FrozenModel):
    """What every event item has, scripted or random (each form declares the fields, in its order)."""

    if TYPE_CHECKING:
        id: str | None
        type: str
        target: str | None
        source: str | None
        severity: float
        request: bool

    @property
    def kind(self) -> EventKind:
        """The registered kind this item's `type` names."""
        return kind_of(self.type)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> EventSpec:
        if self.type in REGISTRY:
            REGISTRY[self.type].check_fields(self)
        return self


ANSWER_WORDS = dyn.ANSWER_NAMES
"""Answers a condition may name."""

STATUS_WORDS = dyn.STATUS_NAMES
"""Statuses a condition may name."""


class Condition(FrozenModel):
    """When a reactive event happens: only where an earlier answer, or a member's status, is among some values.

    Exactly one of `answer_to` and `status_of` is given. ``{answer_to:
    azerbaijan_attack_2022_09, among: [token, refused]}`` makes an event a reaction to a
    refusal: where the alliance gave full help (in a run, or in a what-if), it does not happen.
    """

    answer_to: ActorId | None = None
    """Id of an earlier scripted event that raises a request: the alliance's answer to it."""
    status_of: ActorId | None = None
    """A member: its status at the start of the event's month."""
    among: list[Literal["full", "token", "refused", "member", "disengaged", "withdrawn"]] = Field(min_length=1)
    """The answers (full, token, refused) or the statuses (member, disengaged, withdrawn) for which it happens."""

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.answer_to is None) == (self.status_of is None):
            raise ValueError("a condition names exactly one of answer_to and status_of")
        words = ANSWER_WORDS if self.answer_to is not None else STATUS_WORDS
        wrong = [w for w in self.among if w not in words]
        if wrong:
            what = "an answer" if self.answer_to is not None else "a status"
            raise ValueError(f"among: {', '.join(wrong)} cannot describe {what}")
        return self

    def check(self, config: ScenarioConfig, where: str, index: int) -> None:
        """Check the condition against the scenario: a known member, or an earlier event with one request.

        Raises:
            ValueError: As ``"<where>.when.<field>: message"``.
        """
        if self.status_of is not None:
            if self.status_of not in config.member_ids:
                raise ValueError(f"{where}.when.status_of: {self.status_of!r} is not a member")
            return
        earlier = {e.id: e for e in config.events[:index] if e.id is not None}
        ref = earlier.get(self.answer_to)
        if ref is None:
            raise ValueError(
                f"{where}.when.answer_to: no earlier scripted event has the id {self.answer_to!r} "
                "(a reaction comes after the event it reacts to, in file order)"
            )
        if ref.kind.request_count(ref) != 1:
            raise ValueError(f"{where}.when.answer_to: event {self.answer_to!r} raises no single request")


class ScriptedEvent(EventSpec):
    """A scripted event at a calendar month.

    Which fields an event uses depends on its type (see the event types in
    `docs/scenarios.md`); `answer` replays the alliance's historical answer to the
    request the event raises.
    """

    id: ActorId | None = None
    """Optional name, used by overrides and in the event log."""
    type: str
    """What happens."""
    month: Month
    """When it happens, `YYYY-MM`."""
    target: ActorId | None = None
    """The actor it happens to."""
    source: ActorId | None = None
    """The actor that causes it (attacker, other party, offering actor)."""
    severity: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.5
    """Magnitude on the event's own scale (see `docs/model.md`); only `war_drain` may be negative."""
    request: bool = True
    """For attacks, clashes and crises: whether the target asks the alliance for help."""
    answer: Answer | None = None
    """Force the alliance's answer (historical replay); empty lets the decision rule decide."""
    when: Condition | None = None
    """Make the event a reaction: it happens only where this condition holds (in each run)."""
    enabled: bool = True
    """False removes the event's effect but keeps its place in the random numbers (knock-outs, what-ifs)."""
    note: str = ""
    """Free text shown in the event log and on figures."""

    @field_validator("month")
    @classmethod
    def _valid_month(cls, value: str) -> str:
        parse_month(value)
        return value


class HazardEvent(EventSpec):
    """A random event that fires each month with a fixed probability."""

    id: ActorId | None = None
    """Optional name, used by overrides and in the event log."""
    type: str
    """The kind of event it fires (see the event types)."""
    target: ActorId | None = None
    """The actor it happens to."""
    source: ActorId | None = None
    """The actor that causes it."""
    monthly_rate: Annotated[float, Field(ge=0.0, le=1.0)]
    """Probability that it fires in any one month."""
    severity: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.5
    """Magnitude when it fires."""
    request: bool = True
    """Whether the target asks for help when it fires."""
    start: Month | None = None
    """First month it can fire (default: the start of the run)."""
    end: Month | None = None
    """Last month it can fire (default: the end of the run)."""


SCRIPTED_ORDER = ("id", "type", "month", "target", "source", "severity", "request", "answer", "when", "enabled", "note")
"""Field order of a scripted event (the order errors and docs list them in)."""

HAZARD_ORDER = ("id", "type", "target", "source", "monthly_rate", "severity", "request", "start", "end")
"""Field order of a hazard."""


# --- Requests and compiled events -----------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request for assistance put to the alliance.

    Attributes:
        requester: Member index of the one asking.
        attacker: Actor index of the attacker; None for internal unrest.
        forced: The historical answer to replay, or None to let the alliance decide.
        slot: Which block of answer draws this request uses within its month.
        label: Short description for the event log.
        renewed: A grievance raised again at a summit: the attacker is the one of the
            member's last unanswered request (`State.grievance_source`), not `attacker`.
        index: Where the alliance's answer is kept (`State.answers`): the position of a
            scripted event's request among the scenario's scripted requests; -1 otherwise.
        host: The requester hosts the summit that renews the request: it attends even
            when disengaged.
    """

    requester: int
    attacker: int | None
    forced: Answer | None
    slot: int
    label: str
    renewed: bool = False
    index: int = -1
    host: bool = False


@dataclass(frozen=True)
class Event:
    """A compiled event (scripted or hazard): ids turned into indices, the month into a step.

    Attributes:
        kind: The event type (a key of `REGISTRY`).
        step: Month index for scripted events; -1 for hazards.
        target: Actor index of the target, or None.
        source: Actor index of the source, or None.
        severity: Magnitude.
        request: Whether it raises a request for assistance.
        forced: Forced answer for the request, or None.
        name: Id or a generated label.
        note: Free text.
        rate: Monthly probability of firing (hazards only).
        spec: The config item it was compiled from.
        enabled: False keeps the event's request slots (its random numbers) but gives it no effect.
        when: A reactive event's condition, compiled: (`answer` or `status`, the request
            index or member index it looks at, the levels or status codes for which it happens).
        request_index: Position of this scripted event's request in `State.answers`, or -1.
    """

    kind: str
    step: int
    target: int | None
    source: int | None
    severity: float
    request: bool
    forced: Answer | None
    name: str
    note: str = ""
    rate: float = 0.0
    spec: EventSpec | None = None
    enabled: bool = True
    when: tuple[str, int, tuple[int, ...]] | None = None
    request_index: int = -1

    @property
    def behaviour(self) -> EventKind:
        """The registered kind of this event."""
        return kind_of(self.kind)

    def slots(self, m: int) -> int:
        """How many request slots (blocks of m answer draws) this event reserves."""
        return self.behaviour.slots(self, m)


# --- Event kinds ----------------------------------------------------------------------

Role = Literal["member", "outside", "any"]
"""Who may play a role: a member, an outside actor, or any actor."""


class EventKind:
    """One kind of event. Subclass it (with a class attribute `type`) to add a kind.

    Class attributes:
        type: The `type:` value in a scenario file; the registry key.
        needs: The docs table's "needs" cell (which fields the kind uses).
        effect: The docs table's "effect" cell.
        needs_target: Whether `target` is required.
        needs_source: Whether `source` is required.
        source_role: Who may be the source.
        source_role_error: The message when the source may not play that role (formatted
            with `source`); a generic one when empty.
        signed_severity: Whether a negative severity is allowed.
        fields: Extra config fields of this kind: name -> (annotation, default or `Field`).
        scripted: Its scripted-event config model (built on registration).
        hazard: Its hazard config model (built on registration).
    """

    type: ClassVar[str]
    needs: ClassVar[str] = "`target`"
    effect: ClassVar[str] = ""
    needs_target: ClassVar[bool] = True
    needs_source: ClassVar[bool] = False
    source_role: ClassVar[Role] = "any"
    source_role_error: ClassVar[str] = ""
    signed_severity: ClassVar[bool] = False
    fields: ClassVar[dict[str, Any]] = {}
    scripted: ClassVar[builtins.type[ScriptedEvent]]
    hazard: ClassVar[builtins.type[HazardEvent]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register a concrete kind (one that sets `type`) and build its config models."""
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            register(cls())

    # -- validation --

    def check_fields(self, spec: EventSpec) -> None:
        """Check an item on its own (before the scenario's actors are known).

        Raises:
            ValueError: A required field is missing or the severity has the wrong sign.
        """
        if self.needs_target and spec.target is None:
            raise ValueError(f"a {self.type} event needs a target")
        if self.needs_source and spec.source is None:
            raise ValueError(f"a {self.type} event needs a source")
        if spec.severity < 0 and not self.signed_severity:
            raise ValueError("only a war_drain event may have a negative severity")

    def check_roles(self, spec: EventSpec, config: ScenarioConfig, where: str) -> None:
        """Check the item's actors against the scenario (`where` is its dotted path).

        Raises:
            ValueError: An unknown actor, or an actor in a role it may not play, as
                ``"<where>.<field>: message"``.
        """
        members = set(config.member_ids)
        for field, actor in (("target", spec.target), ("source", spec.source)):
            if actor is not None and actor not in config.actors:
                raise ValueError(f"{where}.{field}: unknown actor {actor!r}")
        if spec.target is not None and spec.target not in members:
            raise ValueError(f"{where}.target: {spec.target!r} is not a member")
        if spec.source is not None:
            wrong = {"member": spec.source not in members, "outside": spec.source in members, "any": False}
            if wrong[self.source_role]:
                generic = f"{spec.source!r} is not {'a member' if self.source_role == 'member' else 'an outside actor'}"
                message = self.source_role_error.format(source=spec.source) or generic
                raise ValueError(f"{where}.source: {message}")

    # -- the run --

    def request_count(self, spec: EventSpec) -> int:
        """How many requests an item of this kind raises each time it happens: by default 1 if `request`."""
        return 1 if spec.request else 0

    def compile(
        self,
        spec: EventSpec,
        step: int,
        index: dict[str, int],
        name: str,
        when: tuple[str, int, tuple[int, ...]] | None = None,
        request_index: int = -1,
    ) -> Event:
        """The compiled `Event` of a validated item (`step` -1 for a hazard)."""
        return Event(
            enabled=bool(getattr(spec, "enabled", True)),
            when=when,
            request_index=request_index,
            kind=self.type,
            step=step,
            target=index.get(spec.target) if spec.target else None,
            source=index.get(spec.source) if spec.source else None,
            severity=float(spec.severity),
            request=bool(spec.request),
            forced=getattr(spec, "answer", None),
            name=name,
            note=getattr(spec, "note", ""),
            rate=float(getattr(spec, "monthly_rate", 0.0)),
            spec=spec,
        )

    def slots(self, event: Event, m: int) -> int:
        """Request slots the event reserves in its month: by default 1 if it raises a request."""
        return 1 if event.request else 0

    def rate(self, world: World, state: State, event: Event) -> float | np.ndarray:
        """A hazard's chance of firing this month (per run): by default its monthly rate."""
        return event.rate

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Change the state wherever the event fired (a bool, or one per replicate)."""

    def requests(self, world: World, event: Event, first_slot: int) -> list[Request]:
        """The requests the event raises, in the order the alliance answers them.

        By default: one request by the target against the source, if the event raises one.
        """
        if self.slots(event, world.m) == 0 or event.target is None:
            return []
        return [Request(event.target, event.source, event.forced, first_slot, event.name, index=event.request_index)]

    def asks(self, world: World, state: State, request: Request, fired: np.ndarray) -> np.ndarray:
        """Where the request is really made: the event fired and the requester has not withdrawn."""
        return np.asarray(fired & (state.status[..., request.requester] != dyn.WITHDRAWN))

    def describe(self, world: World, state: State, event: Event) -> str:
        """The note of the event in the event log (for one run)."""
        return event.note

    def describe_each(self, world: World, state: State, event: Event, where: np.ndarray) -> np.ndarray:
        """The notes of the event in the replicates `where` of a batch (the ensemble's event log).

        By default `describe` of each replicate alone (its note, when the kind keeps the
        default `describe`); a kind whose note reads the state may override this with an
        array version.

        Args:
            world: The compiled scenario.
            state: The state of a batch of shape (R,).
            event: The event.
            where: Indices of the replicates where it fired.

        Returns:
            One note per replicate in `where` (an object array).
        """
        notes = np.empty(len(where), dtype=object)
        if type(self).describe is EventKind.describe:
            notes[:] = event.note
            return notes
        for k, r in enumerate(where):
            one = dataclasses.replace(state, **{f.name: getattr(state, f.name)[r] for f in dataclasses.fields(state)})
            notes[k] = self.describe(world, one, event)
        return notes


def happens(event: Event, state: State) -> np.ndarray:
    """Where a scripted event happens this month: it is enabled and its condition holds (per run)."""
    shape = np.shape(state.war_load)
    if not event.enabled:
        return np.zeros(shape, dtype=bool)
    if event.when is None:
        return np.ones(shape, dtype=bool)
    kind, ref, allowed = event.when
    value = state.answers[..., ref] if kind == "answer" else state.status[..., ref]
    return np.asarray(np.isin(value, allowed))


def raise_share(array: np.ndarray, index: tuple[int | slice | None, ...], fired: np.ndarray, amount: float) -> None:
    """Where `fired`, raise `array[..., *index]` by `amount` of its gap to 1 (in place)."""
    key = (Ellipsis, *index)
    current = array[key]
    array[key] = np.where(fired, dyn.raise_toward_one(current, amount), current)


# --- The registry ---------------------------------------------------------------------

REGISTRY: dict[str, EventKind] = {}
"""Every known event kind, by `type`, in registration order."""


def register(kind: EventKind) -> EventKind:
    """Add a kind to the registry and build its scripted and hazard config models.

    Defining a subclass of `EventKind` with a `type` calls this; a kind registered twice
    under the same `type` replaces the earlier one.

    Returns:
        The kind.
    """
    cls = type(kind)
    stem = "".join(part.title() for part in kind.type.split("_"))
    tag: Any = Literal[kind.type]  # a Literal built at run time
    for form, order, attribute in ((ScriptedEvent, SCRIPTED_ORDER, "scripted"), (HazardEvent, HAZARD_ORDER, "hazard")):
        definitions: dict[str, Any] = {"type": (tag, Field(description=form.model_fields["type"].description))}
        definitions.update(kind.fields)
        model = create_model(f"{stem}{attribute.title()}", __base__=form, __module__=cls.__module__, **definitions)
        model.__doc__ = f"{form.__doc__}\n\nKind `{kind.type}`: {kind.effect}"
        assert tuple(model.model_fields)[: len(order)] == order, "field order of the config forms"
        setattr(cls, attribute, model)
        # The model is a module attribute under its own name, so that it pickles (worker processes).
        setattr(sys.modules[cls.__module__], model.__name__, model)
    REGISTRY[kind.type] = kind
    return kind


def unregister(kind_type: str) -> None:
    """Remove a kind from the registry (tests that define a kind of their own use it)."""
    REGISTRY.pop(kind_type, None)


def kind_of(kind_type: str) -> EventKind:
    """The registered kind with this `type`.

    Raises:
        KeyError: No such kind.
    """
    return REGISTRY[kind_type]


class Form(StrEnum):
    """The two config forms of an event kind."""

    SCRIPTED = "scripted"
    HAZARD = "hazard"


def _dispatch(form: Form) -> Any:
    base: type[EventSpec] = ScriptedEvent if form is Form.SCRIPTED else HazardEvent

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, base) and type(value) is not base:
            return value
        kind_type = value.get("type") if isinstance(value, dict) else None
        if not isinstance(kind_type, str):
            return handler(value)  # not a mapping, or no type: the base form says what is wrong
        if kind_type not in REGISTRY:
            known = ", ".join(REGISTRY)
            error = PydanticCustomError("unknown_kind", f"unknown event type {kind_type!r} (known: {known})")
            details: list[InitErrorDetails] = [{"type": error, "loc": ("type",), "input": kind_type}]
            raise ValidationError.from_exception_data(base.__name__, details)
        model: type[EventSpec] = getattr(REGISTRY[kind_type], form.value)
        return model.model_validate(value)

    return validate


def event_union(form: Form) -> Any:
    """The type of one item of `events` (scripted form) or `hazards` (hazard form).

    A union of the registered kinds' config models, discriminated on `type`: each item is
    validated by the model of the kind it names, looked up in the registry when it is
    validated (so kinds registered later count, and error paths carry no tag). Items
    serialise with their own kind's fields.
    """
    base = ScriptedEvent if form is Form.SCRIPTED else HazardEvent
    return Annotated[SerializeAsAny[base], WrapValidator(_dispatch(form))]  # type: ignore[misc,valid-type]
