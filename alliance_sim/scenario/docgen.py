"""The field reference of `docs/scenarios.md`, rendered from the config models.

The reference is generated from the pydantic models' docstrings, types, defaults and
bounds, so it cannot drift from the code: `tests/unit/test_docs.py` checks that the file
holds exactly what `render_reference()` gives. The event-types table comes from the
registered event kinds (`render_event_kinds()`, one row per kind module). After changing
a config model or an event kind, refresh both with
`python -m alliance_sim.scenario.docgen docs/scenarios.md`.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from alliance_sim.core.events import REGISTRY, EventSpec
from alliance_sim.scenario import config as cfg

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"
KINDS_BEGIN = "<!-- BEGIN GENERATED EVENT KINDS -->"
KINDS_END = "<!-- END GENERATED EVENT KINDS -->"

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("top level", cfg.ScenarioConfig),
    ("alliance", cfg.AllianceConfig),
    ("time", cfg.TimeConfig),
    ("actors.ID", cfg.ActorConfig),
    ("actors.ID.relations.OTHER", cfg.Relation),
    ("model.trust", cfg.TrustParams),
    ("model.threat", cfg.ThreatParams),
    ("model.answer", cfg.AnswerParams),
    ("model.value", cfg.ValueParams),
    ("model.status", cfg.StatusParams),
    ("model.shocks", cfg.ShockParams),
    ("events[]", cfg.EventConfig),
    ("hazards[]", cfg.HazardConfig),
    ("calibration", cfg.CalibrationConfig),
    ("outputs", cfg.OutputConfig),
]


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping of {_type_name(key)} to {_type_name(value)}"
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if annotation is type(None):
        return "empty"
    if isinstance(annotation, type) and issubclass(annotation, cfg.StrEnum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(info: FieldInfo) -> str:
    low = high = None
    for meta in info.metadata:
        if isinstance(meta, Ge):
            low = f"[{meta.ge}"
        elif isinstance(meta, Gt):
            low = f"({meta.gt}"
        elif isinstance(meta, Le):
            high = f"{meta.le}]"
        elif isinstance(meta, Lt):
            high = f"{meta.lt})"
    annotation = info.annotation
    for meta in typing.get_args(annotation)[1:] if typing.get_origin(annotation) is typing.Annotated else []:
        for inner in getattr(meta, "metadata", []):
            if isinstance(inner, Ge):
                low = f"[{inner.ge}"
            elif isinstance(inner, Gt):
                low = f"({inner.gt}"
            elif isinstance(inner, Le):
                high = f"{inner.le}]"
    if low or high:
        return f"{low or '(-inf'}, {high or 'inf)'}"
    return ""


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{value!r}`" if value not in ({}, []) else "empty"
    value = info.default
    if value is None:
        return "empty"
    if isinstance(value, cfg.StrEnum):
        return f"`{value.value}`"
    return f"`{value}`"


def render_reference() -> str:
    """Markdown tables of every config section: field, type, default, bounds, meaning."""
    out = [BEGIN, ""]
    for title, model in SECTIONS:
        out.append(f"### `{title}`")
        out.append("")
        doc = (model.__doc__ or "").strip().splitlines()[0]
        out.append(doc)
        out.append("")
        out.append("| field | type | default | bounds | meaning |")
        out.append("|---|---|---|---|---|")
        for name, info in model.model_fields.items():
            kind_field = issubclass(model, EventSpec) and name == "type"
            type_name = " \\| ".join(f"`{kind}`" for kind in REGISTRY) if kind_field else _type_name(info.annotation)
            description = " ".join((info.description or "").split()).replace("|", "\\|")
            out.append(f"| `{name}` | {type_name} | {_default(info)} | {_bounds(info)} | {description} |")
        out.append("")
    out.append(END)
    return "\n".join(out)


def render_event_kinds() -> str:
    """The event-types table: one row per registered kind, from the kind's own module."""
    out = [KINDS_BEGIN, "", "| type | needs | effect |", "|---|---|---|"]
    out += [f"| `{kind.type}` | {kind.needs} | {kind.effect} |" for kind in REGISTRY.values()]
    out += ["", KINDS_END]
    return "\n".join(out)


def _replace(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + block + text[stop:]


def update(path: Path) -> bool:
    """Replace the generated blocks in `path`; returns whether the file changed."""
    text = path.read_text()
    new = _replace(text, BEGIN, END, render_reference())
    new = _replace(new, KINDS_BEGIN, KINDS_END, render_event_kinds())
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/scenarios.md")
    print(("updated " if update(target) else "unchanged ") + str(target))
