"""The calibrated baseline's fixed-seed summary must match the pinned file exactly.

If a change is meant to move the results, refresh the pin with `make baseline` and say
why in the commit; never loosen this test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_summary import PINNED, compute


def test_baseline_matches_pinned_summary():
    pinned = json.loads(PINNED.read_text())
    current = compute()
    assert current["scenario_hash"] == pinned["scenario_hash"], (
        "the calibrated scenario changed (ledger, scenario file or defaults); "
        "if deliberate, run `make baseline` and commit the new pin"
    )
    for member, expected in pinned["members"].items():
        got = current["members"][member]
        for key, value in expected.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (member, key)
            else:
                assert got[key] == value, (member, key)
