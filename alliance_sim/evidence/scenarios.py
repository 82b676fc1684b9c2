"""Scenarios with their calibration: the scenario loader with the ledger applied.

`alliance_sim.scenario.loader` reads, merges and validates scenario files but does not
know the evidence; this module gives it the calibration step. `load_scenario` (also
`alliance_sim.load_scenario`) and `load_with_provenance` are what the rest of the
package and its users call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from alliance_sim.evidence.calibration import calibrate, event_support
from alliance_sim.evidence.ledger import claim_where
from alliance_sim.evidence.load import load_ledger
from alliance_sim.evidence.quotes import verify_quotes
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.loader import (
    Calibration,
    LoadedScenario,
    Origins,
    Override,
    Provenance,
    get_path,
    read_scenario,
)
from alliance_sim.scenario.locate import Origin, located


def apply_calibration(ledger_path: Path, data: dict[str, Any], origins: Origins, where: Origin) -> Calibration:
    """Fill the values the ledger calibrates where no file or override set them.

    Args:
        ledger_path: The ledger file.
        data: The merged scenario data (changed in place).
        origins: Where each value was written (calibrated values are added).
        where: Where the scenario names the ledger.

    Returns:
        Provenance of every calibrated value, the evidence behind each scripted event and
        the evidence items they cite.

    Raises:
        InputError: The ledger is missing or wrong, or calibrates what the scenario lacks.
    """
    if not ledger_path.is_file():
        raise located(f"ledger {ledger_path} not found", where, "calibration.ledger")
    ledger = load_ledger(ledger_path)
    verify_quotes(ledger)
    values = calibrate(ledger)
    provenance: dict[str, Provenance] = {}
    claims = {claim.param: claim for item in reversed(ledger.items) for claim in reversed(item.claims)}

    def at_claim(dotted: str) -> Origin:
        claim = claims.get(dotted)
        where = claim_where(claim) if claim is not None else ("priors", dotted)
        return ledger.positions.origin(where)

    for dotted, item in sorted(values.items()):
        parts = dotted.split(".")
        present, found = get_path(data, parts)
        if present:
            setter = origins.origin(found).file if found in origins.by_path else ""
            provenance[dotted] = Provenance(dotted, item.value, item.evidence_ids, item.method, False, setter)
            continue
        keyed = parts[0] in ("actors", "events", "hazards")
        if keyed and len(found) < 2:
            raise located(
                f"the ledger calibrates {dotted}, but this scenario has no {parts[0]} {parts[1]!r}",
                at_claim(dotted),
                dotted,
            )
        node: Any = data
        for key in found:
            node = node[key]
        for key in parts[len(found) : -1]:
            if not isinstance(node, dict):
                break
            node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise located(f"the ledger calibrates {dotted}, which is not a field", at_claim(dotted), dotted)
        node[parts[-1]] = item.value
        origins.by_path[(*found, *parts[len(found) :])] = at_claim(dotted)
        provenance[dotted] = Provenance(dotted, item.value, item.evidence_ids, item.method, True)
    support = {path.removeprefix("events."): ids for path, ids in event_support(ledger).items()}
    items = {item.id: item for item in ledger.items}
    cited = [i for p in provenance.values() for i in p.evidence] + [i for ids in support.values() for i in ids]
    return Calibration(provenance, support, {key: items[key] for key in dict.fromkeys(cited) if key in items})


def load_with_provenance(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override] | None = None,
) -> LoadedScenario:
    """Like `load_scenario`, but also returns provenance (files, overrides, calibration)."""
    return read_scenario(path, overrides, calibrate=apply_calibration)


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> ScenarioConfig:
    """Load, calibrate and validate a scenario file.

    Args:
        path: The YAML file.
        overrides: `--set`-style overrides, as ``["a.b=1", ...]`` or ``{"a.b": 1}``.

    Returns:
        The validated, frozen scenario.

    Raises:
        InputError: Anything wrong with the file, its bases, the ledger or the overrides.
    """
    return load_with_provenance(path, overrides).config
