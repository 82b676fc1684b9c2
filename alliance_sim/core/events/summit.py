"""`summit`: the alliance meets, and members with an open grievance ask again."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events.base import Event, EventKind, EventSpec, Request

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class Summit(EventKind):
    """Every active member whose grievance is above the threshold renews its request."""

    type: ClassVar[str] = "summit"
    needs = "—"
    effect = (
        "every active member whose grievance exceeds `model.shocks.summit_grievance` "
        "raises its unanswered request again"
    )
    needs_target = False

    def slots(self, event: Event, m: int) -> int:
        """One slot per member: each may ask."""
        return m

    def request_count(self, spec: EventSpec) -> int:
        """Not a single request: one per member with a grievance."""
        return 0

    def requests(self, world: World, event: Event, first_slot: int) -> list[Request]:
        """One renewed request per member, in member order."""
        return [
            Request(i, None, event.forced, first_slot + i, f"{event.name}: {world.members[i]} asks again", renewed=True)
            for i in range(world.m)
        ]

    def asks(self, world: World, state: State, request: Request, fired: np.ndarray) -> np.ndarray:
        """An active member with a grievance above `model.shocks.summit_grievance` asks."""
        i = request.requester
        threshold = world.config.model.shocks.summit_grievance
        grievance = dyn.weighted_grievance(state.grievance[..., i, :], world.share[i])
        return np.asarray(fired & (state.status[..., i] == dyn.MEMBER) & (grievance > threshold))

    def describe(self, world: World, state: State, event: Event) -> str:
        """The note, and who is absent."""
        absent = [member for i, member in enumerate(world.members) if int(state.status[..., i]) != dyn.MEMBER]
        return self._note(event, absent)

    def describe_each(self, world: World, state: State, event: Event, where: np.ndarray) -> np.ndarray:
        """`describe` for the replicates `where` of a batch, once per distinct set of absent members."""
        absent = state.status[where] != dyn.MEMBER
        sets, which = np.unique(absent, axis=0, return_inverse=True)
        texts = [self._note(event, [m for m, out in zip(world.members, row, strict=True) if out]) for row in sets]
        return np.asarray(texts, dtype=object)[np.asarray(which).reshape(-1)]

    @staticmethod
    def _note(event: Event, absent: list[str]) -> str:
        return (event.note + "; " if event.note else "") + (
            "absent: " + ", ".join(absent) if absent else "all members attend"
        )
