"""Shared fixtures: the scenario files users use, and a small one for speed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis: one profile for the suite, derandomized (the same cases on every machine and
# every run, so a failure in CI is found again locally) and without a per-example deadline
# (a case's time depends on the machine's load). HYPOTHESIS_PROFILE=dev explores new cases
# at random instead; the number of cases is set per test (the fuzzer's slow test reads
# ALLIANCE_SIM_FUZZ_EXAMPLES).
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
