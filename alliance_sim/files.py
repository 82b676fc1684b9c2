"""Writing results so that a reader never sees half a file, and marking folders as ours.

Every file and folder of results is written the same way: under a temporary name in
the same folder, flushed to disk (`fsync`), then renamed over the target in one step,
and the parent folder is synced so that the rename itself survives a power loss. A
crash leaves either the old content or the new one, never a mixture; the temporary
names start with a dot and end with `.tmp` (files) or `.partial` (folders).

Folders the tool creates hold a marker file, `.alliance-sim`, naming their kind (`run`,
`sweep` or `explain`). `--overwrite` replaces only a folder whose marker names the same kind
(`check_replaceable`), so a folder the user made is never deleted.

This module is a leaf: it imports nothing from the package but `errors`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alliance_sim.errors import InputError

MARKER = ".alliance-sim"
"""Name of the marker file in every folder the tool writes."""

KINDS = ("run", "sweep", "explain")
"""Kinds of folders the tool writes."""


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new and renamed names) to disk, where the OS allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write a file through `write(tmp_path)`, then sync it and rename it to `path`.

    Args:
        path: The file to create or replace.
        write: Called with the temporary path (in the same folder) to write to.

    Returns:
        The path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write a UTF-8 text file atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write a JSON file atomically (indented, with a final newline)."""
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


@contextlib.contextmanager
def atomic_folder(target: str | Path, *, replace: bool = False) -> Iterator[Path]:
    """Build a folder under a temporary name; on success, sync it and rename it to `target`.

    Args:
        target: The folder to create.
        replace: Replace an existing `target` (only once the new folder is complete).
            The caller checks first that the old folder may be replaced
            (`check_replaceable`).

    Yields:
        The temporary folder to fill.

    Raises:
        InputError: `target` exists and `replace` is False.
    """
    target = Path(target)
    if target.exists() and not replace:
        raise InputError(f"{target} already exists", field="out")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield tmp
        for path in tmp.rglob("*"):
            if path.is_file():
                _fsync_file(path)
        for folder in [*(p for p in tmp.rglob("*") if p.is_dir()), tmp]:
            fsync_dir(folder)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(target.parent)


def _swap(new: Path, target: Path) -> None:
    """Move `new` to `target`; an old `target` is moved aside first and deleted at the end."""
    if not target.exists():
        os.replace(new, target)
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}.partial")
    os.replace(target, backup)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON object from a file the tool wrote (a manifest, a marker).

    Raises:
        InputError: The file cannot be read, is not JSON, or is not an object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("not a JSON object", file=str(path))
    return data


# --- Marker files ----------------------------------------------------------------------


def write_marker(folder: str | Path, kind: str) -> None:
    """Mark `folder` as written by the tool, as a folder of `kind` (one of `KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown folder kind {kind!r}")
    write_json(Path(folder) / MARKER, {"kind": kind, "package": "alliance-sim"})


LEGACY_NAMES = {
    "run": {"manifest.json", "scenario.yaml", "summary.csv", "figures"}
    | {f"{t}.{x}" for t in ("members", "alliance", "events", "runs", "trust") for x in ("parquet", "csv")},
    "sweep": {"manifest.json", "spec.yaml", "scenario.yaml", "design.parquet", "analysis", ".lock"}
    | {"runs", "outcomes", "alliance", "timeseries"},
}
"""What a folder written before markers existed may hold, by kind."""


def folder_kind(folder: str | Path) -> str | None:
    """The kind of a folder the tool wrote, or None when the tool did not write it.

    The kind is the marker's. A folder written before markers existed counts as the
    tool's only when its manifest says so (`package: alliance-sim`, and `kind: sweep` or
    a run's `replicate_seeds`) and it holds nothing but the files that version wrote.
    """
    folder = Path(folder)
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _legacy_kind(folder)
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if kind in KINDS else None


def _legacy_kind(folder: Path) -> str | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        names = {p.name for p in folder.iterdir()}
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("package") != "alliance-sim":
        return None
    kind = "sweep" if manifest.get("kind") == "sweep" else "run" if "replicate_seeds" in manifest else None
    if kind is None or not names <= LEGACY_NAMES[kind]:
        return None
    return kind


def check_replaceable(folder: str | Path, kind: str) -> None:
    """Refuse to replace `folder` unless the tool marked it as a folder of `kind`.

    Raises:
        InputError: The folder is not one the tool wrote, or holds another kind.
    """
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise InputError(f"{folder} is a file, not a results folder; choose another --out", field="out")
    found = folder_kind(folder)
    if found is None:
        raise InputError(
            f"{folder} was not written by alliance-sim (no {MARKER} marker); --overwrite only replaces "
            "folders the tool wrote. Choose another --out",
            field="out",
        )
    if found != kind:
        raise InputError(
            f"{folder} holds a {found}'s results, not a {kind}'s; --overwrite only replaces a folder of "
            "the same kind. Choose another --out",
            field="out",
        )


def safe_name(name: str) -> str:
    """A name usable as one folder name: path separators and leading dots replaced.

    A spec's or scenario's `name:` may hold anything; this never lets it leave the
    folder it is joined to (`../x` becomes `_x`, `/etc` `_etc`).
    """
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return cleaned or "unnamed"
