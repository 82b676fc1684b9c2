"""Mesa agents: the member states of the alliance and the outside actors.

Agents hold behaviour only. Their numbers live in the model's `State` arrays (one row
per member), so that the ensemble engine, which runs many replicates at once, reads
and writes the very same quantities; each behaviour calls the phase functions of
`alliance_sim.core.world` for the agent's own row, which call the equations in
`alliance_sim.core.dynamics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core import world as phases
from alliance_sim.scenario.config import ActorConfig

if TYPE_CHECKING:
    from alliance_sim.core.events import Request
    from alliance_sim.model import AllianceModel

STATUS_NAMES = dyn.STATUS_NAMES
"""Status codes as words, index = code (defined beside the codes in `alliance_sim.core.dynamics`)."""

ANSWER_NAMES = dyn.ANSWER_NAMES
"""Answer levels as words, index = level (defined beside the levels in `alliance_sim.core.dynamics`)."""


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
    """A member state of the alliance.

    It answers allies' requests for help, weighs the value of staying against the
    value of leaving, and changes its status (member, disengaged, withdrawn) with
    hysteresis.

    Attributes:
        actor_id: Scenario id, for example `armenia`.
        name: Display name.
        index: Row of this member in the model's state arrays.
        params: The member's configured parameters.
    """

    @property
    def is_hegemon(self) -> bool:
        """Whether this member leads the alliance (it never leaves)."""
        return self.index == self.model.world.hegemon

    @property
    def status(self) -> str:
        """Current status: `member`, `disengaged` or `withdrawn`."""
        return STATUS_NAMES[int(self.model.state.status[self.index])]

    @property
    def pressure(self) -> float:
        """Smoothed pressure to leave."""
        return float(self.model.state.pressure[self.index])

    @property
    def trust_in_hegemon(self) -> float:
        """Belief that the hegemon honours the treaty (NaN for the hegemon itself)."""
        if self.is_hegemon:
            return float("nan")
        h = self.model.world.hegemon
        state = self.model.state
        return float(dyn.trust(state.alpha[self.index, h], state.beta[self.index, h]))

    def trust_in(self, other: MemberState) -> float:
        """Belief that `other` honours the treaty."""
        state = self.model.state
        return float(dyn.trust(state.alpha[self.index, other.index], state.beta[self.index, other.index]))

    def answer_request(self, request: Request, draw: float) -> int:
        """Decide how to answer an ally's request: 0 refuse, 1 token, 2 full.

        Args:
            request: The request.
            draw: This member's uniform draw for it.

        Returns:
            The answer level.
        """
        world, state = self.model.world, self.model.state
        score = phases.answer_scores(world, state, request, self.index)
        return int(dyn.ally_answer(score, world.config.model.answer.token_band, np.asarray(draw)))

    def weigh_membership(self) -> None:
        """Compare the value of staying with the value of leaving and update the pressure."""
        world, state = self.model.world, self.model.state
        net = phases.weigh_membership(world, state, self.index, self.model.survey)
        phases.update_pressure(world, state, self.index, net)

    def reconsider_status(self) -> None:
        """Possibly change status, from this month's draw."""
        world, state = self.model.world, self.model.state
        before = int(state.status[self.index])
        draw = self.model.draws[self.model.steps - 1, self.index]
        after = int(phases.reconsider_status(world, state, self.index, draw))
        if after != before:
            self.model.log_status_change(self, before, after)


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
