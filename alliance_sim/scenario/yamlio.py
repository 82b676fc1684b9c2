"""YAML reading that remembers where every value came from.

`read_yaml` returns plain Python data plus a `Positions` map from each key path to its
line and column, so that any later check (pydantic validation, a cross-reference, a
quote lookup) can point at the exact place in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alliance_sim.errors import InputError

PathKey = tuple[str | int, ...]


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

    def error(self, message: str, path: Sequence[str | int]) -> InputError:
        """An `InputError` located at `path` in this file."""
        line, column = self.locate(path)
        dotted = ".".join(str(p) for p in path) or None
        return InputError(message, file=self.file, line=line, column=column, field=dotted)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader; duplicate keys are caught while walking the node tree."""


def _scalar(node: yaml.Node) -> Any:
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def _walk(node: yaml.Node, path: PathKey, positions: Positions) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if not isinstance(key, str | int | float | bool):
                raise positions.error("mapping keys must be plain names", path)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                line = key_node.start_mark.line + 1
                col = key_node.start_mark.column + 1
                raise InputError(
                    f"duplicate key {key!r}",
                    file=positions.file,
                    line=line,
                    column=col,
                    field=".".join(str(p) for p in (*path, key)),
                )
            positions.where[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = _walk(value_node, (*path, key), positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            positions.where[(*path, index)] = (
                item.start_mark.line + 1,
                item.start_mark.column + 1,
            )
            items.append(_walk(item, (*path, index), positions))
        return items
    return _scalar(node)


def read_yaml(path: str | Path, *, expect_mapping: bool = True) -> tuple[Any, Positions]:
    """Read a YAML file into plain data with positions.

    Args:
        path: The file.
        expect_mapping: Require the top level to be a mapping.

    Returns:
        The data and its `Positions`.

    Raises:
        InputError: The file is missing, unreadable, empty, not YAML, or not a mapping.
    """
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=shown) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a YAML file", file=shown) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=shown) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=shown) from None
    return parse_yaml(text, shown, expect_mapping=expect_mapping)


def parse_yaml(text: str, file: str, *, expect_mapping: bool = True) -> tuple[Any, Positions]:
    """Parse YAML text; see `read_yaml`."""
    positions = Positions(file=file)
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=file) from None
    if node is None:
        raise InputError("the file is empty", file=file, line=1)
    positions.where[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    try:
        data = _walk(node, (), positions)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise InputError(
            f"invalid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    if expect_mapping and not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of keys at the top level, got {type(data).__name__}",
            file=file,
            line=positions.where[()][0],
            column=positions.where[()][1],
        )
    return data, positions
