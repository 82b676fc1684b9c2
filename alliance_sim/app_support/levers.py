"""The levers of the interactive page: which settings, in which words, within which bounds.

A lever is one scenario value named by its dotted path, the same path `--set` takes
(`actors.russia.capacity`, `hazards.war_drain.monthly_rate`). The page shows the words and
puts the path, with the field's own description, on hover.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance_sim.scenario.config import (
    ActorConfig,
    AllianceConfig,
    DecisionRule,
    HazardConfig,
    ScenarioConfig,
    ShockParams,
)

_HAZARD_WORDS = {
    "attack": "{source} attacks {target}",
    "border_clash": "{target}-{source} border clash",
    "regime_crisis": "regime crisis in {target}",
    "assistance_request": "{target} asks for help",
    "war_drain": "new drain of the war",
    "protest": "protest in {target}",
    "outside_offer": "{source} courts {target}",
    "summit": "summit",
}


@dataclass(frozen=True)
class Lever:
    """One setting on the page.

    Attributes:
        path: Dotted path of the scenario value (as `--set` takes it).
        label: What the page calls it, in words.
        group: The panel it is shown in.
        help: The field's description, shown on hover with the path.
        minimum: Lowest slider value (numeric levers).
        maximum: Highest slider value (numeric levers).
        step: Slider step (numeric levers).
        choices: The allowed values (choice levers); empty for numeric levers.
    """

    path: str
    label: str
    group: str
    help: str
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 0.01
    choices: tuple[str, ...] = ()

    @property
    def hover(self) -> str:
        """The text shown on hover: the dotted path, then what the value means."""
        return f"{self.path}: {self.help}" if self.help else self.path


def _describe(model: type, field: str) -> str:
    return (model.model_fields[field].description or "").strip()  # type: ignore[attr-defined]


def _name(config: ScenarioConfig, actor_id: str | None) -> str:
    if actor_id is None:
        return "?"
    actor = config.actors.get(actor_id)
    return actor.name if actor is not None else actor_id


def hazard_words(config: ScenarioConfig, hazard: HazardConfig) -> str:
    """A hazard in words, for example 'Azerbaijan attacks Armenia'."""
    text = _HAZARD_WORDS.get(hazard.type, hazard.type).format(
        source=_name(config, hazard.source), target=_name(config, hazard.target)
    )
    return text[:1].upper() + text[1:]


def levers_for(config: ScenarioConfig) -> list[Lever]:
    """The levers of a scenario, in the order the page shows them.

    The hegemon's capacity and the war's recovery rate; the decision rule; each member's
    outside option and dependence on the hegemon (the hegemon itself has neither); the
    monthly rate of each hazard that has an id.
    """
    hegemon = config.alliance.hegemon
    heg_name = _name(config, hegemon)
    levers = [
        Lever(
            f"actors.{hegemon}.capacity",
            f"{heg_name}'s capacity to help allies",
            "Hegemon and war",
            _describe(ActorConfig, "capacity"),
        ),
        Lever(
            "model.shocks.war_recovery",
            "War recovery per month",
            "Hegemon and war",
            _describe(ShockParams, "war_recovery"),
            maximum=0.5,
            step=0.01,
        ),
        Lever(
            "alliance.decision_rule",
            "Decision rule",
            "Hegemon and war",
            _describe(AllianceConfig, "decision_rule"),
            choices=tuple(rule.value for rule in DecisionRule),
        ),
    ]
    for actor_id, actor in config.actors.items():
        if actor.kind != "member" or actor_id == hegemon:
            continue
        levers.append(
            Lever(
                f"actors.{actor_id}.outside_option",
                f"{actor.name}'s outside option",
                "Members",
                _describe(ActorConfig, "outside_option"),
            )
        )
        levers.append(
            Lever(
                f"actors.{actor_id}.dependence",
                f"{actor.name}'s dependence on {heg_name}",
                "Members",
                _describe(ActorConfig, "dependence"),
            )
        )
    for hazard in config.hazards:
        if hazard.id is None:
            continue
        top = min(1.0, max(0.25, math.ceil(hazard.monthly_rate * 2 * 20) / 20))
        levers.append(
            Lever(
                f"hazards.{hazard.id}.monthly_rate",
                f"{hazard_words(config, hazard)}: chance per month",
                "Hazards",
                _describe(HazardConfig, "monthly_rate"),
                maximum=top,
                step=0.005,
            )
        )
    return levers


def value_at(config: ScenarioConfig, path: str) -> Any:
    """The value a dotted path names in a scenario (lists of events and hazards by id).

    Raises:
        KeyError: The path names nothing in this scenario.
    """
    node: Any = config
    for part in path.split("."):
        if isinstance(node, list | tuple):
            matches = [item for item in node if getattr(item, "id", None) == part]
            if not matches:
                raise KeyError(path)
            node = matches[0]
        elif isinstance(node, Mapping):
            node = node[part]
        elif hasattr(node, part):
            node = getattr(node, part)
        else:
            raise KeyError(path)
    return node.value if isinstance(node, DecisionRule) else node


def changed(config: ScenarioConfig, settings: Mapping[str, Any], tolerance: float = 1e-9) -> dict[str, Any]:
    """The settings that differ from the scenario's own values, in the order given."""
    result: dict[str, Any] = {}
    for path, value in settings.items():
        base = value_at(config, path)
        if isinstance(value, int | float) and isinstance(base, int | float):
            if abs(float(value) - float(base)) <= tolerance:
                continue
        elif value == base:
            continue
        result[path] = value
    return result
