"""Scripted and random events: what each kind does to the state of a run.

An `Event` is a compiled `EventConfig` or `HazardConfig`: actor ids turned into
indices, the calendar month into a step. Its `apply` method changes the state
(through `dynamics`) wherever it `fired` (a boolean, or one per replicate) and returns
the `Request`s for assistance it raises, which the model then puts to the alliance.

Kinds and their effects (equations in `docs/model.md`):

| kind | effect |
|---|---|
| attack | hostility of `source` toward `target` rises by attack_gain * severity of the gap to 1; request |
| border_clash | the same both ways between two members, and each counts the clash as a betrayal |
| regime_crisis | the target's regime crisis level rises by severity of the gap to 1; request for internal help |
| assistance_request | a request only |
| war_drain | the hegemon's war load rises by severity of the gap to 1 (a negative severity lowers it by that share) |
| protest | protest pressure in the target rises by severity of the gap to 1 |
| outside_offer | the target's extra outside option rises by severity of the gap to 1 |
| summit | every active member with a grievance above `model.shocks.summit_grievance` asks again |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.scenario.config import Answer, ScenarioConfig, month_index

if TYPE_CHECKING:
    from alliance_sim.core.world import State, World


@dataclass(frozen=True)
class Request:
    """A request for assistance put to the alliance.

    Attributes:
        requester: Member index of the one asking.
        attacker: Actor index of the attacker; None for internal unrest.
        forced: The historical answer to replay, or None to let the alliance decide.
        slot: Which block of answer draws this request uses within its month.
        label: Short description for the event log.
        renewed: A grievance raised again at a summit: the attacker is the one of the
            member's last unanswered request (`State.grievance_source`), not `attacker`.
    """

    requester: int
    attacker: int | None
    forced: Answer | None
    slot: int
    label: str
    renewed: bool = False


@dataclass(frozen=True)
class Event:
    """A compiled event (scripted or hazard).

    Attributes:
        kind: The event type.
        step: Month index for scripted events; -1 for hazards.
        target: Actor index of the target, or None.
        source: Actor index of the source, or None.
        severity: Magnitude.
        request: Whether it raises a request for assistance.
        forced: Forced answer for the request, or None.
        name: Id or a generated label.
        note: Free text.
        rate: Monthly probability of firing (hazards only).
    """

    kind: str
    step: int
    target: int | None
    source: int | None
    severity: float
    request: bool
    forced: Answer | None
    name: str
    note: str = ""
    rate: float = 0.0

    def slots(self, m: int) -> int:
        """How many request slots (blocks of m answer draws) this event reserves."""
        if self.kind == "summit":
            return m
        if self.kind == "assistance_request":
            return 1
        if self.kind in ("attack", "border_clash", "regime_crisis") and self.request:
            return 1
        return 0

    def apply(self, world: World, state: State, fired: np.ndarray | bool, first_slot: int) -> list[Request]:
        """Change the state where the event fired; return the requests it raises.

        Args:
            world: The compiled scenario.
            state: The state, modified in place.
            fired: Whether the event happens (a bool, or one per replicate).
            first_slot: First request slot this event may use this month.

        Returns:
            The requests, in the order the alliance answers them.
        """
        fired = np.asarray(fired, dtype=bool)
        params = world.config.model
        t, s, sev = self.target, self.source, self.severity
        if self.kind == "attack":
            _raise(state.intent, (t, s), fired, params.threat.attack_gain * sev)
        elif self.kind == "border_clash":
            _raise(state.intent, (t, s), fired, params.threat.attack_gain * sev)
            _raise(state.intent, (s, t), fired, params.threat.attack_gain * sev)
            betrayal = np.where(fired, params.shocks.clash_distrust * sev, 0.0)
            state.beta[..., t, s] = state.beta[..., t, s] + betrayal
            state.beta[..., s, t] = state.beta[..., s, t] + betrayal
        elif self.kind == "regime_crisis":
            _raise(state.crisis, (t,), fired, sev)
        elif self.kind == "war_drain":
            load = state.war_load
            changed = dyn.raise_toward_one(load, sev) if sev >= 0 else load * (1.0 + sev)
            state.war_load = np.where(fired, changed, load)
        elif self.kind == "protest":
            _raise(state.protest, (t,), fired, sev)
        elif self.kind == "outside_offer":
            _raise(state.offers, (t,), fired, sev)
        return self._requests(world, first_slot)

    def _requests(self, world: World, first_slot: int) -> list[Request]:
        if self.kind == "summit":
            return [
                Request(
                    i, None, self.forced, first_slot + i, f"{self.name}: {world.members[i]} asks again", renewed=True
                )
                for i in range(world.m)
            ]
        if self.slots(world.m) == 0:
            return []
        attacker = None if self.kind == "regime_crisis" else self.source
        return [Request(self.target, attacker, self.forced, first_slot, self.name)]  # type: ignore[arg-type]


def _raise(array: np.ndarray, index: tuple[int | None, ...], fired: np.ndarray, amount: float) -> None:
    key = (Ellipsis, *index)
    current = array[key]
    array[key] = np.where(fired, dyn.raise_toward_one(current, amount), current)


def summit_askers(world: World, state: State, request: Request) -> np.ndarray:
    """Where a member raises its grievance at a summit: an active member with a grievance."""
    i = request.requester
    threshold = world.config.model.shocks.summit_grievance
    return (state.status[..., i] == dyn.MEMBER) & (state.grievance[..., i] > threshold)


def _event(config_event, step: int, index: dict[str, int], name: str) -> Event:
    return Event(
        rate=float(getattr(config_event, "monthly_rate", 0.0)),
        kind=config_event.type,
        step=step,
        target=index.get(config_event.target) if config_event.target else None,
        source=index.get(config_event.source) if config_event.source else None,
        severity=float(config_event.severity),
        request=bool(config_event.request),
        forced=getattr(config_event, "answer", None),
        name=name,
        note=getattr(config_event, "note", ""),
    )


def compile_events(config: ScenarioConfig, index: dict[str, int]) -> list[Event]:
    """Compile the scenario's scripted events, in file order."""
    events = []
    for i, ev in enumerate(config.events):
        name = ev.id or f"{ev.type}_{ev.month}_{i}"
        events.append(_event(ev, month_index(config.time.start, ev.month), index, name))
    return events


def compile_hazards(config: ScenarioConfig, index: dict[str, int]) -> list[Event]:
    """Compile the scenario's hazards, in file order (step -1: they fire by chance)."""
    return [_event(hz, -1, index, hz.id or f"hazard_{i}_{hz.type}") for i, hz in enumerate(config.hazards)]
