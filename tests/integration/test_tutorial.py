"""The walk-through pages run as written: docs/tutorial.md and docs/your-own-case.md.

Each page's ```bash blocks run in order in a fresh folder (a copy of scenarios/ and seeds/),
with `alliance-sim` running this interpreter's `python -m alliance_sim`; the outputs the
page shows must be what the commands print (see docs_runner.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_runner import ROOT, Step, check_output, run_page, steps


def test_tutorial_runs_as_written(tmp_path: Path) -> None:
    found = run_page(ROOT / "docs" / "tutorial.md", tmp_path)
    assert len(found) >= 8
    assert sum(step.shown is not None for step in found) >= 7
    for name in ("run", "compare", "sweep", "plot", "report"):
        assert any(f"alliance-sim {name} " in step.script for step in found), name
    assert (tmp_path / "results" / "baseline" / "report.html").is_file()
    assert (tmp_path / "results" / "sweep" / "figures" / "heatmap_armenia_withdrawn.png").is_file()


@pytest.mark.slow  # about 14 commands, each a new process (~20 s of CPU); `make test-slow` runs it
def test_your_own_case_runs_as_written(tmp_path: Path) -> None:
    found = run_page(ROOT / "docs" / "your-own-case.md", tmp_path)
    assert any("alliance-sim new " in step.script for step in found)
    assert any("alliance-sim validate " in step.script for step in found)
    assert any("alliance-sim run " in step.script for step in found)


def test_the_runner_refuses_an_output_the_command_does_not_print(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```bash\necho one two\n```\n\n```text\none   two\n...\nthree\n```\n", encoding="utf-8")
    [step] = steps(page)
    assert step.shown == ["one   two", "...", "three"]
    check_output(Step(1, "", ["one two", "..."]), "one two\n", "page")
    with pytest.raises(AssertionError, match="three"):
        check_output(step, "one two\n", "page.md")
