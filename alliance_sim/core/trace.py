"""The one list of traced quantities, and `Trace`, the per-month record of a run.

`TRACED` names every per-member quantity a run records each month; the trace, the
sweep time series and the Mesa `DataCollector` all take their columns from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alliance_sim.core import dynamics as dyn
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
    def empty(cls, world: World, batch: tuple[int, ...] = (), terms: bool = False) -> Trace:
        """Buffers for a whole run, filled with NaN (the trust matrix only if the scenario asks)."""
        shape = (world.steps + 1, *batch, world.m)
        members = {name: np.full(shape, np.nan) for name in TRACED}
        members["status"] = np.zeros(shape, dtype=np.int8)
        members["notice"] = np.zeros(shape, dtype=np.int16)
        trust = np.full((*shape, world.m), np.nan) if world.config.outputs.trust_matrix else None
        return cls(
            members=members,
            war_load=np.full((world.steps + 1, *batch), np.nan),
            trust=trust,
            demand=np.full((world.steps + 1, *batch), np.nan),
            terms=np.full((*shape, len(VALUE_TERMS)), np.nan) if terms else None,
        )

    def record(self, world: World, state: State, row: int) -> None:
        """Copy the current state into month `row`."""
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
