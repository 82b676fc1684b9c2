"""`SweepResult`: a sweep folder as tidy tables, with its analysis.

Tables (pandas DataFrames), read from the folder when first used:

- `design`: `point` and one column per varied parameter (dotted path).
- `runs`: one row per run: `run_id`, `point`, `replicate`, `seed`, `status` (`ok` or
  `failed`), `error`, `seconds`, `engine`, and the point's parameter values.
- `outcomes`: one row per run and member (see `alliance_sim.runs.tables`).
- `alliance`: one row per run.
- `timeseries`: one row per run, kept step and member (empty unless the spec asks).

Analysis: `probabilities()` (each member's probability of disengaging and of withdrawing
at each point, with 95% Wilson intervals), `survival()` (Kaplan-Meier curves of
membership), `sensitivity()` (Sobol or Morris indices of each member's probabilities,
with intervals and the replicate noise floor).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance_sim.errors import InputError
from alliance_sim.experiments.storage import SweepStore
from alliance_sim.files import atomic_write
from alliance_sim.runs.statistics import (
    defection_table,
    kaplan_meier,
    morris_indices,
    replicate_noise,
    sobol_indices,
)

SENSITIVITY_COLUMNS = ["member", "outcome", "parameter", "index", "value", "conf", "noise_floor"]
"""Columns of `SweepResult.sensitivity()`."""

OUTCOMES = ("p_disengaged", "p_withdrawn")
"""Outputs whose sensitivity is analysed."""


@dataclass
class SweepResult:
    """The results of a sweep, backed by its folder.

    Attributes:
        folder: The sweep folder.
        manifest: Provenance: `spec`, `design`, `spec_hash`, versions, git commit, state.
    """

    folder: Path
    manifest: dict[str, Any]
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, folder: str | Path) -> SweepResult:
        """Open a sweep folder (complete or not).

        Raises:
            InputError: The folder is missing, is not a sweep folder, or is damaged (a
                manifest that is not JSON or lacks keys, a part file that cannot be read or
                has no rows, a stray file among the parts); the message names the file.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError("no such folder", file=str(folder))
        store = SweepStore(folder)
        manifest = store.read_manifest()
        store.check()
        result = cls(folder, manifest)
        result.design  # noqa: B018 - read now, so a damaged design is reported at once
        return result

    # --- what the sweep is ---

    @property
    def store(self) -> SweepStore:
        """The folder's store."""
        return SweepStore(self.folder)

    @property
    def parameters(self) -> list[str]:
        """Dotted paths of the varied parameters, in order."""
        return list(self.manifest["design"]["parameters"])

    @property
    def kind(self) -> str:
        """The design kind: grid, montecarlo, lhs, sobol or morris."""
        return str(self.manifest["design"]["kind"])

    @property
    def replicates(self) -> int:
        """Replicates per design point."""
        return int(self.manifest["design"]["replicates"])

    def describe(self) -> str:
        """One line: the design and how many runs are done, failed and missing."""
        status = self.store.run_status()
        failed = int((status["status"] == "failed").sum())
        total = int(self.manifest["design"]["runs"])
        return (
            f"{self.manifest['spec']['name']}: {self.manifest['design']['description']}; "
            f"{len(status) - failed} ok, {failed} failed, {total - len(status)} missing"
        )

    # --- tables ---

    @cached_property
    def design(self) -> pd.DataFrame:
        """`point` and one column per parameter."""
        return self.store.read_design()

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run (its latest attempt), with the point's parameter values."""
        if "runs" not in self._cache:
            runs = self.store.read("runs")
            self._cache["runs"] = runs.merge(self.design, on="point", how="left") if not runs.empty else runs
        return self._cache["runs"]

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per successful run and member."""
        return self._table("outcomes")

    @property
    def alliance(self) -> pd.DataFrame:
        """One row per successful run."""
        return self._table("alliance")

    @property
    def timeseries(self) -> pd.DataFrame:
        """Per-month rows, when the spec asked for them (else empty)."""
        return self._table("timeseries")

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self.store.read(name)
        return self._cache[name]

    def failed(self) -> pd.DataFrame:
        """The runs that failed, with their errors."""
        runs = self.runs
        return runs[runs["status"] == "failed"].reset_index(drop=True) if not runs.empty else runs

    @property
    def members(self) -> list[str]:
        """Members in scenario order."""
        outcomes = self.outcomes
        return list(dict.fromkeys(outcomes["member"])) if not outcomes.empty else []

    # --- analysis ---

    def probabilities(self) -> pd.DataFrame:
        """Per design point and member: P(disengaged) and P(withdrawn) with 95% Wilson intervals.

        Returns:
            `point`, the parameter columns, `member`, `replicates` (successful runs),
            `p_disengaged`, `p_disengaged_low`, `p_disengaged_high`, the same for
            withdrawn, the median months, and the share ending in each status.

        Raises:
            InputError: The sweep did not record the disengaged and withdrawn outcomes.
        """
        outcomes = self.outcomes
        needed = {"step_disengaged", "step_withdrawn", "month_disengaged", "month_withdrawn", "final_status"}
        if outcomes.empty:
            return pd.DataFrame(columns=["point", *self.parameters, "member", "replicates"])
        missing = needed - set(outcomes.columns)
        if missing:
            raise InputError(
                "probabilities need the outcomes status, disengaged and withdrawn; this sweep did not "
                f"record {', '.join(sorted(missing))}",
                file=str(self.folder),
            )
        if "probabilities" not in self._cache:
            table = defection_table(outcomes, self.members)
            self._cache["probabilities"] = self.design.merge(table, on="point", how="right")
        return self._cache["probabilities"].copy()

    def survival(self, event: str = "withdrawn", *, by_point: bool | None = None) -> pd.DataFrame:
        """Kaplan-Meier curves of staying in the alliance.

        Args:
            event: `disengaged` or `withdrawn`.
            by_point: One curve per point and member (default for grids) or per member
                over every run of the sweep (default for sampled designs).

        Returns:
            The `alliance_sim.runs.statistics.kaplan_meier` table, with parameter columns when
            by point.
        """
        outcomes = self.outcomes
        if f"step_{event}" not in outcomes.columns:
            raise InputError(f"this sweep did not record the {event} outcome", file=str(self.folder))
        if by_point is None:
            by_point = self.kind == "grid"
        frame = outcomes if by_point else outcomes.drop(columns="point")
        curves = kaplan_meier(frame, event=event)
        return self.design.merge(curves, on="point", how="right") if by_point else curves

    def sensitivity(self, *, resamples: int = 200, seed: int = 0) -> pd.DataFrame:
        """Sensitivity of each member's defection probabilities to the parameters.

        For a Sobol design: first-order (S1) and total-order (ST) indices; for a Morris
        design: mu* and sigma; each with the half-width of its 95% bootstrap interval
        (`conf`) and the replicate noise floor (see `alliance_sim.runs.statistics.sobol_indices`
        and `morris_indices`). Outputs that do not vary over the design (a member who
        never leaves) have no indices.

        Returns:
            Columns `member`, `outcome` (p_disengaged or p_withdrawn), `parameter`,
            `index`, `value`, `conf`, `noise_floor`; empty for other designs.

        Raises:
            InputError: Some design points have no successful run.
        """
        if self.kind not in ("sobol", "morris"):
            return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
        key = f"sensitivity-{resamples}-{seed}"
        if key not in self._cache:
            self._cache[key] = self._sensitivity(resamples, seed)
        return self._cache[key].copy()

    def _sensitivity(self, resamples: int, seed: int) -> pd.DataFrame:
        table = self.probabilities()
        points = int(self.manifest["design"]["points"])
        problem = self.manifest["design"]["problem"]
        x = self.design.sort_values("point")[problem["names"]].to_numpy(dtype=float)
        frames = []
        for member in self.members:
            rows = table[table["member"] == member].set_index("point").reindex(range(points))
            if rows["replicates"].isna().any():
                missing = int(rows["replicates"].isna().sum())
                raise InputError(
                    f"{missing} design points have no successful run; finish the sweep "
                    "(--resume, --retry-failed) before the sensitivity analysis",
                    file=str(self.folder),
                )
            n = rows["replicates"].to_numpy(dtype=float)
            for outcome in OUTCOMES:
                y = rows[outcome].to_numpy(dtype=float)
                if np.ptp(y) == 0:
                    continue
                noise = replicate_noise(y, n)
                if self.kind == "sobol":
                    frame = sobol_indices(problem, y, noise=noise, resamples=resamples, seed=seed)
                else:
                    frame = morris_indices(
                        problem,
                        x,
                        y,
                        levels=int(self.manifest["design"]["levels"]),
                        noise=noise,
                        resamples=resamples,
                        seed=seed,
                    )
                frame.insert(0, "outcome", outcome)
                frame.insert(0, "member", member)
                frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
        return pd.concat(frames, ignore_index=True)[SENSITIVITY_COLUMNS]

    def save_analysis(self, folder: str | Path | None = None, *, resamples: int = 200) -> dict[str, Path]:
        """Write the analysis tables as CSV (default: `analysis/` in the sweep folder).

        Args:
            folder: Where to write.
            resamples: Bootstrap resamples of the sensitivity intervals.

        Returns:
            The files written, by table name.
        """
        target = Path(folder) if folder is not None else self.folder / "analysis"
        target.mkdir(parents=True, exist_ok=True)
        written = {}
        tables = {"probabilities": self.probabilities(), "survival": self.survival()}
        if self.kind in ("sobol", "morris"):
            tables["sensitivity"] = self.sensitivity(resamples=resamples)
        failed = self.failed()
        if not failed.empty:
            tables["failed_runs"] = failed
        for name, frame in tables.items():
            path = target / f"{name}.csv"
            atomic_write(path, functools.partial(_write_csv, frame))
            written[name] = path
        return written


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)
