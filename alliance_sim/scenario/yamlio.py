"""YAML reading that remembers where every value came from, within documented limits.

`read_yaml` returns plain Python data plus a `Positions` map from each key path to its
line and column, so that any later check (pydantic validation through
`alliance_sim.scenario.locate`, a cross-reference, a quote lookup) can point at the exact
place in the file.

Every input file of the project (scenarios, sweep specs, the evidence ledger, the
reported patterns) is read here, and is refused with one located error when it is

- not a regular file (a folder, a FIFO, a device): nothing waits on a pipe;
- larger than `MAX_FILE_BYTES`, or not UTF-8 text;
- nested deeper than `MAX_DEPTH` levels, or a recursive alias;
- more than `MAX_NODES` values once aliases are expanded (an alias "bomb" of nine
  levels of nine is refused after `MAX_NODES` steps, wherever it sits);
- tagged with anything but the standard YAML tags of plain data (``!!str``, ``!!int``,
  ``!!float``, ``!!bool``, ``!!null``, ``!!seq``, ``!!map``): no ``!!python/...``,
  no ``!!binary``, no custom tags.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ValidationError

from alliance_sim.errors import InputError
from alliance_sim.scenario.locate import Origin, PathKey, dotted, input_error, shorten

MAX_FILE_BYTES = 1_000_000
"""Largest input file read, in bytes (the shipped scenario is under 7 kB, the ledger 53 kB)."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists in an input file."""

MAX_NODES = 200_000
"""Most values (mapping keys, list items, scalars) in one file, counting every alias expansion."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (same results, several times faster)."""

_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
) | {"!"}

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "PathKey",
    "Positions",
    "parse_yaml",
    "read_text",
    "read_yaml",
]


@dataclass
class Positions:
    """Line and column (1-based) of every mapping key and sequence item in one file."""

    file: str
    where: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """The position of `path`, or of its nearest recorded ancestor.

        Args:
            path: Key path, for example ``("actors", "armenia", "power")``.

        Returns:
            (line, column), or (None, None) when nothing on the path is known.
        """
        key = tuple(path)
        while key:
            if key in self.where:
                return self.where[key]
            key = key[:-1]
        return self.where.get((), (None, None))

    def origin(self, path: Sequence[str | int]) -> Origin:
        """Where `path` (or its nearest recorded ancestor) was written."""
        line, column = self.locate(path)
        return Origin(self.file, line, column)

    def error(self, message: str, path: Sequence[str | int]) -> InputError:
        """An `InputError` located at `path` in this file."""
        line, column = self.locate(path)
        return InputError(message, file=self.file, line=line, column=column, field=dotted(path) or None)


class _Mark(Protocol):
    line: int
    column: int


def _mark_error(message: str, file: str, mark: _Mark | None) -> InputError:
    return InputError(
        message,
        file=file,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def read_text(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """Read a regular UTF-8 text file of at most `limit` bytes, without ever blocking.

    Raises:
        InputError: Missing, not a regular file, too large, unreadable or not UTF-8.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError("file not found", file=shown) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=shown) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=shown) from None
    # Check the kind before wrapping the descriptor: a folder opens on POSIX, but
    # `os.fdopen` refuses it with an OSError of its own.
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:  # pragma: no cover - fstat of an open descriptor
        os.close(fd)
        raise InputError(f"cannot read file ({exc.strerror})", file=shown) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise InputError("is a directory, expected a file", file=shown)
        raise InputError("is not a regular file (a pipe, socket or device?)", file=shown)
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read file ({exc.strerror})", file=shown) from None
    if len(data) > limit:
        raise InputError(f"is larger than the limit of {limit:,} bytes for an input file", file=shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            file=shown,
            line=line,
            column=column,
        ) from None


def read_yaml(path: str | Path, *, expect_mapping: bool = True) -> tuple[Any, Positions]:
    """Read a YAML file into plain data with positions.

    Args:
        path: The file.
        expect_mapping: Require the top level to be a mapping.

    Returns:
        The data and its `Positions`.

    Raises:
        InputError: The file is missing, not a regular file, too large, not UTF-8, empty,
            not YAML, beyond the limits above, or not a mapping.
    """
    return parse_yaml(read_text(path), str(path), expect_mapping=expect_mapping)


def _check_events(text: str, file: str) -> None:
    """One streaming pass: nesting depth, size and tags, before any tree is built."""
    depth = 0
    count = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionStartEvent | yaml.ScalarEvent):
            tag = event.tag
            if tag is not None and tag not in _STANDARD_TAGS:
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                raise _mark_error(
                    f"the YAML tag {shorten(shown)} is not allowed; write plain values, lists and mappings",
                    file,
                    event.start_mark,
                )
            count += 1
            if count > MAX_NODES:
                raise _mark_error(f"more than {MAX_NODES:,} values in one file", file, event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _mark_error(f"nested deeper than {MAX_DEPTH} levels", file, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _Walker:
    """Node tree -> plain data with positions, counting every alias expansion."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.visited = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def scalar(self, node: yaml.Node) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # a timestamp such as 2022-02-30
            raise _mark_error(
                f"invalid value: {shorten(str(exc), 120)}", self.positions.file, node.start_mark
            ) from None

    def walk(self, node: yaml.Node, path: PathKey) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _mark_error(
                f"more than {MAX_NODES:,} values once aliases are expanded", self.positions.file, node.start_mark
            )
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise _mark_error("a recursive alias (a value that contains itself)", self.positions.file, node.start_mark)
        if len(path) >= MAX_DEPTH:
            raise _mark_error(f"nested deeper than {MAX_DEPTH} levels", self.positions.file, node.start_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            return self.sequence(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _mark_error("mapping keys must be plain names", self.positions.file, key_node.start_mark)
            key = self.scalar(key_node)
            if not isinstance(key, str | int | float | bool):
                raise _mark_error("mapping keys must be plain names", self.positions.file, key_node.start_mark)
            name = key if isinstance(key, str) else str(key)
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if name in result:
                raise InputError(
                    f"duplicate key {shorten(name)}",
                    file=self.positions.file,
                    line=line,
                    column=column,
                    field=dotted((*path, name)),
                )
            self.positions.where[(*path, name)] = (line, column)
            result[name] = self.walk(value_node, (*path, name))
        return result

    def sequence(self, node: yaml.SequenceNode, path: PathKey) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.positions.where[(*path, index)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(self.walk(item, (*path, index)))
        return items


def parse_yaml(text: str, file: str, *, expect_mapping: bool = True) -> tuple[Any, Positions]:
    """Parse YAML text; see `read_yaml`."""
    positions = Positions(file=file)
    try:
        _check_events(text, file)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        raise _mark_error(f"invalid YAML: {problem}", file, exc.problem_mark or exc.context_mark) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {shorten(str(exc), 200)}", file=file) from None
    if node is None:
        raise InputError("the file is empty", file=file, line=1)
    positions.where[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    try:
        data = _Walker(positions).walk(node, ())
    except yaml.constructor.ConstructorError as exc:
        raise _mark_error(f"invalid YAML: {exc.problem}", file, exc.problem_mark) from None
    if expect_mapping and not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of keys at the top level, got {type(data).__name__}",
            file=file,
            line=positions.where[()][0],
            column=positions.where[()][1],
        )
    return data, positions


def read_model[Model: BaseModel](path: str | Path, model: type[Model]) -> tuple[Model, Positions]:
    """Read a YAML file and validate it as `model`, with located errors.

    The one way the input formats other than scenarios (sweep specs, ledgers, sources,
    reported patterns) are read: `read_yaml`, then pydantic, then the one error mapper.

    Returns:
        The validated model and the positions of the file's keys.

    Raises:
        InputError: A bad file, or a field that does not validate, with its file, line and column.
    """
    data, positions = read_yaml(path)
    try:
        return model.model_validate(data), positions
    except ValidationError as exc:
        raise input_error(exc, positions, data=data) from None
