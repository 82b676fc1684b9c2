"""The pinned regression summary: a fixed-seed run of the calibrated CSTO baseline.

`compute()` is shared by the test and by `refresh_baseline.py`, so both measure the
same thing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "csto_2022.yaml"
PINNED = Path(__file__).resolve().parent / "baseline.json"
SEED = 2022
REPLICATES = 100


def compute() -> dict[str, Any]:
    """Summary of `run(csto_2022.yaml, seed=2022, replicates=100, fixed=True)` (the point
    estimate, not the posterior predictive runs): per member, the
    counts of replicates that disengaged and withdrew, median months, final statuses, and
    the mean pressure and trust in the hegemon at the end of the replay (2023-12) and of
    the run."""
    from alliance_sim import run
    from alliance_sim.evidence import load_with_provenance as load

    loaded = load(SCENARIO)
    result = run(loaded, seed=SEED, replicates=REPLICATES, fixed=True)
    table = result.summary()
    members = result.members
    out: dict[str, Any] = {
        "scenario_hash": loaded.scenario_hash,
        "seed": SEED,
        "replicates": REPLICATES,
        "members": {},
    }
    for _, row in table.iterrows():
        member = row["member"]
        rows = members[members["member"] == member]
        at = {step: rows[rows["step"] == step] for step in (24, int(rows["step"].max()))}
        out["members"][member] = {
            "disengaged": round(row["p_disengaged"] * REPLICATES),
            "withdrawn": round(row["p_withdrawn"] * REPLICATES),
            "median_month_disengaged": row["median_month_disengaged"],
            "median_month_withdrawn": row["median_month_withdrawn"],
            "final_member": round(row["final_member"] * REPLICATES),
            "final_withdrawn": round(row["final_withdrawn"] * REPLICATES),
            "mean_pressure_2023_12": float(at[24]["pressure"].mean()),
            "mean_pressure_end": float(at[max(at)]["pressure"].mean()),
            "mean_trust_in_hegemon_2023_12": _number(at[24]["trust_in_hegemon"].mean()),
        }
    return out


def _number(value: float) -> float | None:
    """A float for JSON; None for NaN (the hegemon has no trust in itself)."""
    return None if math.isnan(value) else float(value)
