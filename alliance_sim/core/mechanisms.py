"""The model's named mechanisms, each with the switch that knocks it out.

Every mechanism the model claims to carry its results is listed here once, with the
parameter values that switch it off and the literature or evidence behind it. `explain`
(`alliance_sim.runs.explain`) knocks each out in turn, with common random numbers, and
reports how much each member's probability of disengaging and of withdrawing moves: a
mechanism that moves nothing is a defect to look at (docs/model.md, "Mechanisms").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Mechanism:
    """A named mechanism of the model.

    Attributes:
        name: Short id, used on the command line (`explain --mechanism NAME`).
        label: What it is, in words.
        knockout: Parameter values (dotted paths) that switch it off.
        source: The literature or the articles behind it.
    """

    name: str
    label: str
    knockout: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


def _m(name: str, label: str, knockout: dict[str, Any], source: str) -> Mechanism:
    return Mechanism(name, label, MappingProxyType(knockout), source)


MECHANISMS: tuple[Mechanism, ...] = (
    _m(
        "protection",
        "expected protection against outside threats",
        {"model.value.protection": 0.0},
        "Walt 1987; Snyder 1984",
    ),
    _m(
        "regime_security",
        "the alliance as insurance for the regime",
        {"model.value.regime": 0.0},
        "articles: Kazakhstan 2022, Belarus 2020",
    ),
    _m(
        "dependence_benefits",
        "benefits of dependence and the hegemon's rewards",
        {"model.value.dependence": 0.0},
        "Morrow 1991; Hirschman 1945",
    ),
    _m(
        "entrapment",
        "entrapment in the hegemon's war, by its demand",
        {"model.value.entrapment": 0.0},
        "Snyder 1984, 1997",
    ),
    _m(
        "domestic_pressure",
        "domestic pressure against membership",
        {"model.value.domestic": 0.0},
        "articles: protests in Yerevan",
    ),
    _m(
        "sovereignty_cost",
        "the sovereignty cost of an asymmetric alliance",
        {"model.value.sovereignty": 0.0},
        "Morrow 1991",
    ),
    _m(
        "outside_options",
        "alternative patrons and neutrality",
        {"model.value.outside": 0.0},
        "Walt 1987; articles: China, Turkey, the West",
    ),
    _m(
        "grievance",
        "grievance at the allies who refused",
        {"model.value.grievance": 0.0},
        "articles: Pashinyan at the Yerevan summit",
    ),
    _m(
        "fear_of_hegemon",
        "balancing against the patron's own threat",
        {"model.value.fear": 0.0},
        "Walt 1987; articles: Georgia, Ukraine",
    ),
    _m(
        "coercion",
        "the hegemon's coercion of a member that leaves",
        {"model.value.coercion": 0.0},
        "Hirschman 1945; articles: 'nowhere to go'",
    ),
    _m(
        "trust_learning",
        "trust learned from answers to requests",
        {"model.trust.learning": 0.0},
        "Leeds 2003; Beta-Bernoulli learning",
    ),
    _m(
        "bilateral_trust",
        "lessons and grievance attached to each ally's own vote",
        {"model.trust.vote_visibility": 0.0},
        "articles: 'predominantly led by Russia'",
    ),
    _m(
        "contagion",
        "departures make leaving look attainable",
        {"model.shocks.contagion": 0.0},
        "articles: 'each member is wondering'",
    ),
    _m(
        "strategic_hegemon",
        "the hegemon rewards, coerces and deters",
        {"model.hegemon.reward": 0.0, "model.hegemon.coerce": 0.0, "model.hegemon.deter": 0.0},
        "Fearon 1997; articles: 'Nikol has nowhere to go'",
    ),
    _m(
        "deterrence",
        "credible protection deters attacks",
        {"model.threat.deterrence": 0.0},
        "Snyder 1961; articles: 'does not deter'",
    ),
    _m(
        "war_recovery",
        "the hegemon's capacity recovers from its war",
        {"model.shocks.war_recovery": 0.0},
        "assumption (docs/model.md)",
    ),
    _m(
        "exit_procedure",
        "withdrawal after a notice the member can revoke",
        {"model.status.notice_months": 0},
        "Collective Security Treaty, notice",
    ),
)
"""Every named mechanism, in the order of docs/model.md."""

BY_NAME: Mapping[str, Mechanism] = MappingProxyType({m.name: m for m in MECHANISMS})
"""Mechanisms by name."""
