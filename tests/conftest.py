"""Shared fixtures: the scenario files users use, and a small one for speed."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def small_path() -> Path:
    return FIXTURES / "small.yaml"


@pytest.fixture(scope="session")
def csto_path() -> Path:
    return SCENARIOS / "csto_2022.yaml"


@pytest.fixture(scope="session")
def small_config(small_path):
    from alliance_sim.evidence import load_scenario

    return load_scenario(small_path)


@pytest.fixture(scope="session")
def csto_config(csto_path):
    from alliance_sim.evidence import load_scenario

    return load_scenario(csto_path)
