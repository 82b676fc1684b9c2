"""Checking the ledger against its sources: quotes in the articles, values in the data files."""

from __future__ import annotations

import csv
from pathlib import Path

from alliance_sim.evidence.ledger import ROW, Claim, Ledger, claim_where

_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise_quote(text: str) -> str:
    """Collapse whitespace runs to one space and map typographic quotes to ASCII ones."""
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def verify_quotes(ledger: Ledger) -> None:
    """Check every quote against its article and every data value against its data file.

    Raises:
        InputError: At the first quote not found verbatim (after `normalise_quote`) or data
            value that differs from the data file.

    """
    texts: dict[str, str] = {}
    for index, item in enumerate(ledger.items):
        file = ledger.sources[item.source].file if ledger.is_data(item) else item.source
        if file not in texts:
            texts[file] = normalise_quote((ledger.path.parent / file).read_text(encoding="utf-8"))
        if item.quote and normalise_quote(item.quote) not in texts[file]:
            raise ledger.error(f"the quote of item {item.id!r} is not in {file} (verbatim)", ("items", index, "quote"))
        if ledger.is_data(item):
            for claim in item.claims:
                _verify_value(ledger, claim, ledger.path.parent / file)


def _read_rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def _verify_value(ledger: Ledger, claim: Claim, path: Path) -> None:
    match = ROW.match(claim.row or "")
    assert match is not None and claim.value is not None
    states, year, column = match.group(1).split("+"), match.group(2), match.group(3)
    rows = _read_rows(path)
    total = 0.0
    for state in states:
        found = [r for r in rows if r.get("stateabb") == state and r.get("year") == year]
        if len(found) != 1 or column not in found[0] or float(found[0][column]) == -9:
            raise ledger.error(f"{path.name} has no {column} for {state} in {year}", claim_where(claim, "row"))
        total += float(found[0][column])
    if abs(total - claim.value) > 1e-12 + 1e-9 * abs(total):
        raise ledger.error(
            f"{claim.row} is {total:.10g} in {path.name}, the ledger says {claim.value!r}",
            claim_where(claim, "value"),
        )
