"""The calibration ledger: evidence from the articles, checked and turned into parameter values.

`seeds/evidence.yaml` lists evidence items. Each item is a verbatim quote from one of the
articles in `seeds/` (or a row of a cited data set), its date, the actors it concerns and
the claims it makes about model parameters. This package

- loads the ledger and checks its structure, naming file, line, column and field of any
  problem (`load_ledger`);
- checks that every quote stands verbatim in its article and every data value in its data
  file (`verify_quotes`);
- turns the claims into parameter values through one documented mapping, each value with
  the evidence ids behind it and its arithmetic (`calibrate`, `event_support`);
- prints the evidence for the command `alliance-sim evidence` (`format_ledger`);
- loads scenarios with their calibration applied (`load_scenario`, `load_with_provenance`).

The mapping (written out in `docs/calibration.md`): a parameter with direction claims is
sigma(logit(prior) + sum of signed steps), one step per claim by its strength; a number
stated in an article goes through a named logarithmic scale or, for a hazard, becomes a
rate count / window; a data value is used as it stands.

Modules: `ledger` (the dataclasses), `paths` (parameter paths, bounds, `check_against`),
`schema` (the YAML's structure), `load` (`load_ledger`, `find_ledger`), `quotes`
(`verify_quotes`), `calibration` (`calibrate`, `event_support`, the ranges of steps and
priors), `format` (`format_ledger`) and `scenarios` (`load_scenario`,
`load_with_provenance`). Everything public from these is importable from
`alliance_sim.evidence`. For calibration with honest uncertainty (imported from their
modules): `patterns` (the reported patterns), `fit` (their facts, run on the ensemble
engine), `space` (the parameters the articles leave open, and `ParticleApplier`, which turns
one parameter set into a scenario) and `posterior` (the posterior file that
`alliance-sim calibrate` writes).
"""

from alliance_sim.evidence.calibration import calibrate, event_support
from alliance_sim.evidence.format import describe_claim, format_ledger
from alliance_sim.evidence.ledger import (
    CalibratedValue,
    CalibrationMapping,
    Claim,
    DataSource,
    EvidenceItem,
    Ledger,
    Prior,
    Scale,
)
from alliance_sim.evidence.load import DEFAULT_LEDGER, find_ledger, load_ledger
from alliance_sim.evidence.paths import (
    ACTOR_FIELDS,
    EVENT_FIELDS,
    HAZARD_FIELDS,
    MEMBER_ONLY_FIELDS,
    MODEL_SECTIONS,
    RELATION_FIELDS,
    ParamPath,
    check_against,
    check_bounds,
    parse_param,
)
from alliance_sim.evidence.quotes import normalise_quote, verify_quotes
from alliance_sim.evidence.scenarios import apply_calibration, load_scenario, load_with_provenance

__all__ = [
    "ACTOR_FIELDS",
    "DEFAULT_LEDGER",
    "EVENT_FIELDS",
    "HAZARD_FIELDS",
    "MEMBER_ONLY_FIELDS",
    "MODEL_SECTIONS",
    "RELATION_FIELDS",
    "CalibratedValue",
    "CalibrationMapping",
    "Claim",
    "DataSource",
    "EvidenceItem",
    "Ledger",
    "ParamPath",
    "Prior",
    "Scale",
    "apply_calibration",
    "calibrate",
    "check_against",
    "check_bounds",
    "describe_claim",
    "event_support",
    "find_ledger",
    "format_ledger",
    "load_ledger",
    "load_scenario",
    "load_with_provenance",
    "normalise_quote",
    "parse_param",
    "verify_quotes",
]
