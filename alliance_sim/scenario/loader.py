"""YAML -> `ScenarioConfig`: inheritance, calibration, overrides, located errors.

Order of precedence, lowest first (each layer overrides the ones above it):

1. defaults in `alliance_sim.scenario.config`;
2. calibrated values from the evidence ledger named by `calibration.ledger`;
3. the scenario a file `extends:` (recursively, base first);
4. the file itself;
5. `--set dotted.path=value` overrides, in the order given.

Mappings merge key by key. The lists `events` and `hazards` merge by `id`: an item
whose id the base already has changes that item; an item with a new id and a `type` is
appended; an item with a new id and no `type` is refused as a mistyped id. A calibrated
value fills a field only where no file and no override sets it.

This module reads and merges; it does not calibrate. Calibration belongs to the evidence
layer, which passes its step in as `calibrate` (`alliance_sim.evidence.load_scenario`
and `alliance_sim.load_scenario` are this loader with the ledger applied). The ledger
path is resolved from the file that names it, so a scenario and its copy elsewhere read
the ledger their own `calibration.ledger` points to.

Every error names the file, line and column and the dotted field path (through
`alliance_sim.scenario.locate`), or the `--set` option that set the value.

Documented limits (besides those of `alliance_sim.scenario.yamlio`): `MAX_EXTENDS`
files in one `extends:` chain, `MAX_ACTORS` actors, `MAX_EVENTS` events and
`MAX_HAZARDS` hazards.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import ValidationError

from alliance_sim.errors import InputError
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.locate import Origin, PathKey, cut, dotted, first_error, input_error, located, shorten
from alliance_sim.scenario.yamlio import Positions, read_yaml

MAX_EXTENDS = 32
"""Most files in one `extends:` chain (the file itself and its bases)."""

MAX_ACTORS = 200
"""Most actors (members and outside actors) in one scenario."""

MAX_EVENTS = 2_000
"""Most scripted events in one scenario."""

MAX_HAZARDS = 500
"""Most hazards in one scenario."""

_MERGE_BY_ID = {"events": "event", "hazards": "hazard"}
_SWEEP_KEYS = ("design", "parameters")

__all__ = [
    "MAX_ACTORS",
    "MAX_EVENTS",
    "MAX_EXTENDS",
    "MAX_HAZARDS",
    "Calibration",
    "Calibrator",
    "LoadedScenario",
    "Origins",
    "Override",
    "Provenance",
    "config_hash",
    "get_path",
    "is_sweep_spec",
    "parse_override",
    "read_scenario",
    "with_overrides",
]


@dataclass(frozen=True)
class Provenance:
    """Where one calibrated parameter's value came from.

    Attributes:
        path: Dotted parameter path.
        calibrated: The value the ledger gives.
        evidence: Ids of the evidence items behind it.
        method: How the value was computed.
        used: Whether the run uses it (False when a file or override set the field).
        set_by: The file or override that replaced it, when not used.
    """

    path: str
    calibrated: float
    evidence: tuple[str, ...]
    method: str
    used: bool
    set_by: str | None = None


@dataclass
class Calibration:
    """What a calibration step adds to a scenario besides the values it fills.

    Attributes:
        provenance: Provenance of each calibrated parameter, by path.
        event_evidence: Evidence ids behind each scripted event, by event id.
        evidence: The evidence items cited, by id.
    """

    provenance: dict[str, Provenance] = field(default_factory=dict)
    event_evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadedScenario:
    """A validated scenario with everything needed to reproduce and explain it.

    Attributes:
        config: The validated scenario.
        path: The file it was loaded from (None when built in code).
        files: Every file read, the scenario first, then its bases.
        overrides: The `--set` overrides applied, as given.
        calibration: Provenance of each calibrated parameter, by path.
        event_evidence: Evidence ids behind each scripted event, by event id.
        ledger: Path of the evidence ledger, if any.
        evidence: The evidence items (`alliance_sim.evidence.EvidenceItem`) cited by the
            calibration and the scripted events, by id.
    """

    config: ScenarioConfig
    path: Path | None = None
    files: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    calibration: dict[str, Provenance] = field(default_factory=dict)
    event_evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ledger: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def scenario_hash(self) -> str:
        """SHA-256 of the validated scenario (canonical JSON), the first 16 hex digits."""
        return config_hash(self.config)


def config_hash(config: ScenarioConfig) -> str:
    """SHA-256 of a scenario's canonical JSON, the first 16 hex digits.

    The posterior a scenario names (`calibration.posterior`) is left out: it is a pointer
    to a file made from the scenario, with its own hashes, not part of what it describes.
    """
    data = config.model_dump(mode="json", exclude={"calibration": {"posterior"}})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Origins:
    """Where every value of a merged scenario was written: a file and line, or an override."""

    def __init__(self, fallback: str | None = None) -> None:
        self.by_path: dict[PathKey, Origin] = {}
        self.fallback = fallback

    @classmethod
    def of(cls, positions: Positions) -> Origins:
        """The origins of one file's values."""
        origins = cls(positions.file)
        origins.by_path = {key: Origin(positions.file, line, col) for key, (line, col) in positions.where.items()}
        return origins

    def origin(self, path: Sequence[str | int]) -> Origin:
        """Where `path`, or its nearest recorded ancestor, was written."""
        key = tuple(path)
        while key:
            if key in self.by_path:
                return self.by_path[key]
            key = key[:-1]
        return self.by_path.get((), Origin(self.fallback))

    def error(self, message: str, path: Sequence[str | int]) -> InputError:
        """An `InputError` at the place `path` was written."""
        return located(message, self.origin(path), dotted(path) or None)

    def shifted(self, old: PathKey, new: PathKey) -> dict[PathKey, Origin]:
        """The origins under `old`, re-keyed under `new`."""
        n = len(old)
        return {(*new, *key[n:]): where for key, where in self.by_path.items() if key[:n] == old}

    def drop_below(self, path: PathKey) -> None:
        """Forget the origins strictly below `path` (its value was replaced)."""
        n = len(path)
        for key in [k for k in self.by_path if k[:n] == path and len(k) > n]:
            del self.by_path[key]


class Calibrator(Protocol):
    """The calibration step the evidence layer passes to `read_scenario`.

    It fills calibrated values into `data` where no file or override set them, records
    their origin in `origins`, and returns their provenance.
    """

    def __call__(self, ledger: Path, data: dict[str, Any], origins: Origins, where: Origin, /) -> Calibration:
        """Calibrate `data` from the ledger at `ledger` (named at `where`)."""
        ...


def is_sweep_spec(data: object) -> bool:
    """Whether parsed YAML looks like a sweep spec rather than a scenario."""
    return isinstance(data, dict) and any(k in data for k in _SWEEP_KEYS) and "actors" not in data


# --- Reading and merging files -------------------------------------------------------


@dataclass
class _Layer:
    data: dict[str, Any]
    origins: Origins
    ledger: Path | None
    ledger_origin: Origin | None
    files: list[str]


def _read_file(path: Path, parent: Origins | None) -> tuple[dict[str, Any], Positions]:
    """Read one file of a chain; a base that cannot be read is reported where it is named."""
    try:
        return read_yaml(path)
    except InputError as exc:
        if parent is None or exc.line is not None:
            raise
        problem = "no such file" if exc.message == "file not found" else exc.message
        raise parent.error(f"{problem}: {path}", ("extends",)) from None


def _read_chain(path: Path) -> list[tuple[Path, dict[str, Any], Origins]]:
    """The file and its bases, top first, each with its own origins (no recursion)."""
    chain: list[tuple[Path, dict[str, Any], Origins]] = []
    seen: list[Path] = []
    current, named_by = path, None
    while True:
        data, positions = _read_file(current, named_by)
        origins = Origins.of(positions)
        if not chain and is_sweep_spec(data):
            key = next(k for k in _SWEEP_KEYS if k in data)
            raise origins.error(
                f"this is a sweep spec (it has {key}:), not a scenario; run it with `alliance-sim sweep {current}`",
                (key,),
            )
        seen.append(current.resolve())
        base = data.pop("extends", None)
        chain.append((current, data, origins))
        if base is None:
            return chain
        if not isinstance(base, str) or not base.strip():
            raise origins.error("expected the path of another scenario file", ("extends",))
        following = current.parent / base
        if following.resolve() in seen:
            names = " -> ".join(p.name for p in (*seen, following.resolve()))
            raise origins.error(f"cycle {names}", ("extends",))
        if len(chain) >= MAX_EXTENDS:
            raise origins.error(f"an extends: chain may hold at most {MAX_EXTENDS} files", ("extends",))
        current, named_by = following, origins


def _ledger_of(path: Path, data: dict[str, Any], origins: Origins) -> tuple[Path | None, Origin | None]:
    calibration = data.get("calibration")
    if isinstance(calibration, dict) and isinstance(calibration.get("ledger"), str):
        return (path.parent / calibration["ledger"]).resolve(), origins.origin(("calibration", "ledger"))
    return None, None


def _read_layers(path: Path) -> _Layer:
    chain = _read_chain(path)
    for _, layer_data, layer_origins in chain:  # before merging: a huge list is refused at once
        _check_sizes(layer_data, layer_origins)
    base_path, data, origins = chain[-1]
    ledger, ledger_origin = _ledger_of(base_path, data, origins)
    for child_path, child, child_origins in reversed(chain[:-1]):
        data = _merge(data, child, (), child_origins, origins)
        own, own_origin = _ledger_of(child_path, child, child_origins)
        if own is not None:
            ledger, ledger_origin = own, own_origin
    origins.fallback = str(path)
    return _Layer(data, origins, ledger, ledger_origin, [str(p) for p, _, _ in chain])


def _merge(base: Any, top: Any, path: PathKey, top_origins: Origins, origins: Origins) -> Any:
    """Merge `top` over `base`, recording where every merged value came from."""
    if isinstance(base, dict) and isinstance(top, dict):
        result = dict(base)
        for key, value in top.items():
            child = (*path, key)
            if key in result:
                result[key] = _merge(result[key], value, child, top_origins, origins)
            else:
                result[key] = value
                origins.by_path.update(top_origins.shifted(child, child))
            if child in top_origins.by_path:
                origins.by_path[child] = top_origins.by_path[child]
        return result
    if len(path) == 1 and path[0] in _MERGE_BY_ID and isinstance(base, list) and isinstance(top, list):
        return _merge_by_id(base, top, path, top_origins, origins)
    origins.drop_below(path)
    origins.by_path.update(top_origins.shifted(path, path))
    return copy.deepcopy(top)


def _merge_by_id(base: list[Any], top: list[Any], path: PathKey, top_origins: Origins, origins: Origins) -> list[Any]:
    result = copy.deepcopy(base)
    ids = {item["id"]: i for i, item in enumerate(result) if isinstance(item, dict) and isinstance(item.get("id"), str)}
    what = _MERGE_BY_ID[str(path[0])]
    # The origins of each item of `top`, found in one pass (shifting them item by item
    # would read every origin once per item: quadratic in the length of the list).
    n = len(path)
    by_item: dict[int, list[tuple[PathKey, Origin]]] = {}
    for where_key, where in top_origins.by_path.items():
        index = where_key[n] if len(where_key) > n and where_key[:n] == path else None
        if isinstance(index, int):
            by_item.setdefault(index, []).append((where_key, where))

    def moved(j: int, i: int) -> dict[PathKey, Origin]:
        return {(*path, i, *where_key[n + 1 :]): where for where_key, where in by_item.get(j, [])}

    for j, item in enumerate(top):
        key = item.get("id") if isinstance(item, dict) else None
        if isinstance(key, str) and key in ids:
            i = ids[key]
            shifted = Origins()
            shifted.by_path = moved(j, i)
            result[i] = _merge(result[i], item, (*path, i), shifted, origins)
            continue
        if isinstance(key, str) and "type" not in item:
            known = ", ".join(ids) or "none"
            raise top_origins.error(
                f"the base scenario has no {what} {shorten(key)} to change (its {path[0]}: {cut(known, 300)}); "
                f"a new {what} needs a type",
                (*path, j, "id"),
            )
        result.append(copy.deepcopy(item))
        origins.by_path.update(moved(j, len(result) - 1))
    return result


# --- Overrides -----------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """One `--set`-style override and where it was given.

    Attributes:
        path: Dotted path, for example ``actors.armenia.power``.
        value: The value.
        origin: Where it was written (default: the ``--set`` option itself).
    """

    path: str
    value: Any
    origin: Origin | None = None

    @property
    def label(self) -> str:
        """``path=value``, as recorded in the manifest."""
        return f"{self.path}={self.value}"

    def where(self) -> Origin:
        """The origin its errors name."""
        return self.origin or Origin(f"--set {cut(self.label, 120)}")


def parse_override(text: str) -> tuple[str, Any]:
    """Split `dotted.path=value`; the value is read as a YAML scalar or flow collection.

    Raises:
        InputError: The text has no `=`, an empty path, or an unreadable value.
    """
    shown = f"--set {cut(text, 120)}"
    if "=" not in text:
        raise InputError("expected dotted.path=value", file=shown)
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise InputError("empty field name in the path", file=shown)
    if len(raw) > 100_000:
        raise InputError("the value is longer than 100,000 characters", file=shown, field=cut(path, 80))
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise InputError(f"cannot read the value {shorten(raw)}", file=shown, field=cut(path, 80)) from None
    return path, value


def _list_index(items: list[Any], part: str) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == part:
            return i
    if part.isascii() and part.isdigit() and int(part) < len(items):
        return int(part)
    return None


def get_path(data: Any, parts: Iterable[str]) -> tuple[bool, PathKey]:
    """Follow a dotted path (list items by id or index) as far as it exists.

    Returns:
        Whether the whole path exists, and the key path of the part that does.
    """
    node = data
    resolved: list[str | int] = []
    for part in parts:
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                return False, tuple(resolved)
            node = node[index]
            resolved.append(index)
        elif isinstance(node, dict) and part in node:
            node = node[part]
            resolved.append(part)
        else:
            return False, tuple(resolved)
    return True, tuple(resolved)


def _set_path(data: dict[str, Any], override: Override, origins: Origins) -> None:
    parts = override.path.split(".")
    where = override.where()

    def fail(message: str, depth: int) -> InputError:
        return located(message, where, dotted(parts[: depth + 1]))

    node: Any = data
    resolved: list[str | int] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                names = [str(item["id"]) for item in node if isinstance(item, dict) and isinstance(item.get("id"), str)]
                known = f" (ids: {cut(', '.join(names), 300)})" if names else ""
                raise fail(f"no item {shorten(part)} in {dotted(parts[:depth])}{known}", depth)
            resolved.append(index)
            if last:
                node[index] = override.value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise fail(f"{dotted(parts[:depth])} is not a mapping", depth)
        resolved.append(part)
        if last:
            node[part] = override.value
        else:
            if part not in node:
                if depth == 1 and parts[0] == "actors":
                    raise fail(f"unknown actor {shorten(part)} (known: {cut(', '.join(sorted(node)), 300)})", depth)
                node[part] = {}
            node = node[part]
    key = tuple(resolved)
    origins.drop_below(key)
    origins.by_path[key] = where


def _as_overrides(overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override] | None) -> list[Override]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [Override(str(k), v) for k, v in overrides.items()]
    result = []
    for item in overrides:
        result.append(item if isinstance(item, Override) else Override(*parse_override(item)))
    return result


def _apply_overrides(
    data: dict[str, Any],
    overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override] | None,
    origins: Origins,
) -> list[str]:
    applied: list[str] = []
    for override in _as_overrides(overrides):
        if override.path.split(".")[0] == "extends":
            raise located("extends cannot be overridden", override.where(), "extends")
        _set_path(data, override, origins)
        applied.append(override.label)
    return applied


# --- Validation ----------------------------------------------------------------------


def _check_sizes(data: dict[str, Any], origins: Origins) -> None:
    for key, limit in (("actors", MAX_ACTORS), ("events", MAX_EVENTS), ("hazards", MAX_HAZARDS)):
        value = data.get(key)
        if isinstance(value, dict | list) and len(value) > limit:
            raise origins.error(f"{len(value):,} {key}; a scenario may have at most {limit:,}", (key,))


def _validate(data: dict[str, Any], origins: Origins) -> ScenarioConfig:
    _check_sizes(data, origins)
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, origins, data=data) from None


def _check_before_calibration(data: dict[str, Any], origins: Origins) -> None:
    """Report what the files and overrides get wrong before reading the ledger.

    Calibration only fills fields nobody set, so a misspelt key or a bad value in a file
    is reported as such even where the ledger cannot be found (a copy of a scenario
    saved elsewhere); missing fields, which the ledger may fill, and the checks of
    validators, which may depend on calibrated values, wait for it.
    """
    _check_sizes(data, origins)
    try:
        ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        error = first_error(exc, skip=("missing", "value_error", "assertion_error"))
        if error is not None:
            raise input_error(exc, origins, data=data, error=error) from None


def read_scenario(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override] | None = None,
    *,
    calibrate: Calibrator | None,
) -> LoadedScenario:
    """Read, merge, override, calibrate and validate a scenario file.

    Args:
        path: The YAML file.
        overrides: `--set`-style overrides, as ``["a.b=1", ...]``, ``{"a.b": 1}`` or
            `Override` objects (which carry where they were written).
        calibrate: The calibration step (the evidence layer's), or None to ignore the
            ledger the scenario names. Use `alliance_sim.load_scenario` unless you mean
            to skip calibration.

    Returns:
        The scenario with its provenance.

    Raises:
        InputError: Anything wrong with the file, its bases, the ledger or the overrides.
    """
    path = Path(path)
    layer = _read_layers(path)
    applied = _apply_overrides(layer.data, overrides, layer.origins)
    calibration = Calibration()
    if layer.ledger is not None and calibrate is not None:
        _check_before_calibration(layer.data, layer.origins)
        where = layer.ledger_origin or Origin(str(path))
        calibration = calibrate(layer.ledger, layer.data, layer.origins, where)
    config = _validate(layer.data, layer.origins)
    return LoadedScenario(
        config=config,
        path=path,
        files=layer.files,
        overrides=applied,
        calibration=calibration.provenance,
        event_evidence=calibration.event_evidence,
        ledger=str(layer.ledger) if layer.ledger else None,
        evidence=calibration.evidence,
    )


def with_overrides(
    config: ScenarioConfig, overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override]
) -> ScenarioConfig:
    """Apply `--set`-style overrides to an already validated scenario.

    Args:
        config: The scenario.
        overrides: As for `read_scenario`.

    Returns:
        A new validated scenario.

    Raises:
        InputError: A bad path or value.
    """
    data = config.model_dump(mode="json", exclude_defaults=False)
    origins = Origins("--set")
    _apply_overrides(data, overrides, origins)
    return _validate(data, origins)
