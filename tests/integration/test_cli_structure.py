"""The command line's shape: lazy commands, one error boundary, shared vocabulary, examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
HEAVY = ("matplotlib", "pandas", "pyarrow", "mesa")


def fresh(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def loaded_after(argv: list[str]) -> list[str]:
    """The heavy libraries a fresh interpreter holds after running the command line with `argv`."""
    done = fresh(
        "import sys\nfrom alliance_sim.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED"))
    return eval(line.removeprefix("LOADED "))


def test_help_imports_no_simulation_table_or_plotting_library():
    assert loaded_after(["--help"]) == []


def test_every_command_help_is_light_too():
    assert loaded_after(["plot", "--help"]) == []
    assert loaded_after(["sweep", "--help"]) == []


def test_validating_a_scenario_loads_no_tables_figures_or_mesa():
    assert loaded_after(["validate", str(ROOT / "scenarios" / "csto_2022.yaml")]) == []


def test_validating_a_sweep_spec_loads_no_figures_or_mesa():
    loaded = loaded_after(["validate", str(ROOT / "scenarios" / "sweeps" / "sobol_csto.yaml")])
    assert "matplotlib" not in loaded and "mesa" not in loaded


@pytest.mark.parametrize("module", sorted({target.split(":")[0] for target in COMMANDS.values()}))
def test_each_command_module_imports_on_a_fresh_interpreter(module):
    done = fresh(f"import {module}")
    assert done.returncode == 0, done.stderr


def test_commands_are_registered_lazily():
    done = fresh(
        "from alliance_sim.cli.main import main\nimport sys\n"
        "print(sorted(main.commands), 'alliance_sim.cli.run' in sys.modules)"
    )
    assert done.stdout.strip() == "[] False"


def test_the_table_names_a_command_for_every_entry():
    ctx = click.Context(main)
    assert main.list_commands(ctx)[: len(COMMANDS)] == list(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name


def test_every_help_ends_with_examples():
    ctx = click.Context(main, info_name="alliance-sim")
    pages = {"alliance-sim": main.get_help(ctx)}
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        pages[name] = command.get_help(click.Context(command, info_name=name, parent=ctx))
    for name, text in pages.items():
        lines = [line for line in text.splitlines() if line.strip()]
        options_at = next(i for i, line in enumerate(lines) if line.startswith(("Options:", "Commands:")))
        body = lines[:options_at]
        assert any(line.strip().startswith("Example") for line in body), name
        assert body[-1].strip().startswith("alliance-sim "), name


def test_shared_options_mean_the_same_everywhere():
    ctx = click.Context(main)
    seen: dict[str, dict[str, object]] = {}
    worker_defaults: dict[str, object] = {}
    for name in COMMANDS:
        for param in main.get_command(ctx, name).params:
            if not isinstance(param, click.Option):
                continue
            for flag in ("--member", "--outcome", "--workers", "--json", "--overwrite", "--quiet"):
                if flag in param.opts:
                    default = param.default
                    if flag == "--workers":  # the one default that differs, checked below
                        worker_defaults[name], default = default, None
                    key = (tuple(sorted(param.opts)), param.name, param.multiple, str(param.type), default)
                    seen.setdefault(flag, {})[name] = key
    assert set(seen) == {"--member", "--outcome", "--workers", "--json", "--overwrite", "--quiet"}
    for flag, by_command in seen.items():
        assert len(set(by_command.values())) == 1, (flag, by_command)
    assert {"run", "sweep"} <= set(seen["--workers"])
    # Every core for a sweep (its pilot starts workers only when they pay), this process elsewhere.
    assert worker_defaults == {name: 0 if name == "sweep" else 1 for name in worker_defaults}
    assert {"plot", "compare", "analyze"} <= set(seen["--member"])
    assert {"run", "validate", "evidence", "patterns", "analyze", "compare"} <= set(seen["--json"])
    outcome = main.get_command(ctx, "analyze").params
    choice = next(p for p in outcome if p.name == "outcome").type
    assert list(choice.choices) == ["disengaged", "withdrawn"]


def test_input_error_from_any_command_is_one_line(tmp_path):
    runner = CliRunner()
    for argv in (
        ["run", str(tmp_path / "none.yaml")],
        ["plot", str(tmp_path / "none")],
        ["analyze", str(tmp_path)],
        ["evidence", "--ledger", str(tmp_path / "none.yaml")],
    ):
        result = runner.invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 2, argv
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, (argv, result.stderr)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["sweep", "spec.yaml", "--chunk-seconds", "nan"], "'nan' is not a finite number"),
        (["sweep", "spec.yaml", "--chunk-seconds", "inf"], "--chunk-seconds"),
        (["sweep", "spec.yaml", "--dask", "bogus"], "'bogus' is neither 'local' nor a scheduler address"),
    ],
)
def test_bad_sweep_options_fail_at_option_checking(argv, fragment):
    done = subprocess.run([sys.executable, "-m", "alliance_sim", *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert fragment in done.stderr


def test_dask_accepts_local_and_addresses():
    from alliance_sim.cli.options import check_dask

    for value in ("local", "tcp://10.0.0.5:8786", "scheduler.example.org:8786", None):
        assert check_dask(None, None, value) == value  # type: ignore[arg-type]


def test_validate_json(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text().replace("severity: 0.6", "severity: 6"))
    result = CliRunner().invoke(main, ["validate", str(SMALL), str(bad), "--json"], catch_exceptions=False)
    assert result.exit_code == 2
    rows = json.loads(result.stdout)
    assert [row["ok"] for row in rows] == [True, False]
    assert "events.0.severity" in rows[1]["error"]
