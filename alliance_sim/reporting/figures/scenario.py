"""What a result knows about its scenario: name, members, hegemon, colours, display names.

A run carries its scenario; a sweep folder holds it as `scenario.yaml`. These helpers
read either, so every figure names, orders and colours the members the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.style import HEGEMON_COLOUR, OKABE_ITO


def scenario_of(result: Any) -> dict[str, Any]:
    """The scenario as run: a run's `scenario`, or a sweep folder's `scenario.yaml`."""
    scenario = getattr(result, "scenario", None)
    if isinstance(scenario, dict):
        return scenario
    folder = getattr(result, "folder", None)
    if folder is not None and (Path(folder) / "scenario.yaml").is_file():
        path = Path(folder) / "scenario.yaml"
        return _read_scenario(str(path), path.stat().st_mtime_ns)
    return {}


@lru_cache(maxsize=16)
def _read_scenario(path: str, mtime_ns: int) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text())
    return data if isinstance(data, dict) else {}


def scenario_name(result: Any) -> str:
    """The scenario's name, from the scenario or the manifest."""
    manifest = getattr(result, "manifest", {}) or {}
    for value in (scenario_of(result).get("name"), manifest.get("scenario"), manifest.get("name")):
        if isinstance(value, str) and value:
            return value
    return "scenario"


def hegemon(result: Any) -> str | None:
    """Id of the scenario's hegemon, if the result records it."""
    return (scenario_of(result).get("alliance") or {}).get("hegemon")


def member_order(result: Any) -> list[str]:
    """All members in scenario order (the hegemon included)."""
    actors = scenario_of(result).get("actors") or {}
    order = [k for k, a in actors.items() if (a or {}).get("kind", "member") == "member"]
    if order:
        return order
    for attribute in ("member_ids", "members"):
        ids = getattr(result, attribute, None)
        if isinstance(ids, list | tuple):
            return list(ids)
    return list(dict.fromkeys(result.probabilities()["member"]))


def member_colours(members: Sequence[str], hegemon_id: str | None = None) -> dict[str, str]:
    """One fixed colour per member: the hegemon black, the others Okabe-Ito in order.

    Args:
        members: All members in scenario order.
        hegemon_id: The hegemon, if any.

    Returns:
        Colour (hex) by member id.
    """
    colours, i = {}, 0
    for member in members:
        if member == hegemon_id:
            colours[member] = HEGEMON_COLOUR
        else:
            colours[member] = OKABE_ITO[i % len(OKABE_ITO)]
            i += 1
    return colours


def colours_of(result: Any) -> dict[str, str]:
    """The member colours of a result (see `member_colours`)."""
    return member_colours(member_order(result), hegemon(result))


def display_name(result: Any, member: str) -> str:
    """The actor's display name from the scenario, or its id."""
    actor = (scenario_of(result).get("actors") or {}).get(member) or {}
    return str(actor.get("name") or member)


def shown_members(result: Any, members: Sequence[str] | None, *, with_hegemon: bool = False) -> list[str]:
    """Members to draw: those asked for, else every member but the hegemon."""
    order = member_order(result)
    if members:
        unknown = [m for m in members if m not in order]
        if unknown:
            raise InputError(f"unknown member {unknown[0]!r} (members: {', '.join(order)})", field="member")
        return [m for m in order if m in members]
    return [m for m in order if with_hegemon or m != hegemon(result)]


def run_subtitle(result: Any, extra: str = "") -> str:
    """The subtitle of a run figure: scenario, replicates, seed, and `extra`."""
    n = result.replicates
    parts = [scenario_name(result), f"{n} replicate{'s' if n != 1 else ''}"]
    seed = (result.manifest or {}).get("seed")
    if seed is not None:
        parts.append(f"seed {seed}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def hegemon_note(result: Any, members: Sequence[str] | None) -> str:
    """A note that the hegemon is left out, unless members were chosen."""
    h = hegemon(result)
    if members or h is None:
        return ""
    return f"hegemon {display_name(result, h)} not shown (it never leaves)"


def horizon_text(result: Any) -> str:
    """The horizon as text, such as `60 months`."""
    months = (scenario_of(result).get("time") or {}).get("horizon_months")
    return f"{months} months" if months else "the horizon"


def require(frame: pd.DataFrame | None, columns: Sequence[str], table: str) -> pd.DataFrame:
    """`frame`, or an `InputError` if it is missing or lacks one of `columns`."""
    if frame is None:
        raise InputError(f"the result has no {table} table")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"the {table} table has no {missing[0]!r} column")
    return frame
