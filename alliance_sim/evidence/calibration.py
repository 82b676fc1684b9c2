"""Calibration: the one mapping from the ledger's claims to parameter values.

A parameter with direction claims is sigma(logit(prior) + sum of signed steps), one step
per claim by its strength; a number stated in an article goes through a named logarithmic
scale or, for a hazard, becomes a rate count / window; a data value is used as it stands
(written out in `docs/calibration.md`). Every value carries the evidence ids behind it and
its arithmetic.

The mapping's numbers are point estimates of ranges (`docs/odd.md`): each strength is an
interval of logit steps (`CalibrationMapping.step_ranges`), each prior has a plausible
range (`prior_range`), and the claims of an item trusted less than fully (a reader
comment) weigh between its `trust` and 1. `calibrate` takes other steps and weights
within those ranges (as a particle of `alliance-sim calibrate` does); without them it
gives the point estimate.
"""

from __future__ import annotations

from collections.abc import Mapping

from alliance_sim.core.dynamics import casualty_severity, logit, sigmoid
from alliance_sim.evidence.ledger import CalibratedValue, Claim, Ledger, claim_where, claims_by_param, prior_for
from alliance_sim.evidence.paths import check_bounds
from alliance_sim.evidence.schema import Interval


def calibrate(
    ledger: Ledger,
    *,
    steps: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
) -> dict[str, CalibratedValue]:
    """Turn the ledger's claims (and its explicit priors) into parameter values.

    Args:
        ledger: The ledger.
        steps: Logit step by strength, replacing the mapping's (the point estimate) for
            the strengths it names.
        weights: Weight of the steps of each item's claims by item id (default 1: full
            weight); a weight of exactly 1 leaves a step as it is.

    Returns:
        Calibrated values by parameter path, in ledger order; parameters that only an
        explicit prior sets come last, with no evidence ids.

    Raises:
        InputError: A value falls outside the bounds config.py sets for its field.

    """
    values: dict[str, CalibratedValue] = {}
    step_of = {**ledger.mapping.steps, **(steps or {})}
    for param, claims in claims_by_param(ledger).items():
        result = _calibrate_one(ledger, param, claims, step_of, weights or {})
        problem = check_bounds(param, result.value)
        if problem:
            raise ledger.error(problem, claim_where(claims[-1]))
        values[param] = result
    for param, prior in ledger.priors.items():
        if param in values or "*" in param.split("."):
            continue
        problem = check_bounds(param, prior.value)
        if problem:
            raise ledger.error(problem, ("priors", param, "value"))
        values[param] = CalibratedValue(
            param,
            prior.value,
            (),
            f"prior only, no evidence: {prior.reason}",
            prior.value,
            f"= {prior.value:g}",
        )
    return values


def _evidence_ids(ledger: Ledger, claims: list[Claim]) -> tuple[str, ...]:
    ids: list[str] = []
    for claim in claims:
        for item_id in (ledger.items[claim.index[0]].id, *claim.also):
            if item_id not in ids:
                ids.append(item_id)
    return tuple(ids)


def _step(claim: Claim, ledger: Ledger, step_of: Mapping[str, float], weights: Mapping[str, float]) -> float:
    step = (1.0 if claim.direction == "up" else -1.0) * step_of[claim.strength or ""]
    weight = weights.get(ledger.items[claim.index[0]].id, 1.0)
    return step if weight == 1.0 else step * weight


def _calibrate_one(
    ledger: Ledger, param: str, claims: list[Claim], step_of: Mapping[str, float], weights: Mapping[str, float]
) -> CalibratedValue:
    ids = _evidence_ids(ledger, claims)
    claim = claims[0]
    if claim.kind == "direction":
        prior, origin = prior_for(ledger, param)
        steps = [_step(c, ledger, step_of, weights) for c in claims]
        total = float(logit(prior)) + sum(steps)
        value = float(sigmoid(total))
        signed = " ".join(f"{s:+.1f}" for s in steps)
        method = f"logit steps {signed} from {origin} {prior:g}"
        arithmetic = f"sigmoid(logit({prior:g}) {signed}) = sigmoid({total:.3f}) = {value:.3f}"
        return CalibratedValue(param, value, ids, method, prior, arithmetic)
    if claim.kind == "scale":
        scale = ledger.mapping.scales[claim.scale or ""]
        count = claim.count or 0.0
        value = casualty_severity(count, scale.reference)
        method = f"{claim.scale} scale: {count:g} against reference {scale.reference:g}"
        arithmetic = f"min(1, log(1 + {count:g}) / log(1 + {scale.reference:g})) = {value:.3f}"
        return CalibratedValue(param, value, ids, method, None, arithmetic)
    if claim.kind == "rate":
        count, window = claim.count or 0.0, claim.window_months or 1
        value = count / window
        method = f"rate: {count:g} events in {window} months"
        return CalibratedValue(param, value, ids, method, None, f"{count:g} / {window} = {value:.4f}")
    assert claim.value is not None
    source = ledger.items[claim.index[0]].source
    method = f"data value {claim.row} ({source})"
    return CalibratedValue(param, claim.value, ids, method, None, f"= {claim.value:.6g}")


def event_support(ledger: Ledger) -> dict[str, tuple[str, ...]]:
    """Evidence ids behind each scripted event, by event path (``events.<id>``)."""
    support: dict[str, list[str]] = {}
    for item in ledger.items:
        for claim in item.claims:
            if claim.kind == "supports":
                ids = support.setdefault(claim.param, [])
                if item.id not in ids:
                    ids.append(item.id)
    return {path: tuple(ids) for path, ids in support.items()}


def step_range(ledger: Ledger, strength: str) -> Interval:
    """The plausible interval of logit steps of a strength (its step alone if it has none)."""
    point = ledger.mapping.steps[strength]
    return ledger.mapping.step_ranges.get(strength, (point, point))


def prior_range(ledger: Ledger, key: str) -> Interval:
    """The plausible range of one of the ledger's priors.

    Its own `range` if it has one; else its value moved by the mapping's `prior_spread`
    in logit units either way; a prior of exactly 0 or 1 is structural (its value alone).
    """
    prior = ledger.priors[key]
    if prior.range is not None:
        return prior.range
    if prior.value in (0.0, 1.0):
        return (prior.value, prior.value)
    spread = ledger.mapping.prior_spread
    centre = float(logit(prior.value))
    return (float(sigmoid(centre - spread)), float(sigmoid(centre + spread)))
