"""Reported patterns: how well a scenario's runs reproduce what the articles report.

`seeds/patterns.yaml` lists statuses the articles report for the opening months (Armenia
away from CSTO meetings by November 2023 but not gone; everyone still in the bloc in
November 2022; ...), each tied to an evidence item. `score` runs a scenario's replicates
on the ensemble engine and gives, for each pattern and member, the share of runs that
reproduce it (`score_jointly` also the share that reproduce all of them at once);
`fit_thresholds` scores a grid of the two status thresholds (disengage,
withdraw), the behavioural constants that no article quantifies, by the log-likelihood of
the reported patterns (pattern-oriented modelling; Grimm et al. 2005, Science 310: 987-991).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.errors import InputError
from alliance_sim.scenario.config import Month, ScenarioConfig, month_index
from alliance_sim.scenario.loader import with_overrides
from alliance_sim.scenario.locate import shorten
from alliance_sim.scenario.yamlio import Positions, read_model


class Pattern(BaseModel):
    """One reported status of one or more members at the end of a month."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(min_length=1)
    """Name of the pattern."""
    evidence: str = Field(min_length=1)
    """Id of the evidence item whose quote reports it."""
    month: Month
    """The month it is reported for, `YYYY-MM`."""
    members: list[str] = Field(min_length=1)
    """Members it is reported for."""
    status: Literal["member", "away", "not_gone"]
    """`member` (active), `away` (disengaged or withdrawn), `not_gone` (not withdrawn)."""
    note: str = ""
    """Free text."""
    _positions: Positions | None = PrivateAttr(default=None)
    _index: int = PrivateAttr(default=0)

    def error(self, message: str, *where: str | int) -> InputError:
        """An `InputError` about this pattern, located at `where` (keys below it) in its file when read from one."""
        if self._positions is not None:
            return self._positions.error(f"pattern {self.id}: {message}", ["patterns", self._index, *where])
        return InputError(f"pattern {self.id}: {message}", field=".".join(map(str, where)))


class _PatternFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    patterns: list[Pattern]


def load_patterns(path: str | Path, evidence_ids: set[str] | None = None) -> list[Pattern]:
    """Read a patterns file; check each names a known evidence item, if ids are given.

    Raises:
        InputError: A bad file, field or evidence id, located by file, line and field.
    """
    spec, positions = read_model(path, _PatternFile)
    patterns = spec.patterns
    if not patterns:
        raise positions.error("no reported patterns: list at least one", ["patterns"])
    for i, pattern in enumerate(patterns):
        pattern._positions, pattern._index = positions, i
    if evidence_ids is not None:
        for i, pattern in enumerate(patterns):
            if pattern.evidence not in evidence_ids:
                raise positions.error(f"unknown evidence item {shorten(pattern.evidence)}", ["patterns", i, "evidence"])
    return patterns


@dataclass(frozen=True)
class Fact:
    """One reported status of one member at the end of one month.

    Attributes:
        pattern: The pattern's id.
        member: The member.
        column: The member's index among the scenario's members.
        step: The step at whose end it is reported (1 is the end of the first month).
        status: `member`, `away` or `not_gone`.
    """

    pattern: str
    member: str
    column: int
    step: int
    status: str


def facts_of(config: ScenarioConfig, patterns: Sequence[Pattern]) -> tuple[Fact, ...]:
    """The facts of a scenario's reported patterns (one per pattern and member), in file order.

    Raises:
        InputError: No patterns, or a pattern names a month outside the run or an unknown
            member (located in the patterns file when read from one).
    """
    if not patterns:
        raise InputError("no reported patterns: list at least one", field="patterns")
    members = config.member_ids
    facts = []
    for pattern in patterns:
        step = month_index(config.time.start, pattern.month) + 1
        if not 1 <= step <= config.time.horizon_months:
            raise pattern.error(f"month {pattern.month} is outside the run", "month")
        for j, member in enumerate(pattern.members):
            if member not in members:
                raise pattern.error(f"unknown member {member!r}", "members", j)
            facts.append(Fact(pattern.id, member, members.index(member), step, pattern.status))
    return tuple(facts)


def log_shares(shares: np.ndarray | float, replicates: int) -> np.ndarray:
    """Log of shares of replicates, each floored at ``1 / (2 R)`` (a share of 0 is not impossible)."""
    return np.log(np.maximum(shares, 1.0 / (2.0 * replicates)))


def holds_status(status: np.ndarray, kind: str) -> np.ndarray:
    """Where a reported status (`member`, `away`, `not_gone`) holds, given model statuses."""
    if kind == "member":
        return status == dyn.MEMBER
    if kind == "away":
        return status != dyn.MEMBER
    return status != dyn.WITHDRAWN


def score(config: ScenarioConfig, patterns: list[Pattern], *, seed: int = 0, replicates: int = 200) -> pd.DataFrame:
    """Share of replicates that reproduce each pattern, per member.

    Args:
        config: The scenario.
        patterns: The reported patterns.
        seed: Root seed of the replicates.
        replicates: Number of replicates.

    Returns:
        Columns `pattern`, `member`, `month`, `status`, `share` (of replicates where it
        holds), `evidence`.

    Raises:
        InputError: A pattern names a month outside the run or an unknown member.
    """
    return score_jointly(config, patterns, seed=seed, replicates=replicates)[0]


def score_jointly(
    config: ScenarioConfig, patterns: list[Pattern], *, seed: int = 0, replicates: int = 200
) -> tuple[pd.DataFrame, float]:
    """`score`, and the share of replicates that reproduce every pattern at once.

    The sum of log shares (`log_likelihood`) treats the patterns as independent; they are
    not (a member away in October 2022 is likelier to be away in November). The joint
    share counts the runs in which the whole reported history holds.

    Returns:
        The `score` table and the joint share.

    Raises:
        InputError: See `facts_of`.
    """
    facts = facts_of(config, patterns)
    status = run_ensemble(config, replicate_seeds(seed, replicates)).members["status"]
    owners = [pattern for pattern in patterns for _ in pattern.members]  # facts_of's order
    rows = []
    every = np.ones(replicates, dtype=bool)
    for fact, pattern in zip(facts, owners, strict=True):
        holds = holds_status(status[fact.step, :, fact.column], fact.status)
        every &= holds
        rows.append(
            {
                "pattern": fact.pattern,
                "member": fact.member,
                "month": pattern.month,
                "status": fact.status,
                "share": float(np.mean(holds)),
                "evidence": pattern.evidence,
            }
        )
    return pd.DataFrame(rows), float(np.mean(every))


def joint_log_likelihood(joint_share: float, replicates: int) -> float:
    """Log of the share of runs reproducing every pattern (`log_shares`)."""
    return float(log_shares(joint_share, replicates))


def log_likelihood(table: pd.DataFrame, replicates: int) -> float:
    """Sum of log shares (`log_shares`) of a `score` table."""
    return float(np.sum(log_shares(table["share"].to_numpy(), replicates)))


def fit_thresholds(
    config: ScenarioConfig,
    patterns: list[Pattern],
    disengage: list[float],
    gaps: list[float],
    *,
    seed: int = 0,
    replicates: int = 200,
) -> pd.DataFrame:
    """Score a grid of (disengage, withdraw = disengage + gap) thresholds by the patterns.

    The return thresholds keep their distance below the disengage threshold, as in the
    scenario (hysteresis unchanged).

    Returns:
        One row per grid point: `disengage`, `withdraw`, `log_likelihood`, and the
        smallest share of any pattern (`worst_share`), best first.
    """
    status = config.model.status
    down_re, down_rj = status.disengage - status.reengage, status.disengage - status.rejoin
    rows = []
    for d in disengage:
        for gap in gaps:
            candidate = with_overrides(
                config,
                {
                    "model.status.disengage": d,
                    "model.status.withdraw": d + gap,
                    "model.status.reengage": d - down_re,
                    "model.status.rejoin": d - down_rj,
                },
            )
            table = score(candidate, patterns, seed=seed, replicates=replicates)
            rows.append(
                {
                    "disengage": d,
                    "withdraw": round(d + gap, 6),
                    "log_likelihood": log_likelihood(table, replicates),
                    "worst_share": float(table["share"].min()),
                }
            )
    return pd.DataFrame(rows).sort_values("log_likelihood", ascending=False, kind="stable").reset_index(drop=True)
