"""The compiled kernels and the numpy fallback give the same numbers, bit for bit; so do the
ways the ensemble organises its work (chunks, random numbers month by month, events played
on the replicates where they happen)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alliance_sim.core import ensemble, kernels, phases, randomness
from alliance_sim.core.ensemble import EventLog, run_chunks, run_ensemble
from alliance_sim.core.month import run_month
from alliance_sim.core.randomness import random_block, random_blocks, replicate_seeds
from alliance_sim.core.state import initial_state
from alliance_sim.core.trace import Trace
from alliance_sim.core.world import compile_timeline, compile_world
from alliance_sim.evidence import load_scenario
from alliance_sim.model import AllianceModel


def arrays(trace: Trace) -> dict[str, np.ndarray]:
    found = {f"members.{name}": values for name, values in trace.members.items()}
    for name in ("war_load", "trust", "demand", "terms", "answers"):
        value = getattr(trace, name)
        if value is not None:
            found[name] = value
    return found


def assert_same(a: Trace, b: Trace) -> None:
    left, right = arrays(a), arrays(b)
    assert left.keys() == right.keys()
    for name, values in left.items():
        other = right[name]
        assert values.shape == other.shape and values.dtype == other.dtype, name
        assert values.tobytes() == other.tobytes(), name  # bit for bit, NaN included


@pytest.fixture
def implementation(monkeypatch):
    """Select an implementation for the rest of the test (the choice is re-read from the environment)."""

    def use(name: str) -> str:
        monkeypatch.setenv(kernels.ENV, name)
        kernels.reset()
        return kernels.backend()

    yield use
    monkeypatch.delenv(kernels.ENV, raising=False)
    kernels.reset()


@pytest.fixture(scope="module")
def csto_timeline(csto_config):
    return compile_timeline(csto_config)


def test_the_environment_selects_numpy(implementation):
    assert implementation("numpy") == "numpy"
    with kernels.using("numpy"):
        assert kernels.backend() == "numpy"


def test_baseline_trace_is_the_same_compiled_and_in_numpy(implementation, csto_timeline):
    pytest.importorskip("numba")
    seeds = replicate_seeds(2022, 100)
    assert implementation("numba") == "numba"
    compiled = run_ensemble(csto_timeline, seeds, terms=True)
    assert implementation("numpy") == "numpy"
    plain = run_ensemble(csto_timeline, seeds, terms=True)
    assert_same(compiled, plain)


SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("[!s]*/*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_scenario_and_its_event_log_are_the_same_compiled_and_in_numpy(implementation, path):
    """Every phase compiled (the exp of its probabilities taken in numpy) against numpy, event log included."""
    pytest.importorskip("numba")
    timeline = compile_timeline(load_scenario(path))
    seeds = replicate_seeds(3, 60)
    runs = {}
    for name in ("numba", "numpy"):
        assert implementation(name) == name
        log = EventLog()
        runs[name] = run_ensemble(timeline, seeds, terms=True, log=log), log.columns(timeline[0][1])
    assert_same(runs["numba"][0], runs["numpy"][0])
    for left, right in zip(runs["numba"][1], runs["numpy"][1], strict=True):
        assert left.keys() == right.keys()
        for name, values in left.items():
            np.testing.assert_array_equal(values, right[name], err_msg=name)  # NaN equal to NaN


def test_exp_of_numpy_is_what_the_compiled_phases_use():
    """numba's own exp may differ from numpy's in the last bit: the compiled phases take numpy's."""
    pytest.importorskip("numba")
    z = np.linspace(-30.0, 30.0, 4097)
    e = np.exp(z)
    assert np.exp(z.reshape(-1, 1)).ravel().tobytes() == e.tobytes()  # shape does not matter
    assert np.concatenate([np.exp(z[q : q + 7]) for q in range(0, z.size, 7)]).tobytes() == e.tobytes()


def test_mesa_engine_is_the_same_compiled_and_in_numpy(implementation, small_config):
    pytest.importorskip("numba")
    runs = {}
    for name in ("numba", "numpy"):
        assert implementation(name) == name
        runs[name] = AllianceModel(small_config, rng=5).run().trace
    assert_same(runs["numba"], runs["numpy"])


def test_blocks_drawn_at_once_or_month_by_month_are_the_same_numbers(monkeypatch):
    seeds = [3, 99, 2**40]
    stacked = random_blocks(seeds, 7, 11)
    for r, seed in enumerate(seeds):
        assert np.array_equal(stacked[:, r], random_block(seed, 7, 11))
    monkeypatch.setattr(randomness, "BLOCK_BUDGET", 0)
    draws = randomness.MonthlyDraws(seeds, 7, 11)
    assert draws.block is None
    for t in range(7):
        assert np.array_equal(draws.month(t), stacked[t])
    with pytest.raises(ValueError, match="in order"):
        draws.month(2)
    draws.release()


def test_chunks_and_monthly_draws_leave_the_trace_unchanged(monkeypatch, csto_timeline):
    seeds = replicate_seeds(7, 23)
    whole = run_ensemble(csto_timeline, seeds, terms=True)
    monkeypatch.setattr(ensemble, "chunk_size", lambda world: 5)
    monkeypatch.setattr(randomness, "BLOCK_BUDGET", 0)
    assert_same(whole, run_ensemble(csto_timeline, seeds, terms=True))
    # Each chunk is written into the same arrays: copy it before asking for the next.
    parts = [
        (start, Trace(**{name: copy.deepcopy(value) for name, value in vars(part).items()}))
        for start, part in run_chunks(csto_timeline, seeds, chunk=10)
    ]
    assert [start for start, _ in parts] == [0, 10, 20]
    for start, part in parts:
        for name, values in arrays(part).items():
            full = arrays(whole)[name]
            rows = full[start : start + 10] if name == "answers" else full[:, start : start + 10]
            assert rows.tobytes() == values.tobytes(), name


def test_events_played_on_their_replicates_alone_change_nothing(monkeypatch, csto_config):
    """A hazard played on the replicates where it fired gives the numbers, and the event log, of the whole batch."""
    world = compile_world(csto_config)
    seeds = replicate_seeds(11, 64)
    draws = random_blocks(seeds, world.steps, world.columns)

    def play(share: float) -> tuple[Trace, list[tuple]]:
        monkeypatch.setattr(phases, "SUBSET_SHARE", share)
        log: list[tuple] = []

        def record(event, where, request, levels, answer):
            log.append((event.name, where.copy(), None if levels is None else levels.copy(), answer))

        state = initial_state(world, (len(seeds),))
        trace = Trace.empty(world, (len(seeds),), terms=True)
        for t in range(world.steps):
            run_month(world, state, t, draws[t], trace, record)
        return trace, log

    whole, whole_log = play(0.0)
    parts, parts_log = play(1.1)
    assert_same(whole, parts)
    assert len(whole_log) == len(parts_log)
    for (name_a, where_a, levels_a, answer_a), (name_b, where_b, levels_b, answer_b) in zip(
        whole_log, parts_log, strict=True
    ):
        assert name_a == name_b and np.array_equal(where_a, where_b)
        if levels_a is not None:
            assert np.array_equal(levels_a, levels_b)
            assert np.array_equal(answer_a[where_a], answer_b[where_b])


def test_credibility_needs_no_four_axis_arrays(csto_timeline):
    """Credibility is summed ally by ally: memory is that of the (R, m, n) result."""
    world = csto_timeline[0][1]
    state = initial_state(world, (3,))
    with kernels.using("numpy"):
        cred, internal = kernels.credibility(
            state.alpha,
            state.beta,
            state.alpha_int,
            state.beta_int,
            world.share,
            np.ones((3, world.m)),
            np.full((3, world.m), 0.01),
            world.ties,
            world.power,
        )
    assert cred.shape == (3, world.m, world.n) and internal.shape == (3, world.m)
    assert np.all(cred[..., : world.m] == 0.0)  # members are not deterred by the alliance


def test_checking_a_scenario_does_not_load_numba(root):
    code = (
        "import sys\n"
        "from alliance_sim.evidence import load_scenario\n"
        "from alliance_sim.core.world import compile_world\n"
        "from alliance_sim.core.state import start_warnings\n"
        "start_warnings(compile_world(load_scenario('scenarios/csto_2022.yaml')))\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_auto_loads_numba_only_for_a_large_batch(root):
    pytest.importorskip("numba")
    code = (
        "import os, sys\n"
        "os.environ.pop('ALLIANCE_SIM_KERNELS', None)\n"
        "from alliance_sim.evidence import load_scenario\n"
        "from alliance_sim.core.ensemble import run_ensemble\n"
        "from alliance_sim.core.kernels import AUTO_ROWS\n"
        "from alliance_sim.core.world import compile_world\n"
        "world = compile_world(load_scenario('tests/fixtures/small.yaml'))\n"
        "run_ensemble(world, range(50))\n"
        "assert 'numba' not in sys.modules, 'a small batch loaded numba'\n"
        "run_ensemble(world, range(AUTO_ROWS))\n"
        "assert 'numba' in sys.modules, 'a large batch did not load numba'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_single_runs_load_numba_after_enough_months_and_give_the_same_numbers(root):
    pytest.importorskip("numba")
    code = (
        "import os, sys\n"
        "os.environ.pop('ALLIANCE_SIM_KERNELS', None)\n"
        "from alliance_sim.core import kernels\n"
        "from alliance_sim.evidence import load_scenario\n"
        "from alliance_sim.model import AllianceModel\n"
        "config = load_scenario('tests/fixtures/small.yaml')\n"
        "with kernels.using('numpy'):\n"
        "    reference = AllianceModel(config, rng=3).run()\n"
        "assert 'numba' not in sys.modules, 'numpy forced, yet numba was loaded'\n"
        "kernels.AUTO_MONTHS = reference.world.steps // 2\n"
        "switched = AllianceModel(config, rng=3).run()  # numba is loaded halfway through\n"
        "assert 'numba' in sys.modules, 'enough months of single runs did not load numba'\n"
        "for name, values in reference.trace.members.items():\n"
        "    assert values.tobytes() == switched.trace.members[name].tobytes(), name\n"
        "assert reference.event_log == switched.event_log or repr(reference.event_log) == repr(switched.event_log)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_event_log_is_the_same_in_chunks_and_with_events_played_on_their_replicates(monkeypatch, csto_timeline):
    from alliance_sim.core.ensemble import EventLog

    world = csto_timeline[0][1]
    seeds = replicate_seeds(5, 40)

    def logged() -> tuple[dict, dict]:
        log = EventLog()
        run_ensemble(csto_timeline, seeds, log=log)
        return log.columns(world)

    monkeypatch.setattr(phases, "SUBSET_SHARE", 0.0)
    whole_events, whole_answers = logged()
    monkeypatch.setattr(phases, "SUBSET_SHARE", 1.1)
    monkeypatch.setattr(ensemble, "chunk_size", lambda world: 7)
    events, answers = logged()
    for mine, theirs in ((whole_events, events), (whole_answers, answers)):
        assert mine.keys() == theirs.keys()
        for name in mine:
            nan = mine[name].dtype.kind == "f"
            assert np.array_equal(mine[name], theirs[name], equal_nan=nan), name


def test_trace_buffers_are_reused_only_when_nobody_holds_them():
    from alliance_sim.core import trace

    first = trace.buffer((3, 7))
    address = first.__array_interface__["data"][0]
    assert trace.buffer((3, 7)) is not first  # held here
    view = first[1:]
    del first
    assert trace.buffer((3, 7)).__array_interface__["data"][0] != address  # a view holds it
    del view
    assert trace.buffer((3, 7)).__array_interface__["data"][0] == address  # nobody: reused


def test_ensemble_blocks_run_one_after_another_give_the_same_numbers(csto_timeline):
    """A trace made of a dropped trace's arrays holds its own numbers, not the old ones."""
    seeds = replicate_seeds(9, 30)
    kept = run_ensemble(csto_timeline, seeds[:15])
    first = arrays(kept)
    copies = {name: values.copy() for name, values in first.items()}
    del first
    run_ensemble(csto_timeline, seeds[15:])  # dropped at once: its arrays go back to the pool
    again = run_ensemble(csto_timeline, seeds[15:])  # reuses them
    assert_same(run_ensemble(csto_timeline, seeds[15:]), again)
    for name, values in arrays(kept).items():
        assert values.tobytes() == copies[name].tobytes(), name  # untouched while held


def test_large_trace_buffers_are_reused_only_when_no_view_holds_them(monkeypatch):
    from alliance_sim.core import trace

    monkeypatch.setattr(trace, "SMALL_PAGES_FROM", 64)  # mapped in small pages
    first = trace.buffer((5, 40))
    address = first.__array_interface__["data"][0]
    view = first[1:][2:]
    del first
    assert trace.buffer((5, 40)).__array_interface__["data"][0] != address  # a view of a view holds it
    del view
    assert trace.buffer((5, 40)).__array_interface__["data"][0] == address


def test_what_is_made_per_world_is_made_once_and_forgotten_with_the_world(small_config):
    import gc
    import weakref

    class Made:
        pass

    made: list[int] = []

    def make(world) -> Made:
        made.append(world.m)
        return Made()

    first, second = compile_world(small_config), compile_world(small_config)
    one = kernels.per_world(first, "test", make)
    assert kernels.per_world(first, "test", make) is one
    other = kernels.per_world(second, "test", make)
    assert other is not one and kernels.per_world(first, "test", make) is one
    assert len(made) == 2
    gone = weakref.ref(one)
    del first, one
    kernels.per_world(second, "test", make)  # the last world asked for is no longer the first
    gc.collect()
    assert gone() is None, "what was made for a world outlived it"
    assert len(made) == 2
