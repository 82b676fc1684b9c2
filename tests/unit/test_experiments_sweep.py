"""Sweeps end to end: executors, engines, storage, failures, resume."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from alliance_sim import run
from alliance_sim.errors import InputError
from alliance_sim.evidence import load_scenario
from alliance_sim.experiments.driver import plan_chunks, sweep
from alliance_sim.experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from alliance_sim.experiments.results import SweepResult
from alliance_sim.experiments.spec import load_sweep_spec
from alliance_sim.experiments.storage import SweepStore
from alliance_sim.runs import pipeline as sweep_module
from alliance_sim.runs.seeds import run_seed
from alliance_sim.scenario.loader import with_overrides

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweeps"
PACT = FIXTURES / "pact.yaml"

GRID = """
design: grid
parameters:
  actors.big.capacity: [0.2, 0.8]
  actors.small.outside_option: [0.1, 0.5, 0.9]
replicates: 6
seed: 11
outcomes: [status, disengaged, withdrawn, min_trust_in_hegemon, final_pressure, cohesion, min_cohesion, war_load]
timeseries: {stride: 5, quantities: [status, trust_in_hegemon]}
"""


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings (categories depend on which values a table holds)."""
    return frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})


def write_spec(tmp_path: Path, text: str = GRID, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"scenario: {PACT}\n" + text)
    return path


def comparable(result: SweepResult) -> dict[str, pd.DataFrame]:
    runs = result.runs.drop(columns=["seconds", "engine"])
    return {"runs": runs, "outcomes": result.outcomes, "alliance": result.alliance, "timeseries": result.timeseries}


def assert_same(a: SweepResult, b: SweepResult) -> None:
    left, right = comparable(a), comparable(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid sweep run serially on the ensemble engine, one chunk per point."""
    tmp = tmp_path_factory.mktemp("reference")
    return sweep(write_spec(tmp), executor=SerialExecutor(), out=tmp / "out", chunk_runs=6)


def test_reference_tables_are_complete(reference):
    assert reference.manifest["state"] == "complete"
    assert reference.parameters == ["actors.big.capacity", "actors.small.outside_option"]
    assert list(reference.design.columns) == ["point", *reference.parameters]
    runs = reference.runs
    assert len(runs) == 36 and runs["run_id"].tolist() == list(range(36))
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    assert set(reference.parameters) <= set(runs.columns)
    assert len(reference.outcomes) == 36 * 3
    assert len(reference.alliance) == 36
    steps = sorted(reference.timeseries["step"].unique())
    assert steps == [0, 5, 10, 15, 20, 24]
    expected = [run_seed(11, p, r) for p in range(6) for r in range(6)]
    assert runs["seed"].tolist() == expected


def test_a_run_is_point_zero_of_a_sweep_with_the_same_seed(reference):
    """One seeding scheme and one converter: `run` with seed s equals point 0 of a sweep with root seed s."""
    spec = load_sweep_spec(reference.manifest["spec"]["file"])
    runs = reference.runs
    first = runs[runs["point"] == 0].iloc[0]
    config = with_overrides(spec.base, {p: first[p].item() for p in reference.parameters})
    result = run(config, seed=11, replicates=6)
    columns = list(result.runs.columns.drop("seed"))
    got = reference.outcomes[reference.outcomes["point"] == 0][columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(plain(result.runs[columns]), plain(got), check_exact=True)
    assert result.runs.groupby("replicate")["seed"].first().tolist() == runs["seed"][runs["point"] == 0].tolist()


def test_mesa_engine_gives_identical_results(reference, tmp_path):
    other = sweep(write_spec(tmp_path), executor=SerialExecutor(), out=tmp_path / "out", engine="mesa", chunk_runs=5)
    assert other.manifest["engine"] == "mesa"
    assert_same(reference, other)


@pytest.mark.parametrize("chunk_runs", [1, 7, 1000])
def test_chunking_does_not_change_results(reference, tmp_path, chunk_runs):
    other = sweep(write_spec(tmp_path), executor=SerialExecutor(), out=tmp_path / "out", chunk_runs=chunk_runs)
    assert_same(reference, other)


def test_process_executor_gives_identical_results(reference, tmp_path):
    with ProcessExecutor(2) as executor:
        other = sweep(write_spec(tmp_path), executor=executor, out=tmp_path / "out", chunk_runs=4)
    assert other.manifest["executor"] == "processes (2 workers)"
    assert_same(reference, other)


def _malloc_trim_threshold() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_choose_workers_starts_workers_only_when_they_pay():
    from alliance_sim.experiments.driver import WORKER_START_SECONDS, choose_workers

    assert choose_workers(0.5, 2) == 1  # a small sweep: starting workers would cost more than they save
    assert choose_workers(2 * WORKER_START_SECONDS, 2) == 1
    assert choose_workers(100 * WORKER_START_SECONDS, 2) == 2
    assert choose_workers(100 * WORKER_START_SECONDS, 1) == 1
    assert choose_workers(1000 * WORKER_START_SECONDS, 8) == 8


def test_a_small_sweep_with_two_workers_runs_here(reference, tmp_path):
    other = sweep(write_spec(tmp_path), out=tmp_path / "out", workers=2)
    assert other.manifest["executor"] == "serial (1 worker)"
    assert_same(reference, other)


def test_workers_chosen_from_the_pilot_give_identical_results(reference, tmp_path, monkeypatch):
    from alliance_sim.experiments import driver

    monkeypatch.setattr(driver, "WORKER_START_SECONDS", 0.0)  # workers always pay
    monkeypatch.setitem(driver.PILOT_RUNS, "ensemble", 5)
    other = sweep(write_spec(tmp_path), out=tmp_path / "out", workers=2, chunk_seconds=1e-6)
    assert other.manifest["executor"] == "processes (2 workers)"
    assert_same(reference, other)


def test_a_small_run_with_two_workers_runs_here():
    config = load_scenario(PACT)
    one = run(config, seed=4, replicates=8, engine="ensemble")
    two = run(config, seed=4, replicates=8, engine="ensemble", workers=2)
    assert two.manifest["executor"] == "serial (1 worker)"
    pd.testing.assert_frame_equal(one.members, two.members, check_exact=True)


def test_dask_local_cluster_of_processes_gives_identical_results(reference, tmp_path):
    pytest.importorskip("distributed")
    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    with DaskExecutor("local", workers=2) as executor:
        # The workers run with the project's allocator settings, not the nanny's.
        assert set(executor._client.run(_malloc_trim_threshold).values()) == {before}
        other = sweep(write_spec(tmp_path), executor=executor, out=tmp_path / "out", chunk_runs=5)
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == before
    assert other.manifest["executor"] == "dask local cluster (2 worker processes)"
    assert_same(reference, other)


def test_dask_local_cluster_of_threads_says_threads(reference, tmp_path):
    pytest.importorskip("distributed")
    with DaskExecutor("local", workers=2, processes=False) as executor:
        other = sweep(write_spec(tmp_path), executor=executor, out=tmp_path / "out", chunk_runs=9)
    assert other.manifest["executor"] == "dask local cluster (2 worker threads in this process)"
    assert_same(reference, other)


def test_dask_executor_connects_to_a_running_scheduler(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None)
    with cluster, DaskExecutor(cluster.scheduler_address) as executor:
        assert executor.workers == 2
        other = sweep(write_spec(tmp_path), executor=executor, out=tmp_path / "out", chunk_runs=7)
    assert other.manifest["executor"] == f"dask {cluster.scheduler_address} (1 worker process, 2 threads in all)"
    assert_same(reference, other)


def test_default_sweep_with_pilot_and_temporary_folder(reference):
    other = sweep(reference.manifest["spec"]["file"])
    assert other.folder.exists()
    assert_same(reference, other)


def test_common_random_numbers_share_seeds_across_points(tmp_path):
    result = sweep(
        write_spec(tmp_path, GRID + "common_random_numbers: true\n"), executor=SerialExecutor(), out=tmp_path / "out"
    )
    runs = result.runs
    by_replicate = runs.groupby("replicate")["seed"].nunique()
    assert (by_replicate == 1).all()
    assert runs.loc[runs["replicate"] == 2, "seed"].iloc[0] == run_seed(11, 0, 2)


# --- failures -------------------------------------------------------------------------


def test_a_run_that_raises_is_recorded_and_the_rest_complete(reference, tmp_path, monkeypatch):
    bad_seed = run_seed(11, 2, 3)
    real = sweep_module.run_stacked

    def flaky(groups, **options):
        if any(bad_seed in seeds for _, seeds in groups):
            raise FloatingPointError("simulated failure")
        return real(groups, **options)

    monkeypatch.setattr(sweep_module, "run_stacked", flaky)
    spec = write_spec(tmp_path)
    result = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", chunk_runs=6)
    failed = result.failed()
    assert failed["run_id"].tolist() == [2 * 6 + 3]
    assert failed["error"].iloc[0].startswith("FloatingPointError: simulated failure")
    assert result.manifest["runs_failed"] == 1 and result.manifest["runs_ok"] == 35
    assert 15 not in set(result.outcomes["run_id"])
    assert len(result.outcomes) == 35 * 3
    probabilities = result.probabilities()
    assert probabilities.loc[probabilities["point"] == 2, "replicates"].tolist() == [5, 5, 5]

    # A plain resume keeps the failure; --retry-failed runs it again, and then every run
    # is there exactly once, equal to a sweep that never failed.
    monkeypatch.setattr(sweep_module, "run_stacked", real)
    again = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", resume=True)
    assert again.manifest["runs_failed"] == 1
    fixed = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", retry_failed=True)
    assert fixed.manifest["runs_failed"] == 0
    assert fixed.runs["run_id"].is_unique
    assert_same(reference, fixed)


def test_an_invalid_combination_fails_its_point_only(tmp_path):
    spec = write_spec(
        tmp_path,
        """
design: grid
parameters:
  model.status.disengage: [0.5, 0.9]
  model.status.withdraw: [0.6, 1.2]
replicates: 3
""",
    )
    result = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out")
    failed = result.failed()
    assert sorted(failed["point"].unique()) == [2]  # disengage 0.9 > withdraw 0.6
    assert "rejoin <= reengage <= disengage <= withdraw" in failed["error"].iloc[0]
    assert result.manifest["runs_ok"] == 9


# --- storage and resume -----------------------------------------------------------------


class Stop(KeyboardInterrupt):
    pass


def test_interrupted_sweep_resumes_to_identical_results(reference, tmp_path):
    spec = write_spec(tmp_path)
    seen = []

    def stop_after_two_chunks(n):
        seen.append(n)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(KeyboardInterrupt):
        sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", chunk_runs=5, progress=stop_after_two_chunks)
    store = SweepStore(tmp_path / "out")
    manifest = store.read_manifest()
    assert manifest["state"] == "interrupted"
    assert (manifest["runs_ok"], manifest["runs_failed"], manifest["runs_missing"]) == (10, 0, 26)
    assert len(store.run_status()) == 10
    with FileLock(store.lock_path, timeout=0):  # released
        pass
    resumed = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", resume=True, chunk_runs=5)
    assert resumed.manifest["state"] == "complete"
    assert resumed.runs["run_id"].is_unique
    assert_same(reference, resumed)


def test_orphan_parts_are_ignored_and_cleaned(reference, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    sweep(spec, executor=SerialExecutor(), out=out, chunk_runs=6)
    # A chunk killed between its outcome part and its runs part leaves an orphan.
    orphan = out / "outcomes" / "part-000099.parquet"
    (out / "outcomes" / "part-000000.parquet").rename(orphan)
    (out / "runs" / "part-000000.parquet").unlink()
    (out / "alliance" / "part-000000.parquet").unlink()
    (out / "timeseries" / "part-000000.parquet").unlink()
    (out / "runs" / ".part-000100.parquet.tmp").write_bytes(b"partial")
    partial = SweepResult.load(out)
    assert 0 not in set(partial.outcomes["run_id"])
    resumed = sweep(spec, executor=SerialExecutor(), out=out, resume=True)
    assert not orphan.exists()
    assert not (out / "runs" / ".part-000100.parquet.tmp").exists()
    assert_same(reference, resumed)


def test_changed_spec_refuses_to_resume(tmp_path):
    spec = write_spec(tmp_path)
    sweep(spec, executor=SerialExecutor(), out=tmp_path / "out")
    write_spec(tmp_path, GRID.replace("replicates: 6", "replicates: 7"))
    with pytest.raises(InputError, match="another spec"):
        sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", resume=True)
    with pytest.raises(InputError, match="already holds a sweep"):
        sweep(spec, executor=SerialExecutor(), out=tmp_path / "out")
    fresh = sweep(spec, executor=SerialExecutor(), out=tmp_path / "out", overwrite=True)
    assert len(fresh.runs) == 42


def test_a_held_lock_refuses_a_second_writer_and_overwrite_deletes_nothing(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    sweep(spec, executor=SerialExecutor(), out=out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with FileLock(SweepStore(out).lock_path, timeout=0):  # another writer
        with pytest.raises(InputError, match="another process"):
            sweep(spec, executor=SerialExecutor(), out=out, resume=True)
        with pytest.raises(InputError, match="another process"):
            sweep(spec, executor=SerialExecutor(), out=out, overwrite=True)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    sweep(spec, executor=SerialExecutor(), out=out, resume=True)  # free again


def test_overwrite_replaces_only_a_folder_the_tool_marked_as_a_sweep(tmp_path):
    spec = write_spec(tmp_path)
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("text")
    (mine / "manifest.json").write_text('{"kind": "sweep"}')
    with pytest.raises(InputError, match="not written by alliance-sim"):
        sweep(spec, executor=SerialExecutor(), out=mine, overwrite=True)
    assert (mine / "chapter1.tex").read_text() == "text"
    run_folder = tmp_path / "a-run"
    from alliance_sim import files

    run_folder.mkdir()
    files.write_marker(run_folder, "run")
    files.write_json(run_folder / "manifest.json", {"kind": "sweep", "spec": {}, "spec_hash": "x", "design": {}})
    with pytest.raises(InputError, match="run's results"):
        sweep(spec, executor=SerialExecutor(), out=run_folder, overwrite=True)
    assert (run_folder / "manifest.json").exists()


def test_a_part_truncated_after_the_fact_is_run_again_on_resume(reference, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    sweep(spec, executor=SerialExecutor(), out=out, chunk_runs=6)
    for table in ("outcomes", "runs"):
        part = out / table / f"part-00000{2 if table == 'runs' else 3}.parquet"
        part.write_bytes(part.read_bytes()[:-100])
    with pytest.raises(InputError, match="truncated or damaged"):
        SweepResult.load(out)
    resumed = sweep(spec, executor=SerialExecutor(), out=out, resume=True)
    assert resumed.manifest["runs_missing"] == 0
    assert_same(reference, resumed)


def test_no_timeseries_folder_without_time_series_and_no_chunk_column(tmp_path):
    text = GRID.replace("timeseries: {stride: 5, quantities: [status, trust_in_hegemon]}\n", "")
    result = sweep(write_spec(tmp_path, text), executor=SerialExecutor(), out=tmp_path / "out", chunk_runs=6)
    assert not (tmp_path / "out" / "timeseries").exists()
    for name in ("runs", "outcomes", "alliance"):
        assert "chunk" not in getattr(result, name).columns
    assert (tmp_path / "out" / ".alliance-sim").is_file()


def test_typed_columns(reference):
    outcomes, runs = reference.outcomes, reference.runs
    assert outcomes["final_status"].dtype == pd.CategoricalDtype(["member", "disengaged", "withdrawn"], ordered=True)
    assert isinstance(outcomes["member"].dtype, pd.CategoricalDtype)
    assert isinstance(reference.timeseries["month"].dtype, pd.CategoricalDtype)
    assert runs["seed"].dtype == np.uint64 and runs["replicate"].dtype == np.int32
    assert outcomes["replicate"].dtype == np.int32


def test_a_sweep_without_a_folder_leaves_no_temporary_folder(reference):
    import gc

    result = sweep(reference.manifest["spec"]["file"], executor=SerialExecutor())
    folder = result.folder.parent
    assert folder.is_dir() and len(result.runs) == 36
    del result
    gc.collect()
    assert not folder.exists()


def test_plan_chunks_covers_every_run_once():
    todo = np.array([0, 1, 2, 5, 6, 7, 8, 9, 13], dtype=np.int64)
    chunks = list(plan_chunks(todo, 5, lambda point: (point,), 3))
    runs = [(p, r) for chunk in chunks for p, _, reps in chunk.groups for r in reps]
    assert [p * 5 + r for p, r in runs] == todo.tolist()
    assert all(chunk.runs <= 3 for chunk in chunks)
    assert chunks[0].groups[0] == (0, (0,), (0, 1, 2))


def test_guided_chunks_shrink_toward_the_end():
    todo = np.arange(1000, dtype=np.int64)
    chunks = list(plan_chunks(todo, 10, lambda point: (point,), 200, workers=2))
    sizes = [chunk.runs for chunk in chunks]
    assert sum(sizes) == 1000
    assert max(sizes) <= 200 and sizes[0] == 200
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    runs = [p * 10 + r for chunk in chunks for p, _, reps in chunk.groups for r in reps]
    assert runs == list(range(1000))
