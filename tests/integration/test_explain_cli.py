"""`alliance-sim explain`: the printed tables, `--json`, `--out`, errors, and the report's section."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_sim import run
from alliance_sim.cli.main import main
from alliance_sim.evidence import load_with_provenance as load

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
FAST = ["-n", "6", "--seed", "1", "--mechanism", "protection", "--mechanism", "outside_options"]


def invoke(*args: str):
    return CliRunner().invoke(main, ["explain", str(SMALL), *FAST, *args])


@pytest.fixture(scope="module")
def printed():
    done = invoke()
    assert done.exit_code == 0, done.output
    return done


def test_prints_the_three_tables(printed):
    out = printed.stdout
    assert "Decomposition: the named terms of each member's values (means of 6 replicates)" in out
    assert "Knock-outs: each mechanism switched off, each scripted event removed" in out
    assert "Unforced replay" in out
    # the decomposition: each member (not the hegemon) at the first month, each December, the last month
    assert re.search(r"^Small\s+2022-01\s", out, re.M) and re.search(r"^Mid\s+2022-01\s", out, re.M)
    assert re.search(r"^\s+2023-12\s", out, re.M) and not re.search(r"^Big\s", out, re.M)
    # the knock-out table: one row per arm (two mechanisms, two scripted events)
    for arm in ("protection", "outside_options", "first_attack", "spring_summit"):
        assert re.search(rf"^{arm}\s+(mechanism|event)\s", out, re.M), arm
    # the replay: the reported answer and the shares
    assert re.search(r"^first_attack\s+2022-03\s+small\s+token\s+\d\.\d{3}", out, re.M)


def test_progress_goes_to_stderr_one_line_per_step(printed):
    lines = printed.stderr.splitlines()
    assert len(lines) == 7  # decomposition, baseline, two mechanisms, two events, replay
    assert lines[0].startswith("explain [1/7] decomposition")
    assert lines[-1].startswith("explain [7/7] unforced replay")
    assert "explain [" not in printed.stdout


def test_quiet_prints_nothing_and_no_events_removes_no_event(tmp_path):
    done = invoke("--quiet", "--no-events", "--out", str(tmp_path / "why"))
    assert done.exit_code == 0, done.output
    assert done.stderr == "" and done.stdout == ""
    knockouts = pd.read_parquet(tmp_path / "why" / "knockouts.parquet")
    assert set(knockouts["arm"]) == {"protection", "outside_options"}


def test_the_help_names_every_mechanism():
    from alliance_sim.core.mechanisms import MECHANISMS

    done = CliRunner().invoke(main, ["explain", "--help"])
    text = " ".join(done.stdout.split())
    assert all(f" {m.name}," in text or f" {m.name} (" in text for m in MECHANISMS)


def test_arms_that_move_little_are_flagged(printed):
    rows = [line for line in printed.stdout.splitlines() if line.startswith("spring_summit ")]
    assert len(rows) == 1
    assert rows[0].endswith("moves little")


def test_member_limits_the_tables():
    done = invoke("--member", "mid")
    assert done.exit_code == 0, done.output
    assert re.search(r"^Mid\s+2022-01", done.stdout, re.M) and not re.search(r"^Small\s", done.stdout, re.M)
    knockouts = done.stdout.split("Knock-outs")[1].split("Unforced replay")[0]
    assert " mid " in knockouts and " small " not in knockouts


def test_json_schema():
    done = invoke("--json", "--quiet")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert set(data) >= {
        "scenario",
        "scenario_hash",
        "seed",
        "replicates",
        "mechanisms",
        "events",
        "key_months",
        "decomposition",
        "knockouts",
        "strongest",
        "moves_little",
        "replay",
        "out",
        "files",
    }
    assert data["seed"] == 1 and data["replicates"] == 6 and data["mechanisms"] == ["protection", "outside_options"]
    assert data["key_months"] == ["2022-01", "2022-12", "2023-12"]
    assert set(data["decomposition"][0]) == {"step", "month", "member", "term", "value"}
    assert set(data["knockouts"][0]) == {
        "arm",
        "kind",
        "label",
        "member",
        "outcome",
        "baseline",
        "knocked_out",
        "change",
        "low",
        "high",
    }
    assert len(data["strongest"]) == 4 and all("moves_little" in row for row in data["strongest"])
    assert data["replay"][0]["event"] == "first_attack" and data["replay"][0]["reported"] == "token"
    assert data["out"] is None and data["files"] == []


def test_out_writes_tables_figures_and_manifest(tmp_path):
    out = tmp_path / "explain"
    done = invoke("--out", str(out), "--quiet")
    assert done.exit_code == 0, done.output
    for name in ("decomposition", "knockouts", "replay"):
        parquet = pd.read_parquet(out / f"{name}.parquet")
        csv = pd.read_csv(out / f"{name}.csv")
        assert len(parquet) == len(csv) > 0
    assert (out / "figures" / "explain_terms.png").stat().st_size > 10_000
    assert (out / "figures" / "explain_knockouts.png").stat().st_size > 10_000
    assert (out / "scenario.yaml").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "explain" and manifest["seed"] == 1 and manifest["replicates"] == 6
    assert manifest["scenario_hash"] == load(SMALL).scenario_hash
    assert {*manifest["files"], "manifest.json", ".alliance-sim"} == {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
    }
    assert [p.name for p in tmp_path.iterdir()] == ["explain"]  # no temporary folder left


def test_out_refuses_an_existing_folder_before_running(tmp_path):
    out = tmp_path / "explain"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    for extra in ([], ["--overwrite"]):  # --overwrite replaces only a folder the tool wrote
        done = invoke("--out", str(out), *extra)
        assert done.exit_code == 2
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "explain [" not in done.stderr
        assert (out / "mine.txt").read_text() == "keep"
    assert "already exists" in invoke("--out", str(out)).stderr
    other = tmp_path / "why"
    assert invoke("--out", str(other), "--quiet").exit_code == 0
    before = (other / "manifest.json").read_text()
    done = invoke("--out", str(other), "--overwrite", "--quiet", "--seed", "2")
    assert done.exit_code == 0, done.output
    assert (other / "manifest.json").read_text() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explain", "why"]  # nothing half-written left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mechanism", "protecton"], "unknown mechanism 'protecton' (mechanisms: protection, "),
        (["--member", "nobody"], "unknown member 'nobody' (members: big, small, mid)"),
        (["-n", "1"], "Invalid value for '-n' / '--replicates'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    done = CliRunner().invoke(main, ["explain", str(SMALL), *args])
    assert done.exit_code == 2
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_bad_mechanism_fails_the_same_in_a_real_process():
    done = subprocess.run(
        [sys.executable, "-m", "alliance_sim", "explain", str(SMALL), "--mechanism", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "'nope'" in done.stderr


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "baseline"
    run(load(SMALL), seed=1, replicates=4).save(folder)
    return folder


def test_the_report_shows_the_explain_folder(run_folder):
    note = "<b>raids</b> & co"
    done = invoke("--out", str(run_folder / "explain"), "--set", f"events.first_attack.note={note}")
    assert done.exit_code == 0, done.output
    assert f"alliance-sim report {run_folder}" in done.stdout
    done = CliRunner().invoke(main, ["report", str(run_folder), "-o", str(run_folder.parent / "with.html")])
    assert done.exit_code == 0, done.output
    page = (run_folder.parent / "with.html").read_text()
    section = page[page.index('<section id="explain">') : page.index("</section>", page.index('id="explain"'))]
    assert '<a href="#explain">Explain</a>' in page
    assert "<h3>Knock-outs</h3>" in section and "<h3>Unforced replay</h3>" in section
    assert 'alt="explain_terms figure"' in section and 'alt="explain_knockouts figure"' in section
    assert "&lt;b&gt;raids&lt;/b&gt; &amp; co" in section and "<b>raids</b>" not in page
    assert "differs from the one of this run" in section  # the --set changed the scenario


def test_the_report_refuses_a_folder_that_is_not_an_explain_folder(run_folder, tmp_path):
    done = CliRunner().invoke(
        main, ["report", str(run_folder), "--explain", str(tmp_path), "-o", str(tmp_path / "r.html")]
    )
    assert done.exit_code == 2 and "not an explain folder" in done.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.slow
def test_the_report_takes_an_explain_folder_from_elsewhere(tmp_path):
    folder = tmp_path / "baseline"
    run(load(SMALL), seed=1, replicates=4).save(folder)
    done = invoke("--out", str(tmp_path / "why"), "--quiet")
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["report", str(folder), "--explain", str(tmp_path / "why")])
    assert done.exit_code == 0, done.output
    page = (folder / "report.html").read_text()
    assert 'id="explain"' in page and "differs from the one of this run" not in page
