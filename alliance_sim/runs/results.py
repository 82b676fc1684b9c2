"""`RunResult`: the tidy tables of a run with replicates, its summary, and its files.

Tables (pandas DataFrames, one row per observation):

- `members`: replicate, step, month, member and the traced quantities (status,
  pressure, trust in the hegemon, credibility, values, grievance, threat, ...).
- `alliance`: replicate, step, month, war load, cohesion, counts by status, mean trust
  in the hegemon.
- `events`: replicate and the event log (events, requests with every ally's answer,
  summits, status changes).
- `runs`: replicate, seed, member, final status, step and month it first disengaged and
  withdrew (empty when never), lowest trust in the hegemon.

On disk (`save`): one Parquet (or CSV) file per table, `summary.csv` (the defection
table), `scenario.yaml` (the scenario as run) and `manifest.json` (provenance). The
folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from alliance_sim.errors import InputError
from alliance_sim.runs.statistics import defection_table

TABLES = ("members", "alliance", "events", "runs")
"""Names of the tables a result holds."""

STATUS_NAMES = ("member", "disengaged", "withdrawn")


@dataclass
class RunResult:
    """Results of one scenario run with one or more replicates.

    Attributes:
        members: Per-month member state.
        alliance: Per-month alliance metrics.
        events: Event log.
        runs: Per-run, per-member outcomes.
        manifest: Provenance (version, scenario hash, seeds, overrides, git commit, ...).
        scenario: The scenario as run, as plain data.
        trust: Per-month trust of every member in every other (replicate, step, month,
            observer, ally, trust), when the scenario sets `outputs.trust_matrix`.
    """

    members: pd.DataFrame
    alliance: pd.DataFrame
    events: pd.DataFrame
    runs: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] = field(default_factory=dict)
    trust: pd.DataFrame | None = None

    @property
    def member_ids(self) -> list[str]:
        """Members in scenario order."""
        return list(dict.fromkeys(self.runs["member"]))

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.runs["replicate"].nunique())

    def summary(self) -> pd.DataFrame:
        """Per member: probabilities of disengaging and withdrawing with 95% Wilson intervals."""
        return defection_table(self.runs, self.member_ids)

    def plot(self, kind: str = "trajectories", **options: Any) -> Any:
        """One figure of this result, as a matplotlib `Figure` (see `alliance_sim.reporting.figures`).

        Args:
            kind: `trajectories`, `status`, `probabilities`, `survival` or `trust`.
            **options: Options of the kind, such as `members=[...]`, `replicate=0` or
                `months=["2023-12"]`.

        Returns:
            The figure; save it with `fig.savefig("file.png")`.
        """
        from alliance_sim.reporting.figures import plot

        return plot(self, kind, **options)

    def save(self, out: str | Path, *, fmt: str = "parquet", overwrite: bool = False) -> Path:
        """Write the result folder atomically.

        Args:
            out: The folder to create.
            fmt: `parquet` or `csv`.
            overwrite: Replace an existing folder (only once the new one is complete).

        Returns:
            The folder.

        Raises:
            InputError: The folder exists and `overwrite` is False, or `fmt` is unknown.
        """
        out = Path(out)
        if fmt not in ("parquet", "csv"):
            raise InputError(f"unknown format {fmt!r} (parquet or csv)", field="format")
        if out.exists() and not overwrite:
            raise InputError(f"{out} already exists; choose another --out or pass --overwrite", field="out")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        try:
            for name in TABLES:
                write_table(getattr(self, name), tmp / name, fmt)
            if self.trust is not None:
                write_table(self.trust, tmp / "trust", fmt)
            self.summary().to_csv(tmp / "summary.csv", index=False)
            (tmp / "scenario.yaml").write_text(yaml.safe_dump(self.scenario, sort_keys=False))
            tables = [*TABLES, "trust"] if self.trust is not None else list(TABLES)
            manifest = {**self.manifest, "format": fmt, "tables": tables}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
            replace_dir(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    @classmethod
    def load(cls, folder: str | Path) -> RunResult:
        """Read a result folder written by `save`.

        Raises:
            InputError: The folder is missing or is not a result folder.
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            raise InputError("not a result folder (no manifest.json)", file=str(folder))
        manifest = json.loads(manifest_path.read_text())
        fmt = manifest.get("format", "parquet")
        missing = [name for name in TABLES if not _table_path(folder / name, fmt).exists()]
        if missing:
            raise InputError(f"incomplete result folder: no {', '.join(missing)} table", file=str(folder))
        tables = {name: read_table(folder / name, fmt) for name in TABLES}
        trust = read_table(folder / "trust", fmt) if _table_path(folder / "trust", fmt).exists() else None
        scenario_path = folder / "scenario.yaml"
        scenario = yaml.safe_load(scenario_path.read_text()) if scenario_path.exists() else {}
        return cls(**tables, manifest=manifest, scenario=scenario, trust=trust)


def _table_path(stem: Path, fmt: str) -> Path:
    return stem.with_suffix(".parquet" if fmt == "parquet" else ".csv")


def write_table(frame: pd.DataFrame, stem: Path, fmt: str) -> Path:
    """Write one table as `stem.parquet` or `stem.csv`."""
    path = _table_path(stem, fmt)
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def read_table(stem: Path, fmt: str) -> pd.DataFrame:
    """Read a table written by `write_table`."""
    path = _table_path(stem, fmt)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=True)


def replace_dir(new: Path, target: Path) -> None:
    """Move the finished folder `new` to `target`, replacing an old one only at the end."""
    if not target.exists():
        os.replace(new, target)
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, backup)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def git_commit(start: Path | None = None) -> str | None:
    """The git commit of the repository containing `start` (or the cwd), if any."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=start or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


# --- Building tables from traces -----------------------------------------------------


def member_table(
    trace_members: dict[str, np.ndarray], members: list[str], months: list[str], replicate: int
) -> pd.DataFrame:
    """Long table of one run's trace: one row per month and member."""
    steps, m = trace_members["status"].shape
    data: dict[str, Any] = {
        "replicate": np.full(steps * m, replicate, dtype=np.int32),
        "step": np.repeat(np.arange(steps, dtype=np.int32), m),
        "month": np.repeat(np.array(months), m),
        "member": np.tile(np.array(members), steps),
    }
    for name, values in trace_members.items():
        flat = values.reshape(steps * m)
        data[name] = np.array(STATUS_NAMES)[flat] if name == "status" else flat
    return pd.DataFrame(data)


def alliance_table(
    status: np.ndarray, war_load: np.ndarray, trust: np.ndarray, months: list[str], replicate: int
) -> pd.DataFrame:
    """One run's per-month alliance metrics."""
    steps = status.shape[0]
    with np.errstate(invalid="ignore"):
        mean_trust = np.nanmean(trust, axis=1)
    return pd.DataFrame(
        {
            "replicate": np.full(steps, replicate, dtype=np.int32),
            "step": np.arange(steps, dtype=np.int32),
            "month": months,
            "war_load": war_load,
            "cohesion": np.mean(status == 0, axis=1),
            "members_active": np.sum(status == 0, axis=1).astype(np.int32),
            "members_disengaged": np.sum(status == 1, axis=1).astype(np.int32),
            "members_withdrawn": np.sum(status == 2, axis=1).astype(np.int32),
            "mean_trust_in_hegemon": mean_trust,
        }
    )


def run_table(
    status: np.ndarray, trust: np.ndarray, members: list[str], months: list[str], replicate: int, seed: int
) -> pd.DataFrame:
    """One run's outcome per member: final status, first steps disengaged and withdrawn."""
    steps = status.shape[0] - 1
    rows = []
    for j, member in enumerate(members):
        column = status[:, j]
        out = np.flatnonzero(column >= 1)
        gone = np.flatnonzero(column == 2)
        first_out = int(out[0]) if out.size else None
        first_gone = int(gone[0]) if gone.size else None
        rows.append(
            {
                "replicate": replicate,
                "seed": str(seed),
                "member": member,
                "steps": steps,
                "final_status": STATUS_NAMES[int(column[-1])],
                "step_disengaged": first_out,
                "month_disengaged": months[first_out] if first_out is not None else None,
                "step_withdrawn": first_gone,
                "month_withdrawn": months[first_gone] if first_gone is not None else None,
                "min_trust_in_hegemon": float(np.min(trust[:, j])) if not np.isnan(trust[:, j]).all() else float("nan"),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("step_disengaged", "step_withdrawn"):
        frame[column] = frame[column].astype("Int32")
    return frame


def trust_table(trust: np.ndarray, members: list[str], months: list[str], replicate: int) -> pd.DataFrame:
    """Long table of one run's trust matrix: one row per month, observer and ally (no diagonal)."""
    steps, m, _ = trust.shape
    observer, ally = np.nonzero(~np.eye(m, dtype=bool))
    pairs = observer.size
    names = np.array(members)
    return pd.DataFrame(
        {
            "replicate": np.full(steps * pairs, replicate, dtype=np.int32),
            "step": np.repeat(np.arange(steps, dtype=np.int32), pairs),
            "month": np.repeat(np.array(months), pairs),
            "observer": np.tile(names[observer], steps),
            "ally": np.tile(names[ally], steps),
            "trust": trust[:, observer, ally].reshape(steps * pairs),
        }
    )
