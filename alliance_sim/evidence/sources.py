"""The sources table: who published each article, under what title, and when.

A ledger cites its articles by file name; `sources.yaml` next to it (optional) names each
article by outlet, title and date (and language and author where the article gives them),
so that what a reader sees (`alliance-sim evidence`, the report, the results' manifest) is
a citation they can recognise, not a file name.

A field is either stated by the article (a plain string) or inferred from its text (a
mapping with `value`, possibly null, and `inferred`, what in the text it rests on).
`citation` writes inferred values in square brackets, the bibliographic convention for
information supplied by the cataloguer, and a missing one as ``[outlet not named]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alliance_sim.scenario.yamlio import Positions, read_model

SOURCES_FILE = "sources.yaml"
"""The sources table's name, next to the ledger."""

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Inferred(_Strict):
    """A field the article does not state: what its text allows one to infer, and from what."""

    value: str | None
    """The inferred value, or null when the text allows no inference."""
    inferred: str = Field(min_length=1)
    """What in the text the value rests on (or why there is none)."""


SourceField = str | Inferred
"""A field of an article: stated (a string) or inferred from the text."""


class ArticleSpec(_Strict):
    """One article of the sources table."""

    outlet: SourceField
    """Who published it."""
    title: SourceField
    """Its headline."""
    date: SourceField
    """When: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    language: SourceField | None = None
    """The language of the text as saved (and its original, if translated)."""
    author: SourceField | None = None
    """Its author, where the article names one."""
    note: str = ""
    """Anything else a reader needs to place it."""

    @field_validator("date")
    @classmethod
    def _date(cls, value: SourceField) -> SourceField:
        text = value.value if isinstance(value, Inferred) else value
        if text is not None and not _DATE.match(text):
            raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        return value


class SourcesSpec(_Strict):
    """The sources file, as written."""

    articles: dict[str, ArticleSpec] = Field(min_length=1)
    """The articles, by file name (next to the ledger)."""


@dataclass(frozen=True)
class ArticleSource:
    """An article as a reader knows it.

    Attributes:
        file: The article file, as the ledger cites it.
        spec: Its outlet, title, date, language, author and note as written.
    """

    file: str
    spec: ArticleSpec

    def citation(self) -> str:
        """Outlet, title, date on one line; inferred parts in square brackets."""
        return citation(self.spec)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON and the manifest (inferred ones in square brackets)."""
        spec = self.spec
        shown = {
            "file": self.file,
            "outlet": _shown(spec.outlet, "outlet not named"),
            "title": _shown(spec.title, "untitled"),
            "date": _shown(spec.date, "date not given", date=True),
            "language": _shown(spec.language, "") if spec.language is not None else None,
            "author": _shown(spec.author, "") if spec.author is not None else None,
            "citation": self.citation(),
        }
        inferred = {
            name: value.inferred
            for name in ("outlet", "title", "date", "language", "author")
            if isinstance(value := getattr(spec, name), Inferred)
        }
        return {**shown, "inferred": inferred, "note": spec.note}


def _shown(field: SourceField | None, missing: str, *, date: bool = False) -> str:
    if field is None:
        return f"[{missing}]"
    if isinstance(field, Inferred):
        if field.value is None:
            return f"[{missing}]"
        return f"[{format_date(field.value) if date else field.value}]"
    return format_date(field) if date else field


def format_date(text: str) -> str:
    """``2022-11`` as ``November 2022``, ``2022-11-23`` as ``23 November 2022``; a year as it is."""
    match = _DATE.match(text)
    if match is None:
        return text
    year, month, day = match.groups()
    if month is None:
        return year
    name = _MONTHS[int(month) - 1] if 1 <= int(month) <= 12 else month
    return f"{int(day)} {name} {year}" if day else f"{name} {year}"


def citation(spec: ArticleSpec) -> str:
    """``Outlet, “Title”, Month Year``; inferred parts in square brackets (``[untitled]``)."""
    outlet = _shown(spec.outlet, "outlet not named")
    title = _shown(spec.title, "untitled")
    if isinstance(spec.title, str):
        title = f"“{title}”"
    date = _shown(spec.date, "date not given", date=True)
    author = f" (by {_shown(spec.author, '')})" if spec.author is not None else ""
    return f"{outlet}, {title}{author}, {date}"


@dataclass(frozen=True)
class SourceTable:
    """A loaded sources table.

    Attributes:
        path: The file.
        articles: The articles by file name.
        positions: Where every key sits in the file, for located errors.
    """

    path: Path
    articles: dict[str, ArticleSource]
    positions: Positions


def load_sources(path: str | Path) -> SourceTable:
    """Load a sources table and check that every article it names is next to it.

    Args:
        path: The sources file (YAML).

    Returns:
        The table.

    Raises:
        InputError: Anything wrong, located by file, line, column and field.
    """
    path = Path(path)
    spec, positions = read_model(path, SourcesSpec)
    for name in spec.articles:
        if not inside(name) or not (path.parent / name).is_file():
            raise positions.error(
                f"no article file {name!r} in {path.parent} (a path relative to {path.name}, inside its folder)",
                ("articles", name),
            )
    articles = {name: ArticleSource(name, article) for name, article in spec.articles.items()}
    return SourceTable(path, articles, positions)


def inside(name: str) -> bool:
    """Whether `name` is a relative path that stays inside its folder (``articles/a.txt``, not ``../a.txt``)."""
    parts = name.split("/")
    return not ("\\" in name or name.startswith("/") or ":" in name or any(p in ("", ".", "..") for p in parts))


def sources_next_to(ledger_path: Path) -> SourceTable | None:
    """The sources table next to a ledger, or None when there is none."""
    candidate = Path(ledger_path).parent / SOURCES_FILE
    if not candidate.is_file():
        return None
    return load_sources(candidate)
