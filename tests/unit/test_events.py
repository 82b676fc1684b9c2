"""Event kinds: the registry, their config forms, role checks, and a kind defined here."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from pydantic import Field, ValidationError

from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.events import REGISTRY, Event, EventKind, raise_share, unregister
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.core.state import State
from alliance_sim.core.world import World
from alliance_sim.model import AllianceModel
from alliance_sim.scenario.config import ScenarioConfig
from alliance_sim.scenario.docgen import KINDS_BEGIN, KINDS_END, render_event_kinds
from alliance_sim.scenario.loader import with_overrides

BUILT_IN = (
    "attack",
    "border_clash",
    "regime_crisis",
    "assistance_request",
    "war_drain",
    "protest",
    "outside_offer",
    "summit",
)


def test_built_in_kinds_are_registered_in_docs_order():
    assert tuple(REGISTRY)[: len(BUILT_IN)] == BUILT_IN


def test_every_item_is_validated_by_its_own_kind(small_config):
    assert [type(e).__name__ for e in small_config.events] == ["AttackScripted", "SummitScripted"]
    assert type(small_config.hazards[0]).__name__ == "AttackHazard"
    assert small_config.events[0].kind is REGISTRY["attack"]


def test_dump_and_reload_keep_every_field(small_config):
    data = small_config.model_dump(mode="json")
    assert set(data["events"][0]) == {
        "id",
        "type",
        "month",
        "target",
        "source",
        "severity",
        "request",
        "answer",
        "when",
        "enabled",
        "note",
    }
    assert set(data["hazards"][0]) == {
        "id", "type", "target", "source", "monthly_rate", "severity", "request", "start", "end"
    }  # fmt: skip
    assert ScenarioConfig.model_validate(data) == small_config


def _data(small_config, **event):
    data = small_config.model_dump(mode="json")
    data["events"].append({"month": "2022-06", **event})
    return data


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "bombardment", "target": "small"}, "unknown event type 'bombardment'"),
        ({"type": "attack", "target": "small"}, "a attack event needs a source"),
        ({"type": "protest", "target": "small", "severity": -0.2}, "only a war_drain event may have a negative"),
        ({"type": "border_clash", "target": "small", "source": "enemy"}, "a border clash is between members"),
        ({"type": "outside_offer", "target": "small", "source": "big"}, "an outside offer comes from an outside"),
        ({"type": "attack", "target": "small", "source": "small"}, "cannot attack itself"),
        ({"type": "protest", "target": "enemy"}, "'enemy' is not a member"),
    ],
)
def test_role_checks_live_with_the_kinds(small_config, event, message):
    with pytest.raises(ValidationError, match=message):
        ScenarioConfig.model_validate(_data(small_config, **event))


def test_unknown_type_is_reported_at_the_type_field(small_config):
    with pytest.raises(ValidationError) as excinfo:
        ScenarioConfig.model_validate(_data(small_config, type="bombardment", target="small"))
    assert excinfo.value.errors()[0]["loc"] == ("events", 2, "type")


def test_event_kinds_table_is_current(root):
    text = (root / "docs" / "scenarios.md").read_text()
    block = text[text.index(KINDS_BEGIN) : text.index(KINDS_END) + len(KINDS_END)]
    assert block == render_event_kinds(), "run: python -m alliance_sim.scenario.docgen docs/scenarios.md"


# --- A kind defined here: one class is all it takes (registered only inside its tests) ---


@pytest.fixture
def sanctions():
    """Define (and so register) a kind for one test, then take it out of the registry again."""

    class Sanctions(EventKind):
        """Outside sanctions: the target's protest pressure and its regime crisis both rise."""

        type: ClassVar[str] = "sanctions"
        needs = "`target`, `source` (outside actor)"
        effect = "protest rises by `severity`, the regime crisis by `spillover * severity`, of the gap to 1"
        needs_source = True
        source_role = "outside"
        fields: ClassVar[dict[str, object]] = {"spillover": (float, Field(default=0.5, ge=0.0, le=1.0))}

        def slots(self, event: Event, m: int) -> int:
            return 1 if event.request else 0

        def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
            assert event.spec is not None
            raise_share(state.protest, (event.target,), fired, event.severity)
            raise_share(state.crisis, (event.target,), fired, event.spec.spillover * event.severity)  # type: ignore[attr-defined]

    yield Sanctions
    unregister("sanctions")


def test_a_new_kind_runs_on_both_engines_alike(small_config, sanctions):
    data = _data(small_config, type="sanctions", target="small", source="enemy", severity=0.8, spillover=0.9)
    data["hazards"].append(
        {"id": "squeeze", "type": "sanctions", "target": "mid", "source": "enemy", "monthly_rate": 0.3}
    )
    config = ScenarioConfig.model_validate(data)
    assert type(config.events[-1]).__name__ == "SanctionsScripted" and config.events[-1].spillover == 0.9
    assert with_overrides(config, {"events.2.spillover": 0.1}).events[-1].spillover == 0.1
    seeds = replicate_seeds(4, 12)
    ensemble = run_ensemble(config, seeds)
    for r, seed in enumerate(seeds):
        model = AllianceModel(config, rng=seed).run()
        for name, values in model.trace.members.items():
            assert np.array_equal(values, ensemble.members[name][:, r], equal_nan=True), (name, r)
    assert any(row["kind"] == "sanctions" for row in model.event_log)
    # It did something: protest in the target jumps in June 2022 (step 6).
    small = model.world.members.index("small")
    assert model.trace.members["protest"][6, small] > model.trace.members["protest"][5, small]
    with pytest.raises(ValidationError, match="not an outside actor"):
        ScenarioConfig.model_validate(_data(small_config, type="sanctions", target="small", source="big"))


def test_an_unregistered_kind_is_unknown(small_config, sanctions):
    unregister("sanctions")
    with pytest.raises(ValidationError, match="unknown event type 'sanctions'"):
        ScenarioConfig.model_validate(_data(small_config, type="sanctions", target="small", source="enemy"))


def test_the_worked_example_in_the_docs_defines_a_working_kind(root, small_config, tmp_path):
    import importlib.util
    import re
    import sys

    text = (root / "docs" / "architecture.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "docs_sanctions.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("docs_sanctions", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_sanctions"] = module
    try:
        spec.loader.exec_module(module)
        config = ScenarioConfig.model_validate(
            _data(small_config, type="sanctions", target="small", source="enemy", spillover=0.8)
        )
        model = AllianceModel(config, rng=5).run()
        small = model.world.members.index("small")
        assert model.trace.members["protest"][6, small] > model.trace.members["protest"][5, small]
    finally:
        unregister("sanctions")
        del sys.modules["docs_sanctions"]
