"""`RunResult`: the tidy tables of a run with replicates, its summary, and its files.

Tables (pandas DataFrames, one row per observation):

- `members`: replicate, step, month, member and the traced quantities (status,
  pressure, trust in the hegemon, credibility, values, grievance, threat, ...).
- `alliance`: replicate, step, month, war load, cohesion, counts by status, mean trust
  in the hegemon.
- `events`: replicate and the event log (events, requests, summits, status changes);
  a request has a number (`request`) within its replicate.
- `answers`: replicate, request, ally and its answer (refused, token, full): one row per
  ally that answered a request.
- `runs`: replicate, seed, member, final status, step and month it first disengaged and
  withdrew (empty when never), lowest trust in the hegemon.
- `trust` (when the scenario asks): replicate, step, month, observer, ally, trust.

Column types are declared once (`alliance_sim.runs.tables`): `replicate` int32, `seed`
uint64, statuses ordered categoricals, members and months categoricals.

On disk (`save`): one Parquet (or CSV) file per table, `summary.csv` (the defection
table), `scenario.yaml` (the scenario as run), `manifest.json` (provenance) and the
marker `.alliance-sim`. The folder is written under a temporary name, synced and
renamed when complete (`alliance_sim.files.atomic_folder`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from alliance_sim import files
from alliance_sim.errors import InputError
from alliance_sim.runs import tables as tb
from alliance_sim.runs.statistics import defection_table, variance_split

TABLES = ("members", "alliance", "events", "runs")
"""Names of the tables every result folder holds."""

OPTIONAL_TABLES = ("answers", "trust")
"""Tables a result folder may hold."""

SCHEMA_OF = {
    "members": "timeseries",
    "alliance": "alliance_monthly",
    "events": "events",
    "answers": "answers",
    "runs": "outcomes",
    "trust": "trust",
}
"""The declared schema (`alliance_sim.runs.tables.SCHEMAS`) of each table of a run."""

MANIFEST_KEYS = ("scenario", "seed", "replicates")
"""Keys every run manifest has."""


@dataclass
class RunResult:
    """Results of one scenario run with one or more replicates.

    Attributes:
        members: Per-month member state.
        alliance: Per-month alliance metrics.
        events: Event log.
        runs: Per-run, per-member outcomes.
        answers: Each ally's answer to each request of the event log.
        manifest: Provenance (version, scenario hash, seeds, overrides, git commit, ...).
        scenario: The scenario as run, as plain data.
        trust: Per-month trust of every member in every other (replicate, step, month,
            observer, ally, trust), when the scenario sets `outputs.trust_matrix`.
    """

    members: pd.DataFrame
    alliance: pd.DataFrame
    events: pd.DataFrame
    runs: pd.DataFrame
    answers: pd.DataFrame | None = None
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

    @property
    def predictive(self) -> bool:
        """Whether the replicates drew their parameters from a posterior (`alliance_sim.runs.predictive`)."""
        posterior = self.manifest.get("posterior") or {}
        return bool(posterior) and not posterior.get("fixed", True)

    def draws(self) -> np.ndarray | None:
        """The posterior draw of each row of `runs` (None for a run of the point estimate).

        Of M draws and R replicates, replicate j took draw ``j * M // R``.
        """
        if not self.predictive:
            return None
        m = int(self.manifest["posterior"]["draws"])
        r = int(self.manifest["replicates"])
        return self.runs["replicate"].to_numpy(dtype=np.int64) * m // r

    def variance_split(self) -> pd.DataFrame | None:
        """Per member and outcome, the variance due to calibration and to chance (`variance_split`).

        None for a run of the point estimate.
        """
        draws = self.draws()
        if draws is None:
            return None
        return variance_split(self.runs, draws, self.member_ids)

    def summary(self) -> pd.DataFrame:
        """Per member: probabilities of disengaging and withdrawing with 95% intervals.

        For the point estimate, Wilson intervals (Monte Carlo only). For a posterior
        predictive run, `p_*_low`/`p_*_high` are the posterior predictive interval and
        `p_*_mc_low`/`p_*_mc_high` the Wilson one; `p_*_calibration_share` is the share of
        the variance due to calibration (the rest is chance): see `variance_split`.
        """
        table = defection_table(self.runs, self.member_ids)
        split = self.variance_split()
        if split is None:
            return table
        for outcome in ("disengaged", "withdrawn"):
            part = split[split["outcome"] == outcome].set_index("member").reindex(table["member"])
            table[f"p_{outcome}_mc_low"] = table[f"p_{outcome}_low"]
            table[f"p_{outcome}_mc_high"] = table[f"p_{outcome}_high"]
            table[f"p_{outcome}_low"] = part["low"].to_numpy()
            table[f"p_{outcome}_high"] = part["high"].to_numpy()
            table[f"p_{outcome}_calibration_share"] = part["calibration_share"].to_numpy()
        return table

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
            overwrite: Replace an existing folder (only once the new one is complete, and
                only a folder this tool wrote as a run's results).

        Returns:
            The folder.

        Raises:
            InputError: The folder exists and `overwrite` is False, or is not a run's
                results folder, or `fmt` is unknown.
        """
        out = Path(out)
        if fmt not in ("parquet", "csv"):
            raise InputError(f"unknown format {fmt!r} (parquet or csv)", field="format")
        if out.exists():
            if not overwrite:
                raise InputError(f"{out} already exists; choose another --out or pass --overwrite", field="out")
            files.check_replaceable(out, "run")
        tables = {name: getattr(self, name) for name in (*TABLES, *OPTIONAL_TABLES)}
        tables = {name: frame for name, frame in tables.items() if frame is not None}
        with files.atomic_folder(out, replace=overwrite) as tmp:
            for name, frame in tables.items():
                write_table(frame, tmp / name, fmt, SCHEMA_OF[name])
            self.summary().to_csv(tmp / "summary.csv", index=False)
            (tmp / "scenario.yaml").write_text(yaml.safe_dump(self.scenario, sort_keys=False), encoding="utf-8")
            manifest = {**self.manifest, "kind": "run", "format": fmt, "tables": list(tables)}
            files.write_json(tmp / "manifest.json", manifest)
            files.write_marker(tmp, "run")
        return out

    @classmethod
    def load(cls, folder: str | Path) -> RunResult:
        """Read a result folder written by `save`.

        Raises:
            InputError: The folder is missing, is not a result folder, or is damaged (a
                manifest that is not JSON or lacks keys, a table that cannot be read or
                has no rows); the message names the file.
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not folder.is_dir():
            raise InputError("no such folder", file=str(folder))
        if not manifest_path.exists():
            raise InputError("not a result folder (no manifest.json)", file=str(folder))
        manifest = files.read_json(manifest_path)
        if manifest.get("kind") == "sweep":
            raise InputError("a sweep's folder, not a run's results", file=str(folder))
        missing = [k for k in MANIFEST_KEYS if k not in manifest]
        if missing:
            raise InputError(f"damaged manifest: no {', '.join(missing)}", file=str(manifest_path))
        fmt = manifest.get("format", "parquet")
        if fmt not in ("parquet", "csv"):
            raise InputError(f"damaged manifest: unknown format {fmt!r}", file=str(manifest_path))
        absent = [name for name in TABLES if not _table_path(folder / name, fmt).exists()]
        if absent:
            raise InputError(f"incomplete result folder: no {', '.join(absent)} table", file=str(folder))
        tables = {name: read_table(folder / name, fmt, empty_ok=name == "events") for name in TABLES}
        optional = {
            name: read_table(folder / name, fmt, empty_ok=True)
            for name in OPTIONAL_TABLES
            if _table_path(folder / name, fmt).exists()
        }
        scenario_path = folder / "scenario.yaml"
        scenario: dict[str, Any] = {}
        if scenario_path.exists():
            try:
                scenario = yaml.safe_load(scenario_path.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise InputError(f"not valid YAML: {' '.join(str(exc).split())}", file=str(scenario_path)) from None
            if not isinstance(scenario, dict):
                raise InputError("not a scenario (not a mapping)", file=str(scenario_path))
        return cls(**tables, **optional, manifest=manifest, scenario=scenario)


def _table_path(stem: Path, fmt: str) -> Path:
    return stem.with_suffix(".parquet" if fmt == "parquet" else ".csv")


def write_table(frame: pd.DataFrame, stem: Path, fmt: str, schema: str | None = None) -> Path:
    """Write one table as `stem.parquet` (with the declared schema `schema`) or `stem.csv`."""
    path = _table_path(stem, fmt)
    if fmt == "parquet":
        data = tb.to_arrow(frame, schema) if schema else pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(data, path)
    else:
        frame.to_csv(path, index=False)
    return path


def read_table(stem: Path, fmt: str, *, empty_ok: bool = True) -> pd.DataFrame:
    """Read a table written by `write_table`.

    Raises:
        InputError: The file cannot be read (damaged, truncated) or, unless `empty_ok`,
            has no rows.
    """
    path = _table_path(stem, fmt)
    try:
        if fmt == "parquet":
            frame = tb.to_pandas(pq.read_table(path))
        else:
            frame = pd.read_csv(path, keep_default_na=True)
            for column in ("status", "final_status"):
                if column in frame.columns:
                    frame[column] = pd.Categorical(frame[column], dtype=tb.STATUS_DTYPE)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"not a readable Parquet file (truncated or damaged): {exc}", file=str(path)) from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable table: {' '.join(str(exc).split())}", file=str(path)) from None
    if not empty_ok and frame.empty:
        raise InputError("the table has no rows", file=str(path))
    return frame


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
