"""Write the page's settings as a what-if scenario that `alliance-sim run` accepts unchanged.

The file `extends:` the chosen scenario by a path relative to itself and holds only the
values that differ from it, as nested YAML keys; hazards and events are list items
merged by their `id`, as in every other what-if (`docs/scenarios.md`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from alliance_sim.errors import InputError

_LISTS_BY_ID = ("events", "hazards")


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def nested(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths -> nested mappings; `hazards.ID.field` and `events.ID.field` -> list items.

    Example:
        ``{"actors.russia.capacity": 0.6, "hazards.war_drain.monthly_rate": 0.0}`` gives
        ``{"actors": {"russia": {"capacity": 0.6}}, "hazards": [{"id": "war_drain", "monthly_rate": 0.0}]}``.
    """
    tree: dict[str, Any] = {}
    for path, value in changes.items():
        parts = path.split(".")
        if parts[0] in _LISTS_BY_ID and len(parts) >= 3:
            items: list[dict[str, Any]] = tree.setdefault(parts[0], [])
            item = next((i for i in items if i["id"] == parts[1]), None)
            if item is None:
                item = {"id": parts[1]}
                items.append(item)
            node = item
            rest = parts[2:]
        else:
            node = tree
            rest = parts
        for key in rest[:-1]:
            node = node.setdefault(key, {})
        node[rest[-1]] = _tidy(value)
    return tree


def what_if_text(base: Path, target: Path, changes: Mapping[str, Any], name: str | None = None) -> str:
    """The YAML text of a what-if at `target` that extends `base` with `changes`.

    Args:
        base: The scenario it extends.
        target: Where the what-if will be written (the `extends:` path is relative to it).
        changes: Dotted path -> new value, only the values that differ from `base`.
        name: The what-if's display name; None keeps the base's name.
    """
    relative = Path(os.path.relpath(base.resolve(), target.resolve().parent)).as_posix()
    lines = [
        f"# What-if saved from the interactive page (alliance-sim app), extending {base.name}.",
        f"# Run it with: alliance-sim run {target}",
    ]
    if changes:
        lines.append("# Changed values:")
        lines += [f"#   {path} = {_tidy(value)}" for path, value in changes.items()]
    else:
        lines.append("# No value differs from the base scenario.")
    head: dict[str, Any] = {"extends": relative}
    if name:
        head["name"] = name
    body = str(yaml.safe_dump(head, sort_keys=False, allow_unicode=True))
    tree = nested(changes)
    if tree:
        body += "\n" + yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "\n".join(lines) + "\n" + body


def save_what_if(base: Path, target: Path, changes: Mapping[str, Any], name: str | None = None) -> Path:
    """Write the what-if file (to a temporary name, then renamed into place).

    Returns:
        The path written.

    Raises:
        InputError: The target is the base scenario itself, or its folder does not exist.
    """
    target = Path(target)
    if target.suffix not in (".yaml", ".yml"):
        raise InputError("a what-if file name must end in .yaml", file=str(target))
    if target.resolve() == Path(base).resolve():
        raise InputError("a what-if cannot replace the scenario it extends", file=str(target))
    if not target.parent.is_dir():
        raise InputError(f"no such folder {target.parent}", file=str(target))
    text = what_if_text(Path(base), target, changes, name)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
