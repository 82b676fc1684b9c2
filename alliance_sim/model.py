"""`AllianceModel`: the Mesa model of an alliance under defection pressure.

One step is one month. The model builds a `MemberState` for each member and an
`OutsideActor` for each outside actor, draws the run's random numbers as one block
at the start (shape (months, columns), see `alliance_sim.core.world.World`), and plays the
scripted events and random hazards of its scenario month by month: each step runs
`alliance_sim.core.month.run_month`, the same month the ensemble engine runs, on a
state with no batch axis. The agents are views into that state (`alliance_sim.agents`).

`model.config` is the scenario as run; `model.scenario` is Mesa's own `Scenario`
(left as Mesa sets it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import mesa
import numpy as np
from mesa.datacollection import DataCollector

from alliance_sim.agents import Hegemon, MemberState, OutsideActor
from alliance_sim.core import dynamics as dyn
from alliance_sim.core.dynamics import ANSWER_NAMES, STATUS_NAMES
from alliance_sim.core.events import Event, Request
from alliance_sim.core.month import run_month
from alliance_sim.core.randomness import SeedLike, random_block, seed_to_int
from alliance_sim.core.state import initial_state
from alliance_sim.core.trace import TRACED, Trace
from alliance_sim.core.world import compile_timeline
from alliance_sim.evidence.scenarios import load_scenario
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import with_overrides


class AllianceModel(mesa.Model):
    """An alliance whose members may disengage or withdraw under shocks.

    Args:
        scenario: A `ScenarioConfig`, or the path of a scenario YAML file.
        rng: Seed: an int, a `numpy.random.SeedSequence`, or a `numpy.random.Generator`
            (as Mesa's own models take); None draws one from the OS. A Generator gives
            the integer seed `int(rng.integers(2**63))` (it advances by one draw), so the
            same Generator state gives the same run; the run then draws everything from
            that integer, like every other engine.
        overrides: `--set`-style overrides, ``{"actors.russia.capacity": 0.8}``.
        **parameters: Overrides as plain keyword arguments, with ``__`` for ``.``
            (``actors__russia__capacity=0.8``), so that `mesa.batch_run` can vary them.

    Attributes:
        config: The scenario as run.
        world: The scenario compiled to arrays.
        state: The state of the run (numpy arrays, one row per member).
        draws: The run's random block.
        trace: Per-month record of every member.
        event_log: One dict per event, request and status change.
        seed: The integer seed of the run.
    """

    def __init__(
        self,
        scenario: ScenarioConfig | str | os.PathLike[str],
        *,
        rng: SeedLike | np.random.Generator = None,
        overrides: Mapping[str, Any] | None = None,
        **parameters: Any,
    ) -> None:
        """Build agents and state from the scenario, and draw the random block."""
        seed = int(rng.integers(2**63)) if isinstance(rng, np.random.Generator) else seed_to_int(rng)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
        super().__init__(rng=seed)
        self.seed = seed
        merged = dict(overrides or {})
        merged.update({key.replace("__", "."): value for key, value in parameters.items()})
        if isinstance(scenario, ScenarioConfig):
            config = with_overrides(scenario, merged) if merged else scenario
        else:
            config = load_scenario(scenario, merged or None)
        self.config = config
        self.timeline = compile_timeline(config)
        self.world = self.timeline[0][1]
        self._switch = dict(self.timeline)
        self.draws = random_block(seed, self.world.steps, self.world.columns)
        self.members: list[MemberState] = []
        self.outsiders: list[OutsideActor] = []
        for index, actor_id in enumerate(self.world.actors):
            params = config.actors[actor_id]
            if params.kind == "member":
                cls = Hegemon if actor_id == config.alliance.hegemon else MemberState
                self.members.append(cls(self, actor_id, index, params))
            else:
                self.outsiders.append(OutsideActor(self, actor_id, index, params))
        self.state = initial_state(self.world)
        self.trace = Trace.empty(self.world)
        self.trace.record(self.world, self.state, 0)
        self.event_log: list[dict[str, Any]] = []
        self.datacollector = DataCollector(
            model_reporters={
                "month": "month",
                "cohesion": "cohesion",
                "war_load": "war_load",
                "disengaged": "n_disengaged",
                "withdrawn": "n_withdrawn",
            },
            agenttype_reporters={
                kind: {"member": "actor_id", **{name: _reporter(name) for name in TRACED}}
                for kind in (MemberState, Hegemon)
            },
        )
        self.datacollector.collect(self)

    # --- what the model reports ------------------------------------------------------

    @property
    def month(self) -> str:
        """Calendar month of the state now (`YYYY-MM`); before step 1 it is the start month."""
        return self.world.month(max(self.steps - 1, 0))

    @property
    def war_load(self) -> float:
        """The hegemon's war load in [0, 1]."""
        return float(self.state.war_load)

    @property
    def n_disengaged(self) -> int:
        """Members disengaged now."""
        return int(np.count_nonzero(self.state.status == dyn.DISENGAGED))

    @property
    def n_withdrawn(self) -> int:
        """Members withdrawn now."""
        return int(np.count_nonzero(self.state.status == dyn.WITHDRAWN))

    @property
    def cohesion(self) -> float:
        """Share of members that are full, active members."""
        return float(np.mean(self.state.status == dyn.MEMBER))

    def member(self, actor_id: str) -> MemberState:
        """The member agent with this id."""
        for agent in self.members:
            if agent.actor_id == actor_id:
                return agent
        raise KeyError(actor_id)

    # --- the monthly loop ------------------------------------------------------------

    def step(self) -> None:
        """Advance one month.

        The month is `alliance_sim.core.month.run_month` (its docstring is where the order
        of a month is written); then the model logs status changes and collects its
        `DataCollector`.
        """
        t = self.steps - 1
        self.world = self._switch.get(t, self.world)
        noticed = self.state.notice.copy()
        before = run_month(self.world, self.state, t, self.draws[t], self.trace, self._log_event)
        for agent in self.members:
            if before[agent.index] != self.state.status[agent.index]:
                self.log_status_change(agent, int(before[agent.index]), int(self.state.status[agent.index]))
            elif noticed[agent.index] == 0 and self.state.notice[agent.index] > 0:
                self.log_notice(agent)
        self.datacollector.collect(self)
        if self.steps >= self.world.steps:
            self.running = False

    def run(self) -> AllianceModel:
        """Run to the end of the horizon; returns the model for chaining."""
        while self.running:
            self.step()
        return self

    # --- callbacks -------------------------------------------------------------------

    def _log_event(
        self,
        event: Event,
        fired: np.ndarray,
        request: Request | None,
        levels: np.ndarray | None,
        answer: np.ndarray | None,
    ) -> None:
        if not bool(fired):
            return
        actors = self.world.actors
        row: dict[str, Any] = {
            "step": self.steps,
            "month": self.world.month(self.steps - 1),
            "event": event.name,
            "kind": event.kind,
            "target": actors[event.target] if event.target is not None else "",
            "source": actors[event.source] if event.source is not None else "",
            "severity": event.severity,
            "requester": "",
            "answer": "",
            "votes": "",
            "note": event.note,
        }
        if request is not None:
            assert levels is not None and answer is not None
            votes = [
                f"{self.world.members[j]}:{ANSWER_NAMES[int(level)]}" for j, level in enumerate(levels) if level >= 0
            ]
            row.update(
                kind="request",
                requester=self.world.members[request.requester],
                answer=ANSWER_NAMES[int(answer)] + (" (replayed)" if request.forced else ""),
                votes=" ".join(votes),
            )
        else:
            row["note"] = event.behaviour.describe(self.world, self.state, event)
        self.event_log.append(row)

    def log_notice(self, agent: MemberState) -> None:
        """Record a member's notice of withdrawal in the event log."""
        months = int(self.state.notice[agent.index])
        note = f"gives notice of withdrawal, effective in {months} months (pressure {agent.pressure:.2f})"
        self._log_status_row(agent, "notice", note)

    def log_status_change(self, agent: MemberState, before: int, after: int) -> None:
        """Record a member's change of status in the event log."""
        note = f"{STATUS_NAMES[before]} -> {STATUS_NAMES[after]} (pressure {agent.pressure:.2f})"
        self._log_status_row(agent, STATUS_NAMES[after], note)

    def _log_status_row(self, agent: MemberState, what: str, note: str) -> None:
        self.event_log.append(
            {
                "step": self.steps,
                "month": self.world.month(self.steps - 1),
                "event": f"{agent.actor_id}_{what}",
                "kind": "status",
                "target": agent.actor_id,
                "source": "",
                "severity": float("nan"),
                "requester": "",
                "answer": "",
                "votes": "",
                "note": note,
            }
        )


def _reporter(name: str) -> Callable[[MemberState], Any]:
    """A `DataCollector` agent reporter for one traced quantity."""
    return lambda agent: agent.traced(name)
