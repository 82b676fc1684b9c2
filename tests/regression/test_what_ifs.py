"""Every shipped what-if changes what it says, when it says.

For each file in `scenarios/what_if/`: the months before its first change (its `changes:`
entry or its first new or changed event) replay bit for bit as in the baseline with the
same seeds, and its lever moves its target in the expected direction by a clear margin
(common random numbers: the same seeds in both arms, the margin in standard errors of the
paired differences).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from alliance_sim.cli.main import main
from alliance_sim.cli.run import from_month_on
from alliance_sim.core.ensemble import run_ensemble
from alliance_sim.core.randomness import replicate_seeds
from alliance_sim.core.state import initial_state, start_warnings
from alliance_sim.core.trace import Trace
from alliance_sim.core.types import month_index
from alliance_sim.core.world import compile_world
from alliance_sim.evidence import load_scenario, load_with_provenance
from alliance_sim.model import AllianceModel
from alliance_sim.runs.results import RunResult
from alliance_sim.scenario.config import ScenarioConfig

ROOT = Path(__file__).resolve().parents[2]
WHAT_IF = ROOT / "scenarios" / "what_if"
SEEDS = replicate_seeds(20240101, 200)
"""Replicates per arm: enough that every margin below is many standard errors."""


# --- what each what-if should move ------------------------------------------------------


def away_share(trace: Trace, member: int, after: int) -> np.ndarray:
    """Per replicate: the share of months from step `after` on spent disengaged or withdrawn."""
    return np.mean(trace.members["status"][after + 1 :, :, member] != 0, axis=0)


def mean_of(name: str) -> Callable[[Trace, int, int], np.ndarray]:
    """Per replicate: the mean of a traced quantity from step `after` on."""

    def measure(trace: Trace, member: int, after: int) -> np.ndarray:
        return np.mean(trace.members[name][after + 1 :, :, member], axis=0)

    measure.__name__ = f"mean {name}"
    return measure


@dataclass(frozen=True)
class Target:
    """One expected effect: `measure` of `member` moves by at least `size` in direction `sign`."""

    member: str
    measure: Callable[[Trace, int, int], np.ndarray]
    sign: int
    size: float


@dataclass(frozen=True)
class WhatIf:
    """A shipped what-if, the month its history leaves the baseline's, and what it moves."""

    file: str
    start: str
    targets: tuple[Target, ...]


WHAT_IFS = (
    WhatIf(
        "russia_recovers.yaml",
        "2024-01",
        (
            Target("armenia", away_share, -1, 0.3),
            Target("armenia", mean_of("pressure"), -1, 0.5),
            Target("kazakhstan", away_share, -1, 0.2),
            Target("kyrgyzstan", away_share, -1, 0.1),
        ),
    ),
    WhatIf(
        "full_assistance_to_armenia.yaml",
        "2022-09",
        (
            Target("armenia", away_share, -1, 0.1),
            Target("armenia", mean_of("pressure"), -1, 0.3),
        ),
    ),
    WhatIf(
        "china_guarantees_central_asia.yaml",
        "2024-01",
        (
            Target("kyrgyzstan", away_share, +1, 0.02),
            Target("tajikistan", away_share, +1, 0.02),
            Target("kazakhstan", mean_of("pressure"), +1, 0.005),
            Target("kyrgyzstan", mean_of("pressure"), +1, 0.015),
        ),
    ),
    WhatIf(
        "azerbaijan_renews_offensive.yaml",
        "2024-04",
        (Target("armenia", mean_of("pressure"), +1, 0.03),),
    ),
    WhatIf(
        "russia_coerces_armenia.yaml",
        "2024-01",
        (
            Target("armenia", mean_of("signal"), +1, 0.1),
            Target("armenia", mean_of("fear_of_hegemon"), +1, 0.05),
            # The fear the coercion raises outweighs the cost of leaving it adds: net, it pushes.
            Target("armenia", mean_of("pressure"), +1, 0.015),
        ),
    ),
    WhatIf(
        "kazakhstan_fears_being_next.yaml",
        "2024-03",
        (
            Target("kazakhstan", mean_of("fear_of_hegemon"), +1, 0.02),
            Target("kazakhstan", away_share, +1, 0.15),
            Target("kazakhstan", mean_of("pressure"), +1, 0.1),
            Target("armenia", mean_of("pressure"), +1, 0.15),
        ),
    ),
)
"""Each shipped what-if: its first changed month and the effects it must have."""

BY_FILE = {w.file: w for w in WHAT_IFS}
MARGIN = 5.0
"""How many standard errors of the paired difference each effect must clear."""


@cache
def baseline() -> ScenarioConfig:
    return load_scenario(ROOT / "scenarios" / "csto_2022.yaml")


@cache
def config_of(file: str) -> ScenarioConfig:
    return load_scenario(WHAT_IF / file)


@cache
def trace_of(file: str | None) -> Trace:
    return run_ensemble(baseline() if file is None else config_of(file), SEEDS)


def first_change(config: ScenarioConfig, base: ScenarioConfig) -> str:
    """The first month in which the what-if differs from the baseline: a change, or a new or changed event."""
    months = [change.start for change in config.changes]
    before = {event.id: event.model_dump() for event in base.events}
    for event in config.events:
        if before.get(event.id) != event.model_dump():
            months.append(event.month)
    assert months, "the what-if changes nothing"
    return min(months, key=lambda month: month_index(base.time.start, month))


# --- tests -----------------------------------------------------------------------------


def test_every_shipped_what_if_is_tested():
    assert sorted(p.name for p in WHAT_IF.glob("*.yaml")) == sorted(BY_FILE)


@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_says_what_it_asks(file):
    text = (WHAT_IF / file).read_text()
    assert text.startswith("# What if"), "a header comment says what the what-if asks"
    config = config_of(file)
    assert config.name.startswith("What-if: ") and len(config.description) > 40
    assert "from" not in yaml.safe_load(text), "a what-if says its month in `changes:` or its events"


@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_history_before_its_month_is_the_baselines(file):
    what_if = BY_FILE[file]
    config, base = config_of(file), baseline()
    assert first_change(config, base) == what_if.start
    last_shared = month_index(base.time.start, what_if.start)  # trace rows 0..last_shared: before the change
    a, b = trace_of(None), trace_of(file)
    for name, values in b.members.items():
        assert np.array_equal(values[: last_shared + 1], a.members[name][: last_shared + 1], equal_nan=True), name
    for name in ("war_load", "demand", "trust"):
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(x[: last_shared + 1], y[: last_shared + 1], equal_nan=True), name
    changed = any(
        not np.array_equal(values[last_shared + 1], a.members[name][last_shared + 1], equal_nan=True)
        for name, values in b.members.items()
    ) or not np.array_equal(a.war_load[last_shared + 1], b.war_load[last_shared + 1])
    assert changed, f"nothing changes in {what_if.start}"


@pytest.mark.parametrize(
    ("file", "k"), [(w.file, k) for w in WHAT_IFS for k in range(len(w.targets))], ids=lambda v: str(v)
)
def test_lever_moves_its_target(file, k):
    what_if = BY_FILE[file]
    target = what_if.targets[k]
    base = baseline()
    member = base.member_ids.index(target.member)
    after = month_index(base.time.start, what_if.start)
    diff = target.measure(trace_of(file), member, after) - target.measure(trace_of(None), member, after)
    mean = float(np.mean(diff))
    se = float(np.std(diff, ddof=1) / np.sqrt(len(diff)))
    label = f"{target.member} {target.measure.__name__}: change {mean:+.4f} (se {se:.4f})"
    assert target.sign * mean >= target.size, label
    assert target.sign * mean >= MARGIN * se, label


REACTIONS = ("armenia_protest_2022_09", "armenia_protest_2022_11", "eu_mission_2023_02", "west_red_line_2023_11")
"""The baseline's reactions to the refusal of September 2022 (reactive events)."""


def test_full_assistance_prevents_the_reactions_to_a_refusal():
    base = baseline()
    conditional = {e.id for e in base.events if e.when is not None and e.when.answer_to == "azerbaijan_attack_2022_09"}
    assert conditional == set(REACTIONS)
    full = config_of("full_assistance_to_armenia.yaml")
    for seed in SEEDS[:3]:
        happened = {row["event"] for row in AllianceModel(base, rng=seed).run().event_log}
        assert set(REACTIONS) <= happened
        happened = {row["event"] for row in AllianceModel(full, rng=seed).run().event_log}
        assert not set(REACTIONS) & happened
        assert "azerbaijan_attack_2022_09" in happened


def test_coercion_happens_only_while_armenia_stays_away():
    config = config_of("russia_coerces_armenia.yaml")
    coercions = [e for e in config.events if e.type == "coercion"]
    assert coercions and all(e.when is not None and e.when.status_of == "armenia" for e in coercions)
    a = config.member_ids.index("armenia")
    with_coercion = AllianceModel(config, rng=SEEDS[0]).run()
    status = with_coercion.trace.members["status"][:, a]
    for event in coercions:
        step = month_index(config.time.start, event.month)
        fired = any(row["event"] == event.id for row in with_coercion.event_log)
        assert fired == bool(status[step] != 0), event.id  # the status at the start of its month


# --- the command line: `run --from`, and the warnings `validate` gives ---------------------


@pytest.fixture()
def cli():
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_run_from_a_month_keeps_the_history_before_it(cli, tmp_path):
    scenario = ROOT / "scenarios" / "csto_2022.yaml"
    common = ("-n", 4, "--seed", 5, "--quiet", "--format", "csv")
    assert cli("run", scenario, *common, "--out", tmp_path / "base").exit_code == 0
    result = cli(
        "run", scenario, *common, "--set", "model.shocks.war_recovery=0.2", "--from", "2024-01", "--out", tmp_path / "b"
    )
    assert result.exit_code == 0, result.output
    base, changed = RunResult.load(tmp_path / "base").members, RunResult.load(tmp_path / "b").members
    before = base["month"] < "2024-01"
    assert before.any() and (~before).any()
    assert base[before].reset_index(drop=True).equals(changed[before].reset_index(drop=True))
    assert (
        not base[~before]["pressure"].reset_index(drop=True).equals(changed[~before]["pressure"].reset_index(drop=True))
    )
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["overrides"] == ["model.shocks.war_recovery=0.2 (from 2024-01)"]


def test_run_from_joins_the_what_ifs_own_changes():
    loaded = load_with_provenance(WHAT_IF / "russia_recovers.yaml")
    later = from_month_on(loaded, ("model.shocks.war_recovery=0.3",), "2025-01").config
    assert [(c.start, c.set.get("model.shocks.war_recovery")) for c in later.changes] == [
        ("2024-01", 0.1),
        ("2025-01", 0.3),
    ]
    earlier = from_month_on(loaded, ("model.shocks.war_recovery=0.3",), "2023-01").config
    assert [(c.start, c.set["model.shocks.war_recovery"]) for c in earlier.changes] == [
        ("2023-01", 0.3),
        ("2024-01", 0.3),
    ]
    same = from_month_on(loaded, ("hazards.war_drain.monthly_rate=0.01",), "2024-01").config
    assert len(same.changes) == 1 and same.changes[0].set["hazards.war_drain.monthly_rate"] == 0.01


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2024-01"), "--from says when the --set overrides begin"),
        (("--set", "model.shocks.war_recovery=0.2", "--from", "2024-13"), "expected a month as YYYY-MM"),
        (("--set", "model.shocks.war_recovery=0.2", "--from", "2022-01"), "is not inside the run"),
        (("--set", "model.shocks.war_recovry=0.2", "--from", "2024-01"), "war_recovry"),
    ],
)
def test_run_from_bad_input_is_one_line(cli, args, message):
    result = cli("run", ROOT / "scenarios" / "csto_2022.yaml", "-n", 2, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


def test_run_prints_the_warnings_validate_prints(cli, tmp_path):
    path = tmp_path / "restless.yaml"
    path.write_text(
        "name: restless\nalliance: {name: T, hegemon: big}\ntime: {start: '2022-01', horizon_months: 12}\n"
        "actors:\n  big: {name: Big, power: 0.04}\n  small: {name: Small, outside_option: 1.0}\n"
    )
    validated = cli("validate", path)
    warnings = [line for line in validated.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "actors.small: starts with pressure" in warnings[0]
    ran = cli("run", path, "-n", 2, "--quiet")
    assert ran.exit_code == 0
    assert ran.stderr.splitlines() == warnings
    calm = cli("run", ROOT / "scenarios" / "examples" / "triple_entente.yaml", "-n", 2, "--quiet")
    assert calm.exit_code == 0 and calm.stderr == ""


def test_the_generic_example_has_thresholds_that_suit_it():
    """Nobody starts past the disengage threshold, and whether Eastmark leaves depends on the run."""
    for path in sorted((ROOT / "scenarios" / "examples").glob("*.yaml")):
        config = load_scenario(path)
        world = compile_world(config)
        assert start_warnings(world) == [], path
        start = initial_state(world).pressure
        assert np.all(start[np.arange(world.m) != world.hegemon] < config.model.status.disengage - 0.3), path
    config = load_scenario(ROOT / "scenarios" / "examples" / "triple_entente.yaml")
    status = run_ensemble(config, replicate_seeds(3, 200)).members["status"]
    away = np.mean(np.any(status != 0, axis=0), axis=0)
    east, west = config.member_ids.index("east"), config.member_ids.index("west")
    assert 0.2 < away[east] < 0.9 and away[west] < away[east]


def test_run_and_sweep_follow_a_change_on_both_engines():
    """The pipeline runs a scenario's `changes:` on the ensemble engine too, as the Mesa engine does."""
    from alliance_sim import run

    what_if = load_scenario(ROOT / "scenarios" / "what_if" / "russia_recovers.yaml")
    tables = {
        engine: run(what_if, seed=5, replicates=6, engine=engine).members.sort_values(["replicate", "step", "member"])
        for engine in ("ensemble", "mesa")
    }
    columns = ["replicate", "step", "member", "status", "pressure"]
    pd.testing.assert_frame_equal(
        tables["ensemble"][columns].reset_index(drop=True), tables["mesa"][columns].reset_index(drop=True)
    )
    base = run(baseline(), seed=5, replicates=6, engine="ensemble").members.sort_values(["replicate", "step", "member"])
    after = tables["ensemble"]["step"].to_numpy() >= 25  # step 25 records 2024-01, the first month changed
    assert not np.allclose(tables["ensemble"]["pressure"].to_numpy()[after], base["pressure"].to_numpy()[after])
    before = ~after
    np.testing.assert_array_equal(
        tables["ensemble"]["pressure"].to_numpy()[before], base["pressure"].to_numpy()[before]
    )


def test_a_bad_value_in_changes_is_an_input_error_at_load(tmp_path):
    """Found by the fuzzer: a change's values are checked when the scenario loads, with its place."""
    from alliance_sim.errors import InputError

    path = tmp_path / "bad.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'csto_2022.yaml'}\nname: bad\n"
        "changes:\n  - from: '2024-01'\n    set:\n      model.shocks.war_recovery: -1\n"
    )
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    assert str(excinfo.value).startswith(f"{path}:")
    assert "changes.0.set.model.shocks.war_recovery: Input should be greater than or equal to 0" in str(excinfo.value)
