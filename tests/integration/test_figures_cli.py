"""`alliance-sim run --plot`, `plot` and `compare`, on real result folders in tmp_path."""

from __future__ import annotations

import re
import shlex
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "figures_small.yaml"
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
SWEEPS = ROOT / "tests" / "fixtures" / "sweeps"
DPI = "40"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


@pytest.fixture()
def cli():
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A run with the trust matrix, a what-if without it, and a grid sweep."""
    runner = CliRunner()
    base = tmp_path_factory.mktemp("results")
    for args in (
        ["run", FIXTURE, "-n", "6", "--seed", "2", "--out", base / "baseline", "-q"],
        ["run", SMALL, "-n", "4", "--seed", "2", "--out", base / "whatif", "-q"],
        ["sweep", SWEEPS / "grid.yaml", "--out", base / "sweep", "-w", "1", "-q"],
    ):
        done = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert done.exit_code == 0, done.output
    return base


def copy(folders: Path, name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(folders / name, target)
    return target


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_run_plot_writes_the_standard_set_and_says_where(cli, tmp_path):
    out = tmp_path / "res"
    done = cli("run", FIXTURE, "-n", "3", "--seed", "1", "--out", out, "--plot")
    assert done.exit_code == 0, done.output
    names = sorted(p.name for p in (out / "figures").iterdir())
    assert names == ["probabilities.png", "status.png", "survival.png", "trajectories.png", "trust.png"]
    assert f"figures: {out}/figures/ (5 files)" in done.output


def test_plot_writes_the_standard_set(cli, folders, tmp_path):
    folder = copy(folders, "baseline", tmp_path)
    done = cli("plot", folder, "--dpi", DPI)
    assert done.exit_code == 0, done.output
    written = [Path(line) for line in done.output.split()]
    assert [p.name for p in written] == [
        "trajectories.png",
        "status.png",
        "probabilities.png",
        "survival.png",
        "trust.png",
    ]
    for path in written:
        assert path.parent == folder / "figures"
        width, height = png_size(path)
        assert width == int(13.33 * int(DPI)) and 3 * int(DPI) <= height <= 12 * int(DPI)


def test_plot_one_kind_in_svg(cli, folders, tmp_path):
    folder = copy(folders, "baseline", tmp_path)
    done = cli("plot", folder, "--kind", "survival", "--format", "svg")
    assert done.exit_code == 0, done.output
    path = folder / "figures" / "survival.svg"
    assert done.output.strip() == str(path)
    assert "<svg" in path.read_text()


def test_plot_to_a_named_file_with_options(cli, folders, tmp_path):
    folder = folders / "baseline"
    target = tmp_path / "out" / "trust.pdf"
    done = cli("plot", folder, "--kind", "trust", "--month", "2022-06", "--month", "2023-12", "-o", target)
    assert done.exit_code == 0, done.output
    assert target.read_bytes()[:5] == b"%PDF-"
    done = cli("plot", folder, "--kind", "status", "--replicate", "2", "-o", tmp_path / "figs", "--dpi", DPI)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "figs" / "status_replicate2.png").is_file()


def test_plot_a_sweep_heatmap_for_one_member(cli, folders, tmp_path):
    folder = copy(folders, "sweep", tmp_path)
    done = cli("plot", folder, "--kind", "heatmap", "--member", "small", "--dpi", DPI)
    assert done.exit_code == 0, done.output
    assert png_size(folder / "figures" / "heatmap_small.png")[0] == int(13.33 * int(DPI))
    done = cli("plot", folder, "--dpi", DPI)
    assert done.exit_code == 0, done.output
    names = sorted(Path(p).name for p in done.output.split())
    assert names and all(re.fullmatch(r"heatmap_(small|mid)_(disengaged|withdrawn)\.png", n) for n in names)


def test_compare_writes_one_figure(cli, folders, tmp_path):
    out = tmp_path / "compare.png"
    done = cli(
        "compare",
        folders / "baseline",
        folders / "whatif",
        "--out",
        out,
        "--dpi",
        DPI,
        "--label",
        "baseline",
        "--label",
        "small pact",
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip().splitlines()[-1] == str(out)
    assert "small pact" in done.output and "difference [95% CI]" in done.output
    assert png_size(out)[0] == int(13.33 * int(DPI))


def test_trust_without_the_matrix_is_a_one_line_error(cli, folders):
    assert_one_line_error(cli("plot", folders / "whatif", "--kind", "trust"), "outputs.trust_matrix")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["plot", "{tmp}/missing"], ["no such folder"]),
        (["plot", "{tmp}"], ["not a run or sweep results folder"]),
        (["plot", "{baseline}", "--kind", "heatmap"], ["needs results of a sweep"]),
        (["plot", "{sweep}", "--kind", "survival"], ["needs results of a run"]),
        (["plot", "{baseline}", "--kind", "survival", "--replicate", "1"], ["takes no option --replicate"]),
        (["plot", "{baseline}", "--member", "nobody"], ["unknown member 'nobody'"]),
        (["plot", "{baseline}", "--kind", "trust", "--month", "2031-01"], ["2031-01 is not in the run"]),
        (["compare", "{baseline}", "{sweep}", "--out", "{tmp}/c.png"], ["compare needs run folders"]),
        (["compare", "{baseline}", "--out", "{tmp}/c.gif"], ["unknown figure format 'gif'"]),
        (["report", "{tmp}"], ["not a run or sweep results folder"]),
    ],
)
def test_bad_folders_and_requests_are_one_line_errors(cli, folders, tmp_path, args, fragments):
    names = {"tmp": tmp_path, "baseline": folders / "baseline", "sweep": folders / "sweep"}
    assert_one_line_error(cli(*[a.format(**names) for a in args]), *fragments)


def test_a_folder_lacking_a_table_is_a_one_line_error(cli, folders, tmp_path):
    folder = copy(folders, "baseline", tmp_path)
    (folder / "members.parquet").unlink()
    assert_one_line_error(cli("plot", folder, "--kind", "trajectories"), "no members table")


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "alliance_sim", "plot", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {tmp_path / 'nothing'}: no such folder"]


def test_the_figures_page_links_existing_images_and_real_options():
    import click

    text = (ROOT / "docs" / "figures.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(((?:docs/)?img/[^)]+)\)", text)
    assert len(images) >= 5
    for link in images:
        path = ROOT / "docs" / link.removeprefix("docs/")
        assert path.is_file(), link
        assert png_size(path)[0] == 1333
    ctx = click.Context(main)
    commands = {name: main.get_command(ctx, name) for name in ("run", "plot", "compare", "report", "sweep")}
    lines = [line for line in text.splitlines() if line.startswith("alliance-sim ")]
    assert len(lines) >= 15
    for line in lines:
        words = shlex.split(line.split("#")[0])
        command = commands[words[1]]
        known = {opt for param in command.params if isinstance(param, click.Option) for opt in param.opts}
        for word in words[2:]:
            if word.startswith("-"):
                assert word in known, f"{line}: {word}"
