"""The ensemble engine: the same monthly phases for R replicates at once.

State arrays get a leading replicate axis of length R and the month
(`alliance_sim.core.month.run_month`) runs once for all replicates and all members. Replicate
r reads the same random block the Mesa model draws for the same integer seed, and the
phases are elementwise or fixed-order sums, so replicate r's trajectory equals the Mesa
run with that seed exactly (`tests/unit/test_model.py` checks it bit for bit).

Given an `EventLog`, the ensemble also keeps the event log the Mesa model keeps
(`AllianceModel.event_log`): per replicate, the events that fired, the requests with each
ally's answer and the alliance's, and the status changes. It is recorded as arrays, one
entry per event and month over every replicate where it fired, and turned into rows once,
at the end (`EventLog.columns`), in the Mesa model's order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from alliance_sim.core import randomness
from alliance_sim.core.dynamics import ANSWER_NAMES, STATUS_NAMES
from alliance_sim.core.events import Event, Request
from alliance_sim.core.month import run_month
from alliance_sim.core.state import State, initial_state
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import World, compile_timeline

if TYPE_CHECKING:
    from alliance_sim.scenario.config import ScenarioConfig


def random_blocks(world: World, seeds: Sequence[int]) -> np.ndarray:
    """Each replicate's random block, stacked: shape (months, R, columns)."""
    return randomness.random_blocks(seeds, world.steps, world.columns)


Timeline = Sequence[tuple[int, World]]
"""The worlds a run passes through, from their first steps (`compile_timeline`)."""

CHUNK = 4096
"""Most replicates run together: enough to spread the cost of each numpy call, few enough
that a chunk's state stays small (its random numbers: `randomness.BLOCK_BUDGET`)."""


def _timeline(config: ScenarioConfig | World | Timeline) -> Timeline:
    if isinstance(config, World):
        return ((0, config),)
    if isinstance(config, tuple | list):
        return config
    return compile_timeline(cast("ScenarioConfig", config))


def chunk_size(world: World) -> int:
    """Replicates run together: at most `CHUNK`, and as many as draw their random numbers at once.

    When even 1,024 replicates' blocks do not fit (many members: a summit reserves one
    answer draw per member for each member), the chunk draws month by month instead.
    """
    per_replicate = world.steps * world.columns * 8
    if randomness.MonthlyDraws.fits(1024, world.steps, world.columns):
        return max(1, min(CHUNK, randomness.BLOCK_BUDGET // per_replicate))
    return 1024


def run_chunks(
    config: ScenarioConfig | World | Timeline, seeds: Sequence[int], terms: bool = False, chunk: int = 0
) -> Iterator[tuple[int, Trace]]:
    """Run the replicates chunk by chunk, yielding each chunk's trace as soon as it is done.

    Memory stays that of one chunk whatever the number of replicates: every chunk is
    written into the same arrays, allocated once, so a yielded trace holds its numbers
    only until the next chunk is asked for (a caller writes each chunk out, or copies it,
    before it goes on). The numbers are those of `run_ensemble`, since every replicate is
    a row of its own.

    Yields:
        (index of the chunk's first replicate in `seeds`, the chunk's trace).
    """
    timeline = _timeline(config)
    seeds = list(seeds)
    chunk = max(1, min(chunk or chunk_size(timeline[0][1]), len(seeds)))
    whole = Trace.empty(timeline[0][1], (chunk,), terms=terms, filled=False)
    for start in range(0, len(seeds), chunk):
        stop = min(start + chunk, len(seeds))
        trace = _part(whole, 0, stop - start)
        _run(timeline, seeds[start:stop], trace)
        yield start, trace


def _part(trace: Trace, start: int, stop: int) -> Trace:
    """Replicates `start:stop` of a trace, as views of its arrays."""
    return Trace(
        members={name: array[:, start:stop] for name, array in trace.members.items()},
        war_load=trace.war_load[:, start:stop],
        trust=_rows(trace.trust, start, stop),
        demand=_rows(trace.demand, start, stop),
        terms=_rows(trace.terms, start, stop),
    )


def _run(timeline: Timeline, seeds: Sequence[int], trace: Trace, log: EventLog | None = None, offset: int = 0) -> None:
    """Run one chunk of replicates into `trace` (its arrays may be views of a larger trace).

    `offset` is the chunk's first replicate in the whole batch (where the log files its rows).
    """
    world = timeline[0][1]
    draws = randomness.MonthlyDraws(seeds, world.steps, world.columns)
    try:
        state = initial_state(world, (len(seeds),))
        trace.record(world, state, 0)
        switch = dict(timeline)
        for t in range(world.steps):
            world = switch.get(t, world)
            month = draws.month(t)
            if log is None:
                run_month(world, state, t, month, trace)
                continue
            log.begin(world, state, t, offset)
            noticed = state.notice.copy()
            before = run_month(world, state, t, month, trace, log)
            log.statuses(before, noticed)
    finally:
        draws.release()


def _rows(array: np.ndarray | None, start: int, stop: int) -> np.ndarray | None:
    """Replicates `start:stop` of a traced array (a view), or None."""
    return None if array is None else array[:, start:stop]


def run_ensemble(
    config: ScenarioConfig | World | Timeline,
    seeds: Sequence[int],
    terms: bool = False,
    log: EventLog | None = None,
) -> Trace:
    """Run one replicate per seed, all at once.

    Replicates run in chunks (`chunk_size`, `run_chunks`), each with its own random numbers
    and state, into one trace.

    Args:
        config: The scenario, or its compiled timeline (`compile_timeline`: a scenario with
            `changes` switches world at each change's month), or one compiled `World` (no
            changes).
        seeds: One integer seed per replicate (see `alliance_sim.model.seed_to_int`).
        terms: Also trace the named terms of the values (`Trace.terms`, for `explain`).
        log: An empty `EventLog` to fill with the event log of every replicate.

    Returns:
        The trace, arrays of shape (months + 1, R, members) and (months + 1, R).
    """
    return run_stacked(((config, seeds),), terms=terms, log=log)


Stack = Sequence[tuple["ScenarioConfig | World | Timeline", Sequence[int]]]
"""Groups of replicates, each with its own scenario: (scenario, seeds) pairs (`run_stacked`)."""


def run_stacked(groups: Stack, terms: bool = False, log: EventLog | None = None) -> Trace:
    """Run groups of replicates, each on its own scenario, into one trace and one event log.

    The scenarios must share their members, actors, months and random-number layout (the
    particles of a posterior do: they change values only). Each group runs as
    `run_ensemble` runs it, into its own rows of the trace, in the order given, so a
    replicate's numbers are those it has alone; one trace and one log for all the groups
    make one set of tables instead of one per group.

    Args:
        groups: (scenario, seeds) pairs, as for `run_ensemble`; at least one.
        terms: Also trace the named terms of the values.
        log: An empty `EventLog` to fill, with the replicates numbered over all the groups.

    Returns:
        The trace, arrays of shape (months + 1, R, members) and (months + 1, R), R the
        seeds of all the groups.

    Raises:
        ValueError: No group, or groups whose scenarios differ in shape.
    """
    timelines = [(_timeline(config), list(seeds)) for config, seeds in groups]
    if not timelines:
        raise ValueError("run_stacked needs at least one group")
    world = timelines[0][0][0][1]
    for timeline, _ in timelines[1:]:
        other = timeline[0][1]
        shape = (other.members, other.actors, other.steps, other.columns, other.n_requests)
        if shape != (world.members, world.actors, world.steps, world.columns, world.n_requests) or (
            other.config.outputs.trust_matrix != world.config.outputs.trust_matrix
        ):
            raise ValueError("run_stacked: the groups' scenarios must differ in values only, not in shape")
    total = sum(len(seeds) for _, seeds in timelines)
    trace = Trace.empty(world, (total,), terms=terms, filled=False)  # every row is written
    answers = np.full((total, world.n_requests), -1, dtype=np.int8)
    first = 0
    for timeline, seeds in timelines:
        chunk = chunk_size(timeline[0][1])
        for start in range(0, len(seeds), chunk):
            stop = min(start + chunk, len(seeds))
            part = _part(trace, first + start, first + stop)
            _run(timeline, seeds[start:stop], part, log, first + start)
            assert part.answers is not None
            answers[first + start : first + stop] = part.answers
        first += len(seeds)
    trace.answers = answers
    return trace


class EventLog:
    """The event log of an ensemble run (a batch of shape (R,)), recorded as arrays.

    It is the `record` callback of `run_month` (`__call__`): each call keeps the replicates
    where an event fired (with the allies' and the alliance's answers to a request);
    `statuses` keeps the status changes and notices of a month. Nothing loops over
    replicates while the run goes on; `columns` builds the rows once, at the end.
    """

    def __init__(self) -> None:
        """An empty log."""
        self._entries: list[dict[str, Any]] = []
        self._world: World | None = None
        self._state: State | None = None
        self._step = 0
        self._offset = 0

    def begin(self, world: World, state: State, step: int, offset: int = 0) -> None:
        """Month `step` (0-based) starts, on this world and state (replicates from `offset` on)."""
        self._world, self._state, self._step, self._offset = world, state, step, offset

    def _entry(self, **fields: Any) -> None:
        world = self._world
        assert world is not None
        if self._offset:
            fields["where"] = fields["where"] + self._offset
        self._entries.append(
            {"seq": len(self._entries), "step": self._step + 1, "month": world.month(self._step), **fields}
        )

    def __call__(
        self,
        event: Event,
        fired: np.ndarray,
        request: Request | None,
        levels: np.ndarray | None,
        answer: np.ndarray | None,
    ) -> None:
        """Keep the replicates where `event` fired (or `request` was made), as `run_month`'s `record`."""
        where = np.flatnonzero(fired)
        if where.size == 0:
            return
        world, state = self._world, self._state
        assert world is not None and state is not None
        if request is None:
            notes = event.behaviour.describe_each(world, state, event, where)
            self._entry(where=where, event=event, notes=notes)
        else:
            assert levels is not None and answer is not None
            self._entry(where=where, event=event, request=request, levels=levels[where], answer=answer[where])

    def statuses(self, before: np.ndarray, noticed: np.ndarray) -> None:
        """Keep this month's status changes and new notices of withdrawal.

        Args:
            before: Statuses before the month's status phase, (R, m).
            noticed: Months of notice before the month, (R, m).
        """
        state = self._state
        assert state is not None
        changed = before != state.status
        notice = ~changed & (noticed == 0) & (state.notice > 0)
        rows, members = np.nonzero(changed | notice)
        if rows.size == 0:
            return
        self._entry(
            where=rows,
            members=members,
            before=before[rows, members],
            after=state.status[rows, members],
            pressure=state.pressure[rows, members],
            notice=state.notice[rows, members],
            is_notice=notice[rows, members],
        )

    def columns(self, world: World) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The log as columns, in the Mesa model's order: by replicate, then as it happened.

        Args:
            world: The compiled scenario (for member and actor names).

        Returns:
            The events (`replicate`: position in the batch; `request`: the request's number
            within its replicate, -1 for other rows; `answer` None for other rows) and the
            answers (one row per request and ally that answered), as arrays.
        """
        members = np.asarray(world.members, dtype=object)
        actors = world.actors
        parts: dict[str, list[np.ndarray]] = {name: [] for name in EVENT_FIELDS}
        votes: dict[str, list[np.ndarray]] = {name: [] for name in ("replicate", "seq", "ally", "level")}

        def full(value: Any, k: int, dtype: Any = object) -> np.ndarray:
            array = np.empty(k, dtype=dtype)
            array[:] = value
            return array

        for entry in self._entries:
            where = entry["where"]
            k = where.size
            parts["replicate"].append(where)
            parts["seq"].append(full(entry["seq"], k, np.int64))
            parts["step"].append(full(entry["step"], k, np.int32))
            parts["month"].append(full(entry["month"], k))
            if "members" in entry:  # status changes
                index = entry["members"]
                named = members[index]
                after = entry["after"].astype(np.intp)
                pressure = np.char.mod(" (pressure %.2f)", entry["pressure"]).astype(object)
                change = np.asarray(STATUS_NAMES, dtype=object)[entry["before"].astype(np.intp)] + " -> "
                change = change + np.asarray(STATUS_NAMES, dtype=object)[after]
                notice = np.char.mod("gives notice of withdrawal, effective in %d months", entry["notice"])
                is_notice = entry["is_notice"]
                what = np.where(is_notice, "notice", np.asarray(STATUS_NAMES, dtype=object)[after])
                parts["sub"].append(index.astype(np.int64))
                parts["event"].append(named + "_" + what.astype(object))
                parts["kind"].append(full("status", k))
                parts["target"].append(named)
                parts["source"].append(full("", k))
                parts["severity"].append(full(np.nan, k, float))
                parts["requester"].append(full("", k))
                parts["answer"].append(full(None, k))
                parts["replayed"].append(full(False, k, bool))
                parts["note"].append(np.where(is_notice, notice.astype(object), change) + pressure)
                parts["is_request"].append(full(False, k, bool))
                continue
            event: Event = entry["event"]
            request: Request | None = entry.get("request")
            parts["sub"].append(full(0, k, np.int64))
            parts["event"].append(full(event.name, k))
            parts["target"].append(full(actors[event.target] if event.target is not None else "", k))
            parts["source"].append(full(actors[event.source] if event.source is not None else "", k))
            parts["severity"].append(full(event.severity, k, float))
            if request is None:
                parts["kind"].append(full(event.kind, k))
                parts["requester"].append(full("", k))
                parts["answer"].append(full(None, k))
                parts["replayed"].append(full(False, k, bool))
                parts["note"].append(entry["notes"])
                parts["is_request"].append(full(False, k, bool))
                continue
            parts["kind"].append(full("request", k))
            parts["requester"].append(full(world.members[request.requester], k))
            parts["answer"].append(np.asarray(ANSWER_NAMES, dtype=object)[entry["answer"].astype(np.intp)])
            parts["replayed"].append(full(request.forced is not None, k, bool))
            parts["note"].append(full(event.note, k))
            parts["is_request"].append(full(True, k, bool))
            rows, allies = np.nonzero(entry["levels"] >= 0)
            votes["replicate"].append(where[rows])
            votes["seq"].append(full(entry["seq"], rows.size, np.int64))
            votes["ally"].append(allies)
            votes["level"].append(entry["levels"][rows, allies])
        events = {
            name: np.concatenate(values) if values else np.empty(0, dtype=EVENT_FIELDS[name])
            for name, values in parts.items()
        }
        order = np.lexsort((events["sub"], events["seq"], events["replicate"]))
        events = {name: values[order] for name, values in events.items()}
        # Requests are numbered from 0 within each replicate, in the order they were made.
        is_request = events.pop("is_request")
        counted = np.cumsum(is_request)
        replicate = events["replicate"]
        starts = np.flatnonzero(np.r_[True, replicate[1:] != replicate[:-1]]) if replicate.size else np.empty(0, int)
        before_replicate = np.repeat(counted[starts] - is_request[starts], np.diff(np.r_[starts, replicate.size]))
        events["request"] = np.where(is_request, counted - before_replicate - 1, -1).astype(np.int64)
        answers = {
            name: np.concatenate(values) if values else np.empty(0, dtype=np.int64) for name, values in votes.items()
        }
        order = np.lexsort((answers["ally"], answers["seq"], answers["replicate"]))
        answers = {name: values[order] for name, values in answers.items()}
        # The number of each answer's request: the request row with the same replicate and entry.
        span = (int(events["seq"].max()) + 1) if events["seq"].size else 1
        keys = replicate[is_request].astype(np.int64) * span + events["seq"][is_request]
        wanted = answers["replicate"].astype(np.int64) * span + answers["seq"]
        numbers = events["request"][is_request][np.searchsorted(keys, wanted)] if wanted.size else wanted
        answer_columns = {
            "replicate": answers["replicate"],
            "request": numbers,
            "ally": members[answers["ally"].astype(np.intp)],
            "answer": np.asarray(ANSWER_NAMES, dtype=object)[answers["level"].astype(np.intp)],
        }
        del events["seq"], events["sub"]
        return events, answer_columns


EVENT_FIELDS: dict[str, Any] = {
    "replicate": np.int64,
    "seq": np.int64,
    "sub": np.int64,
    "step": np.int32,
    "month": object,
    "event": object,
    "kind": object,
    "target": object,
    "source": object,
    "severity": float,
    "requester": object,
    "answer": object,
    "replayed": bool,
    "note": object,
    "is_request": bool,
}
"""The arrays `EventLog.columns` assembles (and their types when the log is empty)."""
