"""`alliance-sim report`: one self-contained HTML file, checked as text and in a real browser."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from alliance_sim import run
from alliance_sim.cli.main import main
from alliance_sim.evidence import load_ledger
from alliance_sim.evidence import load_with_provenance as load
from alliance_sim.reporting import figures as plotting
from alliance_sim.reporting.report import build_report, write_report

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "figures_small.yaml"
SWEEPS = ROOT / "tests" / "fixtures" / "sweeps"
IMG = re.compile(r'<img alt="([^"]+) figure" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "baseline"
    run(load(FIXTURE), seed=2, replicates=6).save(folder)
    return folder


@pytest.fixture(scope="module")
def run_report(run_folder):
    done = CliRunner().invoke(main, ["report", str(run_folder)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    path = run_folder / "report.html"
    assert done.output.strip() == str(path)
    return path


def external_references(text: str) -> list[str]:
    """Everything in a page that would load or link something outside it."""
    found = []
    for attribute, value in re.findall(r'\b(src|href|srcset|poster|data|action)\s*=\s*"([^"]*)"', text, re.I):
        if not (value.startswith("data:") or value.startswith("#")):
            found.append(f"{attribute}={value}")
    found += re.findall(r"url\(|@import|<link\b|<script\b|<iframe\b|<object\b|<embed\b", text, re.I)
    return found


def test_run_report_holds_every_figure_and_nothing_external(run_report, run_folder):
    text = run_report.read_text()
    images = IMG.findall(text)
    from alliance_sim.runs.results import RunResult

    expected = list(plotting.standard_figures(RunResult.load(run_folder)))
    assert [name for name, _ in images] == expected == ["trajectories", "status", "probabilities", "survival", "trust"]
    for _, data in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert text.count("<img") == len(images)
    assert external_references(text) == []


def test_run_report_has_the_tables_the_scenario_and_the_provenance(run_report, run_folder):
    text = run_report.read_text()
    for heading in ("Who leaves", "Figures", "Scripted events", "Calibration", "The scenario as run", "Provenance"):
        assert f"<h2>{heading}" in text, heading
    for name in ("Big", "Small", "Mid"):
        assert f"<td>{name}</td>" in text
    assert "P(disengaged) [95% CI]" in text
    assert "The rival attacks Small; only observers promised" in text
    assert "name: Figures test alliance" in text and "hegemon: big" in text
    assert "scenario_hash" in text and "replicates" in text
    assert "This scenario takes no value from an evidence ledger" in text


def test_report_quotes_the_evidence_behind_every_calibrated_parameter(tmp_path, csto_path):
    loaded = load(csto_path)
    result = run(loaded, seed=1, replicates=2)
    text = build_report(result)
    ledger = {item.id: item for item in load_ledger(Path(loaded.ledger)).items}
    calibration = result.manifest["calibration"]
    assert calibration, "the CSTO baseline takes values from the ledger"
    cited = {item_id for entry in calibration.values() for item_id in entry["evidence"]}
    assert cited
    for path in calibration:
        assert f"<code>{path}</code>" in html.unescape(text)
    for item_id in cited:
        item = ledger[item_id]
        assert f"<code>{item_id}</code>" in text
        if item.quote:
            assert item.quote in html.unescape(text), item_id
    assert external_references(text) == []


def test_report_reads_quotes_from_a_given_ledger(tmp_path):
    result = run(load(FIXTURE), seed=2, replicates=2)
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "items:\n"
        "  - id: rival-courts-mid\n"
        "    source: article.txt\n"
        '    quote: "The rival offered Mid a <better> deal."\n'
        '    date: "2023-01"\n'
    )
    result.manifest["calibration"] = {
        "actors.mid.outside_option": {
            "value": 0.25,
            "evidence": ["rival-courts-mid", "gone-item"],
            "used": False,
            "set_by": "figures_small.yaml",
        },
    }
    path = write_report(result, tmp_path / "r" / "report.html", ledger=ledger)
    text = path.read_text()
    assert "“The rival offered Mid a &lt;better&gt; deal.”" in text
    assert "<code>gone-item</code> (not in the ledger)" in text
    assert "no: set by figures_small.yaml" in text


def test_report_with_a_missing_ledger_file_is_a_one_line_error(run_folder, tmp_path):
    done = CliRunner().invoke(
        main, ["report", str(run_folder), "-o", str(tmp_path / "r.html"), "--ledger", str(tmp_path / "none.yaml")]
    )
    assert done.exit_code == 2
    assert done.output.strip() == f"error: {tmp_path / 'none.yaml'}: no such ledger file"


def test_sweep_report(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "sweep"
    done = runner.invoke(main, ["sweep", str(SWEEPS / "grid.yaml"), "--out", str(folder), "-w", "1", "-q"])
    assert done.exit_code == 0, done.output
    out = tmp_path / "sweep.html"
    done = runner.invoke(main, ["report", str(folder), "-o", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    text = out.read_text()
    names = [name for name, _ in IMG.findall(text)]
    assert names == list(plotting.standard_plan(plotting.load_results(folder)))
    assert names and all(n.startswith(("heatmap_small_", "heatmap_mid_")) for n in names)
    assert "Sweep: grid_test" in text and "The sweep specification" in text and "Every design point" in text
    assert external_references(text) == []


# --- In a real browser -------------------------------------------------------------------------

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium on this machine (Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(run_report, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / "shot.png"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        run_report.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert shot.is_file(), done.stderr[-2000:]
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    ink = np.any(pixels < 0.9, axis=-1)
    assert ink.mean() > 0.03, "the page is blank"
    # The figures drew: many strongly coloured pixels (text is black and grey, links a few
    # hundred); how many depends on the replicates drawn, so the bar is well below a page of
    # figures (15,000 to 27,000 for seeds 2 and 3).
    saturation = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert int((saturation > 0.3).sum()) > 8000, "no figure rendered"


def test_quotes_recorded_in_the_manifest_come_first(tmp_path):
    result = run(load(FIXTURE), seed=2, replicates=2)
    result.manifest["calibration"] = {"actors.big.capacity": {"value": 0.5, "evidence": ["kept"], "used": True}}
    result.manifest["evidence"] = {"kept": {"source": "a.txt", "quote": "As it was then.", "date": "2022-09"}}
    text = build_report(result, folder=tmp_path)
    assert "“As it was then.”" in text and "Quotes as recorded with the results" in text


def test_every_value_on_the_page_is_escaped(tmp_path, monkeypatch):
    """The template escapes whatever a scenario, a manifest or a ledger holds."""
    monkeypatch.setattr(plotting, "standard_figures", lambda result, **options: {})
    result = run(load(FIXTURE), seed=2, replicates=2)
    hostile = '<script>alert("x")</script><img src="http://example.org/x.png">'
    result.scenario["description"] = hostile
    result.scenario["events"][0]["note"] = hostile
    result.manifest["overrides"] = [hostile]
    result.manifest["calibration"] = {hostile: {"value": hostile, "evidence": [hostile], "used": False}}
    text = build_report(result, folder=tmp_path)
    assert external_references(text) == []
    assert text.count("&lt;script&gt;") >= 4
