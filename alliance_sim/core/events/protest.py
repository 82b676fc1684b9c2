"""`protest`: domestic pressure against membership rises in a member."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class Protest(EventKind):
    """Protest pressure in the target rises by `severity` of the gap to 1."""

    type: ClassVar[str] = "protest"
    needs = "`target`"
    effect = "protest pressure against membership in the target rises by `severity` of the gap to 1"

    def request_count(self, spec: EventSpec) -> int:
        """No request."""
        return 0

    def slots(self, event: Event, m: int) -> int:
        """No request."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise the target's protest pressure."""
        raise_share(state.protest, (event.target,), fired, event.severity)
