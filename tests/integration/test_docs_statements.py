"""What the README and docs/figures.md say about the command line holds."""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from pathlib import Path

from click.testing import CliRunner

from alliance_sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "docs" / "figures.md", ROOT / "docs" / "sweeps.md"]


def commands(page: Path) -> list[list[str]]:
    lines = [line.split("#")[0].strip() for line in page.read_text().splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("alliance-sim ")]


def test_documented_commands_write_only_under_results_tmp_or_docs_img():
    for page in PAGES:
        for words in commands(page):
            for flag, value in itertools.pairwise(words):
                if flag in ("-o", "--out"):
                    assert value.startswith(("results/", "/tmp/", "docs/img/")), (page.name, words)


def test_the_documented_report_is_kept_outside_the_folder_make_run_replaces():
    make_run = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "alliance-sim run" in line)
    replaced = make_run.split("--out ")[1].split()[0]
    for page in PAGES:
        for words in commands(page):
            if words[1] == "report" and "-o" in words:
                out = words[words.index("-o") + 1]
                assert not out.startswith(replaced + "/"), (page.name, words)


def test_the_set_example_moves_the_results():
    from alliance_sim import run
    from alliance_sim.evidence import load_with_provenance as load

    text = (ROOT / "README.md").read_text()
    path, value = re.search(r"--set (model\.shocks\.war_recovery)=([0-9.]+)", text).groups()
    scenario = ROOT / "scenarios" / "csto_2022.yaml"
    base = load(scenario)
    assert abs(base.config.model.shocks.war_recovery - float(value)) > 0.01, "the example sets the default value"
    tables = [
        run(load(scenario, overrides), seed=7, replicates=120, engine="ensemble").summary().set_index("member")
        for overrides in ((), (f"{path}={value}",))
    ]
    moved = (tables[1][["p_disengaged", "p_withdrawn"]] - tables[0][["p_disengaged", "p_withdrawn"]]).abs()
    assert float(moved.to_numpy().max()) > 0.2


def test_the_figures_page_error_examples_are_what_the_tool_prints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["run", "scenarios/csto_2022.yaml", "-n", "2", "--engine", "ensemble", "--out", "results/baseline", "-q"],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.output
    text = (ROOT / "docs" / "figures.md").read_text()
    block = text.split("## Errors", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    pairs = re.findall(r"^\$ (alliance-sim .+)\n(error: .+)$", block, re.M)
    assert len(pairs) >= 2
    for command, expected in pairs:
        done = runner.invoke(main, shlex.split(command)[1:], catch_exceptions=False)
        assert done.exit_code == 2, command
        assert done.stderr.strip() == expected, command


def test_no_time_claims_about_the_test_suite():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        assert not re.search(r"suite[^.]*\b(about|under|takes)\b[^.]*\b(minute|seconds)\b", text), page.name
