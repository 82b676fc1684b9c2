"""`border_clash`: two members fight; each counts the clash as a betrayal by the other."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core.events.base import Event, EventKind, EventSpec, raise_share

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World
    from alliance_sim.scenario.config import ScenarioConfig


class BorderClash(EventKind):
    """Hostility rises both ways between two members, and trust between them falls."""

    type: ClassVar[str] = "border_clash"
    needs = "`source`, `target` (both members)"
    effect = (
        "the same both ways, and each side counts the clash as `clash_distrust * severity` "
        "observations of betrayal by the other"
    )
    needs_source = True
    source_role = "member"
    source_role_error = "a border clash is between members; {source!r} is not one"

    def check_roles(self, spec: EventSpec, config: ScenarioConfig, where: str) -> None:
        """Both parties are members, and different ones."""
        super().check_roles(spec, config, where)
        if spec.source == spec.target:
            raise ValueError(f"{where}.source: an actor cannot attack itself")

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Raise hostility both ways and add observations of betrayal both ways."""
        params = world.config.model
        t, s, severity = event.target, event.source, event.severity
        assert t is not None and s is not None
        raise_share(state.intent, (t, s), fired, params.threat.attack_gain * severity)
        raise_share(state.intent, (s, t), fired, params.threat.attack_gain * severity)
        betrayal = np.where(fired, params.shocks.clash_distrust * severity, 0.0)
        state.beta[..., t, s] = state.beta[..., t, s] + betrayal
        state.beta[..., s, t] = state.beta[..., s, t] + betrayal
