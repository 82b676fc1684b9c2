"""The one error type for bad input, and how it is shown.

Every problem a user can fix (a YAML file, a `--set` override, a sweep spec, a quote in
the evidence ledger) is raised as `InputError`. The CLI prints its one-line form and exits
with code 2; nothing else is printed unless `--debug` is given.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input that the user can fix, located as precisely as possible.

    Attributes:
        message: What is wrong, in one sentence.
        file: The file it is in, if any.
        line: 1-based line number, if known.
        column: 1-based column number, if known.
        field: Dotted path of the offending field, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        text = " ".join(self.message.split())
        return f"{_one_line(where)}{_one_line(field)}{text}"


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (a key or file name may hold them)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
