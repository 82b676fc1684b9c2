"""`coercion`: the hegemon presses a member openly (threats, cut supplies, troops on show)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World
    from alliance_sim.scenario.config import ScenarioConfig


class Coercion(EventKind):
    """The hegemon's deterrent signal to the target, and the hostility the target sees from it, rise."""

    type: ClassVar[str] = "coercion"
    needs = "`target` (a member); `source` (the hegemon) may be left out"
    effect = (
        "the hegemon's deterrent signal to the target and the hostility the target sees from it rise by "
        "`severity` of the gap to 1: leaving looks costlier, and the patron more threatening"
    )

    def check_roles(self, spec: EventSpec, config: ScenarioConfig, where: str) -> None:
        """The target is a member other than the hegemon; the source, if given, is the hegemon."""
        super().check_roles(spec, config, where)
        if spec.target == config.alliance.hegemon:
            raise ValueError(f"{where}.target: the hegemon does not coerce itself")
        if spec.source is not None and spec.source != config.alliance.hegemon:
            raise ValueError(f"{where}.source: coercion comes from the hegemon ({config.alliance.hegemon!r})")

    def request_count(self, spec: EventSpec) -> int:
        """No request."""
        return 0

    def slots(self, event: Event, m: int) -> int:
        """No request."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise the signal and the hostility the target sees from the hegemon."""
        raise_share(state.signal, (event.target,), fired, event.severity)
        raise_share(state.intent, (event.target, world.hegemon), fired, event.severity)
