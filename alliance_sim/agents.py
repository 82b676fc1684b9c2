"""Mesa agents: the member states of the alliance and the outside actors, as views.

The numbers of a run live in the model's `State` arrays (`model.state`, one row per
member), because the same month runs on one run (this Mesa model) and on a batch of
replicates (the ensemble engine) with the very same code (`alliance_sim.core.month`).
An agent is a view into its row: reading `member.pressure` reads
`model.state.pressure[member.index]`, and setting it writes there, so a change made
between steps is what the next month starts from. Trust is a Beta belief (two arrays),
so it is set through a method (`MemberState.set_trust`).

Agents are registered with the model as Mesa agents (`model.agents`,
`model.agents_by_type[MemberState]`), so Mesa's `AgentSet` tools, the `DataCollector`
and visualisation find them; the month itself does not call them one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import mesa
import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.dynamics import ANSWER_NAMES, STATUS_NAMES

if TYPE_CHECKING:
    from alliance_sim.model import AllianceModel
    from alliance_sim.scenario.config import ActorConfig

__all__ = ["ANSWER_NAMES", "STATUS_NAMES", "Hegemon", "MemberState", "OutsideActor"]


class StateRow:
    """A float attribute of a member that reads and writes its row of a `State` array."""

    def __init__(self, doc: str) -> None:
        """Describe the attribute (the array has the attribute's name)."""
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        """Remember which `State` array this attribute views."""
        self.name = name

    @overload
    def __get__(self, agent: None, owner: type) -> StateRow: ...
    @overload
    def __get__(self, agent: MemberState, owner: type) -> float: ...
    def __get__(self, agent: MemberState | None, owner: type) -> StateRow | float:
        """The value in the agent's row."""
        if agent is None:
            return self
        return float(getattr(agent.model.state, self.name)[agent.index])

    def __set__(self, agent: MemberState, value: float) -> None:
        """Write the value into the agent's row."""
        getattr(agent.model.state, self.name)[agent.index] = float(value)


class _Actor(mesa.Agent):
    """What members and outside actors have in common: an id, a name, a place on the actor axis."""

    model: AllianceModel

    def __init__(self, model: AllianceModel, actor_id: str, index: int, params: ActorConfig) -> None:
        """Create the actor and register it with the model."""
        super().__init__(model)
        self.actor_id = actor_id
        self.name = params.name
        self.index = index
        self.params = params


class MemberState(_Actor):
    """A member state of the alliance: a view into row `index` of the model's state.

    It answers allies' requests for help, weighs the value of staying against the value
    of leaving, and changes its status (member, disengaged, withdrawn) with hysteresis;
    the model does all three for every member at once (`alliance_sim.core.month`).

    Attributes:
        actor_id: Scenario id, for example `armenia`.
        name: Display name.
        index: Row of this member in the model's state arrays.
        params: The member's configured parameters.
    """

    pressure = StateRow("Smoothed pressure to leave (settable).")
    protest = StateRow("Protest pressure on top of the baseline, in [0, 1] (settable).")
    crisis = StateRow("Regime crisis level, in [0, 1] (settable).")
    reward = StateRow("The hegemon's rewards to this member, in [0, 1] (settable).")
    signal = StateRow("The hegemon's deterrent signal to this member, in [0, 1] (settable).")
    credibility = StateRow("Last month's credibility of internal help (recomputed each month).")
    value_stay = StateRow("Last month's value of staying (recomputed each month).")
    value_leave = StateRow("Last month's value of leaving (recomputed each month).")
    max_threat = StateRow("Largest threat the member faced last month (recomputed each month).")

    @property
    def grievance(self) -> float:
        """Grievance at the allies who refused, weighted by each ally's share of the alliance's capacity."""
        state, world = self.model.state, self.model.world
        return float(dyn.weighted_grievance(state.grievance[self.index], world.share[self.index]))

    def grievance_at(self, other: MemberState) -> float:
        """Grievance at one ally for its part in unanswered requests, in [0, 1]."""
        return float(self.model.state.grievance[self.index, other.index])

    def offer_from(self, patron: OutsideActor) -> float:
        """Extra attractiveness of `patron` as an alternative, from its offers, in [0, 1]."""
        return float(self.model.state.offers[self.index, patron.index])

    def set_offer_from(self, patron: OutsideActor, value: float) -> None:
        """Set the extra attractiveness of `patron`'s offers (it then fades at `shocks.offer_decay`)."""
        self.model.state.offers[self.index, patron.index] = float(np.clip(value, 0.0, 1.0))

    @property
    def notice(self) -> int:
        """Months left before this member's notice of withdrawal takes effect (0: none given)."""
        return int(self.model.state.notice[self.index])

    @property
    def fear_of_hegemon(self) -> float:
        """Threat this member sees from its own hegemon (Walt's four factors)."""
        world, h = self.model.world, self.model.world.hegemon
        value = dyn.threat(
            world.ratio[self.index, h],
            world.proximity[self.index, h],
            world.offense[h],
            self.model.state.intent[self.index, h],
        )
        return float(value)

    @property
    def is_hegemon(self) -> bool:
        """Whether this member leads the alliance (it never leaves)."""
        return self.index == self.model.world.hegemon

    @property
    def status(self) -> str:
        """Current status: `member`, `disengaged` or `withdrawn` (settable, by name or code)."""
        return STATUS_NAMES[int(self.model.state.status[self.index])]

    @status.setter
    def status(self, value: str | int) -> None:
        code = STATUS_NAMES.index(value) if isinstance(value, str) else int(value)
        if code not in (dyn.MEMBER, dyn.DISENGAGED, dyn.WITHDRAWN):
            raise ValueError(f"unknown status {value!r} ({', '.join(STATUS_NAMES)})")
        self.model.state.status[self.index] = code
        self.model.state.notice[self.index] = 0

    @property
    def trust_in_hegemon(self) -> float:
        """Belief that the hegemon honours the treaty (NaN for the hegemon itself)."""
        if self.is_hegemon:
            return float("nan")
        return self.trust_in(self.model.members[self.model.world.hegemon])

    def trust_in(self, other: MemberState, kind: str = "defence") -> float:
        """Belief that `other` honours the treaty: alpha / (alpha + beta).

        Args:
            other: The ally.
            kind: `defence` (help against an outside attack) or `regime` (help with
                internal unrest): members learn the two apart.
        """
        alpha, beta = self._belief(kind)
        return float(dyn.trust(alpha[self.index, other.index], beta[self.index, other.index]))

    def _belief(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        state = self.model.state
        if kind == "defence":
            return state.alpha, state.beta
        if kind == "regime":
            return state.alpha_int, state.beta_int
        raise ValueError(f"unknown kind of trust {kind!r} (defence, regime)")

    def set_trust(self, other: MemberState, value: float, strength: float | None = None, kind: str = "defence") -> None:
        """Set this member's belief that `other` honours the treaty.

        Args:
            other: The ally.
            value: The new trust, in (0, 1).
            strength: Pseudo-observations behind it (alpha + beta); by default the
                belief keeps the weight of evidence it has now.
            kind: `defence` or `regime` (see `trust_in`).
        """
        if not 0.0 < value < 1.0:
            raise ValueError(f"trust must be in (0, 1), got {value}")
        alpha, beta = self._belief(kind)
        i, j = self.index, other.index
        total = float(alpha[i, j] + beta[i, j]) if strength is None else float(strength)
        alpha[i, j] = value * total
        beta[i, j] = (1.0 - value) * total

    def traced(self, name: str) -> Any:
        """This member's value of a traced quantity (`alliance_sim.core.trace.TRACED`) now."""
        value = self.model.trace.members[name][self.model.steps, self.index]
        return STATUS_NAMES[int(value)] if name == "status" else float(value)


class Hegemon(MemberState):
    """The leading member: it never leaves, and it acts each month as a strategic agent.

    Each month it looks at every member's pressure to leave and, where it is high and
    rising, rewards the member or coerces it (in proportion to the member's exposure to
    coercion), within the capacity its war leaves it; it reacts once to the first defector
    to deter the others (`alliance_sim.core.phases.hegemon_acts`, run for every member at
    once by the month). These attributes show what it is doing.
    """

    @property
    def spare_capacity(self) -> float:
        """Share of its capacity its war leaves it for its allies."""
        world = self.model.world
        return float(world.capacity[world.hegemon] * (1.0 - float(self.model.state.war_load)))

    @property
    def demand(self) -> float:
        """Its war's demand on its allies, in [0, 1] (the cause of their entrapment)."""
        return float(self.model.state.demand)

    @property
    def has_reacted(self) -> bool:
        """Whether it has reacted to a first defector."""
        return bool(self.model.state.reacted)

    def rewards(self) -> dict[str, float]:
        """Its current rewards to each other member."""
        return {m.actor_id: m.reward for m in self.model.members if m is not self}

    def signals(self) -> dict[str, float]:
        """Its current deterrent signal to each other member."""
        return {m.actor_id: m.signal for m in self.model.members if m is not self}


class OutsideActor(_Actor):
    """A state or organisation outside the alliance: an attacker, a patron, a rival.

    Its actions are the events that name it as their source (attacks, offers).

    Attributes:
        actor_id: Scenario id, for example `azerbaijan`.
        name: Display name.
        index: Column of this actor in the model's actor axis.
        params: The actor's configured parameters.
    """

    def hostility_toward(self, member: MemberState) -> float:
        """Hostility this actor currently shows toward `member`."""
        return float(self.model.state.intent[member.index, self.index])

    def set_hostility_toward(self, member: MemberState, value: float) -> None:
        """Set the hostility this actor shows toward `member` (it then relaxes toward baseline)."""
        self.model.state.intent[member.index, self.index] = float(np.clip(value, 0.0, 1.0))
