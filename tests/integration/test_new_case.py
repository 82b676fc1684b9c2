"""`alliance-sim new`: a case that validates and runs as written; sources in the report and manifest."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main
from alliance_sim.evidence import load_ledger, load_with_provenance, verify_quotes
from alliance_sim.scaffold import FILES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_new_writes_a_case_that_validates_and_runs(cli: CliRunner, tmp_path: Path) -> None:
    case = tmp_path / "pact"
    done = cli.invoke(
        main, ["new", str(case), "--name", "Test Pact", "--members", "big,left,right", "--hegemon", "big"]
    )
    assert done.exit_code == 0, done.output
    assert sorted(p.relative_to(case).as_posix() for p in case.rglob("*") if p.is_file()) == sorted(FILES)
    assert "calibration:\n  ledger: evidence.yaml" in (case / "scenario.yaml").read_text()
    assert "plain-text file" in (case / "articles" / "README.md").read_text()
    checked = cli.invoke(main, ["validate", str(case / "scenario.yaml")])
    assert checked.exit_code == 0, checked.output
    assert "warning" not in checked.output, "a new case starts at rest"
    ledger = load_ledger(case / "evidence.yaml")
    verify_quotes(ledger)
    assert ledger.items[0].citation.startswith("Example outlet (made up)")
    loaded = load_with_provenance(case / "scenario.yaml")
    assert loaded.config.alliance.hegemon == "big"
    assert loaded.calibration["actors.left.trust_prior"].evidence == ("example-observers-only",)
    ran = cli.invoke(main, ["run", str(case / "scenario.yaml"), "-n", "20", "--engine", "ensemble", "--json"])
    assert ran.exit_code == 0, ran.output
    patterns = cli.invoke(main, ["patterns", str(case / "scenario.yaml"), "-n", "20"])
    assert patterns.exit_code == 0, patterns.output


def test_new_defaults_and_an_empty_folder(cli: CliRunner, tmp_path: Path) -> None:
    case = tmp_path / "empty"
    case.mkdir()
    done = cli.invoke(main, ["new", str(case)])
    assert done.exit_code == 0, done.output
    text = (case / "scenario.yaml").read_text()
    assert "name: empty" in text and "hegemon: leader" in text


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    case = tmp_path / "taken"
    case.mkdir()
    (case / "notes.txt").write_text("mine\n")
    done = CliRunner().invoke(main, ["new", str(case)])
    assert done.exit_code == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "not empty" in done.stderr
    assert sorted(p.name for p in case.iterdir()) == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"], "no staging folder left behind"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--members", "Big,left"], "'Big' is not an actor id"),
        (["--members", "big"], "at least two members"),
        (["--members", "big,left,big"], "named twice"),
        (["--members", "big,left", "--hegemon", "other"], "the hegemon 'other' is not one of the members"),
        (["--members", "big,rival"], "example's outside actor"),
    ],
)
def test_bad_names_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], fragment: str) -> None:
    done = CliRunner().invoke(main, ["new", str(tmp_path / "case"), *args])
    assert done.exit_code == 2
    assert done.stderr.count("\n") == 1 and fragment in done.stderr, done.stderr
    assert not (tmp_path / "case").exists()


def test_validate_names_file_line_and_item_of_a_misquote(cli: CliRunner, tmp_path: Path) -> None:
    case = tmp_path / "pact"
    assert cli.invoke(main, ["new", str(case)]).exit_code == 0
    ledger = case / "evidence.yaml"
    ledger.write_text(ledger.read_text().replace("a handful of observers", "many observers"))
    done = cli.invoke(main, ["validate", str(case / "scenario.yaml")])
    assert done.exit_code == 2
    line = next(i for i, text in enumerate(ledger.read_text().splitlines(), 1) if "many observers" in text)
    assert f"{ledger}:{line}:" in done.stderr
    assert "'example-observers-only' is not in articles/example.txt" in done.stderr


def test_run_manifest_and_report_name_sources_and_reader_comments(tmp_path: Path) -> None:
    from alliance_sim import run
    from alliance_sim.reporting.report import build_report

    loaded = load_with_provenance(ROOT / "scenarios" / "csto_2022.yaml")
    result = run(loaded, seed=1, replicates=2, engine="ensemble")
    recorded = result.manifest["evidence"]
    reader = recorded["reader-collective-dictatorships"]
    assert reader["kind"] == "reader_comment"
    assert reader["citation"] == "[Massis Post], [untitled], [2023]"
    assert recorded["lukashenko-rubble"]["citation"].startswith("[AFP report")
    json.dumps(result.manifest)
    page = html.unescape(build_report(result, folder=tmp_path))
    assert 'reader comment</b> under <span title="002_4c38c914c89148db.txt">[Massis Post], [untitled], [2023]' in page
    assert "[AFP report (publishing outlet not named)], [untitled], [November 2022]" in page
    assert "square brackets" in page


def test_report_of_old_results_without_citations_falls_back_to_the_file(tmp_path: Path) -> None:
    from alliance_sim import run
    from alliance_sim.reporting.report import build_report

    result = run(load_with_provenance(ROOT / "tests" / "fixtures" / "small.yaml"), seed=2, replicates=2)
    result.manifest["calibration"] = {"actors.big.capacity": {"value": 0.5, "evidence": ["kept"], "used": True}}
    result.manifest["evidence"] = {"kept": {"source": "a.txt", "quote": "As it was then.", "date": "2022-09"}}
    page = build_report(result, folder=tmp_path)
    assert "<span>a.txt</span>" in page and "reader comment</b>" not in page


def test_evidence_json_carries_sources_and_kinds(cli: CliRunner) -> None:
    done = cli.invoke(
        main, ["evidence", "--ledger", str(ROOT / "seeds" / "evidence.yaml"), "--actor", "belarus", "--json"]
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    kinds = {item["id"]: item["kind"] for item in data["items"]}
    assert kinds["reader-belarus-mouthpiece"] == "reader_comment"
    assert kinds["lukashenko-rubble"] == "article"
    massis = data["sources"]["002_4c38c914c89148db.txt"]
    assert massis["outlet"] == "[Massis Post]" and "MassisPost" in massis["inferred"]["outlet"]


def test_validate_warns_when_a_member_of_a_new_case_starts_above_the_disengage_threshold(
    cli: CliRunner, tmp_path: Path
) -> None:
    case = tmp_path / "pact"
    assert cli.invoke(main, ["new", str(case)]).exit_code == 0
    scenario = case / "scenario.yaml"
    scenario.write_text(
        scenario.read_text() + "\nmodel:\n  status:\n    disengage: -3.0\n    reengage: -4.0\n    rejoin: -5.0\n"
    )
    done = cli.invoke(main, ["validate", str(scenario)])
    assert done.exit_code == 0, done.output
    assert "above the disengage threshold" in done.stderr
