"""`attack`: an outside actor (or a member) attacks a member, which may ask for help."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World
    from alliance_sim.scenario.config import ScenarioConfig


class Attack(EventKind):
    """Hostility of the source toward the target rises; the target may ask for help."""

    type: ClassVar[str] = "attack"
    needs = "`source`, `target` (a member)"
    effect = (
        "hostility of the source toward the target rises by `attack_gain * severity` of the gap to 1; "
        "with `request: true` the target asks the alliance for help"
    )
    needs_source = True

    def check_roles(self, spec: EventSpec, config: ScenarioConfig, where: str) -> None:
        """The target is a member; nobody attacks itself."""
        super().check_roles(spec, config, where)
        if spec.source == spec.target:
            raise ValueError(f"{where}.source: an actor cannot attack itself")

    def rate(self, world: World, state: State, event: Event) -> float | np.ndarray:
        """An outside attacker strikes less often where the alliance is credible (deterrence)."""
        if event.source is None or event.target is None or event.source < world.m:
            return event.rate
        deterrence = world.config.model.threat.deterrence
        return dyn.deterred_rate(event.rate, state.cred[..., event.target, event.source], deterrence)

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise the source's shown hostility toward the target."""
        gain = world.config.model.threat.attack_gain * event.severity
        raise_share(state.intent, (event.target, event.source), fired, gain)
