"""One way from a validation problem to one located line: `file:line:col: field: message`.

Every input format (scenario, sweep spec, evidence ledger, reported patterns) is a
pydantic model validated over plain data read by `alliance_sim.scenario.yamlio`, which
remembers where each key was written. `input_error` turns the first error of a
`pydantic.ValidationError` into an `InputError` at that place, whatever the format:

- the place comes from a `Locator`: one file's `Positions`, or, for a scenario built from
  an `extends:` chain and `--set` overrides, the file and line where each value was
  written, or the override (``--set actors.armenia.power=2``) that set it;
- messages are plain: ``unknown field 'x'``, ``required field is missing``, pydantic's own
  text otherwise, with the offending value appended, cut to `VALUE_CHARS` characters;
- a validator may name a deeper field by starting its message with a dotted path relative
  to the model it validates (``"actors.x.relations.y: unknown actor 'y'"`` from the root
  model, ``"samples: must be a power of 2"`` from a design); the error is located there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError

from alliance_sim.errors import InputError

PathKey = tuple[str | int, ...]
"""A key path into nested data: mapping keys and list indexes."""

VALUE_CHARS = 80
"""Longest value (or key) echoed into an error message; longer ones end in '...'."""

MESSAGE_CHARS = 400
"""Longest message of one error line."""

_FIELD_IN_MESSAGE = re.compile(r"^(?:Value error, )?((?:[A-Za-z_]\w*|\d+)(?:\.\w+)*): (.*)$", re.S)
_UNION_LABEL = re.compile(r"^(?:int|float|str|bool|bytes|none|[a-z]+(?:-[a-z]+)+|[a-z-]+\[.*\]|[A-Z]\w*)$", re.S)
_NO_VALUE = ("model_type", "dict_type", "list_type", "model_attributes_type", "missing", "extra_forbidden")


class Origin(NamedTuple):
    """Where a value was written.

    Attributes:
        file: The file, or ``--set path=value`` for an override.
        line: 1-based line, if known.
        column: 1-based column, if known.
        prefix: Prepended to the field path shown (``set.`` for a sweep spec's overrides).
    """

    file: str | None
    line: int | None = None
    column: int | None = None
    prefix: str = ""


class Locator(Protocol):
    """Anything that can say where a key path was written."""

    def origin(self, path: Sequence[str | int]) -> Origin:
        """Where `path`, or its nearest known ancestor, was written."""
        ...


def shorten(value: object, limit: int = VALUE_CHARS) -> str:
    """`repr(value)`, cut to `limit` characters with a trailing '...'."""
    return cut(repr(value), limit)


def cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with a trailing '...'."""
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def dotted(path: Sequence[str | int]) -> str:
    """A key path as dotted text, each part cut to `VALUE_CHARS` characters."""
    return ".".join(cut(str(part), VALUE_CHARS) for part in path)


def parse_dotted(text: str) -> PathKey:
    """Dotted text back to a key path (ASCII digits become list indexes)."""
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in text.split("."))


def named_by_id(path: PathKey, data: Any) -> str:
    """Dotted path with list indexes of items that have an ``id`` replaced by the id."""
    parts: list[str] = []
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            ident = node.get("id") if isinstance(node, dict) else None
            parts.append(ident if isinstance(ident, str) and ident else str(part))
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return dotted(parts)


def located(message: str, origin: Origin, field: str | None) -> InputError:
    """An `InputError` at `origin`, its message cut to `MESSAGE_CHARS`."""
    shown = f"{origin.prefix}{field}" if field else (origin.prefix.rstrip(".") or None)
    return InputError(
        cut(" ".join(message.split()), MESSAGE_CHARS),
        file=origin.file,
        line=origin.line,
        column=origin.column,
        field=shown,
    )


def first_error(exc: ValidationError, *, skip: Sequence[str] = ()) -> Any:
    """The first error of `exc` whose type is not in `skip`, or None."""
    for error in exc.errors(include_url=False):
        if error["type"] not in skip:
            return error
    return None


def _data_path(loc: PathKey, data: Any) -> PathKey:
    """`loc` without the labels pydantic adds for union members (``stop.int``, ``values.0.str``)."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(part, str) and _UNION_LABEL.match(part) and not (isinstance(node, dict) and part in node):
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(kept)


def input_error(exc: ValidationError, where: Locator, *, data: Any = None, error: Any = None) -> InputError:
    """The first error of a pydantic `ValidationError`, located.

    Args:
        exc: The validation error.
        where: Where each key path was written.
        data: The validated data, to drop the labels pydantic adds to the path for the
            members of a union; and when the place is a ``--set`` override, list items
            with an ``id`` are named by it (``events.summit_2023.month``, not
            ``events.19.month``), as the override itself names them.
        error: Which error of `exc` to report (default: the first).

    Returns:
        The error, ready to print as one line.
    """
    if error is None:
        error = exc.errors(include_url=False)[0]
    kind = error["type"]
    loc = _data_path(tuple(p for p in error["loc"] if isinstance(p, str | int)), data)
    message = str(error["msg"])
    match = _FIELD_IN_MESSAGE.match(message)
    if match:
        loc = (*loc, *parse_dotted(match.group(1)))
        message = match.group(2)
    else:
        message = message.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = f"unknown field {shorten(loc[-1]) if loc else ''}"
    elif kind == "missing":
        message = "required field is missing"
    elif "input" in error and kind not in _NO_VALUE:
        value = error["input"]
        if isinstance(value, str | int | float | bool) or value is None:
            message = f"{cut(message, MESSAGE_CHARS - VALUE_CHARS - 8)} (got {shorten(value)})"
    origin = where.origin(loc)
    by_id = data is not None and (origin.file or "").startswith("--set ")
    field = named_by_id(loc, data) if by_id else dotted(loc)
    return located(message, origin, field or None)
