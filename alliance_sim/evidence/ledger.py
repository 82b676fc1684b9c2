"""The ledger as data: evidence items, their claims, the mapping, and calibrated values.

The dataclasses here (with the mapping, scales, priors and sources, which are the
validated models of `alliance_sim.evidence.schema` as they stand) are what `load_ledger`
returns and what the other modules of `alliance_sim.evidence` read; the few helpers at
the end answer questions about a loaded ledger that loading, checking and calibrating all
ask (where a claim sits, which claims set a parameter, where its value starts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from alliance_sim.errors import InputError
from alliance_sim.evidence.schema import CalibrationMapping, DataSource, Prior, Range, Scale
from alliance_sim.evidence.sources import ArticleSource
from alliance_sim.scenario.yamlio import PathKey, Positions

__all__ = [
    "KIND_LABELS",
    "READER_COMMENT",
    "ROW",
    "CalibratedValue",
    "CalibrationMapping",
    "Claim",
    "DataSource",
    "EvidenceItem",
    "Ledger",
    "Prior",
    "Range",
    "Scale",
    "claim_where",
    "claims_by_param",
    "prior_for",
]

READER_COMMENT = "reader_comment"
"""The kind of an item quoting a reader's comment under an article, not the article."""
KIND_LABELS = {"article": "article", READER_COMMENT: "reader comment", "data": "data"}
"""How each kind of item is named on screen."""

ROW = re.compile(r"^([A-Z]{2,3}(?:\+[A-Z]{2,3})*) (\d{4}) ([a-z]+)$")
"""A data row: ``ABB[+ABB...] YEAR column`` (see `Claim.row`)."""


@dataclass(frozen=True)
class Claim:
    """What one evidence item says about one parameter.

    Attributes:
        param: Dotted parameter path, for example ``actors.armenia.trust_prior``.
        kind: `direction`, `supports`, `scale`, `rate` or `value`.
        direction: `up` or `down` (direction claims).
        strength: A key of the mapping's steps (direction claims).
        count: A number stated in the source (scale and rate claims).
        scale: Name of the mapping's scale (scale claims).
        window_months: Months the count was observed over (rate claims).
        value: A data value used as it stands (value claims).
        row: Where in the data file the value is, ``"ABB[+ABB...] YEAR column"``.
        also: Ids of other items the claim relies on (a count that spans several items).
        note: Why the claim reads the quote this way.
        line: Line of the claim in the ledger.
        index: Position (item index, claim index) in the ledger.

    """

    param: str
    kind: str
    direction: str | None = None
    strength: str | None = None
    count: float | None = None
    scale: str | None = None
    window_months: int | None = None
    value: float | None = None
    row: str | None = None
    also: tuple[str, ...] = ()
    note: str = ""
    line: int = 0
    index: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class EvidenceItem:
    """One quote (or data row) and its claims.

    Attributes:
        id: Unique id, lower case with dashes.
        source: Article file in the ledger's folder, or a key of the ledger's `sources`.
        quote: The verbatim quote (may be empty for a data item).
        date: ``YYYY-MM`` or a period ``YYYY-MM/YYYY-MM``.
        actors: Actor ids the item concerns.
        claims: What it says about parameters; none for an observed outcome, which is
            recorded to check runs against and is not an input.
        line: Line of the item in the ledger.
        note: Why it is read as it is.
        kind: `article`, `reader_comment` (a reader's comment under the article, not the
            article) or `data` (a row of a data source).
        citation: The source as a reader knows it: outlet, title and date from the sources
            table, a data source's citation, or the file name when the ledger has no table.
        trust: The lowest weight of its claims' logit steps: they range over `[trust, 1]`
            (1 for an article, below 1 for a reader comment; the point estimate uses 1).

    """

    id: str
    source: str
    quote: str
    date: str
    actors: tuple[str, ...]
    claims: tuple[Claim, ...]
    line: int
    note: str = ""
    kind: str = "article"
    citation: str = ""
    trust: float = 1.0

    @property
    def attribution(self) -> str:
        """Where the quote comes from, in words: the citation, marked when it is a reader's comment."""
        cited = self.citation or self.source
        return f"reader comment under {cited}" if self.kind == READER_COMMENT else cited


@dataclass(frozen=True)
class Ledger:
    """A loaded ledger.

    Attributes:
        path: The ledger file.
        items: Evidence items in file order.
        mapping: Neutral prior, steps by strength, scales.
        priors: Starting points by parameter path (a path segment may be ``*``).
        sources: Non-article sources by key.
        positions: Where every key sits in the file, for located errors.
        articles: The articles' outlet, title and date by file name, from the sources
            table next to the ledger (empty when it has none).
        ranges: Plausible ranges of behavioural constants by path (`model.<section>.<field>`).

    """

    path: Path
    items: tuple[EvidenceItem, ...]
    mapping: CalibrationMapping
    priors: dict[str, Prior]
    sources: dict[str, DataSource]
    positions: Positions
    articles: dict[str, ArticleSource] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)

    def error(self, message: str, where: PathKey) -> InputError:
        """Return an `InputError` located at `where` in the ledger."""
        return self.positions.error(message, where)

    def is_data(self, item: EvidenceItem) -> bool:
        """Whether the item cites a data source rather than an article."""
        return item.source in self.sources


@dataclass(frozen=True)
class CalibratedValue:
    """A parameter value with its provenance.

    Attributes:
        path: Dotted parameter path.
        value: The value.
        evidence_ids: Ids of the items behind it (empty for a value set by a prior alone).
        method: How it was obtained, for example ``logit steps +1.0 -0.5 from prior 0.5``.
        prior: The starting point of direction claims, if any.
        arithmetic: The computation written out.

    """

    path: str
    value: float
    evidence_ids: tuple[str, ...]
    method: str
    prior: float | None = None
    arithmetic: str = ""


# --- Questions about a loaded ledger ----------------------------------------------------


def claim_where(claim: Claim, field: str = "param") -> PathKey:
    """The key path of a claim's field in the ledger file."""
    return ("items", claim.index[0], "claims", claim.index[1], field)


def claims_by_param(ledger: Ledger) -> dict[str, list[Claim]]:
    """The claims that set each parameter (not `supports` claims), in ledger order."""
    grouped: dict[str, list[Claim]] = {}
    for item in ledger.items:
        for claim in item.claims:
            if claim.kind != "supports":
                grouped.setdefault(claim.param, []).append(claim)
    return grouped


def prior_for(ledger: Ledger, param: str) -> tuple[float, str]:
    """Return the starting point of a parameter and where it comes from."""
    if param in ledger.priors:
        return ledger.priors[param].value, "prior"
    parts = param.split(".")
    for key, prior in ledger.priors.items():
        pattern = key.split(".")
        if len(pattern) == len(parts) and all(fnmatchcase(p, q) for p, q in zip(parts, pattern, strict=True)):
            return prior.value, f"prior {key}"
    return ledger.mapping.neutral_prior, "neutral prior"
