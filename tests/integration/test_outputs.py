"""Nothing a user made is replaced without --overwrite; bad output paths fail before any run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
SWEEPS = ROOT / "tests" / "fixtures" / "sweeps"
DPI = "30"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("made")
    for args in (
        ["run", SMALL, "-n", "6", "--seed", "2", "--out", base / "baseline", "-q"],
        ["run", SMALL, "-n", "6", "--seed", "3", "--set", "actors.big.capacity=0.3", "--out", base / "whatif", "-q"],
        ["sweep", SWEEPS / "grid.yaml", "--out", base / "sweep", "-w", "1", "-q"],
    ):
        done = invoke(*args)
        assert done.exit_code == 0, done.output
    return base


def copy(folders: Path, name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(folders / name, target)
    return target


# --- Existing files ----------------------------------------------------------------------------


def test_report_does_not_replace_a_file_without_overwrite(folders, tmp_path):
    readme = tmp_path / "README.html"
    readme.write_text("my notes")
    one_line_error(invoke("report", folders / "baseline", "-o", readme), "already exists", "--overwrite")
    assert readme.read_text() == "my notes"
    done = invoke("report", folders / "baseline", "-o", readme, "--overwrite")
    assert done.exit_code == 0, done.output
    assert readme.read_text().startswith("<!DOCTYPE html>")


def test_report_writes_only_html(folders, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# mine")
    one_line_error(invoke("report", folders / "baseline", "-o", readme, "--overwrite"), "HTML file")
    assert readme.read_text() == "# mine"


def test_plot_does_not_replace_figures_without_overwrite(folders, tmp_path):
    folder = copy(folders, "baseline", tmp_path)
    assert invoke("plot", folder, "--kind", "survival", "--dpi", DPI).exit_code == 0
    figure = folder / "figures" / "survival.png"
    before = figure.read_bytes()
    one_line_error(invoke("plot", folder, "--kind", "survival", "--dpi", DPI), str(figure), "--overwrite")
    assert figure.read_bytes() == before
    assert invoke("plot", folder, "--kind", "survival", "--dpi", "40", "--overwrite").exit_code == 0
    assert figure.read_bytes() != before


def test_plot_for_some_members_keeps_the_standard_figures(folders, tmp_path):
    folder = copy(folders, "baseline", tmp_path)
    assert invoke("plot", folder, "--dpi", DPI).exit_code == 0
    standard = {p.name: p.read_bytes() for p in (folder / "figures").iterdir()}
    done = invoke("plot", folder, "--member", "small", "--dpi", DPI)
    assert done.exit_code == 0, done.output
    written = {Path(line).name for line in done.output.split()}
    assert written and all(name.split(".")[0].endswith("_small") for name in written)
    assert not written & set(standard)
    assert {name: (folder / "figures" / name).read_bytes() for name in standard} == standard


def test_compare_does_not_replace_a_file_without_overwrite(folders, tmp_path):
    out = tmp_path / "compare.svg"
    out.write_text("mine")
    one_line_error(invoke("compare", folders / "baseline", folders / "whatif", "-o", out), "already exists")
    assert out.read_text() == "mine"
    assert invoke("compare", folders / "baseline", folders / "whatif", "-o", out, "--overwrite").exit_code == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_analyze_does_not_replace_tables_without_overwrite(folders, tmp_path):
    folder = copy(folders, "sweep", tmp_path)
    assert invoke("analyze", folder).exit_code == 0
    table = folder / "analysis" / "probabilities.csv"
    table.write_text("edited")
    one_line_error(invoke("analyze", folder), "already exists", "--overwrite")
    assert table.read_text() == "edited"
    assert invoke("analyze", folder, "--overwrite", "--json").exit_code == 0
    assert table.read_text() != "edited"


# --- Symbolic links ------------------------------------------------------------------------------


def test_report_does_not_follow_links_in_a_results_folder(folders, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: the secret of this machine\n")
    for name in ("baseline", "sweep"):
        folder = copy(folders, name, tmp_path)
        (folder / "scenario.yaml").unlink()
        (folder / "scenario.yaml").symlink_to(secret)
        out = tmp_path / f"{name}.html"
        one_line_error(invoke("report", folder, "-o", out), f"{folder / 'scenario.yaml'}: is a symbolic link")
        assert not out.exists()


# --- Output folders that cannot be written fail before the run ---------------------------------


@pytest.fixture()
def no_runs(monkeypatch):
    """Any simulation started fails the test."""
    import alliance_sim.experiments.driver as driver

    def refuse(*args, **kwargs):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(driver, "run", refuse)
    monkeypatch.setattr(driver, "sweep", refuse)


def test_run_out_under_a_file_fails_before_running(tmp_path, no_runs):
    (tmp_path / "file").write_text("x")
    one_line_error(invoke("run", SMALL, "-n", "5", "--out", tmp_path / "file" / "res"), "is a file, not a folder")


def test_run_out_dot_fails_before_running(tmp_path, no_runs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("precious")
    for out in (".", str(tmp_path.parent)):
        one_line_error(invoke("run", SMALL, "-n", "5", "--out", out, "--overwrite"), "working folder")
    assert (tmp_path / "mine.txt").read_text() == "precious"


def test_sweep_out_under_a_file_fails_before_running(tmp_path, no_runs):
    (tmp_path / "file").write_text("x")
    one_line_error(invoke("sweep", SWEEPS / "grid.yaml", "--out", tmp_path / "file" / "s", "-w", "1"), "is a file")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that permissions apply to")
def test_read_only_folder_fails_before_running(tmp_path, no_runs):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        one_line_error(invoke("run", SMALL, "-n", "5", "--out", locked / "res"), "cannot write in")
        one_line_error(invoke("sweep", SWEEPS / "grid.yaml", "--out", locked / "s", "-w", "1"), "cannot write in")
    finally:
        locked.chmod(0o700)


def test_unwritable_folder_is_found_by_trying(tmp_path, monkeypatch):
    """The check creates (and removes) a file, so it holds whatever the permissions model."""
    from alliance_sim.cli import options
    from alliance_sim.errors import InputError

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", deny)  # options imports tempfile where it probes
    with pytest.raises(InputError, match=r"cannot write in .*Permission denied"):
        options.check_output_folder(tmp_path / "new", overwrite=False)


# --- compare: timing and differences ------------------------------------------------------------


def test_newcombe_interval_matches_the_published_example():
    """Newcombe (1998), method 10, example (a): 56/70 against 48/80 gives 0.0524 to 0.3339."""
    from alliance_sim.reporting.comparison import newcombe_difference
    from alliance_sim.runs.statistics import wilson

    (l1,), (h1,) = (v.reshape(1) for v in wilson(56, 70))
    (l0,), (h0,) = (v.reshape(1) for v in wilson(48, 80))
    d, low, high = newcombe_difference(56 / 70, l1, h1, 48 / 80, l0, h0)
    assert d == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_compare_prints_timing_and_differences_and_json(folders):
    done = invoke("compare", folders / "baseline", folders / "whatif", "-l", "base", "-l", "weak hegemon")
    assert done.exit_code == 0, done.output
    assert "median month" in done.output and "difference [95% CI]" in done.output and "(baseline)" in done.output
    data = json.loads(invoke("compare", folders / "baseline", folders / "whatif", "--json").output)
    rows = data["rows"]
    assert data["figure"] is None
    assert {row["outcome"] for row in rows} == {"disengaged", "withdrawn"}
    for row in rows:
        if row["difference_low"] is not None:
            assert row["difference_low"] <= row["difference"] <= row["difference_high"]
            base = next(
                r["p"]
                for r in rows
                if r["member"] == row["member"] and r["outcome"] == row["outcome"] and r["difference"] == 0.0
            )
            assert row["difference"] == pytest.approx(row["p"] - base)
        assert row["median_month"] is None or len(row["median_month"]) == 7


def test_compare_figure_draws_survival_per_scenario(folders, tmp_path):
    from alliance_sim.reporting import figures as plotting

    results = [plotting.load_results(folders / name) for name in ("baseline", "whatif")]
    fig = plotting.compare_figure(results, ["a", "b"])
    gids = {line.get_gid() for ax in fig.axes for line in ax.get_lines()}
    for s in (0, 1):
        assert f"km:withdrawn:small:{s}" in gids and f"km:disengaged:mid:{s}" in gids
