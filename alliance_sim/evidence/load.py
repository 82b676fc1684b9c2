"""Loading a ledger: its structure, its sources and priors, and the checks across items.

`load_ledger` reads the YAML, validates it against the schema, and builds the `Ledger`,
refusing anything that cannot be calibrated (an unknown source, strength or scale, a
claim of the wrong kind for its parameter, a duplicate id, mixed claims on one
parameter), located by file, line, column and field. `find_ledger` looks for the ledger
above a folder.
"""

from __future__ import annotations

from pathlib import Path

from alliance_sim.errors import InputError
from alliance_sim.evidence.ledger import (
    READER_COMMENT,
    ROW,
    Claim,
    DataSource,
    EvidenceItem,
    Ledger,
    Prior,
    claim_where,
    claims_by_param,
    prior_for,
)
from alliance_sim.evidence.paths import check_bounds, parse_param
from alliance_sim.evidence.schema import ClaimSpec, ItemSpec, LedgerSpec, Range
from alliance_sim.evidence.sources import SourceTable, inside, sources_next_to
from alliance_sim.scenario.config import parse_month
from alliance_sim.scenario.locate import shorten
from alliance_sim.scenario.yamlio import PathKey, Positions, read_model, read_text

DEFAULT_LEDGER = Path("seeds") / "evidence.yaml"
"""Where the ledger sits relative to the repository root (see `find_ledger`)."""


def load_ledger(path: str | Path) -> Ledger:
    """Load a ledger and check its structure.

    Args:
        path: The ledger file (YAML).

    Returns:
        The ledger.

    Raises:
        InputError: Anything wrong, located by file, line, column and field.

    """
    path = Path(path)
    spec, positions = read_model(path, LedgerSpec)
    folder = path.parent
    sources = _check_sources(spec, folder, positions)
    table = sources_next_to(path)
    articles = table.articles if table is not None else {}
    priors = _check_priors(spec, positions)
    checked: set[str] = set()
    items = tuple(_build_item(i, s, spec, folder, positions, checked, table) for i, s in enumerate(spec.items))
    ranges = _check_ranges(spec, positions)
    ledger = Ledger(path, items, spec.mapping, priors, sources, positions, articles, ranges)
    _check_references(ledger)
    _check_param_claims(ledger)
    return ledger


def _check_sources(spec: LedgerSpec, folder: Path, positions: Positions) -> dict[str, DataSource]:
    for key, source in spec.sources.items():
        where = ("sources", key, "file")
        if not (folder / source.file).is_file():
            raise positions.error(f"data file {shorten(source.file)} not found next to the ledger", where)
        text = _readable(folder / source.file, positions, where)
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise positions.error(
                f"data file {shorten(source.file)} has no rows (a header and at least one row)", where
            )
    return dict(spec.sources)


def _listed(names: list[str]) -> str:
    return ", ".join(names)


def _readable(file: Path, positions: Positions, where: PathKey) -> str:
    """The text of a source file, or an error at the ledger entry that names it."""
    try:
        return read_text(file, limit=50_000_000)
    except InputError as exc:
        place = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise positions.error(f"{file.name}{place}: {exc.message}", where) from None


def _check_priors(spec: LedgerSpec, positions: Positions) -> dict[str, Prior]:
    priors = {}
    for key, prior in spec.priors.items():
        try:
            parsed = parse_param(key, allow_pattern=True)
        except ValueError as exc:
            raise positions.error(str(exc), ("priors", key)) from None
        if parsed.field is None:
            raise positions.error("a prior needs a field", ("priors", key))
        priors[key] = prior
    return priors


def _check_ranges(spec: LedgerSpec, positions: Positions) -> dict[str, Range]:
    """Each range names a behavioural constant and lies within the bounds config.py sets."""
    for key, bounds in spec.ranges.items():
        try:
            parsed = parse_param(key)
        except ValueError as exc:
            raise positions.error(str(exc), ("ranges", key)) from None
        if parsed.kind != "model":
            raise positions.error("ranges are for behavioural constants, model.<section>.<field>", ("ranges", key))
        for end, value in (("low", bounds.low), ("high", bounds.high)):
            problem = check_bounds(key, value)
            if problem:
                raise positions.error(problem, ("ranges", key, end))
    return dict(spec.ranges)


def _check_date(text: str) -> None:
    parts = text.split("/")
    if len(parts) > 2:
        raise ValueError(f"expected YYYY-MM or YYYY-MM/YYYY-MM, got {text!r}")
    months = [parse_month(p) for p in parts]
    if len(months) == 2 and months[1] < months[0]:
        raise ValueError(f"the period {text!r} ends before it starts")


def _build_item(
    index: int,
    spec: ItemSpec,
    ledger: LedgerSpec,
    folder: Path,
    positions: Positions,
    checked: set[str],
    table: SourceTable | None,
) -> EvidenceItem:
    where: PathKey = ("items", index)
    try:
        _check_date(spec.date)
    except ValueError as exc:
        raise positions.error(str(exc), (*where, "date")) from None
    is_data = spec.source in ledger.sources
    if not is_data:
        articles = sorted(p.relative_to(folder).as_posix() for p in (*folder.glob("*.txt"), *folder.glob("*/*.txt")))
        if not inside(spec.source) or not (folder / spec.source).is_file():
            keys = _listed(list(ledger.sources)) or "none"
            raise positions.error(
                f"unknown source {spec.source!r}: neither an article file in the ledger's folder "
                f"({_listed(articles) or 'none found'}) nor a key of sources ({keys})",
                (*where, "source"),
            )
        if spec.source not in checked:
            _readable(folder / spec.source, positions, (*where, "source"))
            checked.add(spec.source)
        if not spec.quote or not spec.quote.strip():
            raise positions.error("an item citing an article needs a quote", (*where, "quote"))
        if table is not None and spec.source not in table.articles:
            raise positions.error(
                f"article {spec.source!r} is not in {table.path.name} next to the ledger; "
                "add its outlet, title and date there",
                (*where, "source"),
            )
    elif spec.kind == READER_COMMENT:
        raise positions.error("a reader comment quotes an article file, not a data source", (*where, "kind"))
    if spec.kind == READER_COMMENT:
        _check_reader_claims(index, spec, ledger, positions)
    if not spec.claims and not spec.note.strip():
        raise positions.error(
            "an item without claims records an observed outcome; its note must say what it shows",
            (*where, "claims"),
        )
    claims = tuple(_build_claim(index, j, c, spec, is_data, ledger, positions) for j, c in enumerate(spec.claims))
    line = positions.locate(where)[0] or 0
    if is_data:
        kind, cited = "data", ledger.sources[spec.source].citation
    else:
        article = table.articles.get(spec.source) if table is not None else None
        kind, cited = spec.kind, article.citation() if article is not None else spec.source
    trust = spec.trust if spec.trust is not None else (ledger.mapping.reader_trust if kind == READER_COMMENT else 1.0)
    return EvidenceItem(
        spec.id,
        spec.source,
        spec.quote or "",
        spec.date,
        tuple(spec.actors),
        claims,
        line,
        spec.note,
        kind,
        cited,
        trust,
    )


def _check_reader_claims(index: int, spec: ItemSpec, ledger: LedgerSpec, positions: Positions) -> None:
    """A reader's comment is an opinion: its direction claims take the weakest strength only."""
    weakest = min(ledger.mapping.steps, key=lambda name: ledger.mapping.steps[name])
    for j, claim in enumerate(spec.claims):
        if claim.kind == "direction" and claim.strength != weakest:
            raise positions.error(
                f"a reader comment claims with the weakest strength only ({weakest}), not {claim.strength!r}",
                ("items", index, "claims", j, "strength"),
            )


def _build_claim(
    i: int,
    j: int,
    spec: ClaimSpec,
    item: ItemSpec,
    is_data: bool,
    ledger: LedgerSpec,
    positions: Positions,
) -> Claim:
    where: PathKey = ("items", i, "claims", j)
    try:
        path = parse_param(spec.param)
    except ValueError as exc:
        raise positions.error(str(exc), (*where, "param")) from None
    kind = spec.kind
    if kind == "direction" and spec.strength not in ledger.mapping.steps:
        known = _listed(list(ledger.mapping.steps))
        raise positions.error(f"unknown strength {spec.strength!r} ({known})", (*where, "strength"))
    if (kind == "supports") != (path.kind == "event" and path.field is None):
        message = (
            "supports: event needs a bare event path, events.<id>"
            if kind == "supports"
            else f"{spec.param} names an event; claim `supports: event`, or add a field (severity)"
        )
        raise positions.error(message, (*where, "param"))
    if kind == "scale" and spec.scale not in ledger.mapping.scales:
        known = _listed(list(ledger.mapping.scales)) or "none defined"
        raise positions.error(f"unknown scale {spec.scale!r} ({known})", (*where, "scale"))
    if kind == "rate" and not (path.kind == "hazard" and path.field == "monthly_rate"):
        raise positions.error("a rate claim (count, window_months) needs hazards.<id>.monthly_rate", (*where, "param"))
    if (kind == "value") != is_data:
        message = (
            "a value claim needs a data source (a key of sources)"
            if kind == "value"
            else "a data item makes value claims only (value and row)"
        )
        raise positions.error(message, (*where, "param"))
    if kind == "value" and not ROW.match(spec.row or ""):
        raise positions.error(f"row {spec.row!r} should read 'ABB[+ABB...] YEAR column'", (*where, "row"))
    for actor in path.actor_ids():
        if actor not in item.actors:
            raise positions.error(
                f"{spec.param} names actor {actor!r}, which is not in the item's actors", (*where, "param")
            )
    fields = spec.model_dump(exclude={"supports", "also"})
    line = positions.locate(where)[0] or 0
    return Claim(kind=kind, also=tuple(spec.also), line=line, index=(i, j), **fields)


def _check_references(ledger: Ledger) -> None:
    first: dict[str, int] = {}
    for i, item in enumerate(ledger.items):
        if item.id in first:
            line = ledger.items[first[item.id]].line
            raise ledger.error(f"duplicate id {item.id!r} (first used on line {line})", ("items", i, "id"))
        first[item.id] = i
    for item in ledger.items:
        for claim in item.claims:
            for k, other in enumerate(claim.also):
                if other not in first or other == item.id:
                    where = ("items", *claim.index[:1], "claims", claim.index[1], "also", k)
                    raise ledger.error(f"also: {other!r} is not the id of another item", where)
    for name, scale in ledger.mapping.scales.items():
        if scale.evidence is not None and scale.evidence not in first:
            raise ledger.error(f"unknown evidence id {scale.evidence!r}", ("mapping", "scales", name, "evidence"))


def _check_param_claims(ledger: Ledger) -> None:
    for param, claims in claims_by_param(ledger).items():
        kinds = [c.kind for c in claims]
        if len(set(kinds)) > 1:
            other = next(c for c in claims if c.kind != kinds[0])
            raise ledger.error(
                f"{param} has both {kinds[0]} and {other.kind} claims; a parameter is set by direction "
                "claims, or by exactly one value, scale or rate claim",
                claim_where(other),
            )
        if kinds[0] != "direction" and len(claims) > 1:
            raise ledger.error(
                f"{param} has {len(claims)} {kinds[0]} claims; "
                "exactly one is allowed, so that the arithmetic is visible",
                claim_where(claims[1]),
            )
        prior = ledger.priors.get(param)
        if prior is not None and kinds[0] != "direction":
            raise ledger.error(f"a prior has no effect on {param}, which a {kinds[0]} claim sets", ("priors", param))
        if kinds[0] == "direction" and not 0.0 < prior_for(ledger, param)[0] < 1.0:
            raise ledger.error(f"the prior of {param} must lie strictly between 0 and 1", claim_where(claims[0]))


def find_ledger(start: Path | None = None) -> Path:
    """Find `seeds/evidence.yaml` in a folder or its parents.

    Args:
        start: Where to start looking (default: the current directory).

    Returns:
        The ledger's path.

    Raises:
        InputError: No folder on the way up holds one.

    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_LEDGER
        if candidate.is_file():
            return candidate
    raise InputError(f"no {DEFAULT_LEDGER} in {here} or any parent folder; pass the ledger's path")
