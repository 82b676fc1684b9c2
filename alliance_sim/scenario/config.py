"""Typed, frozen, self-documenting configuration of a scenario.

Every field carries a docstring (pydantic reads them as descriptions) and bounds.
Unknown keys are rejected (`extra="forbid"`), so a misspelt parameter is an error
that names its path, never a silently ignored value. `docs/scenarios.md` is the
prose reference generated from the same tree.

The config tree:

    ScenarioConfig
      alliance: AllianceConfig        members, hegemon, decision rule
      time: TimeConfig                start month, horizon
      actors: {id: ActorConfig}       members and outside actors, with relations
      model: ModelParams              (`alliance_sim.core.params`) behavioural constants (trust, threat, answers,
                                      value weights, thresholds, contagion)
      events: [<kind>.scripted]       scripted events, in calendar months, one model per
                                      event kind (`alliance_sim.core.events`)
      hazards: [<kind>.hazard]        random events with monthly rates
      calibration: CalibrationConfig  where calibrated values come from
      outputs: OutputConfig           what a run records
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from alliance_sim.core.events import REGISTRY, Form, HazardEvent, ScriptedEvent, event_union
from alliance_sim.core.params import (
    AnswerParams,
    ModelParams,
    ShockParams,
    StatusParams,
    ThreatParams,
    TrustParams,
    ValueParams,
)
from alliance_sim.core.types import (
    ANSWER_LEVEL,
    ActorId,
    Answer,
    Coefficient,
    DecisionRule,
    FrozenModel,
    Month,
    Unit,
    Weight,
    month_index,
    month_label,
    parse_month,
)

__all__ = [
    "ANSWER_LEVEL",
    "ActorConfig",
    "ActorId",
    "AllianceConfig",
    "Answer",
    "AnswerParams",
    "CalibrationConfig",
    "Coefficient",
    "DecisionRule",
    "EventConfig",
    "EventType",
    "HazardConfig",
    "ModelParams",
    "Month",
    "OutputConfig",
    "Relation",
    "ScenarioConfig",
    "ShockParams",
    "StatusParams",
    "StrEnum",
    "ThreatParams",
    "TimeConfig",
    "TrustParams",
    "Unit",
    "ValueParams",
    "Weight",
    "month_index",
    "month_label",
    "parse_month",
]

_Frozen = FrozenModel

EventType = Literal[tuple(REGISTRY)]  # type: ignore[valid-type]
"""The event types registered when this module was imported (see `alliance_sim.core.events`)."""

EventConfig = ScriptedEvent
"""A scripted event: the common form of every kind's scripted config model."""

HazardConfig = HazardEvent
"""A hazard: the common form of every kind's hazard config model."""


class Relation(FrozenModel):
    """How an actor stands toward one other actor (keyed by the other's id)."""

    proximity: Unit = 0.0
    """Geographic closeness: 1 shares a contested border, 0 is far away (Walt's proximity)."""
    hostility: Unit = 0.0
    """Baseline hostile intent the other actor shows toward this one (Walt's intentions)."""
    ties: Unit = 0.0
    """This actor's political and economic ties to the other; strong ties make it reluctant to act against it."""
    option: Unit = 0.0
    """For a member toward an outside actor: how attractive that actor is as an alternative patron (before offers)."""


class ActorConfig(FrozenModel):
    """A state or organisation in the scenario: a member of the alliance or an outside actor."""

    name: str = Field(min_length=1, max_length=80)
    """Display name."""
    kind: Literal["member", "outside"] = "member"
    """`member` of the alliance, or `outside` actor (attacker, patron, rival)."""
    power: Annotated[float, Field(ge=1e-6, le=1.0)] = 0.01
    """Relative material capability (for the CSTO: the COW CINC share, 2016)."""
    capacity: Unit = 0.5
    """Share of its power the actor can commit to allies (the war drains the hegemon's)."""
    offense: Unit = 0.5
    """Offensive capability as seen by the others (Walt)."""
    dependence: Unit = 0.0
    """Dependence on the hegemon: bases, trade, remittances, energy. Members only."""
    regime_security: Unit = 0.0
    """Value of the alliance as insurance for the ruling regime. Members only."""
    outside_option: Unit = 0.0
    """Attractiveness of alternatives not tied to a modelled patron (neutrality, others). Members only."""
    coercion_exposure: Unit = 0.0
    """Exposure to the hegemon's coercion: bases, border guards, energy, remittances it can cut. Members only."""
    compatibility: Unit = 0.0
    """For an outside actor: how far turning to it is compatible with staying under the hegemon (1: fully)."""
    domestic_pressure: Unit = 0.0
    """Baseline public and elite pressure against membership. Members only."""
    sovereignty_cost: Unit = 0.0
    """Felt cost to sovereignty of membership. Members only."""
    war_exposure: Unit = 0.0
    """Exposure to entrapment in the hegemon's wars (Snyder's entrapment). Members only."""
    trust_prior: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    """Prior belief that an ally honours the treaty, before any observed request. Members only."""
    relations: dict[ActorId, Relation] = Field(default_factory=dict)
    """Relations to other actors, by id."""


class AllianceConfig(FrozenModel):
    """The alliance itself."""

    name: str = Field(min_length=1, max_length=80)
    """Display name, for example `CSTO`."""
    hegemon: ActorId
    """Id of the leading member; it never leaves and its capacity dominates credibility."""
    decision_rule: DecisionRule = DecisionRule.CONSENSUS
    """How members' answers to a request become the alliance's answer."""


class TimeConfig(FrozenModel):
    """Calendar of the run."""

    start: Month
    """First simulated month, `YYYY-MM`."""
    horizon_months: int = Field(default=60, ge=1, le=600)
    """Number of monthly steps."""

    @field_validator("start")
    @classmethod
    def _valid_start(cls, value: str) -> str:
        parse_month(value)
        return value


class CalibrationConfig(FrozenModel):
    """Where calibrated parameter values come from."""

    ledger: str | None = None
    """Path of an evidence ledger, relative to the scenario file; it fills the values the scenario leaves unset."""
    posterior: str | None = None
    """Path of a posterior file (`alliance-sim calibrate`), relative to the scenario file: the parameter
    sets the reported patterns leave plausible. Without one, runs use the point estimate."""


class OutputConfig(FrozenModel):
    """What a run records."""

    member_state: bool = True
    """Per-month state of every member (trust, threat, pressure, status)."""
    trust_matrix: bool = False
    """Per-month trust of every member in every other member."""


class Change(FrozenModel):
    """Values that change from a month on: the months before it replay as they were.

    A what-if that changes the world from 2024 (Russia's recovery, say) writes its values
    here, so that 2022-2023 replay exactly as in the baseline with the same seed.
    """

    model_config = ConfigDict(**{**FrozenModel.model_config, "populate_by_name": True})

    start: Month = Field(alias="from")
    """First month in which the new values hold, `YYYY-MM` (written `from:`)."""
    set: dict[str, float | int | bool | str | None] = Field(min_length=1)
    """The new values by dotted path, as for `--set` (for example `model.shocks.war_recovery: 0.1`)."""

    @field_validator("start")
    @classmethod
    def _valid_start(cls, value: str) -> str:
        parse_month(value)
        return value


class ScenarioConfig(FrozenModel):
    """A complete defection scenario."""

    # One value, not a sequence of fields: `mesa.batch_run(AllianceModel, {"scenario": config})`
    # iterates over every parameter value that is iterable, as pydantic models are by default.
    __iter__ = None  # type: ignore[assignment]

    name: str = Field(min_length=1, max_length=120)
    """Title shown in summaries and figures."""
    description: str = ""
    """What the scenario asks."""
    alliance: AllianceConfig
    """The alliance."""
    time: TimeConfig
    """Calendar of the run."""
    actors: dict[ActorId, ActorConfig]
    """All actors by id: members and outside actors."""
    model: ModelParams = Field(default_factory=ModelParams)
    """Behavioural constants."""
    events: list[event_union(Form.SCRIPTED)] = Field(default_factory=list)  # type: ignore[valid-type]
    """Scripted events."""
    hazards: list[event_union(Form.HAZARD)] = Field(default_factory=list)  # type: ignore[valid-type]
    """Random events."""
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    """Calibration source."""
    outputs: OutputConfig = Field(default_factory=OutputConfig)
    """What a run records."""
    changes: list[Change] = Field(default_factory=list)
    """Values that change from a given month on, in the order of their months."""

    @property
    def member_ids(self) -> list[str]:
        """Members in file order."""
        return [k for k, a in self.actors.items() if a.kind == "member"]

    @property
    def outside_ids(self) -> list[str]:
        """Outside actors in file order."""
        return [k for k, a in self.actors.items() if a.kind == "outside"]

    @property
    def actor_ids(self) -> list[str]:
        """Members first, then outside actors: the order of every actor axis."""
        return self.member_ids + self.outside_ids

    @model_validator(mode="after")
    def _cross_references(self) -> ScenarioConfig:
        members = self.member_ids
        if len(members) < 2:
            raise ValueError("an alliance needs at least two members")
        if self.alliance.hegemon not in self.actors:
            raise ValueError(f"alliance.hegemon: unknown actor {self.alliance.hegemon!r}")
        if self.alliance.hegemon not in members:
            raise ValueError(f"alliance.hegemon: {self.alliance.hegemon!r} is not a member")
        for actor_id, actor in self.actors.items():
            for other in actor.relations:
                if other not in self.actors:
                    raise ValueError(f"actors.{actor_id}.relations.{other}: unknown actor {other!r}")
                if other == actor_id:
                    raise ValueError(f"actors.{actor_id}.relations.{other}: relation to itself")
        for key, items in (("events", self.events), ("hazards", self.hazards)):
            first: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.id is None:
                    continue
                if item.id in first:
                    raise ValueError(f"{key}.{i}.id: duplicate id {item.id!r} (also {key}.{first[item.id]})")
                first[item.id] = i
        horizon = self.time.horizon_months
        for i, event in enumerate(self.events):
            where = f"events.{i}"
            event.kind.check_roles(event, self, where)
            offset = month_index(self.time.start, event.month)
            if not 0 <= offset < horizon:
                raise ValueError(
                    f"{where}.month: {event.month} is outside the run "
                    f"({self.time.start} to {month_label(self.time.start, horizon - 1)})"
                )
            if event.when is not None:
                event.when.check(self, where, i)
        previous = -1
        for i, change in enumerate(self.changes):
            offset = month_index(self.time.start, change.start)
            if not 0 < offset < horizon:
                raise ValueError(f"changes.{i}.from: {change.start} is not inside the run (after its first month)")
            if offset <= previous:
                raise ValueError(f"changes.{i}.from: changes must come in the order of their months")
            previous = offset
        self._check_changes()
        for i, hazard in enumerate(self.hazards):
            where = f"hazards.{i}"
            hazard.kind.check_roles(hazard, self, where)
            for field in ("start", "end"):
                value = getattr(hazard, field)
                if value is not None:
                    parse_month(value)
                    if not 0 <= month_index(self.time.start, value) < horizon:
                        raise ValueError(f"{where}.{field}: {value} is outside the run")
            if hazard.start is not None and hazard.end is not None and month_index(hazard.start, hazard.end) < 0:
                raise ValueError(f"{where}.end: {hazard.end} is before the hazard's start {hazard.start}")
        return self

    def _check_changes(self) -> None:
        """Each change's values must make a valid scenario, checked now rather than when a run reaches it."""
        if not self.changes:
            return
        from alliance_sim.errors import InputError
        from alliance_sim.scenario.loader import with_overrides

        base = self.model_copy(update={"changes": []})
        values: dict[str, object] = {}
        for i, change in enumerate(self.changes):
            values.update(change.set)
            try:
                with_overrides(base, values)
            except InputError as exc:
                path = exc.field or next(iter(change.set))
                raise ValueError(f"changes.{i}.set.{path}: {exc.message}") from None

    def phases(self) -> list[tuple[int, ScenarioConfig]]:
        """The scenario as it holds in each period of the run: its `changes` applied in turn.

        Returns:
            (first month index, scenario) pairs, in order; the first starts at 0 and has no changes.
        """
        from alliance_sim.scenario.loader import with_overrides

        base = self.model_copy(update={"changes": []})
        periods: list[tuple[int, ScenarioConfig]] = [(0, base)]
        horizon = self.time.horizon_months
        # A run of fewer months than the scenario's horizon (`run --steps`) shortens the
        # horizon without validating again; each period's values are validated over the
        # months the scenario names, then given the run's horizon back.
        named = [month_index(self.time.start, e.month) + 1 for e in self.events]
        named += [month_index(self.time.start, m) + 1 for h in self.hazards for m in (h.start, h.end) if m is not None]
        named += [month_index(self.time.start, c.start) + 1 for c in self.changes]
        span = max([horizon, *named])
        wide = base
        if span > horizon:
            wide = base.model_copy(update={"time": base.time.model_copy(update={"horizon_months": span})})
        values: dict[str, object] = {}
        for change in self.changes:
            offset = month_index(self.time.start, change.start)
            values.update(change.set)
            period = with_overrides(wide, values)
            if span > horizon:
                period = period.model_copy(update={"time": period.time.model_copy(update={"horizon_months": horizon})})
            periods.append((offset, period))
        return periods
