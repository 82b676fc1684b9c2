"""Behavioural constants of the model: trust, threat, answers, values, status, shocks.

`ModelParams` is the `model:` section of a scenario. Every engine reads its numbers from
here; `docs/model.md` gives each its equation and `docs/scenarios.md` (generated) its
bounds and default.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from alliance_sim.core.types import Coefficient, FrozenModel, Unit, Weight


class TrustParams(FrozenModel):
    """Beta-Bernoulli trust learning."""

    prior_strength: float = Field(default=2.0, ge=0.5, le=100.0)
    """Pseudo-observations behind the prior (a0 + b0); larger is slower to change (2: weakly informative)."""
    spillover: Unit = 0.5
    """Weight rho with which members learn from how others are treated (requester learns with 1)."""
    forgetting: Annotated[float, Field(ge=0.0, le=0.5)] = 0.02
    """Monthly rate at which beliefs relax toward the prior."""
    token_credit: Unit = 0.25
    """Share of a token answer counted as help (the rest counts as refusal)."""
    learning: Annotated[float, Field(ge=0.0, le=4.0)] = 1.0
    """Pseudo-observations one answer adds for the requester (others: times `spillover`); 0: no learning."""
    cross_domain: Unit = 0.25
    """Weight with which an answer about one kind of help (defence, or help with unrest) teaches about the other."""
    vote_visibility: Unit = 0.5
    """Share of the lesson and of the grievance drawn from each ally's own vote rather than the alliance's answer."""


class ThreatParams(FrozenModel):
    """Balance-of-threat dynamics."""

    power_exponent: float = Field(default=1.0, ge=0.0, le=3.0)
    """Exponent alpha on power in the dyadic power ratio."""
    intent_decay: Unit = 0.1
    """Monthly rate at which shown hostility decays to its baseline."""
    attack_gain: Unit = 0.6
    """Share of the remaining gap to 1 that an attack of severity 1 adds to hostility."""
    sufficiency: float = Field(default=1.0, ge=0.1, le=10.0)
    """Capability an ally must muster, in multiples of the threat's power, to count as enough help."""
    deterrence: Unit = 0.5
    """Share by which a fully credible alliance lowers an outside actor's monthly rate of attacking a member."""


class AnswerParams(FrozenModel):
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


class ValueParams(FrozenModel):
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
    fear: Weight = 1.0
    """Weight of the threat a member sees from its own hegemon (balancing against the patron)."""
    coercion: Weight = 1.0
    """Weight of the expected cost of the hegemon's coercion if the member leaves."""
    grievance: Weight = 1.0
    """Weight of the unresolved grievance left by unanswered requests."""


class StatusParams(FrozenModel):
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
    notice_months: int = Field(default=6, ge=0, le=24)
    """Months between a member's notice of withdrawal and its taking effect (0: at once)."""

    @model_validator(mode="after")
    def _hysteresis(self) -> StatusParams:
        if not self.rejoin <= self.reengage <= self.disengage <= self.withdraw:
            raise ValueError(
                "thresholds must satisfy rejoin <= reengage <= disengage <= withdraw "
                f"(got {self.rejoin}, {self.reengage}, {self.disengage}, {self.withdraw})"
            )
        return self


class ShockParams(FrozenModel):
    """How events move slow variables, and how fast those recover."""

    protest_decay: Unit = 0.15
    """Monthly rate at which protest pressure fades."""
    offer_decay: Unit = 0.03
    """Monthly rate at which an outside offer's extra attractiveness fades."""
    grievance_decay: Unit = 0.05
    """Monthly rate at which the grievance of an unanswered request fades."""
    regime_decay: Unit = 0.3
    """Monthly rate at which a regime crisis subsides."""
    war_recovery: Annotated[float, Field(ge=0.0, le=0.5)] = 0.03
    """Monthly rate at which the hegemon's war load recedes (its capacity to help recovers)."""
    demand_decay: Annotated[float, Field(ge=0.0, le=0.5)] = 0.02
    """Monthly rate at which the hegemon's demand on its allies (its war's call on them) fades."""
    contagion: Unit = 0.3
    """Extra outside-option attractiveness when all other members have left (scaled by the share that did)."""
    clash_distrust: Annotated[float, Field(ge=0.0, le=10.0)] = 2.0
    """Pseudo-observations of betrayal a border clash of severity 1 adds between the two members."""
    summit_grievance: Unit = 0.25
    """Grievance above which an active member raises its unanswered request again at a summit."""


class HegemonParams(FrozenModel):
    """The hegemon as a strategic actor: its war's reach, its rewards and its coercion."""

    belligerence: Unit = 0.5
    """Share of the gap to 1 by which a war_drain of severity 1 raises the hostility members see from the hegemon."""
    watch: float = Field(default=0.5, ge=0.0, le=5.0)
    """How far below the disengage threshold a member's rising pressure draws the hegemon's attention."""
    reward: Weight = 1.0
    """Reward (subsidies, arms) per unit rise of pressure, per unit of capacity the hegemon can spare."""
    coerce: Weight = 1.0
    """Coercion (threats, pressure) per unit rise of pressure of an exposed member."""
    deter: Unit = 0.5
    """Share of the gap to 1 by which the hegemon's reaction to the first defector raises its deterrent signal."""
    resolve: Weight = 1.0
    """How much a deterrent signal of 1 raises the expected cost of coercion."""
    reward_decay: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    """Monthly rate at which the hegemon's rewards fade."""
    signal_decay: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    """Monthly rate at which the hegemon's deterrent signal fades."""


class ModelParams(FrozenModel):
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
    hegemon: HegemonParams = Field(default_factory=HegemonParams)
    """The hegemon's strategy."""
