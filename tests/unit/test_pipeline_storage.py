"""The one pipeline's storage: typed tables, marked folders, damaged folders, memory, scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_sim import AllianceModel, RunResult, SweepResult, load_scenario, run, sweep
from alliance_sim.cli.main import main
from alliance_sim.errors import InputError
from alliance_sim.evidence import load_with_provenance as load
from alliance_sim.experiments.executors import SerialExecutor
from alliance_sim.files import MARKER, atomic_write, folder_kind, safe_name

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SMALL = FIXTURES / "small.yaml"
GRID = FIXTURES / "sweeps" / "grid.yaml"


@pytest.fixture(scope="module")
def small_run():
    return run(load(SMALL), seed=3, replicates=3)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, small_run):
    return small_run.save(tmp_path_factory.mktemp("run") / "out")


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "out"
    sweep(GRID, executor=SerialExecutor(), out=out, chunk_runs=4)
    return out


# --- tables ------------------------------------------------------------------------------


def test_run_tables_are_typed_and_the_event_log_is_tidy(small_run):
    runs, members, events, answers = small_run.runs, small_run.members, small_run.events, small_run.answers
    status = pd.CategoricalDtype(["member", "disengaged", "withdrawn"], ordered=True)
    assert runs["final_status"].dtype == status and members["status"].dtype == status
    assert runs["seed"].dtype == np.uint64 and runs["replicate"].dtype == np.int32
    assert members["replicate"].dtype == np.int32
    for frame, column in ((members, "member"), (members, "month"), (runs, "member")):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
    assert "votes" not in events.columns
    assert list(answers.columns) == ["replicate", "request", "ally", "answer"]
    assert answers["answer"].dtype == pd.CategoricalDtype(["refused", "token", "full"], ordered=True)
    requests = events[events["kind"] == "request"]
    assert len(requests) > 0 and requests["request"].notna().all()
    assert events.loc[events["kind"] != "request", "request"].isna().all()
    keys = set(map(tuple, requests[["replicate", "request"]].astype(int).to_numpy()))
    assert set(map(tuple, answers[["replicate", "request"]].astype(int).to_numpy())) <= keys


def test_a_saved_run_reads_back_equal(small_run, run_folder):
    again = RunResult.load(run_folder)
    for name in ("members", "alliance", "runs", "events", "answers"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(small_run, name), obj=name)
    assert folder_kind(run_folder) == "run"
    assert not any(p.name.endswith((".tmp", ".partial")) for p in run_folder.parent.iterdir())


def test_the_manifest_records_the_ledger_relative_to_the_scenario_with_its_hash():
    loaded = load(ROOT / "scenarios" / "csto_2022.yaml")
    result = run(loaded, replicates=1, steps=1, engine="ensemble")
    ledger = result.manifest["ledger"]
    assert not Path(ledger["path"]).is_absolute() and len(ledger["sha256"]) == 16
    assert (ROOT / "scenarios" / ledger["path"]).resolve() == Path(loaded.ledger).resolve()


# --- refusing up front -------------------------------------------------------------------


def test_a_run_too_large_for_memory_is_refused_with_the_estimate(monkeypatch):
    config = load_scenario(SMALL)
    with pytest.raises(InputError, match=r"1,000,000 replicates would hold about .* GB .*ALLIANCE_SIM_RUN_MEMORY_GB"):
        run(config, replicates=1_000_000)
    monkeypatch.setenv("ALLIANCE_SIM_RUN_MEMORY_GB", "0.000001")
    with pytest.raises(InputError, match="above the limit of 1e-06 GB"):
        run(config, replicates=2)
    assert len(run(config, replicates=2, max_memory_gb=1).runs) == 6


def test_run_overwrite_never_deletes_a_folder_the_tool_did_not_write(tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("my thesis")
    done = CliRunner().invoke(main, ["run", str(SMALL), "--out", str(thesis), "--overwrite", "-q"])
    assert done.exit_code == 2
    assert "not written by alliance-sim" in done.output and len(done.output.strip().splitlines()) == 1
    assert (thesis / "chapter1.tex").read_text() == "my thesis"


def test_run_overwrite_replaces_its_own_results_but_not_a_sweep(tmp_path, sweep_folder):
    out = tmp_path / "out"
    for _ in range(2):
        done = CliRunner().invoke(main, ["run", str(SMALL), "-n", "2", "--out", str(out), "--overwrite", "-q"])
        assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["run", str(SMALL), "-n", "2", "--out", str(sweep_folder), "--overwrite", "-q"])
    assert done.exit_code == 2 and "sweep's results" in done.output


def test_a_run_folder_written_before_markers_is_replaced_but_not_with_a_users_file(tmp_path, run_folder):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run_folder, old)
    (old / MARKER).unlink()
    (old / "answers.parquet").unlink()  # not written before markers existed
    assert folder_kind(old) == "run"
    (old / "notes.txt").write_text("mine")
    assert folder_kind(old) is None


def test_a_spec_name_never_leaves_the_results_folder(tmp_path, monkeypatch):
    spec = tmp_path / "spec.yaml"
    text = GRID.read_text().replace("name: grid_test", "name: ../escaped")
    spec.write_text(text.replace("scenario: pact.yaml", f"scenario: {GRID.parent / 'pact.yaml'}"))
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["sweep", str(spec), "-w", "1", "-q"])
    assert done.exit_code == 2 and "name" in done.output  # the spec refuses it
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "results").exists()
    # and the folder name is made safe even where a name reaches it unchecked
    assert safe_name("../escaped") == "_escaped" and safe_name("/etc") == "_etc" and safe_name("..") == "unnamed"


# --- damaged folders ---------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _empty_table(path: Path) -> None:
    frame = pd.read_parquet(path)
    frame.iloc[:0].to_parquet(path)


RUN_DAMAGES = {
    "truncated parquet": ("runs.parquet", lambda f: _truncate(f / "runs.parquet"), "truncated or damaged"),
    "manifest not json": ("manifest.json", lambda f: (f / "manifest.json").write_text("{not json"), "not valid JSON"),
    "manifest lacks keys": (
        "manifest.json",
        lambda f: (f / "manifest.json").write_text(json.dumps({"format": "parquet"})),
        "damaged manifest: no scenario, seed, replicates",
    ),
    "table with no rows": ("members.parquet", lambda f: _empty_table(f / "members.parquet"), "has no rows"),
    "manifest a list": ("manifest.json", lambda f: (f / "manifest.json").write_text("[]"), "not a JSON object"),
}

SWEEP_DAMAGES = {
    "truncated parquet": (
        "runs/part-000001.parquet",
        lambda f: _truncate(f / "runs" / "part-000001.parquet"),
        "truncated or damaged",
    ),
    "manifest not json": ("manifest.json", lambda f: (f / "manifest.json").write_text("{not json"), "not valid JSON"),
    "manifest lacks keys": (
        "manifest.json",
        lambda f: (f / "manifest.json").write_text(json.dumps({"kind": "sweep", "spec": {}})),
        "damaged manifest: no spec_hash, design",
    ),
    "stray copy of a part": (
        "outcomes/part-000000 (copy).parquet",
        lambda f: (f / "outcomes" / "part-000000 (copy).parquet").write_bytes(
            (f / "outcomes" / "part-000000.parquet").read_bytes()
        ),
        "not a part file of this sweep",
    ),
    "table with no rows": (
        "outcomes/part-000000.parquet",
        lambda f: _empty_table(f / "outcomes" / "part-000000.parquet"),
        "has no rows",
    ),
    "design with no rows": ("design.parquet", lambda f: _empty_table(f / "design.parquet"), "has no rows"),
}


def _damaged_copy(source: Path, tmp_path: Path, damage) -> Path:
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(source, folder)
    damage(folder)
    return folder


@pytest.mark.parametrize("case", list(RUN_DAMAGES))
def test_a_damaged_run_folder_is_one_error_naming_the_file(case, run_folder, tmp_path):
    file, damage, message = RUN_DAMAGES[case]
    folder = _damaged_copy(run_folder, tmp_path, damage)
    with pytest.raises(InputError, match=message) as caught:
        RunResult.load(folder)
    assert caught.value.file == str(folder / file)
    done = CliRunner().invoke(main, ["plot", str(folder), "-o", str(tmp_path / "figs")])
    assert done.exit_code == 2
    assert done.output.startswith(f"error: {folder / file}: ")
    assert len(done.output.strip().splitlines()) == 1


@pytest.mark.parametrize("case", list(SWEEP_DAMAGES))
def test_a_damaged_sweep_folder_is_one_error_naming_the_file(case, sweep_folder, tmp_path):
    file, damage, message = SWEEP_DAMAGES[case]
    folder = _damaged_copy(sweep_folder, tmp_path, damage)
    with pytest.raises(InputError, match=message) as caught:
        result = SweepResult.load(folder)
        result.probabilities()
        result.design  # noqa: B018 - reading is the point
    assert caught.value.file == str(folder / file)
    for command in (["analyze", str(folder)], ["plot", str(folder), "-o", str(tmp_path / "figs")]):
        done = CliRunner().invoke(main, command)
        assert done.exit_code == 2, done.output
        assert done.output.startswith(f"error: {folder / file}: ")
        assert len(done.output.strip().splitlines()) == 1


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


# --- Mesa's batch_run ----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["path", "object"])
def test_batch_run_takes_a_path_or_a_scenario_object(scenario):
    value = str(SMALL) if scenario == "path" else load_scenario(SMALL)
    rows = mesa.batch_run(
        AllianceModel, parameters={"scenario": value}, rng=[1], max_steps=2, display_progress=False, number_processes=1
    )
    assert rows and all(row["scenario"] is value for row in rows)


# --- scripts with workers ----------------------------------------------------------------

UNGUARDED = {
    "run": f"""
        from alliance_sim import load_scenario, run
        from alliance_sim.experiments import driver
        driver.WORKER_START_SECONDS = 0.0  # workers always pay, even for this small run
        run(load_scenario({str(SMALL)!r}), replicates=8, workers=2, engine="mesa")  # past the pilot
        print("finished")
    """,
    "sweep": f"""
        from alliance_sim import sweep
        from alliance_sim.experiments.executors import ProcessExecutor
        sweep({str(GRID)!r}, executor=ProcessExecutor(2), chunk_runs=2)
        print("finished")
    """,
}


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent(body))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
    )
    assert list(temporary.iterdir()) == [], "temporary folders left behind"
    return done


@pytest.mark.parametrize("kind", ["run", pytest.param("sweep", marks=pytest.mark.slow)])
def test_an_unguarded_script_with_workers_fails_at_once_with_what_to_add(kind, tmp_path):
    done = _script(tmp_path, UNGUARDED[kind])
    assert done.returncode == 1 and "finished" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("alliance_sim.errors.InputError:") and 'if __name__ == "__main__":' in last
    assert done.stderr.count("Traceback") == 1


@pytest.mark.slow
def test_a_guarded_script_with_workers_works(tmp_path):
    body = "\n".join(
        ["if __name__ == '__main__':", *("    " + line for line in textwrap.dedent(UNGUARDED["sweep"]).splitlines())]
    )
    done = _script(tmp_path, body)
    assert done.returncode == 0, done.stderr
    assert "finished" in done.stdout
