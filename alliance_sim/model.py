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
from copy import deepcopy
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
from alliance_sim.core.world import World, compile_timeline
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
        timeline: The scenario's compiled timeline (`alliance_sim.core.world.compile_timeline`
            of the `ScenarioConfig` given, without overrides), so that many runs of one
            scenario compile it once; by default the model compiles it.
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
        timeline: tuple[tuple[int, World], ...] | None = None,
        **parameters: Any,
    ) -> None:
        """Build agents and state from the scenario, and draw the random block.

        Raises:
            ValueError: A `timeline` together with overrides, or with a scenario file.
        """
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
        if timeline is not None and (merged or not isinstance(scenario, ScenarioConfig)):
            raise ValueError("timeline= is the compiled form of the ScenarioConfig given: pass no overrides with it")
        self.timeline = timeline if timeline is not None else compile_timeline(config)
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
        self.datacollector = TraceCollector(
            model_reporters=MODEL_REPORTERS,
            agenttype_reporters={
                kind: {"member": ("fixed", "actor_id"), **TRACE_REPORTERS} for kind in (MemberState, Hegemon)
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
        state = self.state
        noticed = state.notice.tolist()
        before = run_month(self.world, state, t, self.draws[t], self.trace, self._log_event).tolist()
        status, notice = state.status.tolist(), state.notice.tolist()
        if before != status or notice != noticed:  # most months nobody moves
            for i, (old, new, was, now) in enumerate(zip(before, status, noticed, notice, strict=True)):
                if old != new:
                    self.log_status_change(self.members[i], old, new)
                elif was == 0 and now > 0:
                    self.log_notice(self.members[i])
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


TRACE_REPORTERS: dict[str, Any] = {name: ("trace", name) for name in TRACED}
"""The agent-type reporters of the model's `DataCollector`: every traced quantity, read from the trace."""


def _status_count(code: int) -> Callable[[AllianceModel, int], int]:
    return lambda model, step: int(np.count_nonzero(model.trace.members["status"][step] == code))


MODEL_REPORTERS: dict[str, Any] = {
    "month": ("trace", lambda model, step: model.world.month(max(step - 1, 0))),
    "cohesion": ("trace", lambda model, step: float(np.mean(model.trace.members["status"][step] == dyn.MEMBER))),
    "war_load": ("trace", lambda model, step: float(model.trace.war_load[step])),
    "disengaged": ("trace", _status_count(dyn.DISENGAGED)),
    "withdrawn": ("trace", _status_count(dyn.WITHDRAWN)),
}
"""The model reporters of the model's `DataCollector`, read from the trace row of a step:
the same values as the properties `month`, `cohesion`, `war_load`, `n_disengaged` and
`n_withdrawn` have when the step is collected."""


class TraceCollector(DataCollector):
    """Mesa's `DataCollector`, with what the model's trace already holds read from the trace.

    The model records every traced quantity of every member each month in its trace
    (`AllianceModel.trace`), so collecting them again agent by agent would only repeat
    it. `collect` runs ordinary reporters as Mesa does; for a reporter read from the trace
    it notes the step, and the values are filled in from the trace rows of the collected
    steps when they are first read (`model_vars`, `get_model_vars_dataframe`,
    `get_agenttype_vars_dataframe`, `mesa.batch_run`), the values a reporter would have
    read when the step was collected. Such reporters are tuples: a model reporter
    `("trace", function of (model, step))` (`MODEL_REPORTERS`); an agent-type reporter
    `("trace", name)` for a traced quantity (`TRACE_REPORTERS`: a member's status by name,
    other quantities as floats) or `("fixed", attribute)` for an attribute that never
    changes (the member's id).
    """

    model_reporters: dict[str, Any]
    agent_reporters: dict[str, Any]
    agenttype_reporters: dict[type, dict[str, Any]]
    _collection_steps: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As `DataCollector`."""
        self._model: Any = None
        self._collecting = False
        self._deferred: bool | None = None  # whether every reporter reads the trace (known at the first collect)
        self._pending: list[tuple[Any, int, dict[type, tuple[list[Any], dict[str, list[Any]]]]]] = []
        self._records: dict[Any, dict[type, list[tuple[Any, ...]]]] = {}
        self._vars: dict[str, list[Any]] = {}
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def model_vars(self) -> dict[str, list[Any]]:
        """Mesa's model variables, completed from the trace for every step collected so far."""
        if self._pending and not self._collecting:
            self._materialise()
        return self._vars

    @model_vars.setter
    def model_vars(self, value: dict[str, list[Any]]) -> None:
        self._vars = value

    @property  # type: ignore[override]
    def _agenttype_records(self) -> dict[Any, dict[type, list[tuple[Any, ...]]]]:
        """Mesa's agent-type records, completed from the trace for every step collected so far."""
        if self._pending and not self._collecting:
            self._materialise()
        return self._records

    @_agenttype_records.setter
    def _agenttype_records(self, value: dict[Any, dict[type, list[tuple[Any, ...]]]]) -> None:
        self._records = value

    def _new_model_reporter(self, name: str, reporter: Any) -> None:
        self._deferred = None
        if isinstance(reporter, tuple) and reporter[:1] == ("trace",):
            self.model_reporters[name] = reporter
            self._vars[name] = []
            return
        super()._new_model_reporter(name, reporter)  # type: ignore[no-untyped-call]

    def _new_agent_reporter(self, name: str, reporter: Any) -> None:
        self._deferred = None
        super()._new_agent_reporter(name, reporter)  # type: ignore[no-untyped-call]

    def _new_agenttype_reporter(self, agent_type: type, name: str, reporter: Any) -> None:
        self._deferred = None
        if isinstance(reporter, tuple) and reporter[:1] in (("trace",), ("fixed",)):
            self.agenttype_reporters.setdefault(agent_type, {})[name] = reporter
            return
        super()._new_agenttype_reporter(agent_type, name, reporter)  # type: ignore[no-untyped-call]

    def collect(self, model: Any) -> None:
        """Collect as Mesa does; what the trace holds is read from it when first needed."""
        self._model = model
        model_reporters, agenttype_reporters = self.model_reporters, self.agenttype_reporters
        if self._deferred is None:
            self._deferred = not self.agent_reporters and all(
                isinstance(rep, tuple)
                for reps in (model_reporters, *agenttype_reporters.values())
                for rep in reps.values()
            )
        if self._deferred:  # every reporter reads the trace: note the step and the agents
            if model_reporters:
                self._collection_steps.append(model.time)
            noted: dict[type, tuple[list[Any], dict[str, list[Any]]]] = {
                kind: (list(model.agents_by_type.get(kind, ())), {}) for kind in agenttype_reporters
            }
            self._pending.append((model.time, model.steps, noted))
            return
        ordinary = {name: rep for name, rep in model_reporters.items() if not isinstance(rep, tuple)}
        self.model_reporters, self.agenttype_reporters = ordinary, {}
        self._collecting = True  # Mesa appends the ordinary values: no filling in meanwhile
        try:
            super().collect(model)
        finally:
            self.model_reporters, self.agenttype_reporters = model_reporters, agenttype_reporters
            self._collecting = False
        if model_reporters and not ordinary:
            self._collection_steps.append(model.time)
        now: dict[type, tuple[list[Any], dict[str, list[Any]]]] = {}
        for agent_type, reps in agenttype_reporters.items():
            agents: list[Any]
            if agent_type in model.agent_types:
                agents = list(model.agents_by_type[agent_type])
            else:
                agents = [agent for agent in model.agents if isinstance(agent, agent_type)]
            now[agent_type] = (
                agents,
                {name: [_kept(rep(agent)) for agent in agents] for name, rep in reps.items() if callable(rep)},
            )
        self._pending.append((model.time, model.steps, now))

    def _materialise(self) -> None:
        pending, self._pending = self._pending, []
        model = self._model
        for time, step, now in pending:
            for name, reporter in self.model_reporters.items():
                if isinstance(reporter, tuple):
                    self._vars[name].append(reporter[1](model, step))
            if not now:
                continue
            records = self._records.setdefault(time, {})
            for agent_type, (agents, values) in now.items():
                columns = []
                for name, reporter in self.agenttype_reporters[agent_type].items():
                    if name in values:
                        columns.append(values[name])
                    elif reporter[0] == "fixed":
                        columns.append([getattr(agent, reporter[1]) for agent in agents])
                    else:
                        row = model.trace.members[reporter[1]][step]
                        read = [row[agent.index] for agent in agents]
                        status = reporter[1] == "status"
                        columns.append([STATUS_NAMES[int(v)] if status else float(v) for v in read])
                records[agent_type] = [
                    (time, agent.unique_id, *row) for agent, *row in zip(agents, *columns, strict=True)
                ]


def _kept(value: Any) -> Any:
    """A reported value as Mesa keeps it: immutable values as they are, others copied."""
    return value if isinstance(value, str | int | bool | float | tuple) else deepcopy(value)
