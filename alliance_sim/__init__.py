"""alliance-sim: defection scenarios for military alliances, as Mesa agent-based models.

The Python entry points:

- `load_scenario(path, overrides)` -> `ScenarioConfig`
- `AllianceModel(scenario, rng=seed)`: one Mesa run, step by step
- `run(config, seed=..., replicates=...)` -> `RunResult`
- `sweep(load_sweep_spec(path), executor=...)` -> `SweepResult`
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliance-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from alliance_sim.scenario.config import ScenarioConfig


def __getattr__(name: str) -> object:
    """Import the loader, engines, results and sweeps on first use (they import numpy, Mesa)."""
    if name == "load_scenario":
        from alliance_sim.evidence.scenarios import load_scenario

        return load_scenario
    if name == "AllianceModel":
        from alliance_sim.model import AllianceModel

        return AllianceModel
    if name == "run":
        from alliance_sim.experiments.driver import run

        return run
    if name == "RunResult":
        from alliance_sim.runs.results import RunResult

        return RunResult
    if name == "sweep":
        from alliance_sim.experiments.driver import sweep

        return sweep
    if name == "SweepResult":
        from alliance_sim.experiments.results import SweepResult

        return SweepResult
    if name == "load_sweep_spec":
        from alliance_sim.experiments.spec import load_sweep_spec

        return load_sweep_spec
    raise AttributeError(f"module 'alliance_sim' has no attribute {name!r}")


__all__ = [
    "AllianceModel",
    "RunResult",
    "ScenarioConfig",
    "SweepResult",
    "__version__",
    "load_scenario",
    "load_sweep_spec",
    "run",
    "sweep",
]
