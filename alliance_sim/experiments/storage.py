"""The sweep folder: results streamed to Parquet as chunks finish, never lost.

Layout (see docs/sweeps.md):

    .alliance-sim        marker: this folder is a sweep written by the tool
    manifest.json        provenance: spec and its hash, design, package version, git commit, state
    spec.yaml            the spec file as given
    scenario.yaml        the base scenario as run (after the spec's `set:`)
    design.parquet       one row per design point: point and one column per parameter
    runs/part-NNNNNN.parquet       one row per run: run_id, point, replicate, seed, status, error, seconds
    outcomes/part-NNNNNN.parquet   one row per run and member
    alliance/part-NNNNNN.parquet   one row per run
    timeseries/part-NNNNNN.parquet (only when the spec asks for it)
    analysis/            tables written by `alliance-sim analyze`

Each finished chunk becomes one part file per table (NNNNNN is the chunk number), each
written under a temporary name, synced to disk and renamed
(`alliance_sim.files.atomic_write`). The `runs` part is written last and is the chunk's
commit mark: it records in its metadata how many rows each of the chunk's other parts
holds. On resume every committed chunk is verified (each part readable, with the rows
its commit mark promises); a chunk that fails is removed and its runs are run again. A
run may appear in several chunks only when it was retried; the chunk with the highest
number wins.

One process writes to a sweep folder at a time: it holds an OS file lock (`filelock`) on
`.NAME.lock` beside the folder, taken before anything in the folder is read, replaced or
deleted.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alliance_sim import files
from alliance_sim.errors import InputError
from alliance_sim.runs import tables as tb

TABLES = ("outcomes", "alliance", "timeseries", "runs")
"""Part tables, in the order a chunk writes them (`runs` last: the commit mark)."""

PART = re.compile(r"part-(\d{6,})\.parquet")
"""Name of a part file."""

MANIFEST_KEYS = ("kind", "spec", "spec_hash", "design")
"""Keys every sweep manifest has."""

DESIGN_KEYS = ("kind", "parameters", "points", "replicates", "runs")
"""Keys of the manifest's `design`."""

_ROWS_KEY = b"alliance_sim.rows"


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

    @property
    def lock_path(self) -> Path:
        """The writer's lock file, beside the folder (so replacing the folder keeps it)."""
        return self.folder.parent / f".{self.folder.name}.lock"

    def exists(self) -> bool:
        """Whether the folder holds a sweep (has a manifest)."""
        return self.manifest_path.is_file()

    def parts(self, table: str) -> dict[int, Path]:
        """Committed part files of a table, by chunk number.

        Raises:
            InputError: The table's folder holds a Parquet file that is not a part file.
        """
        directory = self.folder / table
        if not directory.is_dir():
            return {}
        committed = self._committed() if table != "runs" else None
        found = {}
        for path in directory.iterdir():
            match = PART.fullmatch(path.name)
            if match is None:
                if path.suffix == ".parquet":
                    raise InputError(
                        "not a part file of this sweep (expected part-NNNNNN.parquet); move it out of the folder",
                        file=str(path),
                    )
                continue
            chunk = int(match.group(1))
            if committed is None or chunk in committed:
                found[chunk] = path
        return dict(sorted(found.items()))

    def _committed(self) -> set[int]:
        return set(self.parts("runs"))

    # --- creating and replacing ---

    @classmethod
    def create(
        cls,
        folder: str | Path,
        manifest: dict[str, Any],
        design: pd.DataFrame,
        spec_text: str,
        scenario_text: str,
    ) -> SweepStore:
        """Create a sweep folder with its marker, manifest and design, atomically.

        Raises:
            InputError: The folder exists.
        """
        folder = Path(folder)
        with files.atomic_folder(folder) as tmp:
            design.to_parquet(tmp / "design.parquet", index=False)
            (tmp / "spec.yaml").write_text(spec_text, encoding="utf-8")
            (tmp / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
            files.write_json(tmp / "manifest.json", manifest)
            files.write_marker(tmp, "sweep")
        return cls(folder)

    def remove(self) -> None:
        """Delete the folder: only a folder the tool marked as a sweep.

        Raises:
            InputError: The folder is not a sweep folder the tool wrote.
        """
        files.check_replaceable(self.folder, "sweep")
        shutil.rmtree(self.folder)

    # --- manifest ---

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, checked.

        Raises:
            InputError: The folder is not a sweep folder, or its manifest is damaged.
        """
        if not self.exists():
            raise InputError("not a sweep folder (no manifest.json)", file=str(self.folder))
        manifest = files.read_json(self.manifest_path)
        if manifest.get("kind") != "sweep":
            raise InputError("not a sweep's manifest (its kind is not sweep)", file=str(self.manifest_path))
        missing = [k for k in MANIFEST_KEYS if k not in manifest]
        design = manifest.get("design")
        if not isinstance(design, dict):
            missing.append("design")
        else:
            missing += [f"design.{k}" for k in DESIGN_KEYS if k not in design]
        if missing:
            raise InputError(f"damaged manifest: no {', '.join(dict.fromkeys(missing))}", file=str(self.manifest_path))
        return manifest

    def update_manifest(self, **changes: Any) -> dict[str, Any]:
        """Change fields of the manifest (atomically)."""
        manifest = self.read_manifest()
        manifest.update(changes)
        files.write_json(self.manifest_path, manifest)
        return manifest

    def read_design(self) -> pd.DataFrame:
        """The design table."""
        return read_parquet(self.folder / "design.parquet", empty_ok=False).to_pandas()

    # --- chunks ---

    def next_chunk(self) -> int:
        """A chunk number no part file uses yet."""
        used = [
            int(m.group(1))
            for t in TABLES
            if (self.folder / t).is_dir()
            for p in (self.folder / t).iterdir()
            if (m := PART.fullmatch(p.name))
        ]
        return max(used, default=-1) + 1

    def write_chunk(self, chunk: int, tables: dict[str, pa.Table | pd.DataFrame]) -> None:
        """Write one finished chunk: a part file per table, the `runs` part last (the commit mark).

        Each part is synced to disk before it is renamed into place. A table folder is
        created only when a chunk has rows for it.

        Args:
            chunk: The chunk number (from `next_chunk`, increasing).
            tables: Tables (Arrow, or pandas frames) by name; `runs` is required.
        """
        name = f"part-{chunk:06d}.parquet"
        rows: dict[str, int] = {}
        for table in TABLES:
            data = tables.get(table)
            if data is None:
                continue
            if isinstance(data, pd.DataFrame):
                data = tb.to_arrow(data, table)
            if table == "runs":
                meta = dict(data.schema.metadata or {})
                meta[_ROWS_KEY] = json.dumps(rows).encode()
                data = data.replace_schema_metadata(meta)
            elif data.num_rows == 0:
                continue
            rows[table] = data.num_rows
            directory = self.folder / table
            directory.mkdir(exist_ok=True)
            files.atomic_write(directory / name, functools.partial(_write_parquet, data))

    def clean(self) -> int:
        """Remove temporary files and parts of chunks that never committed; returns how many."""
        committed = self._committed()
        removed = 0
        for table in TABLES:
            directory = self.folder / table
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                match = PART.fullmatch(path.name)
                orphan = match is not None and int(match.group(1)) not in committed
                if path.name.endswith(".tmp") or (table != "runs" and orphan):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def verify(self) -> list[int]:
        """Check every committed chunk; remove the damaged ones (their runs become missing).

        A chunk is damaged when its `runs` part or any other part it promises cannot be
        read in full, or holds another number of rows than its commit mark says.

        Returns:
            The chunk numbers removed.
        """
        damaged = []
        for chunk, path in self.parts("runs").items():
            try:
                runs = pq.read_table(path)
                promised = json.loads((runs.schema.metadata or {}).get(_ROWS_KEY, b"{}"))
                ok = runs.num_rows > 0
                for table in TABLES[:-1]:
                    part = self.folder / table / path.name
                    if table in promised:
                        ok = ok and part.is_file() and pq.read_table(part).num_rows == promised[table]
            except (OSError, pa.ArrowException, ValueError):
                ok = False
            if not ok:
                damaged.append(chunk)
                for table in TABLES:
                    (self.folder / table / path.name).unlink(missing_ok=True)
        return damaged

    def check(self) -> None:
        """Check that every part file can be opened (its footer is intact and it has rows).

        Raises:
            InputError: A damaged or stray file, naming it.
        """
        for table in TABLES:
            for path in self.parts(table).values():
                try:
                    rows = pq.read_metadata(path).num_rows
                except (OSError, pa.ArrowException) as exc:
                    raise InputError(
                        f"not a readable Parquet file (truncated or damaged): {exc}", file=str(path)
                    ) from None
                if rows == 0:
                    raise InputError("the part file has no rows", file=str(path))

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read a table, keeping for each run only its latest attempt.

        Args:
            table: `runs`, `outcomes`, `alliance` or `timeseries`.
            columns: Columns to read (default: all).

        Returns:
            The rows of the committed chunks, sorted by run id (and member/step).

        Raises:
            InputError: A part file is damaged.
        """
        parts = self.parts(table)
        if not parts:
            return pd.DataFrame(columns=columns) if columns else pd.DataFrame()
        wanted = None if columns is None else list(dict.fromkeys([*columns, "run_id"]))
        latest = self._latest_chunk()
        pieces = []
        for chunk, path in parts.items():
            data = read_parquet(path, columns=wanted)
            if "chunk" in data.column_names:  # folders written before the column was dropped
                data = data.drop_columns(["chunk"])
            if latest is not None:
                keep = latest[data.column("run_id").to_numpy()] == chunk
                data = data.filter(pa.array(keep))
            pieces.append(data)
        frame = tb.to_pandas(pa.concat_tables(pieces, promote_options="permissive"))
        frame = frame.sort_values("run_id", kind="stable").reset_index(drop=True)
        if columns is not None:
            frame = frame[columns]
        return frame

    def _attempts(self) -> pd.DataFrame:
        """(run_id, status, chunk) of every attempt of every run.

        The status is categorical (`ok`, `failed`): a million runs take 17 MB, not the
        hundred a column of Python strings would.
        """
        ids, failed, chunks = [], [], []
        for chunk, path in self.parts("runs").items():
            data = read_parquet(path, columns=["run_id", "status"])
            ids.append(data.column("run_id").to_numpy())
            failed.append(pc.equal(data.column("status").cast(pa.string()), "failed").to_numpy(zero_copy_only=False))
            chunks.append(np.full(data.num_rows, chunk, dtype=np.int64))
        codes = np.concatenate(failed).astype(np.int8) if failed else np.array([], dtype=np.int8)
        return pd.DataFrame(
            {
                "run_id": np.concatenate(ids).astype(np.int64) if ids else np.array([], dtype=np.int64),
                "status": pd.Categorical.from_codes(codes, categories=["ok", "failed"]),
                "chunk": np.concatenate(chunks) if chunks else np.array([], dtype=np.int64),
            }
        )

    def _latest_chunk(self) -> np.ndarray | None:
        """Chunk of each run's latest attempt, indexed by run id, or None when no run was retried."""
        runs = self._attempts()
        if runs.empty or not runs["run_id"].duplicated().any():
            return None
        latest = np.full(int(runs["run_id"].max()) + 1, -1, dtype=np.int64)
        ordered = runs.sort_values("chunk", kind="stable")
        latest[ordered["run_id"].to_numpy()] = ordered["chunk"].to_numpy()
        return latest

    def run_status(self) -> pd.DataFrame:
        """Run id and status (`ok` or `failed`) of every run recorded (latest attempt)."""
        runs = self._attempts()
        runs = runs.sort_values("chunk", kind="stable").drop_duplicates("run_id", keep="last")
        return runs[["run_id", "status"]].sort_values("run_id").reset_index(drop=True)

    # --- one writer at a time ---

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's writer lock (an OS file lock, released when the process dies).

        Raises:
            InputError: Another process is writing to the folder.
        """
        from filelock import FileLock, Timeout

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.lock_path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise InputError(
                f"another process is writing to {self.folder} (it holds {self.lock_path}); "
                "wait for it to finish, or choose another --out",
                field="out",
            ) from None
        try:
            yield
        finally:
            lock.release()


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path)


def read_parquet(path: Path, columns: list[str] | None = None, *, empty_ok: bool = True) -> pa.Table:
    """A Parquet file of the tool's as an Arrow table.

    Raises:
        InputError: The file is missing, damaged or truncated, lacks a column, or (with
            `empty_ok=False`) has no rows.
    """
    try:
        table = pq.read_table(path, columns=columns)
    except FileNotFoundError:
        raise InputError("missing", file=str(path)) from None
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"not a readable Parquet file (truncated or damaged): {exc}", file=str(path)) from None
    if not empty_ok and table.num_rows == 0:
        raise InputError("the table has no rows", file=str(path))
    return table
