"""The one list of traced quantities, and `Trace`, the per-month record of a run.

`TRACED` names every per-member quantity a run records each month; the trace, the
sweep time series and the Mesa `DataCollector` all take their columns from it.
"""

from __future__ import annotations

import mmap
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core import kernels
from alliance_sim.core.phases import VALUE_TERMS
from alliance_sim.core.state import State
from alliance_sim.core.world import World


def _trust_in_hegemon(world: World, state: State) -> np.ndarray:
    tau = dyn.trust(state.alpha[..., world.hegemon], state.beta[..., world.hegemon])
    return np.where(world.is_hegemon > 0, np.nan, tau)


def _regime_trust_in_hegemon(world: World, state: State) -> np.ndarray:
    tau = dyn.trust(state.alpha_int[..., world.hegemon], state.beta_int[..., world.hegemon])
    return np.where(world.is_hegemon > 0, np.nan, tau)


def _fear_of_hegemon(world: World, state: State) -> np.ndarray:
    h = world.hegemon
    return np.asarray(dyn.threat(world.ratio[:, h], world.proximity[:, h], world.offense[h], state.intent[..., h]))


QUANTITIES: dict[str, Callable[[World, State], np.ndarray]] = {
    "status": lambda world, state: state.status,
    "pressure": lambda world, state: state.pressure,
    "trust_in_hegemon": _trust_in_hegemon,
    "regime_trust_in_hegemon": _regime_trust_in_hegemon,
    "credibility": lambda world, state: state.credibility,
    "value_stay": lambda world, state: state.value_stay,
    "value_leave": lambda world, state: state.value_leave,
    "grievance": lambda world, state: dyn.weighted_grievance(state.grievance, world.share),
    "max_threat": lambda world, state: state.max_threat,
    "fear_of_hegemon": _fear_of_hegemon,
    "protest": lambda world, state: state.protest,
    "offers": lambda world, state: np.max(state.offers, axis=-1),
    "reward": lambda world, state: state.reward,
    "signal": lambda world, state: state.signal,
    "notice": lambda world, state: state.notice,
}
"""How to read each traced per-member quantity from a state, shape (..., m), in column order."""

TRACED = tuple(QUANTITIES)
"""Per-member quantities a `Trace` keeps for every month."""


SPARE_BYTES = 64 << 20
"""Largest array `buffer` keeps for reuse (a block of a few thousand replicates' quantity)."""

SPARE_TOTAL = 512 << 20
"""Most memory `buffer` keeps in all (the arrays of a trace or two of a block's size)."""

_spare: dict[tuple[tuple[int, ...], str], list[np.ndarray]] = {}
_lock = threading.Lock()


SMALL_PAGES_FROM = 4 << 20
"""Arrays from this size on are mapped in small pages (`_fresh`)."""


def _fresh(size: int, kind: np.dtype) -> np.ndarray:
    """A new flat array of `size` items; from `SMALL_PAGES_FROM` bytes on, mapped in the system's small pages.

    numpy asks Linux for transparent huge pages for large arrays; where memory is
    fragmented (a machine that has run for a while, its free memory in page cache), the
    system compacts memory to find each 2 MB page, and a trace's new memory then costs
    about seven times the system time of small pages (4.7 s against 0.6 s for 1.8 GB,
    measured). A trace is written once, row by row, so it gains nothing from huge pages.
    """
    advice = getattr(mmap, "MADV_NOHUGEPAGE", None)
    if size * kind.itemsize < SMALL_PAGES_FROM or advice is None:
        return np.empty(size, dtype=kind)
    mapped = mmap.mmap(-1, size * kind.itemsize)
    mapped.madvise(advice)
    return np.frombuffer(mapped, dtype=kind)  # unmapped when the array goes


def _unheld() -> int:
    """What `sys.getrefcount` says, in `buffer`'s loop, of an array only a kept list references."""
    probe = [np.empty(0)]
    for array in probe:
        return sys.getrefcount(array)
    return 0


_UNHELD = _unheld()


def buffer(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """An uninitialised array, reusing one handed out before that nobody references any more.

    The ensemble runs its replicates block after block (the pipeline, a streaming writer),
    each into a trace of the same shape that is dropped once written out; new arrays of
    that size would be new pages for the system to fault in and zero every time, a large
    part of the cost of a replicate-step. Arrays up to `SPARE_BYTES` are kept here (at
    most `SPARE_TOTAL` in all, the oldest dropped first) and handed out again once the only
    reference left is this module's: a caller that keeps a trace, or a view of one,
    keeps its arrays, so memory is never shared. Memory held stays that of a few blocks.

    Args:
        shape: The array's shape.
        dtype: Its type.

    Returns:
        An array of that shape and type, C-contiguous, contents undefined.
    """
    kind = np.dtype(dtype)
    if int(np.prod(shape)) * kind.itemsize > SPARE_BYTES:
        return _fresh(int(np.prod(shape)), kind).reshape(shape)
    key = (tuple(shape), kind.str)
    with _lock:  # two threads must not both take the same array
        return _reuse_or_new(key, shape, kind)


def _reuse_or_new(key: tuple[tuple[int, ...], str], shape: tuple[int, ...], kind: np.dtype) -> np.ndarray:
    # The pool keeps each array's flat owner: every view handed out, and every view of one,
    # references it (numpy makes a view's base the array that holds the memory).
    kept = _spare.setdefault(key, [])
    for array in kept:
        if sys.getrefcount(array) == _UNHELD:
            return array.reshape(shape)
    array = _fresh(int(np.prod(shape)), kind)
    kept.append(array)
    _spare[key] = _spare.pop(key)  # the most recently used shape last
    held = sum(a.nbytes for arrays in _spare.values() for a in arrays)
    while held > SPARE_TOTAL and _spare:
        oldest = next(iter(_spare))
        arrays = _spare[oldest]
        held -= arrays.pop(0).nbytes  # dropped from the pool: its holders keep it
        if not arrays:
            del _spare[oldest]
    return array.reshape(shape)


@dataclass
class Trace:
    """Per-month record of a run (or of a batch of runs).

    Attributes:
        members: Arrays of shape (steps + 1, *batch, m), one per name in `TRACED`;
            row 0 is the state before the first month.
        war_load: The hegemon's war load, (steps + 1, *batch).
        trust: Trust of each member (observer) in each other (ally), (steps + 1, *batch, m, m),
            NaN on the diagonal; None unless `outputs.trust_matrix` is set.
        demand: The hegemon's demand on its allies, (steps + 1, *batch).
        terms: The weighted, signed terms of the values (`phases.VALUE_TERMS`),
            (steps + 1, *batch, m, terms); None unless asked for.
        answers: The alliance's answer to each scripted request at the end of the run
            (-1 where it was never asked), (*batch, requests).
    """

    members: dict[str, np.ndarray]
    war_load: np.ndarray
    trust: np.ndarray | None = None
    demand: np.ndarray | None = None
    terms: np.ndarray | None = None
    answers: np.ndarray | None = None

    @classmethod
    def empty(cls, world: World, batch: tuple[int, ...] = (), terms: bool = False, filled: bool = True) -> Trace:
        """Buffers for a whole run, filled with NaN (the trust matrix only if the scenario asks).

        With `filled` False, for an engine that writes every row (the ensemble), the arrays
        are not filled, and come from `buffer`: memory of an earlier trace of the same shape
        that nobody holds any longer, written again instead of new pages faulted in.
        """
        shape = (world.steps + 1, *batch, world.m)

        def make(shape: tuple[int, ...], dtype: type = np.float64, fill: float = np.nan) -> np.ndarray:
            return np.full(shape, fill, dtype=dtype) if filled else buffer(shape, dtype)

        members = {name: make(shape) for name in TRACED}
        members["status"] = make(shape, np.int8, 0)
        members["notice"] = make(shape, np.int16, 0)
        trust = make((*shape, world.m)) if world.config.outputs.trust_matrix else None
        return cls(
            members=members,
            war_load=make((world.steps + 1, *batch)),
            trust=trust,
            demand=make((world.steps + 1, *batch)),
            terms=make((*shape, len(VALUE_TERMS))) if terms else None,
        )

    def record(self, world: World, state: State, row: int) -> None:
        """Copy the current state into month `row`."""
        if not kernels.record(world, state, {name: array[row] for name, array in self.members.items()}):
            for name, read in QUANTITIES.items():
                self.members[name][row] = read(world, state)
        self.war_load[row] = state.war_load
        if self.demand is not None:
            self.demand[row] = state.demand
        if self.terms is not None:
            self.terms[row] = state.terms
        self.answers = state.answers.copy()
        if self.trust is not None:
            matrix = dyn.trust(state.alpha, state.beta)
            self.trust[row] = np.where(np.eye(world.m, dtype=bool), np.nan, matrix)
