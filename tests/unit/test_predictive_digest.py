"""Posterior predictive results stay what they were, bit for bit, however the replicates are grouped.

The digests below were computed with every particle's replicates run as a block of their
own (one compiled world per particle). Any regrouping of the ensemble (particles sharing
a block, cached scenarios) must give the same tables. When the model's equations change
on purpose, recompute them with ``python tests/unit/test_predictive_digest.py``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliance_sim.core.ensemble import run_ensemble, run_stacked
from alliance_sim.core.world import compile_timeline
from alliance_sim.evidence import load_with_provenance
from alliance_sim.runs.pipeline import BLOCK, RUN_OUTCOMES, RunContext, Timeseries, plan_chunks, run_chunk
from alliance_sim.runs.predictive import load_predictive

ROOT = Path(__file__).resolve().parents[2]
CSTO = ROOT / "scenarios" / "csto_2022.yaml"

RUN_DIGEST = "34f003241a2f7c527cce9782c3a34e4c"
SWEEP_DIGEST = "4a51ddc9dfdbd44dc7a855d95b6b3416"


def digest(frames: dict[str, pd.DataFrame]) -> str:
    """A hash of some tables: their names, columns and every value (row order as given)."""
    h = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        h.update(name.encode())
        h.update(",".join(map(str, frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:32]


def run_digest() -> str:
    """A posterior predictive run of the baseline: 40 replicates, 20 months, its full record."""
    from alliance_sim.experiments.driver import run

    result = run(load_with_provenance(CSTO), seed=11, replicates=40, steps=20)
    frames = {"members": result.members, "alliance": result.alliance, "events": result.events, "runs": result.runs}
    frames["runs"] = frames["runs"].drop(columns=[c for c in ("seconds",) if c in frames["runs"].columns])
    if result.answers is not None:
        frames["answers"] = result.answers
    return digest(frames)


def sweep_digest(block: int = BLOCK) -> str:
    """Three design points of a posterior predictive sweep, 30 replicates each, the whole horizon.

    `block`: most replicates per ensemble block (a small one cuts through the particles).
    """
    loaded = load_with_provenance(CSTO)
    config = loaded.config
    replicates = 30
    context = RunContext(
        base=config,
        paths=("actors.russia.capacity",),
        root=5,
        common=False,
        engine="ensemble",
        replicates=replicates,
        outcomes=RUN_OUTCOMES,
        timeseries=Timeseries(stride=3),
        predictive=load_predictive(loaded, 5, replicates, config=config),
        block=block,
    )
    levels = (0.3, 0.6, 0.9)
    todo = np.arange(len(levels) * replicates, dtype=np.int64)
    frames: dict[str, list[pd.DataFrame]] = {}
    for chunk in plan_chunks(todo, replicates, lambda p: (levels[p],), 25):
        tables = run_chunk(context, chunk)
        assert set(tables["runs"].column("status").to_pylist()) == {"ok"}
        for name, table in tables.items():
            frames.setdefault(name, []).append(table.to_pandas())
    out = {}
    for name, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True)
        if "seconds" in frame.columns:
            frame = frame.drop(columns=["seconds"])
        keys = [c for c in ("run_id", "step", "member", "seq", "ally") if c in frame.columns]
        out[name] = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return digest(out)


@pytest.mark.parametrize(("make", "expected"), [(run_digest, RUN_DIGEST), (sweep_digest, SWEEP_DIGEST)])
def test_predictive_results_are_those_of_one_block_per_particle(make, expected):
    assert make() == expected


def test_blocks_that_cut_through_particles_give_the_same_tables():
    assert sweep_digest(block=7) == SWEEP_DIGEST


def test_stacked_groups_equal_each_group_alone():
    loaded = load_with_provenance(CSTO)
    predictive = load_predictive(loaded, 3, 6)
    assert predictive is not None
    worlds = [compile_timeline(predictive.config(draw, loaded.config)) for draw in (0, 3)]
    seeds = [[11, 12, 13], [21, 22]]
    stacked = run_stacked(list(zip(worlds, seeds, strict=True)))
    alone = [run_ensemble(world, group) for world, group in zip(worlds, seeds, strict=True)]
    for name, array in stacked.members.items():
        np.testing.assert_array_equal(array, np.concatenate([t.members[name] for t in alone], axis=1))
    np.testing.assert_array_equal(stacked.war_load, np.concatenate([t.war_load for t in alone], axis=1))
    assert stacked.answers is not None
    np.testing.assert_array_equal(stacked.answers, np.concatenate([t.answers for t in alone if t.answers is not None]))


if __name__ == "__main__":
    print(f'RUN_DIGEST = "{run_digest()}"')
    print(f'SWEEP_DIGEST = "{sweep_digest()}"')


def test_a_large_chunk_loads_the_compiled_kernels_for_its_small_particle_blocks():
    pytest.importorskip("numba")
    code = (
        "import sys\n"
        "from alliance_sim.core import kernels\n"
        "kernels.expect(kernels.AUTO_ROWS - 1)\n"
        "assert 'numba' not in sys.modules\n"
        "kernels.expect(kernels.AUTO_ROWS)\n"
        "assert 'numba' in sys.modules\n"
        "assert kernels.backend() == 'numba'\n"
    )
    env = {**os.environ, "ALLIANCE_SIM_KERNELS": "auto", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
