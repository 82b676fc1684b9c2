"""`explain`: why members leave, in the model's own named terms.

Three views of one scenario, all on the ensemble engine with common random numbers:

- the **decomposition**: for each member and month, the value of staying and of leaving
  split into their named terms (`alliance_sim.core.phases.VALUE_TERMS`), averaged over
  replicates;
- the **knock-out table**: each named mechanism (`alliance_sim.core.mechanisms`) switched
  off, and each scripted event removed (its random numbers kept), in turn, with the same
  seeds; the change in each member's probability of disengaging and of withdrawing by the
  end of the run, with a 95% interval from the paired differences;
- the **unforced replay**: the historical answers not forced, and how often the model's
  own decision rule gives the answers the articles report.

Under a posterior (a `LoadedScenario` that names one, unless `fixed`), the knock-out
table is posterior predictive: replicate j takes the particle `alliance_sim.runs.predictive`
gives it in the baseline and in every arm (common random numbers and common parameters),
so each paired difference compares like with like. The decomposition and the replay stay
on the point estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.mechanisms import BY_NAME, MECHANISMS, Mechanism
from alliance_sim.core.phases import VALUE_TERMS
from alliance_sim.core.trace import Trace
from alliance_sim.core.types import month_label
from alliance_sim.core.world import World, compile_timeline
from alliance_sim.errors import InputError
from alliance_sim.runs.predictive import Predictive, load_predictive
from alliance_sim.runs.seeds import run_seeds
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import LoadedScenario, with_overrides

OUTCOMES = ("disengaged", "withdrawn", "away_at_end", "away_share")
"""The outcomes the knock-out table reports, each a probability per member: `disengaged`
(disengaged or withdrawn at some month of the run), `withdrawn` (withdrawn at some month),
`away_at_end` (disengaged or withdrawn in the last month) and `away_share` (disengaged or
withdrawn in a month of the run drawn at random: the share of its months a member spends
away). The first two saturate for a member that almost always steps away at some point;
the last two still move with how long it stays away, `away_share` with less noise, since
it counts every month rather than one."""

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""

type Progress = Callable[[str, int, int], None]
"""Called after each step of `explain` with its name, how many are done and how many in all."""


@dataclass(frozen=True)
class Explanation:
    """What `explain` finds.

    Attributes:
        decomposition: Long table: `step`, `month`, `member`, `term`, `value` (the mean
            over replicates of the weighted, signed term), plus the rows `value_stay`,
            `value_leave` and `pressure` under `term`.
        knockouts: One row per arm, member and outcome: `arm`, `kind` (mechanism or event),
            `label`, `member`, `outcome`, `baseline`, `knocked_out`, `change`, `low`, `high`.
        replay: One row per scripted request with a reported answer: `event`, `month`,
            `requester`, `reported`, `full`, `token`, `refused` (shares of runs), `agree`
            (share giving the reported answer) and `not_full` (share giving less than full).
        replicates: Replicates per arm.
        seed: Root seed.
    """

    decomposition: pd.DataFrame
    knockouts: pd.DataFrame
    replay: pd.DataFrame
    replicates: int
    seed: int

    def strongest(self, tolerance: float = 0.0) -> pd.DataFrame:
        """Per arm, the largest absolute change over members and outcomes, largest first."""
        table = self.knockouts.assign(size=self.knockouts["change"].abs())
        best = table.loc[table.groupby("arm", sort=False)["size"].idxmax()]
        best = best[best["size"] >= tolerance]
        return best.sort_values("size", ascending=False).drop(columns="size").reset_index(drop=True)


def outcome_indicators(status: np.ndarray) -> dict[str, np.ndarray]:
    """Per replicate and member, whether it reached each outcome by the end of the run.

    Args:
        status: Traced statuses, shape (months + 1, R, m).

    Returns:
        Arrays of shape (R, m) by outcome: booleans, and for `away_share` the share of
        the run's months (the start excluded) spent away.
    """
    return {
        "disengaged": np.any(status != dyn.MEMBER, axis=0),
        "withdrawn": np.any(status == dyn.WITHDRAWN, axis=0),
        "away_at_end": status[-1] != dyn.MEMBER,
        "away_share": np.mean(status[1:] != dyn.MEMBER, axis=0),
    }


def decompose(config: ScenarioConfig, seeds: Sequence[int]) -> pd.DataFrame:
    """The named terms of every member's values, month by month (means over replicates)."""
    return decomposition_of(config, run_ensemble(config, seeds, terms=True))


def decomposition_of(config: ScenarioConfig, trace: Trace) -> pd.DataFrame:
    """The decomposition (see `decompose`) of an ensemble already run with ``terms=True``.

    Raises:
        ValueError: The trace was run without its terms.
    """
    if trace.terms is None:
        raise ValueError("the trace has no terms: run the ensemble with terms=True")
    members = config.member_ids
    months = [month_label(config.time.start, s - 1) if s else "start" for s in range(trace.terms.shape[0])]
    means = trace.terms.mean(axis=1)  # (months + 1, m, terms)
    frames = []
    for k, term in enumerate(VALUE_TERMS):
        frames.append(_long(means[:, :, k], members, months, term))
    for name in ("value_stay", "value_leave", "pressure"):
        frames.append(_long(trace.members[name].mean(axis=1), members, months, name))
    return pd.concat(frames, ignore_index=True)


def _long(values: np.ndarray, members: Sequence[str], months: Sequence[str], term: str) -> pd.DataFrame:
    steps, m = values.shape
    return pd.DataFrame(
        {
            "step": np.repeat(np.arange(steps), m),
            "month": np.repeat(np.asarray(months), m),
            "member": np.tile(np.asarray(members), steps),
            "term": term,
            "value": values.reshape(-1),
        }
    )


def arms(
    config: ScenarioConfig, mechanisms: Sequence[Mechanism] = MECHANISMS, events: bool = True
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The arms of the knock-out table: each mechanism, then each enabled scripted event with an id.

    Returns:
        One (arm, kind, label, overrides that switch it off) per arm, in table order.
    """
    out: list[tuple[str, str, str, dict[str, Any]]] = [
        (mechanism.name, "mechanism", mechanism.label, dict(mechanism.knockout)) for mechanism in mechanisms
    ]
    if events:
        for event in config.events:
            if event.id is None or not event.enabled:
                continue
            label = event.note or f"{event.type} in {event.month}"
            out.append((event.id, "event", label, {f"events.{event.id}.enabled": False}))
    return out


def knockouts(
    config: ScenarioConfig,
    seeds: Sequence[int],
    mechanisms: Sequence[Mechanism] = MECHANISMS,
    events: bool = True,
    progress: Progress | None = None,
    predictive: Predictive | None = None,
) -> pd.DataFrame:
    """Each mechanism switched off and each scripted event removed, with common random numbers.

    An event is removed by `enabled: false`, which keeps its place in the random numbers, so
    every arm reads the same draws as the baseline. `progress`, if given, is called after
    the baseline and after each arm. With `predictive`, each replicate takes the same
    particle in every arm.
    """
    members = config.member_ids
    chosen = arms(config, mechanisms, events)
    for _, kind, _, overrides in chosen:
        if kind == "mechanism":
            with_overrides(config, overrides)  # a bad knock-out fails here, once
    total = len(chosen) + 1
    base = _indicators(config, seeds, {}, predictive)
    if progress is not None:
        progress("baseline", 1, total)
    rows = []
    for done, (arm, kind, label, overrides) in enumerate(chosen, start=2):
        knocked = _indicators(config, seeds, overrides, predictive)
        if progress is not None:
            progress(arm, done, total)
        for outcome in OUTCOMES:
            diff = knocked[outcome].astype(float) - base[outcome].astype(float)  # (R, m)
            mean = diff.mean(axis=0)
            half = Z95 * diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0]) if diff.shape[0] > 1 else np.zeros_like(mean)
            for i, member in enumerate(members):
                rows.append(
                    {
                        "arm": arm,
                        "kind": kind,
                        "label": label,
                        "member": member,
                        "outcome": outcome,
                        "baseline": float(base[outcome][:, i].mean()),
                        "knocked_out": float(knocked[outcome][:, i].mean()),
                        "change": float(mean[i]),
                        "low": float(mean[i] - half[i]),
                        "high": float(mean[i] + half[i]),
                    }
                )
    return pd.DataFrame(rows)


def _indicators(
    config: ScenarioConfig,
    seeds: Sequence[int],
    overrides: dict[str, object] | None = None,
    predictive: Predictive | None = None,
) -> dict[str, np.ndarray]:
    if predictive is None:
        arm = with_overrides(config, overrides) if overrides else config
        return outcome_indicators(run_ensemble(arm, seeds).members["status"])
    out: dict[str, np.ndarray] = {}
    for draw, rows in predictive.groups(np.arange(len(seeds))):
        particle = predictive.config(draw, config)
        arm = with_overrides(particle, overrides) if overrides else particle
        part = outcome_indicators(run_ensemble(arm, [seeds[int(i)] for i in rows]).members["status"])
        for name, values in part.items():
            if name not in out:
                out[name] = np.empty((len(seeds), *values.shape[1:]), dtype=values.dtype)
            out[name][rows] = values
    return out


def unforced_replay(config: ScenarioConfig, seeds: Sequence[int]) -> pd.DataFrame:
    """How often the decision rule alone gives the answers the scenario replays."""
    reported = {e.id: e for e in config.events if e.answer is not None and e.id is not None}
    free = with_overrides(config, {f"events.{event_id}.answer": None for event_id in reported}) if reported else config
    timeline = compile_timeline(free)
    world: World = timeline[0][1]
    trace = run_ensemble(timeline, seeds)
    assert trace.answers is not None
    rows = []
    for month in world.scripted:
        for event in month:
            if event.request_index < 0 or event.name not in reported:
                continue
            answers = trace.answers[:, event.request_index]
            asked = answers >= 0
            shares = {
                name: float(np.mean(answers[asked] == level)) if asked.any() else float("nan")
                for level, name in enumerate(dyn.ANSWER_NAMES)
            }
            want = reported[event.name].answer
            assert want is not None
            rows.append(
                {
                    "event": event.name,
                    "month": reported[event.name].month,
                    "requester": world.members[event.target] if event.target is not None else "",
                    "reported": want.value,
                    **{name: shares[name] for name in ("full", "token", "refused")},
                    "agree": shares[want.value],
                    "not_full": 1.0 - shares["full"],
                    "asked": float(np.mean(asked)),
                }
            )
    return pd.DataFrame(rows)


def explain(
    config: ScenarioConfig | LoadedScenario,
    *,
    seed: int = 0,
    replicates: int = 1000,
    mechanisms: Sequence[Mechanism | str] = MECHANISMS,
    events: bool = True,
    progress: Progress | None = None,
    fixed: bool = False,
) -> Explanation:
    """Decompose, knock out and replay a scenario (see the module's docstring).

    Args:
        config: The scenario; a `LoadedScenario` that names a posterior makes the
            knock-out table posterior predictive (unless `fixed`).
        seed: Root seed of the replicates (the same seeds in every arm, and those of
            `run(config, seed=seed)`).
        replicates: Replicates per arm.
        mechanisms: The mechanisms to knock out, as `Mechanism`s or by name (all by default).
        events: Also remove each scripted event in turn.
        progress: Called after the decomposition, the baseline, each arm and the replay
            with the step's name, the steps done and the steps in all.
        fixed: Knock out on the point estimate even when the scenario names a posterior.

    Returns:
        The `Explanation`.

    Raises:
        InputError: Fewer than two replicates, or an unknown mechanism name.
    """
    if replicates < 2:
        raise InputError("explain needs at least 2 replicates (for intervals)", field="replicates")
    chosen = resolve_mechanisms(mechanisms)
    predictive = None
    if isinstance(config, LoadedScenario):
        predictive = load_predictive(config, seed, replicates, fixed=fixed)
        config = config.config
    seeds = run_seeds(seed, 0, range(replicates))  # the seeds of run(config, seed=seed)
    arms = len(chosen) + (sum(1 for e in config.events if e.id is not None and e.enabled) if events else 0)
    total = arms + 3

    def step(name: str, done: int) -> None:
        if progress is not None:
            progress(name, done, total)

    decomposition = decompose(config, seeds)
    step("decomposition", 1)
    table = knockouts(config, seeds, chosen, events, lambda name, done, _: step(name, done + 1), predictive)
    replay = unforced_replay(config, seeds)
    step("unforced replay", total)
    return Explanation(
        decomposition=decomposition,
        knockouts=table,
        replay=replay,
        replicates=replicates,
        seed=seed,
    )


def resolve_mechanisms(mechanisms: Sequence[Mechanism | str]) -> tuple[Mechanism, ...]:
    """Mechanisms given as `Mechanism`s or by name, in the order given.

    Raises:
        InputError: An unknown name (the message lists the known ones).
    """
    chosen = []
    for mechanism in mechanisms:
        if isinstance(mechanism, Mechanism):
            chosen.append(mechanism)
        elif mechanism in BY_NAME:
            chosen.append(BY_NAME[mechanism])
        else:
            raise InputError(f"unknown mechanism {mechanism!r} (mechanisms: {', '.join(BY_NAME)})", field="mechanism")
    return tuple({m.name: m for m in chosen}.values())
