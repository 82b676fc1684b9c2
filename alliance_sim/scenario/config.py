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
      model: ModelParams              behavioural constants (trust, threat, answers,
                                      value weights, thresholds, contagion)
      events: [EventConfig]           scripted events, in calendar months
      hazards: [HazardConfig]         random events with monthly rates
      calibration: CalibrationConfig  where calibrated values come from
      outputs: OutputConfig           what a run records
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
"""A number in [0, 1]."""

Weight = Annotated[float, Field(ge=0.0, le=10.0)]
"""A non-negative weight in [0, 10]."""

Coefficient = Annotated[float, Field(ge=-20.0, le=20.0)]
"""A signed logit coefficient in [-20, 20]."""

ActorId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
"""Lower-case identifier: letters, digits, underscores; starts with a letter."""

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class _Frozen(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )


def parse_month(text: str) -> tuple[int, int]:
    """Split a ``YYYY-MM`` string into (year, month).

    Args:
        text: The month, for example ``"2022-09"``.

    Returns:
        The year and the month number (1-12).

    Raises:
        ValueError: If the text is not a valid calendar month.
    """
    match = _MONTH.match(str(text))
    if not match:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return year, month


def month_index(start: str, month: str) -> int:
    """Months from ``start`` to ``month`` (0 for the start month itself)."""
    y0, m0 = parse_month(start)
    y1, m1 = parse_month(month)
    return (y1 - y0) * 12 + (m1 - m0)


def month_label(start: str, index: int) -> str:
    """The ``YYYY-MM`` label of the month ``index`` months after ``start``."""
    y0, m0 = parse_month(start)
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
"""A calendar month written ``YYYY-MM``."""


class DecisionRule(StrEnum):
    """How the alliance turns its members' individual answers into one answer."""

    CONSENSUS = "consensus"
    """Full help needs every ally; a refusal makes it token; refusal needs the hegemon's (majority if it abstains)."""
    HEGEMON_LED = "hegemon_led"
    """The hegemon's answer is the alliance's answer."""
    MAJORITY = "majority"
    """The highest answer a strict majority of the voting allies gives at least (the lower median)."""


class Answer(StrEnum):
    """The alliance's answer to a request for assistance."""

    FULL = "full"
    """Troops or material help as the treaty promises."""
    TOKEN = "token"
    """A gesture: observers, statements, a promise to discuss."""
    REFUSED = "refused"
    """No help, or silence."""


ANSWER_LEVEL = {Answer.REFUSED: 0, Answer.TOKEN: 1, Answer.FULL: 2}
"""Answers as ordered levels, used by the dynamics."""


class Relation(_Frozen):
    """How an actor stands toward one other actor (keyed by the other's id)."""

    proximity: Unit = 0.0
    """Geographic closeness: 1 shares a contested border, 0 is far away (Walt's proximity)."""
    hostility: Unit = 0.0
    """Baseline hostile intent the other actor shows toward this one (Walt's intentions)."""
    ties: Unit = 0.0
    """This actor's political and economic ties to the other; strong ties make it reluctant to act against it."""


class ActorConfig(_Frozen):
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
    """Attractiveness of the best alternative to membership (other patrons, neutrality). Members only."""
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


class AllianceConfig(_Frozen):
    """The alliance itself."""

    name: str = Field(min_length=1, max_length=80)
    """Display name, for example `CSTO`."""
    hegemon: ActorId
    """Id of the leading member; it never leaves and its capacity dominates credibility."""
    decision_rule: DecisionRule = DecisionRule.CONSENSUS
    """How members' answers to a request become the alliance's answer."""


class TimeConfig(_Frozen):
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


class TrustParams(_Frozen):
    """Beta-Bernoulli trust learning."""

    prior_strength: float = Field(default=4.0, ge=0.5, le=100.0)
    """Pseudo-observations behind the prior (a0 + b0); larger is slower to change."""
    spillover: Unit = 0.5
    """Weight rho with which members learn from how others are treated (requester learns with 1)."""
    forgetting: Annotated[float, Field(ge=0.0, le=0.5)] = 0.02
    """Monthly rate at which beliefs relax toward the prior."""
    token_credit: Unit = 0.25
    """Share of a token answer counted as help (the rest counts as refusal)."""


class ThreatParams(_Frozen):
    """Balance-of-threat dynamics."""

    power_exponent: float = Field(default=1.0, ge=0.0, le=3.0)
    """Exponent alpha on power in the dyadic power ratio."""
    intent_decay: Unit = 0.1
    """Monthly rate at which shown hostility decays to its baseline."""
    attack_gain: Unit = 0.6
    """Share of the remaining gap to 1 that an attack of severity 1 adds to hostility."""


class AnswerParams(_Frozen):
    """An ally's willingness to help a requester (ordinal logit: refuse < token < full)."""

    bias: Coefficient = -1.0
    """Intercept of the willingness score."""
    trust: Coefficient = 2.0
    """Weight of the ally's trust in the requester."""
    capacity: Coefficient = 2.0
    """Weight of the ally's available capacity."""
    threat: Coefficient = 2.0
    """Weight of the ally's own threat from the attacker (shared enemy)."""
    ties: Coefficient = 3.0
    """Weight (subtracted) of the ally's ties to the attacker."""
    internal: Coefficient = 1.5
    """Bonus when the request is about internal unrest rather than a foreign attack."""
    token_band: float = Field(default=1.5, ge=0.0, le=10.0)
    """Half-width of the token band: full if score > band, token if > -band (before noise)."""


class ValueParams(_Frozen):
    """Weights of the value of staying and of leaving (Snyder's abandonment and entrapment)."""

    protection: Weight = 2.0
    """Weight of expected protection against the threats a member faces."""
    regime: Weight = 1.0
    """Weight of regime security."""
    dependence: Weight = 1.0
    """Weight of the benefits of dependence on the hegemon."""
    entrapment: Weight = 1.0
    """Weight of exposure to the hegemon's war."""
    domestic: Weight = 1.0
    """Weight of domestic pressure against membership."""
    sovereignty: Weight = 0.5
    """Weight of the sovereignty cost."""
    outside: Weight = 1.5
    """Weight of the best outside option."""
    punishment: Weight = 1.0
    """Weight of the expected punishment for leaving (dependence times the hegemon's coercive capacity)."""
    grievance: Weight = 1.0
    """Weight of the unresolved grievance left by unanswered requests."""


class StatusParams(_Frozen):
    """Pressure smoothing and status transitions with hysteresis."""

    smoothing: Annotated[float, Field(gt=0.0, le=1.0)] = 0.3
    """Share of this month's net value that enters the smoothed pressure."""
    disengage: float = Field(default=0.5, ge=-5.0, le=5.0)
    """Pressure at which a member disengages with probability 1/2 in a month."""
    withdraw: float = Field(default=1.0, ge=-5.0, le=5.0)
    """Pressure at which a disengaged member withdraws with probability 1/2 in a month."""
    reengage: float = Field(default=0.1, ge=-5.0, le=5.0)
    """Pressure below which a disengaged member returns with probability above 1/2."""
    rejoin: float = Field(default=-0.3, ge=-5.0, le=5.0)
    """Pressure below which a withdrawn member rejoins with probability above 1/2."""
    scale: float = Field(default=0.1, ge=0.01, le=2.0)
    """Logistic scale s of every transition; smaller is sharper."""

    @model_validator(mode="after")
    def _hysteresis(self) -> StatusParams:
        if not self.rejoin <= self.reengage <= self.disengage <= self.withdraw:
            raise ValueError(
                "thresholds must satisfy rejoin <= reengage <= disengage <= withdraw "
                f"(got {self.rejoin}, {self.reengage}, {self.disengage}, {self.withdraw})"
            )
        return self


class ShockParams(_Frozen):
    """How events move slow variables, and how fast those recover."""

    protest_decay: Unit = 0.15
    """Monthly rate at which protest pressure fades."""
    offer_decay: Unit = 0.03
    """Monthly rate at which an outside offer's extra attractiveness fades."""
    grievance_decay: Unit = 0.05
    """Monthly rate at which the grievance of an unanswered request fades."""
    regime_decay: Unit = 0.3
    """Monthly rate at which a regime crisis subsides."""
    war_recovery: Unit = 0.0
    """Monthly rate at which the hegemon's war load recedes (0: it stays until an event lowers it)."""
    contagion: Unit = 0.3
    """Extra outside-option attractiveness when all other members have left (scaled by the share that did)."""
    clash_distrust: Annotated[float, Field(ge=0.0, le=10.0)] = 2.0
    """Pseudo-observations of betrayal a border clash of severity 1 adds between the two members."""
    summit_grievance: Unit = 0.25
    """Grievance above which an active member raises its unanswered request again at a summit."""


class ModelParams(_Frozen):
    """Behavioural constants of the model; `docs/model.md` gives each its equation."""

    trust: TrustParams = Field(default_factory=TrustParams)
    """Trust learning."""
    threat: ThreatParams = Field(default_factory=ThreatParams)
    """Threat dynamics."""
    answer: AnswerParams = Field(default_factory=AnswerParams)
    """Allies' answers to requests."""
    value: ValueParams = Field(default_factory=ValueParams)
    """Value of staying and of leaving."""
    status: StatusParams = Field(default_factory=StatusParams)
    """Pressure and status transitions."""
    shocks: ShockParams = Field(default_factory=ShockParams)
    """Shock sizes and recovery rates."""


EventType = Literal[
    "attack",
    "border_clash",
    "regime_crisis",
    "assistance_request",
    "war_drain",
    "protest",
    "outside_offer",
    "summit",
]


class EventConfig(_Frozen):
    """A scripted event at a calendar month.

    Which fields an event uses depends on its type:

    - `attack`: `source` (attacker) attacks `target` with `severity`; `request`
      says whether the target asks the alliance for help, `answer` forces the
      alliance's answer (replaying history) or leaves it to the decision rule.
    - `border_clash`: members `target` and `source` fight with `severity`.
    - `regime_crisis`: unrest of `severity` in `target`; with `request` it asks for help.
    - `assistance_request`: `target` asks for help against `source` (or internal unrest
      when `source` is empty), answered by `answer` or the decision rule.
    - `war_drain`: the hegemon's war load rises by `severity` (negative lowers it).
    - `protest`: domestic pressure against membership in `target` rises by `severity`.
    - `outside_offer`: outside actor `source` offers `target` an alternative of `severity`.
    - `summit`: the alliance meets; a member with an open grievance asks again, answered
      by `answer` or the decision rule.
    """

    id: ActorId | None = None
    """Optional name, used by overrides and in the event log."""
    type: EventType
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
    note: str = ""
    """Free text shown in the event log and on figures."""

    @field_validator("month")
    @classmethod
    def _valid_month(cls, value: str) -> str:
        parse_month(value)
        return value

    @model_validator(mode="after")
    def _fields_for_type(self) -> EventConfig:
        needs_target = self.type not in ("war_drain", "summit")
        if needs_target and self.target is None:
            raise ValueError(f"a {self.type} event needs a target")
        if self.type in ("attack", "border_clash", "outside_offer") and self.source is None:
            raise ValueError(f"a {self.type} event needs a source")
        if self.severity < 0 and self.type != "war_drain":
            raise ValueError("only a war_drain event may have a negative severity")
        return self


class HazardConfig(_Frozen):
    """A random event that fires each month with a fixed probability."""

    id: ActorId | None = None
    """Optional name, used by overrides and in the event log."""
    type: EventType
    """The kind of event it fires (see `EventConfig`)."""
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

    @model_validator(mode="after")
    def _fields_for_type(self) -> HazardConfig:
        EventConfig(
            type=self.type,
            month="2000-01",
            target=self.target,
            source=self.source,
            severity=self.severity,
        )
        return self


class CalibrationConfig(_Frozen):
    """Where calibrated parameter values come from."""

    ledger: str | None = None
    """Path of an evidence ledger, relative to the scenario file; it fills the values the scenario leaves unset."""


class OutputConfig(_Frozen):
    """What a run records."""

    member_state: bool = True
    """Per-month state of every member (trust, threat, pressure, status)."""
    trust_matrix: bool = False
    """Per-month trust of every member in every other member."""


class ScenarioConfig(_Frozen):
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
    events: list[EventConfig] = Field(default_factory=list)
    """Scripted events."""
    hazards: list[HazardConfig] = Field(default_factory=list)
    """Random events."""
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    """Calibration source."""
    outputs: OutputConfig = Field(default_factory=OutputConfig)
    """What a run records."""

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
        horizon = self.time.horizon_months
        for i, event in enumerate(self.events):
            where = f"events.{i}"
            _check_roles(self, where, event.type, event.target, event.source)
            offset = month_index(self.time.start, event.month)
            if not 0 <= offset < horizon:
                raise ValueError(
                    f"{where}.month: {event.month} is outside the run "
                    f"({self.time.start} to {month_label(self.time.start, horizon - 1)})"
                )
        for i, hazard in enumerate(self.hazards):
            where = f"hazards.{i}"
            _check_roles(self, where, hazard.type, hazard.target, hazard.source)
            for field in ("start", "end"):
                value = getattr(hazard, field)
                if value is not None:
                    parse_month(value)
                    if not 0 <= month_index(self.time.start, value) < horizon:
                        raise ValueError(f"{where}.{field}: {value} is outside the run")
        return self


def _check_roles(config: ScenarioConfig, where: str, kind: str, target: str | None, source: str | None) -> None:
    members = set(config.member_ids)
    for field, actor in (("target", target), ("source", source)):
        if actor is not None and actor not in config.actors:
            raise ValueError(f"{where}.{field}: unknown actor {actor!r}")
    if target is not None and target not in members:
        raise ValueError(f"{where}.target: {target!r} is not a member")
    if kind == "border_clash" and source is not None and source not in members:
        raise ValueError(f"{where}.source: a border clash is between members; {source!r} is not one")
    if kind in ("attack", "border_clash") and source == target:
        raise ValueError(f"{where}.source: an actor cannot attack itself")
    if kind == "outside_offer" and source is not None and source in members:
        raise ValueError(f"{where}.source: an outside offer comes from an outside actor")
