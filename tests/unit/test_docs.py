"""The docs that are generated from code are current."""

from __future__ import annotations

from pathlib import Path

from alliance_sim.scenario.docgen import BEGIN, END, render_reference

ROOT = Path(__file__).resolve().parents[2]


def test_scenario_reference_is_current():
    text = (ROOT / "docs" / "scenarios.md").read_text()
    block = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert block == render_reference(), "run: python -m alliance_sim.scenario.docgen docs/scenarios.md"


def test_every_config_field_is_documented():
    from alliance_sim.scenario.docgen import SECTIONS

    for _, model in SECTIONS:
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no docstring"
