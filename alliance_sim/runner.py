"""`run`: one scenario, many replicates, one `RunResult`.

Replicate r is seeded with child r of `numpy.random.SeedSequence(seed)` (turned into a
64-bit integer, see `alliance_sim.model.seed_to_int`), so the same seed gives the same
tables bit for bit, and any one replicate can be re-run alone with
`AllianceModel(config, rng=<its seed from runs.seed>)`.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

import alliance_sim
from alliance_sim.config import ScenarioConfig, month_label
from alliance_sim.loader import LoadedScenario, config_hash
from alliance_sim.model import AllianceModel, seed_to_int
from alliance_sim.results import RunResult, alliance_table, git_commit, member_table, run_table, trust_table

Progress = Callable[[int], None]
"""Called with the number of replicates just finished."""


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Integer seeds of the replicates: children of `SeedSequence(seed)`."""
    return [seed_to_int(child) for child in np.random.SeedSequence(seed).spawn(replicates)]  # type: ignore[misc]


def step_months(config: ScenarioConfig) -> list[str]:
    """Label of each recorded step: step s is the end of month s - 1 (step 0: the month before)."""
    return [month_label(config.time.start, s - 1) for s in range(config.time.horizon_months + 1)]


def run(
    scenario: ScenarioConfig | LoadedScenario,
    *,
    seed: int = 0,
    replicates: int = 1,
    steps: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run a scenario for a number of replicates on the Mesa engine.

    Args:
        scenario: A validated scenario, or a `LoadedScenario` (which adds provenance).
        seed: Root seed.
        replicates: Number of replicates (>= 1).
        steps: Months to run (default: the scenario's horizon; at most the horizon).
        progress: Optional callback after each replicate.

    Returns:
        The tables and manifest.
    """
    loaded = scenario if isinstance(scenario, LoadedScenario) else LoadedScenario(config=scenario)
    config = loaded.config
    if steps is not None:
        if not 1 <= steps <= config.time.horizon_months:
            raise ValueError(f"steps must be between 1 and the horizon ({config.time.horizon_months})")
        config = config.model_copy(update={"time": config.time.model_copy(update={"horizon_months": steps})})
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    seeds = replicate_seeds(seed, replicates)
    months = step_months(config)
    members, alliance, events, runs, trusts = [], [], [], [], []
    started = time.perf_counter()
    for r, replicate_seed in enumerate(seeds):
        model = AllianceModel(config, rng=replicate_seed).run()
        trace = model.trace
        status = trace.members["status"]
        trust = trace.members["trust_in_hegemon"]
        ids = list(model.world.members)
        members.append(member_table(trace.members, ids, months, r))
        alliance.append(alliance_table(status, trace.war_load, trust, months, r))
        runs.append(run_table(status, trust, ids, months, r, replicate_seed))
        if trace.trust is not None:
            trusts.append(trust_table(trace.trust, ids, months, r))
        if model.event_log:
            log = pd.DataFrame(model.event_log)
            log.insert(0, "replicate", r)
            events.append(log)
        if progress is not None:
            progress(1)
    elapsed = time.perf_counter() - started
    event_columns = ["replicate", "step", "month", "event", "kind", "target", "source", "severity",
                     "requester", "answer", "votes", "note"]
    manifest = {
        "package": "alliance-sim",
        "version": alliance_sim.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": config.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_files": loaded.files,
        "scenario_hash": config_hash(config),
        "overrides": loaded.overrides,
        "engine": "mesa",
        "seed": seed,
        "replicates": replicates,
        "steps": config.time.horizon_months,
        "start": config.time.start,
        "replicate_seeds": [str(s) for s in seeds],
        "git_commit": git_commit(Path(loaded.path).parent if loaded.path else None),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "run_seconds": round(elapsed, 3),
        "ledger": loaded.ledger,
        "calibration": {
            path: {"value": p.calibrated, "evidence": list(p.evidence), "used": p.used, "set_by": p.set_by}
            for path, p in loaded.calibration.items()
        },
        "event_evidence": {k: list(v) for k, v in loaded.event_evidence.items()},
    }
    return RunResult(
        members=pd.concat(members, ignore_index=True),
        alliance=pd.concat(alliance, ignore_index=True),
        events=pd.concat(events, ignore_index=True) if events else pd.DataFrame(columns=event_columns),
        runs=pd.concat(runs, ignore_index=True),
        manifest=manifest,
        scenario=config.model_dump(mode="json"),
        trust=pd.concat(trusts, ignore_index=True) if trusts else None,
    )
