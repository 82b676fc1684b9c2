"""`outside_offer`: an outside actor makes a member's alternatives to membership look better."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class OutsideOffer(EventKind):
    """The target's option toward the offering patron rises by `severity` of the gap to 1."""

    type: ClassVar[str] = "outside_offer"
    needs = "`source` (outside actor), `target`"
    effect = "the target's option toward the source (a patron) rises by `severity` of the gap to 1"
    needs_source = True
    source_role = "outside"
    source_role_error = "an outside offer comes from an outside actor"

    def request_count(self, spec: EventSpec) -> int:
        """No request."""
        return 0

    def slots(self, event: Event, m: int) -> int:
        """No request."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise the target's option toward the offering patron."""
        raise_share(state.offers, (event.target, event.source), fired, event.severity)
