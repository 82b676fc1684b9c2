"""Scenario loading: inheritance, overrides, precedence, and every kind of bad input."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from alliance_sim.errors import InputError
from alliance_sim.evidence import load_scenario
from alliance_sim.evidence import load_with_provenance as load
from alliance_sim.scenario.loader import parse_override, with_overrides

SMALL = (Path(__file__).resolve().parents[1] / "fixtures" / "small.yaml").read_text()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def small_with(tmp_path: Path, old: str, new: str, name: str = "s.yaml") -> Path:
    assert old in SMALL, old
    return write(tmp_path, name, SMALL.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_small_fixture_loads(small_path):
    config = load_scenario(small_path)
    assert config.member_ids == ["big", "small", "mid"]
    assert config.outside_ids == ["enemy"]
    assert config.actors["small"].relations["enemy"].proximity == 1.0


def test_config_is_frozen(small_config):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        small_config.name = "other"  # type: ignore[misc]


def test_extends_overrides_and_merges_events_by_id(tmp_path, small_path):
    write(tmp_path, "base.yaml", SMALL)
    child = write(
        tmp_path,
        "what_if/child.yaml",
        """
        extends: ../base.yaml
        name: Child
        actors:
          big: {capacity: 0.9}
        events:
          - id: first_attack
            answer: full
          - id: extra_offer
            type: protest
            month: "2022-06"
            target: mid
        """,
    )
    loaded = load(child)
    config = loaded.config
    assert config.name == "Child"
    assert config.actors["big"].capacity == 0.9
    assert config.actors["big"].power == 0.04  # inherited
    assert [e.id for e in config.events] == ["first_attack", "spring_summit", "extra_offer"]
    assert config.events[0].answer == "full"
    assert config.events[0].severity == 0.6  # untouched fields kept
    assert loaded.files[0].endswith("child.yaml") and loaded.files[1].endswith("base.yaml")


def test_precedence_set_over_file_over_base(tmp_path):
    write(tmp_path, "base.yaml", SMALL)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nactors:\n  big: {capacity: 0.9}\n")
    assert load_scenario(child).actors["big"].capacity == 0.9
    config = load_scenario(child, ["actors.big.capacity=0.2"])
    assert config.actors["big"].capacity == 0.2
    loaded = load(child, ["actors.big.capacity=0.2", "events.first_attack.answer=refused"])
    assert loaded.overrides == ["actors.big.capacity=0.2", "events.first_attack.answer=refused"]
    assert loaded.config.events[0].answer == "refused"


def test_overrides_by_mapping_and_on_a_validated_config(small_config):
    changed = with_overrides(small_config, {"model.trust.spillover": 0.9, "hazards.raids.monthly_rate": 0.5})
    assert changed.model.trust.spillover == 0.9
    assert changed.hazards[0].monthly_rate == 0.5
    assert small_config.model.trust.spillover != 0.9


def test_parse_override_reads_yaml_scalars():
    assert parse_override("a.b=0.8") == ("a.b", 0.8)
    assert parse_override("a.b=true") == ("a.b", True)
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override("a.b=full") == ("a.b", "full")


def test_calibration_fills_unset_values_and_records_provenance(csto_path):
    loaded = load(csto_path)
    assert loaded.calibration, "the baseline names a ledger; its values must be applied"
    used = [p for p in loaded.calibration.values() if p.used]
    assert used
    for provenance in used:
        # every value has evidence, or says it is an explicit prior where the articles are silent
        assert provenance.evidence or provenance.method.startswith("prior only"), provenance
    assert sum(bool(p.evidence) for p in used) > len(used) / 2
    config = loaded.config
    for provenance in used:
        parts = provenance.path.split(".")
        if parts[0] == "actors" and len(parts) == 3:
            assert getattr(config.actors[parts[1]], parts[2]) == pytest.approx(provenance.calibrated)


def test_set_beats_calibration_and_is_recorded(csto_path):
    loaded = load(csto_path, ["actors.russia.capacity=0.8"])
    assert loaded.config.actors["russia"].capacity == 0.8
    provenance = loaded.calibration.get("actors.russia.capacity")
    if provenance is not None:
        assert not provenance.used and provenance.set_by.startswith("--set")


# --- bad input: one located line each -------------------------------------------------


def expect_error(excinfo, path: Path | None, field: str | None, message: str, line: int | None = None):
    text = str(excinfo.value)
    assert "\n" not in text
    if path is not None:
        assert text.startswith(str(path)), text
    if line is not None:
        assert re.match(rf"^{re.escape(str(path))}:{line}:\d+: ", text), text
    if field is not None:
        assert f" {field}: " in f" {text}" or f": {field}: " in text, text
    assert re.search(message, text), text


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(tmp_path / "nope.yaml")
    expect_error(excinfo, tmp_path / "nope.yaml", None, "file not found")


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.yaml", "   \n# only a comment\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, None, "empty")


def test_invalid_yaml(tmp_path):
    path = write(tmp_path, "bad.yaml", "name: x\nactors: [unclosed\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: invalid YAML", str(excinfo.value))


def test_top_level_not_a_mapping(tmp_path):
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, None, "expected a mapping", line=1)


def test_duplicate_key(tmp_path):
    path = small_with(tmp_path, "    power: 0.001\n", "    power: 0.001\n    power: 0.002\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "actors.small.power", "duplicate key", line=line_of(path, "power: 0.002"))


def test_unknown_key(tmp_path):
    path = small_with(tmp_path, "    dependence: 0.5\n", "    dependance: 0.5\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "actors.small.dependance", "unknown field", line=line_of(path, "dependance"))


def test_wrong_type(tmp_path):
    path = small_with(tmp_path, "horizon_months: 24", "horizon_months: soon")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "time.horizon_months", "integer", line=line_of(path, "soon"))


def test_out_of_range_number(tmp_path):
    path = small_with(tmp_path, "    outside_option: 0.3\n", "    outside_option: 1.7\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "actors.small.outside_option", "less than or equal to 1", line=line_of(path, "1.7"))


def test_negative_rate(tmp_path):
    path = small_with(tmp_path, "monthly_rate: 0.1", "monthly_rate: -0.1")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "hazards.0.monthly_rate", "greater than or equal to 0")


def test_event_naming_unknown_actor(tmp_path):
    path = small_with(
        tmp_path,
        "    source: enemy\n    target: small\n    severity: 0.6",
        "    source: enemi\n    target: small\n    severity: 0.6",
    )
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "events.0.source", "unknown actor 'enemi'", line=line_of(path, "enemi"))


def test_event_month_outside_horizon(tmp_path):
    path = small_with(tmp_path, 'month: "2022-05"', 'month: "2025-05"')
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "events.1.month", "outside the run", line=line_of(path, "2025-05"))


def test_bad_month_format(tmp_path):
    path = small_with(tmp_path, 'month: "2022-05"', 'month: "May 2022"')
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "events.1.month", "pattern|YYYY-MM")


def test_hegemon_not_a_member(tmp_path):
    path = small_with(tmp_path, "hegemon: big", "hegemon: enemy")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "alliance.hegemon", "not a member")


def test_bad_decision_rule(tmp_path):
    path = small_with(tmp_path, "decision_rule: consensus", "decision_rule: lottery")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(
        excinfo,
        path,
        "alliance.decision_rule",
        "consensus",
        line=1 + SMALL.splitlines().index(next(x for x in SMALL.splitlines() if "decision_rule" in x)),
    )


def test_missing_required_field(tmp_path):
    path = small_with(tmp_path, "    name: Mid\n", "")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "actors.mid.name", "required")


def test_attack_needs_a_source(tmp_path):
    path = small_with(
        tmp_path,
        "    source: enemy\n    target: small\n    severity: 0.6\n",
        "    target: small\n    severity: 0.6\n",
    )
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "events.0", "needs a source")


def test_thresholds_must_keep_hysteresis(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL + "model:\n  status:\n    disengage: 2.0\n    withdraw: 1.0\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, "model.status", "rejoin <= reengage <= disengage <= withdraw")


def test_extends_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: A\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\nname: B\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(a)
    expect_error(excinfo, b, "extends", "cycle a.yaml -> b.yaml -> a.yaml", line=1)


def test_extends_missing_file(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: nowhere.yaml\nname: A\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(a)
    expect_error(excinfo, a, "extends", "no such file", line=1)


def test_error_in_base_file_names_the_base(tmp_path):
    base = small_with(tmp_path, "    capacity: 0.6\n", "    capacity: 3\n", name="base.yaml")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: Child\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(child)
    expect_error(excinfo, base, "actors.big.capacity", "less than or equal to 1", line=line_of(base, "capacity: 3"))


def test_set_without_equals(small_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(small_path, ["actors.big.capacity"])
    assert "expected dotted.path=value" in str(excinfo.value)


def test_set_unknown_actor(small_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(small_path, ["actors.bigg.capacity=0.5"])
    assert "unknown actor 'bigg'" in str(excinfo.value) and "known: big, enemy, mid, small" in str(excinfo.value)


def test_set_unknown_field(small_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(small_path, ["actors.big.capacityy=0.5"])
    text = str(excinfo.value)
    assert text.startswith("--set actors.big.capacityy=0.5") and "actors.big.capacityy: unknown field" in text


def test_set_bad_value(small_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(small_path, ["actors.big.capacity=lots"])
    text = str(excinfo.value)
    assert text.startswith("--set actors.big.capacity=lots") and "actors.big.capacity" in text and "number" in text


def test_set_unknown_event(small_path):
    with pytest.raises(InputError) as excinfo:
        load_scenario(small_path, ["events.nope.answer=full"])
    assert "no item 'nope' in events (ids: first_attack, spring_summit)" in str(excinfo.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    expect_error(excinfo, path, None, "not UTF-8")
