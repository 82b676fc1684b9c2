"""The ledger as plain text, for the command `alliance-sim evidence`."""

from __future__ import annotations

import difflib
import textwrap

from alliance_sim.errors import InputError
from alliance_sim.evidence.calibration import calibrate
from alliance_sim.evidence.ledger import CalibratedValue, CalibrationMapping, Claim, EvidenceItem, Ledger
from alliance_sim.evidence.paths import _choices
from alliance_sim.evidence.quotes import normalise_quote
from alliance_sim.evidence.sources import SOURCES_FILE

_WRAP = 88


def describe_claim(claim: Claim, mapping: CalibrationMapping) -> str:
    """One line saying what a claim claims."""
    if claim.kind == "direction":
        step = mapping.steps[claim.strength or ""] * (1 if claim.direction == "up" else -1)
        text = f"{claim.direction} ({claim.strength}, {step:+.1f} in logit)"
    elif claim.kind == "supports":
        text = "supports the event (its occurrence, month and answer)"
    elif claim.kind == "scale":
        text = f"{claim.count:g} on the {claim.scale} scale"
    elif claim.kind == "rate":
        text = f"{claim.count:g} in {claim.window_months} months"
    else:
        text = f"{claim.value!r} ({claim.row})"
    if claim.also:
        text += f"; with {', '.join(claim.also)}"
    return f"{claim.param}: {text}"


def _matches(param: str, wanted: str) -> bool:
    return param == wanted or param.startswith(wanted + ".")


def _format_item(item: EvidenceItem, mapping: CalibrationMapping, claims: tuple[Claim, ...]) -> str:
    lines = [f"{item.id}  {item.date}"]
    lines.append(textwrap.fill(item.attribution, _WRAP, initial_indent="  from: ", subsequent_indent="    "))
    if item.quote:
        lines.append(
            textwrap.fill(f'"{normalise_quote(item.quote)}"', _WRAP, initial_indent="  ", subsequent_indent="   ")
        )
    lines.append(f"  actors: {', '.join(item.actors)}")
    if not item.claims:
        lines.append("  - no claims: an observed outcome, for checking runs, not an input")
    for claim in claims:
        lines.append(f"  - {describe_claim(claim, mapping)}")
        if claim.note:
            lines.append(textwrap.fill(claim.note, _WRAP, initial_indent="      ", subsequent_indent="      "))
    if item.note:
        lines.append(textwrap.fill(f"note: {item.note}", _WRAP, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines)


def _format_value(value: CalibratedValue) -> str:
    lines = [f"{value.path} = {value.value:.4g}", f"  method: {value.method}"]
    if value.arithmetic:
        lines.append(f"  arithmetic: {value.arithmetic}")
    lines.append(f"  evidence: {', '.join(value.evidence_ids) or 'none'}")
    return "\n".join(lines)


def _known_params(ledger: Ledger) -> list[str]:
    params = {c.param for item in ledger.items for c in item.claims}
    params.update(p for p in ledger.priors if "*" not in p)
    return sorted(params)


def format_ledger(ledger: Ledger, *, actor: str | None = None, param: str | None = None) -> str:
    """Render the ledger as plain text, optionally only the items about one actor or one parameter.

    Args:
        ledger: The ledger.
        actor: Only items whose actors include this id.
        param: Only claims on this parameter path (or under it, for a prefix such as
            ``actors.armenia``), followed by the calibrated values and their arithmetic.

    Returns:
        The text.

    Raises:
        InputError: The actor or parameter appears nowhere in the ledger.

    """
    if actor is not None and not any(actor in item.actors for item in ledger.items):
        known = sorted({a for item in ledger.items for a in item.actors})
        raise InputError(f"no evidence names actor {actor!r}; the ledger names {_choices(known)}", field="--actor")
    known_params = _known_params(ledger)
    if param is not None and not any(_matches(p, param) for p in known_params):
        close = difflib.get_close_matches(param, known_params, n=5)
        hint = (
            f"did you mean {_choices(close)}?" if close else "prefixes: actors.<id>, events.<id>, hazards.<id>, model"
        )
        raise InputError(f"no evidence on parameter {param!r}; {hint}", field="--param")
    blocks = []
    for item in ledger.items:
        if actor is not None and actor not in item.actors:
            continue
        claims = tuple(c for c in item.claims if param is None or _matches(c.param, param))
        if claims or (param is None and not item.claims):
            blocks.append(_format_item(item, ledger.mapping, claims))
    header = f"{ledger.path}: {len(blocks)} of {len(ledger.items)} items"
    if ledger.articles:
        table = ledger.path.parent / SOURCES_FILE
        header += f"\n(sources from {table}; [square brackets]: inferred from the article's text)"
    if param is not None:
        values = calibrate(ledger)
        blocks.extend(_format_value(v) for p, v in values.items() if _matches(p, param))
    return "\n\n".join([header, *blocks]) if blocks else f"{header}\n(no items match)"
