"""`regime_crisis`: unrest in a member; it may ask the alliance for help against it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core.events.base import Event, EventKind, Request, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class RegimeCrisis(EventKind):
    """The target's regime-crisis level rises; its request is about internal unrest."""

    type: ClassVar[str] = "regime_crisis"
    needs = "`target`"
    effect = (
        "the target's regime-crisis level rises by `severity` of the gap to 1; "
        "with `request: true` it asks for help against internal unrest"
    )

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise the target's crisis level."""
        raise_share(state.crisis, (event.target,), fired, event.severity)

    def requests(self, world: World, event: Event, first_slot: int) -> list[Request]:
        """One request for help against internal unrest (no attacker)."""
        if not event.request or event.target is None:
            return []
        return [Request(event.target, None, event.forced, first_slot, event.name, index=event.request_index)]
