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
    """Every member that attends and whose grievance is above the threshold renews its request.

    The active members attend, and so does the host (`target`, optional) unless it has
    withdrawn: a disengaged member that hosts the meeting is there to air its grievance, as
    Armenia did at the Yerevan summit of November 2022 ("Pashinyan called for a clear
    position on the attacks by Azerbaijan").
    """

    type: ClassVar[str] = "summit"
    needs = "— (`target`, optional: the host)"
    effect = (
        "every member that attends (the active members, and the host `target` unless withdrawn) "
        "and whose grievance exceeds `model.shocks.summit_grievance` raises its unanswered request again"
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
            Request(
                i,
                None,
                event.forced,
                first_slot + i,
                f"{event.name}: {world.members[i]} asks again",
                renewed=True,
                host=i == event.target,
            )
            for i in range(world.m)
        ]

    def asks(self, world: World, state: State, request: Request, fired: np.ndarray) -> np.ndarray:
        """A member that attends, with a grievance above `model.shocks.summit_grievance`, asks."""
        i = request.requester
        threshold = world.config.model.shocks.summit_grievance
        grievance = dyn.weighted_grievance(state.grievance[..., i, :], world.share[i])
        status = state.status[..., i]
        attends = (status == dyn.MEMBER) | ((status == dyn.DISENGAGED) & request.host)
        return np.asarray(fired & attends & (grievance > threshold))

    def describe(self, world: World, state: State, event: Event) -> str:
        """The note, and who is absent."""
        away = self._absent(state.status[None, ...], event)[0]
        return self._note(event, [member for member, out in zip(world.members, away, strict=True) if out])

    def describe_each(self, world: World, state: State, event: Event, where: np.ndarray) -> np.ndarray:
        """`describe` for the replicates `where` of a batch, once per distinct set of absent members."""
        absent = self._absent(state.status[where], event)
        sets, which = np.unique(absent, axis=0, return_inverse=True)
        texts = [self._note(event, [m for m, out in zip(world.members, row, strict=True) if out]) for row in sets]
        return np.asarray(texts, dtype=object)[np.asarray(which).reshape(-1)]

    @staticmethod
    def _absent(status: np.ndarray, event: Event) -> np.ndarray:
        """Who stays away from the summit, per replicate: all but the active members and a disengaged host."""
        absent: np.ndarray = np.asarray(status != dyn.MEMBER)
        if event.target is not None:
            absent[..., event.target] = status[..., event.target] == dyn.WITHDRAWN
        return absent

    @staticmethod
    def _note(event: Event, absent: list[str]) -> str:
        return (event.note + "; " if event.note else "") + (
            "absent: " + ", ".join(absent) if absent else "all members attend"
        )
