"""alliance-sim: defection scenarios for military alliances, as Mesa agent-based models.

The Python entry points:

- `load_scenario(path, overrides)` -> `ScenarioConfig`
- `AllianceModel(scenario, rng=seed)`: one Mesa run, step by step
- `run(config, seed=..., replicates=...)` -> `RunResult`
- `explain(config, seed=..., replicates=...)` -> `Explanation` (named terms, knock-outs, replay)
- `sweep(load_sweep_spec(path), executor=...)` -> `SweepResult`

Importing the package loads nothing but the standard library: each name above is
imported from its module on first use (so `alliance-sim --help` stays light).

The package is layered; a layer imports only the layers below it (the contract is
`[tool.importlinter]` in pyproject.toml, checked by `make lint`; see docs/architecture.md):

- `model.py`, `agents.py`, `app.py`, `app_support/`: the Mesa face (outside the contract)
- `cli/`: the `alliance-sim` commands, loaded lazily, one error boundary
- `reporting/`: figures, the HTML report, terminal summaries
- `experiments/`: `run` and `sweep` (one driver), sweep designs, executors, the sweep folder
- `runs/`: the one chunked runner of runs and sweeps, typed tables, seeds, results, statistics
- `evidence/`: the ledger, quotes, calibration, reported patterns, `load_scenario`
- `scenario/`: the input formats (pydantic): `ScenarioConfig`, YAML, `extends:`, `--set`
- `core/`: the equations, parameters, event kinds, the compiled world, the state, the
  month, randomness, the ensemble engine
- `errors.py`, `files.py`, `version.py`: `InputError`, atomic writes and folder markers,
  `__version__`: leaves importable from every layer (no layer below `cli/` imports this
  package root: its lazy names reach every layer)
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from alliance_sim.evidence.scenarios import load_scenario
    from alliance_sim.experiments.driver import run, sweep
    from alliance_sim.experiments.results import SweepResult
    from alliance_sim.experiments.spec import load_sweep_spec
    from alliance_sim.model import AllianceModel
    from alliance_sim.runs.explain import explain
    from alliance_sim.runs.results import RunResult
    from alliance_sim.scenario.config import ScenarioConfig
    from alliance_sim.version import __version__

_LAZY: dict[str, str] = {
    "AllianceModel": "alliance_sim.model",
    "RunResult": "alliance_sim.runs.results",
    "ScenarioConfig": "alliance_sim.scenario.config",
    "SweepResult": "alliance_sim.experiments.results",
    "explain": "alliance_sim.runs.explain",
    "load_scenario": "alliance_sim.evidence.scenarios",
    "load_sweep_spec": "alliance_sim.experiments.spec",
    "run": "alliance_sim.experiments.driver",
    "sweep": "alliance_sim.experiments.driver",
    "__version__": "alliance_sim.version",
}
"""Each public name and the module that defines it, imported on first use."""


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use (numpy, pydantic, Mesa; metadata for the version)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alliance_sim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AllianceModel",
    "RunResult",
    "ScenarioConfig",
    "SweepResult",
    "__version__",
    "explain",
    "load_scenario",
    "load_sweep_spec",
    "run",
    "sweep",
]
