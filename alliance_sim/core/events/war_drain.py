"""`war_drain`: the hegemon's war load rises (or, with a negative severity, falls)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events.base import Event, EventKind

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class WarDrain(EventKind):
    """The hegemon's war load moves by `severity` of the gap to 1 (down by that share if negative)."""

    type: ClassVar[str] = "war_drain"
    needs = "—"
    effect = "the hegemon's war load rises by `severity` of the gap to 1; a negative severity lowers it by that share"
    needs_target = False
    signed_severity = True

    def slots(self, event: Event, m: int) -> int:
        """No request."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise (or lower) the war load."""
        load = state.war_load
        sev = event.severity
        changed = dyn.raise_toward_one(load, sev) if sev >= 0 else load * (1.0 + sev)
        state.war_load = np.where(fired, changed, load)
