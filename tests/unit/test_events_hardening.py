"""Bad event and month input gives one clean located error, never a traceback."""

from __future__ import annotations

import pytest

from alliance_sim.core.state import start_warnings
from alliance_sim.core.world import compile_world
from alliance_sim.errors import InputError
from alliance_sim.evidence import load_scenario


def _write(tmp_path, small_path, old, new, name="s.yaml"):
    text = small_path.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("bad_id", ["[a, b]", "{a: 1}"])
def test_event_id_that_is_a_collection_is_a_clean_error(tmp_path, small_path, bad_id):
    path = _write(tmp_path, small_path, "  - id: first_attack", f"  - id: {bad_id}")
    with pytest.raises(InputError, match=r"events\.0\.id: Input should be a valid string"):
        load_scenario(path)


def test_collection_ids_in_an_extending_file_are_a_clean_error(tmp_path, small_path):
    (tmp_path / "base.yaml").write_text(small_path.read_text())
    top = tmp_path / "top.yaml"
    top.write_text(
        "extends: base.yaml\n"
        "hazards:\n  - id: {x: 1}\n    type: protest\n    target: small\n    monthly_rate: 0.1\n"
        "events:\n  - id: [a, b]\n    type: protest\n    month: '2022-04'\n    target: small\n"
    )
    with pytest.raises(InputError, match=r"\.id: Input should be a valid string"):
        load_scenario(top)


def test_hazard_ending_before_it_starts_is_an_error(tmp_path, small_path):
    path = _write(
        tmp_path, small_path, "    monthly_rate: 0.1", '    monthly_rate: 0.1\n    start: "2022-06"\n    end: "2022-04"'
    )
    with pytest.raises(InputError, match=r"hazards\.0\.end: 2022-04 is before the hazard's start 2022-06"):
        load_scenario(path)


@pytest.mark.parametrize("month", ["２０２２-03", "٢٠٢٢-03", "2022-０3"])
def test_months_need_ascii_digits(tmp_path, small_path, month):
    path = _write(tmp_path, small_path, 'month: "2022-03"', f'month: "{month}"')
    with pytest.raises(InputError, match=r"events\.0\.month"):
        load_scenario(path)


def test_parse_month_rejects_other_digits():
    from alliance_sim.scenario.config import parse_month

    assert parse_month("2022-03") == (2022, 3)
    with pytest.raises(ValueError):
        parse_month("２０２２-03")


def test_events_after_a_shortened_run_are_reported(small_config):
    short = small_config.model_copy(update={"time": small_config.time.model_copy(update={"horizon_months": 3})})
    world = compile_world(short)
    assert [event.name for event in world.after_end] == ["spring_summit"]
    messages = start_warnings(world)
    assert any("events.spring_summit: 2022-05 is after the last month of this run" in m for m in messages)
    assert not any("events." in m for m in start_warnings(compile_world(small_config)))
