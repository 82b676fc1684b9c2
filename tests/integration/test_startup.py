"""Start-up: the installed `alliance-sim` command and the package root import only what they use.

Each case starts a real process and reads which modules it imported from Python's own
import log (`PYTHONPROFILEIMPORTTIME`), so the entry point, `__main__` and the package
root are all on the path that is checked. No timing is asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "pandas", "pyarrow", "mesa", "scipy", "numba", "llvmlite")
"""Libraries that neither `--help` nor `validate` uses."""
STARTUP_STDLIB = ("tempfile", "platform", "asyncio")
"""Standard modules the command line imports only where a command uses them."""
NUMERIC = ("numpy", "pydantic", "yaml")
"""Libraries `validate` needs and `--help` does not."""


def command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m alliance_sim`."""
    script = Path(sys.executable).with_name("alliance-sim")
    if script.exists():
        return [str(script)]
    found = shutil.which("alliance-sim")
    return [found] if found else [sys.executable, "-m", "alliance_sim"]


def imported(argv: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The top-level packages a fresh process imported while running `argv`."""
    modules, done = imported_modules(argv)
    return {name.split(".")[0] for name in modules}, done


def imported_modules(argv: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Every module (full dotted name) a fresh process imported while running `argv`."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    env.pop("ALLIANCE_SIM_KERNELS", None)  # the default choice of kernels
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the log's header row
                names.add(name)
    return names, done


def test_help_loads_only_the_command_line():
    names, done = imported([*command(), "--help"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Commands:" in done.stdout
    assert "click" in names  # the log is read
    assert names.isdisjoint(HEAVY + NUMERIC + STARTUP_STDLIB), sorted(names & set(HEAVY + NUMERIC + STARTUP_STDLIB))


def test_a_small_run_loads_no_compiler_figures_progress_bar_or_sweep_modules():
    """`run` of a few hundred replicates: numpy kernels (numba only from 1,024), no bar off a terminal."""
    modules, done = imported_modules([*command(), "run", "scenarios/csto_2022.yaml", "-n", "300"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "P(disengaged)" in done.stdout
    names = {name.split(".")[0] for name in modules}
    assert {"numpy", "pandas", "pyarrow"} <= names  # the log is read
    unused = ("numba", "llvmlite", "matplotlib", "scipy", "mesa", "tqdm", "asyncio", "dask")
    assert names.isdisjoint(unused), sorted(names & set(unused))
    sweep_only = {"alliance_sim.experiments.spec", "alliance_sim.scenario.sweep"}
    assert modules.isdisjoint(sweep_only), sorted(modules & sweep_only)


def test_validate_loads_no_tables_figures_mesa_or_scipy():
    names, done = imported([*command(), "validate", "scenarios/csto_2022.yaml"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pydantic" in names  # it did validate
    assert names.isdisjoint(HEAVY), sorted(names & set(HEAVY))


def test_importing_the_package_loads_only_the_standard_library():
    names, done = imported([sys.executable, "-c", "import alliance_sim; print(alliance_sim.__version__)"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert names.isdisjoint(HEAVY + NUMERIC + ("click",)), sorted(names & set(HEAVY + NUMERIC + ("click",)))


def test_the_public_names_load_on_first_use():
    import alliance_sim

    for name in alliance_sim.__all__:
        assert getattr(alliance_sim, name) is not None
    assert set(alliance_sim.__all__) <= set(dir(alliance_sim))
    from alliance_sim.scenario.config import ScenarioConfig

    assert alliance_sim.ScenarioConfig is ScenarioConfig
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = alliance_sim.nothing  # type: ignore[attr-defined]


def test_the_light_list_of_figure_kinds_matches_the_figures():
    """`--help` takes the kind names from `reporting.kinds` so as not to import matplotlib."""
    from alliance_sim.reporting import kinds
    from alliance_sim.reporting.figures import standard

    assert tuple(standard.RUN_KINDS) == kinds.RUN_KIND_NAMES
    assert tuple(standard.SWEEP_KINDS) == kinds.SWEEP_KIND_NAMES
    assert kinds.KINDS == standard.KINDS
