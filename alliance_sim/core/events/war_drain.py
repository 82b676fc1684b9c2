"""`war_drain`: the hegemon's war load rises (or, with a negative severity, falls)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class WarDrain(EventKind):
    """The hegemon's war load and demand move by `severity` of the gap to 1; members fear its belligerence."""

    type: ClassVar[str] = "war_drain"
    needs = "—"
    effect = (
        "the hegemon's war load (its capacity absorbed) and its demand on the allies rise by `severity` of the "
        "gap to 1, and the hostility every member sees from the hegemon by `hegemon.belligerence * severity`; "
        "a negative severity lowers load and demand by that share"
    )
    needs_target = False
    signed_severity = True

    def request_count(self, spec: EventSpec) -> int:
        """No request."""
        return 0

    def slots(self, event: Event, m: int) -> int:
        """No request."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise (or lower) the war load and the war's demand; a rise shows the hegemon's belligerence."""
        load, demand = state.war_load, state.demand
        sev = event.severity
        if sev >= 0:
            new_load, new_demand = dyn.raise_toward_one(load, sev), dyn.raise_toward_one(demand, sev)
        else:
            new_load, new_demand = load * (1.0 + sev), demand * (1.0 + sev)
        state.war_load = np.where(fired, new_load, load)
        state.demand = np.where(fired, new_demand, demand)
        if sev > 0:
            shown = world.config.model.hegemon.belligerence * sev
            raise_share(state.intent, (slice(None), world.hegemon), np.asarray(fired)[..., None], shown)
