"""alliance-sim: defection scenarios for military alliances, as Mesa agent-based models.

The Python entry points:

- `load_scenario(path, overrides)` -> `ScenarioConfig`
- `AllianceModel(scenario, rng=seed)`: one Mesa run
- `run(config, seed=..., replicates=...)` -> `RunResult`
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliance-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from alliance_sim.config import ScenarioConfig
from alliance_sim.loader import load_scenario

__all__ = ["ScenarioConfig", "__version__", "load_scenario"]
