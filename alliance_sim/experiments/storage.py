"""The sweep folder: results streamed to Parquet as chunks finish, never lost.

Layout (see docs/sweeps.md):

    manifest.json        provenance: spec and its hash, design, package version, git commit, state
    spec.yaml            the spec file as given
    scenario.yaml        the base scenario as run (after the spec's `set:`)
    design.parquet       one row per design point: point and one column per parameter
    runs/part-NNNNNN.parquet       one row per run: run_id, point, replicate, seed, status, error, seconds
    outcomes/part-NNNNNN.parquet   one row per run and member
    alliance/part-NNNNNN.parquet   one row per run
    timeseries/part-NNNNNN.parquet (only when the spec asks for it)
    analysis/            tables written by `alliance-sim analyze`

Each finished chunk becomes one part file per table, written under a temporary name and
renamed; the `runs` part is written last and is the chunk's commit mark: a part of another
table whose `runs` part is missing is ignored (and removed on resume). A run may appear in
several chunks only when it was retried; the chunk with the highest number wins.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from alliance_sim.errors import InputError

TABLES = ("outcomes", "alliance", "timeseries", "runs")
"""Part tables, in the order a chunk writes them (`runs` last: the commit mark)."""

_INT64 = {"run_id", "point"}
_INT32 = {"replicate", "steps", "step", "chunk", "step_disengaged", "step_withdrawn"}
_UINT64 = {"seed"}
_STRING = {"member", "final_status", "month_disengaged", "month_withdrawn", "status", "error", "engine", "month"}


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A part table with fixed column types, so that every part of a table has one schema."""
    fields = []
    for name in frame.columns:
        if name in _INT64:
            kind = pa.int64()
        elif name in _INT32:
            kind = pa.int32()
        elif name in _UINT64:
            kind = pa.uint64()
        elif name in _STRING:
            kind = pa.string()
        else:
            kind = pa.float64()
        fields.append(pa.field(name, kind))
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


class SweepStore:
    """Reads and writes one sweep folder.

    Args:
        folder: The folder.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    # --- paths ---

    @property
    def manifest_path(self) -> Path:
        """`manifest.json`."""
        return self.folder / "manifest.json"

    def exists(self) -> bool:
        """Whether the folder holds a sweep (has a manifest)."""
        return self.manifest_path.is_file()

    def parts(self, table: str) -> dict[int, Path]:
        """Committed part files of a table, by chunk number."""
        directory = self.folder / table
        if not directory.is_dir():
            return {}
        committed = self._committed() if table != "runs" else None
        found = {}
        for path in directory.glob("part-*.parquet"):
            chunk = int(path.stem.removeprefix("part-"))
            if committed is None or chunk in committed:
                found[chunk] = path
        return dict(sorted(found.items()))

    def _committed(self) -> set[int]:
        return set(self.parts("runs"))

    # --- creating ---

    @classmethod
    def create(
        cls,
        folder: str | Path,
        manifest: dict[str, Any],
        design: pd.DataFrame,
        spec_text: str,
        scenario_text: str,
    ) -> SweepStore:
        """Create a sweep folder with its manifest and design, atomically.

        Raises:
            InputError: The folder exists.
        """
        folder = Path(folder)
        if folder.exists():
            raise InputError(f"{folder} already exists", field="out")
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
        try:
            design.to_parquet(tmp / "design.parquet", index=False)
            (tmp / "spec.yaml").write_text(spec_text, encoding="utf-8")
            (tmp / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
            for table in TABLES:
                (tmp / table).mkdir()
            _write_json(tmp / "manifest.json", manifest)
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(folder)

    def remove(self) -> None:
        """Delete the folder (only a sweep folder)."""
        if not self.exists():
            raise InputError(f"{self.folder} is not a sweep folder; not removing it", field="out")
        shutil.rmtree(self.folder)

    # --- manifest ---

    def read_manifest(self) -> dict[str, Any]:
        """The manifest.

        Raises:
            InputError: The folder is not a sweep folder.
        """
        if not self.exists():
            raise InputError("not a sweep folder (no manifest.json)", file=str(self.folder))
        manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        if manifest.get("kind") != "sweep":
            raise InputError("not a sweep folder (its manifest is not a sweep's)", file=str(self.folder))
        return manifest

    def update_manifest(self, **changes: Any) -> dict[str, Any]:
        """Change fields of the manifest (atomically)."""
        manifest = self.read_manifest()
        manifest.update(changes)
        _write_json(self.manifest_path, manifest)
        return manifest

    def read_design(self) -> pd.DataFrame:
        """The design table."""
        return pd.read_parquet(self.folder / "design.parquet")

    # --- chunks ---

    def next_chunk(self) -> int:
        """A chunk number no part file uses yet."""
        used = [int(p.stem.removeprefix("part-")) for t in TABLES for p in (self.folder / t).glob("part-*.parquet")]
        return max(used, default=-1) + 1

    def write_chunk(self, chunk: int, tables: dict[str, pa.Table | pd.DataFrame]) -> None:
        """Write one finished chunk: a part file per table, the `runs` part last.

        Args:
            chunk: The chunk number (from `next_chunk`, increasing).
            tables: Tables (Arrow, or pandas frames) by name; `runs` is required.
        """
        name = f"part-{chunk:06d}.parquet"
        for table in TABLES:
            data = tables.get(table)
            if data is None:
                continue
            if isinstance(data, pd.DataFrame):
                data = arrow_table(data)
            data = data.append_column(pa.field("chunk", pa.int32()), pa.array(np.full(data.num_rows, chunk, np.int32)))
            directory = self.folder / table
            directory.mkdir(exist_ok=True)
            tmp = directory / f".{name}.tmp"
            pq.write_table(data, tmp)
            os.replace(tmp, directory / name)

    def clean(self) -> int:
        """Remove temporary files and parts of chunks that never committed; returns how many."""
        committed = self._committed()
        removed = 0
        for table in TABLES:
            directory = self.folder / table
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                orphan = path.name.startswith("part-") and int(path.stem.removeprefix("part-")) not in committed
                if path.name.endswith(".tmp") or (table != "runs" and orphan):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read a table, keeping for each run only its latest attempt.

        Args:
            table: `runs`, `outcomes`, `alliance` or `timeseries`.
            columns: Columns to read (default: all).

        Returns:
            The rows of the committed chunks, sorted by run id (and member/step).
        """
        parts = self.parts(table)
        if not parts:
            return pd.DataFrame(columns=columns) if columns else pd.DataFrame()
        wanted = None if columns is None else list(dict.fromkeys([*columns, "run_id", "chunk"]))
        frame = ds.dataset([str(p) for p in parts.values()], format="parquet").to_table(columns=wanted).to_pandas()
        latest = self.latest_attempts()
        if latest is not None:
            frame = frame.merge(latest, on=["run_id", "chunk"], how="inner")
        frame = frame.sort_values(["run_id", "chunk"], kind="stable").reset_index(drop=True)
        if columns is not None:
            frame = frame[columns]
        return frame

    def latest_attempts(self) -> pd.DataFrame | None:
        """(run_id, chunk) of each run's latest attempt, or None when no run was retried."""
        parts = self.parts("runs")
        if not parts:
            return None
        runs = (
            ds.dataset([str(p) for p in parts.values()], format="parquet")
            .to_table(columns=["run_id", "chunk"])
            .to_pandas()
        )
        if not runs["run_id"].duplicated().any():
            return None
        return runs.sort_values("chunk", kind="stable").drop_duplicates("run_id", keep="last")

    def run_status(self) -> pd.DataFrame:
        """Run id and status (`ok` or `failed`) of every run recorded (latest attempt)."""
        parts = self.parts("runs")
        if not parts:
            return pd.DataFrame({"run_id": np.array([], dtype=np.int64), "status": np.array([], dtype=object)})
        runs = (
            ds.dataset([str(p) for p in parts.values()], format="parquet")
            .to_table(columns=["run_id", "status", "chunk"])
            .to_pandas()
        )
        runs = runs.sort_values("chunk", kind="stable").drop_duplicates("run_id", keep="last")
        return runs[["run_id", "status"]].sort_values("run_id").reset_index(drop=True)

    # --- one writer at a time ---

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock while writing; a lock left by a dead process is taken over.

        Raises:
            InputError: Another live process is writing to the folder.
        """
        path = self.folder / ".lock"
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if _alive(path):
                    raise InputError(
                        f"another process ({path.read_text().strip()}) is writing to {self.folder}", field="out"
                    ) from None
                path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            break
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def _alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
