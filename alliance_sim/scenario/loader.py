"""YAML -> `ScenarioConfig`: inheritance, calibration, overrides, located errors.

Order of precedence, lowest first (each layer overrides the ones above it):

1. defaults in `alliance_sim.scenario.config`;
2. calibrated values from the evidence ledger named by `calibration.ledger`;
3. the scenario a file `extends:` (recursively, base first);
4. the file itself;
5. `--set dotted.path=value` overrides, in the order given.

Mappings merge key by key. The lists `events` and `hazards` merge by `id`: an item
whose id the base already has changes that item; an item with a new id (or none) is
appended. A calibrated value fills a field only where no file and no override sets it.

Every error names the file, line and column and the dotted field path, through the
position map that `alliance_sim.scenario.yamlio` keeps for each file.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alliance_sim.errors import InputError
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.yamlio import PathKey, read_yaml

Origin = tuple[str, int | None, int | None]
"""(file, line, column) where a value was set."""

_MERGE_BY_ID = ("events", "hazards")
_FIELD_IN_MESSAGE = re.compile(r"^(?:Value error, )?([A-Za-z_][\w]*(?:\.[\w]+)+): (.*)$", re.S)


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


def _cited(calibration: dict[str, Provenance], support: dict[str, tuple[str, ...]]) -> list[str]:
    """Evidence ids cited by calibrated values and scripted events, in first-cited order."""
    ids = [i for p in calibration.values() for i in p.evidence]
    ids += [i for evidence in support.values() for i in evidence]
    return list(dict.fromkeys(ids))


def config_hash(config: ScenarioConfig) -> str:
    """SHA-256 of a scenario's canonical JSON, the first 16 hex digits."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Reading and merging files -------------------------------------------------------


@dataclass
class _Layer:
    data: dict[str, Any]
    origins: dict[PathKey, Origin]
    ledger: Path | None
    ledger_origin: Origin | None
    files: list[str]


def _read_layer(path: Path, stack: tuple[Path, ...]) -> _Layer:
    resolved = path.resolve()
    if resolved in stack:
        chain = " -> ".join(str(p.name) for p in (*stack, resolved))
        raise InputError(f"extends: cycle {chain}", file=str(path), field="extends")
    data, positions = read_yaml(path)
    origins: dict[PathKey, Origin] = {key: (str(path), line, col) for key, (line, col) in positions.where.items()}
    base = data.pop("extends", None)
    ledger, ledger_origin = None, None
    calibration = data.get("calibration")
    if isinstance(calibration, dict) and isinstance(calibration.get("ledger"), str):
        ledger = (path.parent / calibration["ledger"]).resolve()
        ledger_origin = origins.get(("calibration", "ledger"))
    if base is None:
        return _Layer(data, origins, ledger, ledger_origin, [str(path)])
    if not isinstance(base, str) or not base.strip():
        raise positions.error("extends must be the path of another scenario file", ["extends"])
    base_path = path.parent / base
    if not base_path.exists():
        raise positions.error(f"extends: no such file {base_path}", ["extends"])
    parent = _read_layer(base_path, (*stack, resolved))
    merged_origins = dict(parent.origins)
    merged = _merge(parent.data, data, (), origins, merged_origins)
    return _Layer(
        merged,
        merged_origins,
        ledger or parent.ledger,
        ledger_origin if ledger else parent.ledger_origin,
        [str(path), *parent.files],
    )


def _merge(
    base: Any,
    top: Any,
    path: PathKey,
    top_origins: dict[PathKey, Origin],
    origins: dict[PathKey, Origin],
) -> Any:
    """Merge `top` over `base`, recording where every merged value came from."""
    if isinstance(base, dict) and isinstance(top, dict):
        result = dict(base)
        for key, value in top.items():
            child = (*path, key)
            if key in result:
                result[key] = _merge(result[key], value, child, top_origins, origins)
            else:
                result[key] = value
                _copy_origins(top_origins, child, child, origins)
            if child in top_origins:
                origins[child] = top_origins[child]
        return result
    if path and path[-1] in _MERGE_BY_ID and len(path) == 1 and isinstance(base, list) and isinstance(top, list):
        return _merge_by_id(base, top, path, top_origins, origins)
    _drop_origins(origins, path)
    _copy_origins(top_origins, path, path, origins)
    return copy.deepcopy(top)


def _merge_by_id(
    base: list[Any],
    top: list[Any],
    path: PathKey,
    top_origins: dict[PathKey, Origin],
    origins: dict[PathKey, Origin],
) -> list[Any]:
    result = copy.deepcopy(base)
    # Only a string is an id; anything else (a list, a mapping) is left for validation to reject.
    ids = {item["id"]: i for i, item in enumerate(result) if isinstance(item, dict) and isinstance(item.get("id"), str)}
    for j, item in enumerate(top):
        key = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        if key in ids:
            i = ids[key]
            shifted = _shift(top_origins, (*path, j), (*path, i))
            result[i] = _merge(result[i], item, (*path, i), shifted, origins)
        else:
            result.append(copy.deepcopy(item))
            _copy_origins(top_origins, (*path, j), (*path, len(result) - 1), origins)
    return result


def _shift(origins: dict[PathKey, Origin], old: PathKey, new: PathKey) -> dict[PathKey, Origin]:
    n = len(old)
    return {(*new, *key[n:]): where for key, where in origins.items() if key[:n] == old}


def _copy_origins(source: dict[PathKey, Origin], old: PathKey, new: PathKey, target: dict[PathKey, Origin]) -> None:
    target.update(_shift(source, old, new))


def _drop_origins(origins: dict[PathKey, Origin], path: PathKey) -> None:
    n = len(path)
    for key in [k for k in origins if k[:n] == path and len(k) > n]:
        del origins[key]


# --- Overrides -----------------------------------------------------------------------


def parse_override(text: str) -> tuple[str, Any]:
    """Split `dotted.path=value`; the value is read as a YAML scalar or flow collection.

    Raises:
        InputError: The text has no `=`, an empty path, or an unreadable value.
    """
    if "=" not in text:
        raise InputError("expected dotted.path=value", file=f"--set {text}")
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise InputError("empty field name in the path", file=f"--set {text}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise InputError(f"cannot read the value {raw!r}", file=f"--set {text}", field=path) from None
    return path, value


def _set_path(data: dict[str, Any], dotted: str, value: Any, origins: dict[PathKey, Origin], label: str) -> PathKey:
    parts = dotted.split(".")
    node: Any = data
    resolved: list[str | int] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                names = [str(item.get("id")) for item in node if isinstance(item, dict) and item.get("id")]
                raise InputError(
                    f"no item {part!r} in {'.'.join(parts[:depth])}" + (f" (ids: {', '.join(names)})" if names else ""),
                    file=f"--set {label}",
                    field=where,
                )
            resolved.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(f"{'.'.join(parts[:depth])} is not a mapping", file=f"--set {label}", field=where)
        resolved.append(part)
        if last:
            node[part] = value
        else:
            if part not in node:
                if depth == 1 and parts[0] in ("actors",):
                    known = ", ".join(sorted(node))
                    raise InputError(f"unknown actor {part!r} (known: {known})", file=f"--set {label}", field=where)
                node[part] = {}
            node = node[part]
    key = tuple(resolved)
    _drop_origins(origins, key)
    origins[key] = (f"--set {label}", None, None)
    return key


def _list_index(items: list[Any], part: str) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == part:
            return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    return None


def _get_path(data: Any, parts: Iterable[str]) -> tuple[bool, PathKey]:
    node, resolved = data, []
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


# --- Calibration ---------------------------------------------------------------------


def _apply_calibration(
    layer: _Layer, origins: dict[PathKey, Origin]
) -> tuple[dict[str, Provenance], dict[str, tuple[str, ...]]]:
    from alliance_sim import evidence

    assert layer.ledger is not None
    file, line, column = layer.ledger_origin or (None, None, None)
    if not layer.ledger.exists():
        raise InputError(
            f"ledger {layer.ledger} not found",
            file=file,
            line=line,
            column=column,
            field="calibration.ledger",
        )
    ledger = evidence.load_ledger(layer.ledger)
    evidence.verify_quotes(ledger)
    values = evidence.calibrate(ledger)
    provenance: dict[str, Provenance] = {}
    for dotted, item in sorted(values.items()):
        parts = dotted.split(".")
        present, found = _get_path(layer.data, parts)
        if present:
            setter = origins.get(found, ("", None, None))[0]
            provenance[dotted] = Provenance(dotted, item.value, item.evidence_ids, item.method, False, setter)
            continue
        keyed = parts[0] in ("actors", "events", "hazards")
        if keyed and len(found) < 2:
            raise InputError(
                f"the ledger calibrates {dotted}, but this scenario has no {parts[0]} {parts[1]!r}",
                file=str(layer.ledger),
                field=dotted,
            )
        node: Any = layer.data
        for key in found:
            node = node[key]
        for key in parts[len(found) : -1]:
            if not isinstance(node, dict):
                break
            node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise InputError(
                f"the ledger calibrates {dotted}, which is not a field", file=str(layer.ledger), field=dotted
            )
        node[parts[-1]] = item.value
        origins[(*found, *parts[len(found) :])] = (str(layer.ledger), None, None)
        provenance[dotted] = Provenance(dotted, item.value, item.evidence_ids, item.method, True)
    support = {path.removeprefix("events."): ids for path, ids in evidence.event_support(ledger).items()}
    return provenance, support, {item.id: item for item in ledger.items}


# --- Validation ----------------------------------------------------------------------


def _located(exc: ValidationError, origins: dict[PathKey, Origin], fallback: str) -> InputError:
    error = exc.errors(include_url=False)[0]
    loc: tuple[str | int, ...] = tuple(error["loc"])
    message = str(error["msg"])
    match = _FIELD_IN_MESSAGE.match(message)
    if match:
        loc = tuple(int(p) if p.isdigit() else p for p in match.group(1).split("."))
        message = match.group(2)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown field {loc[-1]!r}"
    elif error["type"] == "missing":
        message = "required field is missing"
    elif "input" in error and error["type"] not in ("model_type", "dict_type"):
        value = error["input"]
        if isinstance(value, str | int | float | bool) or value is None:
            message = f"{message} (got {value!r})"
    key = loc
    while key and key not in origins:
        key = key[:-1]
    file, line, column = origins.get(key, (fallback, None, None))
    return InputError(message, file=file, line=line, column=column, field=".".join(str(p) for p in loc) or None)


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> ScenarioConfig:
    """Load and validate a scenario file.

    Args:
        path: The YAML file.
        overrides: `--set`-style overrides, as ``["a.b=1", ...]`` or ``{"a.b": 1}``.

    Returns:
        The validated, frozen scenario.

    Raises:
        InputError: Anything wrong with the file, its bases, the ledger or the overrides.
    """
    return load(path, overrides).config


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> LoadedScenario:
    """Like `load_scenario`, but also returns provenance (files, overrides, calibration)."""
    path = Path(path)
    layer = _read_layer(path, ())
    origins = layer.origins
    applied = _apply_overrides(layer.data, overrides, origins)
    calibration: dict[str, Provenance] = {}
    support: dict[str, tuple[str, ...]] = {}
    items: dict[str, Any] = {}
    if layer.ledger is not None:
        calibration, support, items = _apply_calibration(layer, origins)
    try:
        config = ScenarioConfig.model_validate(layer.data)
    except ValidationError as exc:
        raise _located(exc, origins, str(path)) from None
    return LoadedScenario(
        config=config,
        path=path,
        files=layer.files,
        overrides=applied,
        calibration=calibration,
        event_evidence=support,
        ledger=str(layer.ledger) if layer.ledger else None,
        evidence={key: items[key] for key in _cited(calibration, support) if key in items},
    )


def _apply_overrides(
    data: dict[str, Any],
    overrides: Mapping[str, Any] | Iterable[str] | None,
    origins: dict[PathKey, Origin],
) -> list[str]:
    applied: list[str] = []
    if overrides is None:
        return applied
    pairs: Iterable[tuple[str, Any]] = (
        overrides.items() if isinstance(overrides, Mapping) else [parse_override(text) for text in overrides]
    )
    for dotted, value in pairs:
        label = f"{dotted}={value}"
        if dotted.split(".")[0] == "extends":
            raise InputError("extends cannot be overridden", file=f"--set {label}", field="extends")
        _set_path(data, dotted, value, origins, label)
        applied.append(label)
    return applied


def with_overrides(config: ScenarioConfig, overrides: Mapping[str, Any] | Iterable[str]) -> ScenarioConfig:
    """Apply `--set`-style overrides to an already validated scenario.

    Args:
        config: The scenario.
        overrides: As for `load_scenario`.

    Returns:
        A new validated scenario.

    Raises:
        InputError: A bad path or value.
    """
    data = config.model_dump(mode="json", exclude_defaults=False)
    origins: dict[PathKey, Origin] = {}
    _apply_overrides(data, overrides, origins)
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        raise _located(exc, origins, "--set") from None
