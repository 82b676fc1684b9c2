"""Parameter sweeps and sensitivity analysis.

The Python entry points:

- `load_sweep_spec(path)` -> `SweepSpec` (the YAML spec, validated against its scenario)
- `sweep(spec, executor=..., out=...)` -> `SweepResult`
- `SweepResult.load(folder)`: tables `design`, `runs`, `outcomes`, `alliance`, and
  `probabilities()`, `survival()`, `sensitivity()`
- executors: `SerialExecutor`, `ProcessExecutor`, `DaskExecutor`

Modules: `spec` (the YAML format), `designs` (grid, Monte Carlo, Latin hypercube, Sobol,
Morris), `seeds` (one seed per run), `executors`, `outcomes` (what each run keeps),
`storage` (the folder and its Parquet parts), `driver` (`sweep` and the worker's task),
`results` (`SweepResult`), `cli` (`alliance-sim sweep` and `alliance-sim analyze`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_sweep_spec": "alliance_sim.experiments.spec",
    "SweepSpec": "alliance_sim.experiments.spec",
    "sweep": "alliance_sim.experiments.driver",
    "SweepResult": "alliance_sim.experiments.results",
    "SerialExecutor": "alliance_sim.experiments.executors",
    "ProcessExecutor": "alliance_sim.experiments.executors",
    "DaskExecutor": "alliance_sim.experiments.executors",
    "make_executor": "alliance_sim.experiments.executors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the public names on first use (the spec reader stays light)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
