"""Bad input found by trying the tool as a new user would and by mutating the shipped files.

Each case must give one `file:line:col: field: message` line (or name the `--set` option),
exit code 2 from the command line, and never a traceback or a hang.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_sim.cli.main import main
from alliance_sim.errors import InputError
from alliance_sim.evidence import load_ledger, load_scenario
from alliance_sim.experiments.spec import load_sweep_spec
from alliance_sim.scenario.loader import MAX_ACTORS, MAX_EXTENDS, is_sweep_spec, with_overrides
from alliance_sim.scenario.yamlio import MAX_DEPTH, MAX_FILE_BYTES, read_yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SMALL = (FIXTURES / "small.yaml").read_text()
PACT = FIXTURES / "sweeps" / "pact.yaml"
GRID = """\
design: grid
parameters:
  actors.big.capacity: [0.2, 0.5]
  actors.small.outside_option: [0.1, 0.3, 0.5]
replicates: 2
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def spec_file(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    return write(tmp_path, name, f"scenario: {PACT}\n" + text)


def one_line(error: InputError, file: Path | str | None = None, line: bool = True) -> str:
    text = str(error)
    assert "\n" not in text and len(text) < 700, text
    if file is not None:
        assert text.startswith(str(file)), text
        if line:
            assert re.match(rf"^{re.escape(str(file))}:\d+:\d+: ", text), text
    return text


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# --- the spec hash, mixed lists, design sizes ----------------------------------------


def test_reordered_spec_has_another_hash(tmp_path):
    first = load_sweep_spec(spec_file(tmp_path, GRID, "a.yaml"))
    lines = GRID.splitlines()
    twin = "\n".join([lines[0], lines[1], lines[3], lines[2], *lines[4:]]) + "\n"
    second = load_sweep_spec(spec_file(tmp_path, twin, "b.yaml"))
    assert first.paths == list(reversed(second.paths))
    assert first.hash != second.hash
    again = load_sweep_spec(spec_file(tmp_path, GRID, "c.yaml"))
    assert again.hash == first.hash


def test_parameter_values_of_mixed_kinds_are_refused(tmp_path):
    path = spec_file(tmp_path, "design: grid\nparameters:\n  actors.big.capacity: [0.5, '0.6']\n")
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    text = one_line(caught.value, path)
    assert caught.value.field == "parameters.actors.big.capacity.values"
    assert "mix numbers and text" in text


def test_huge_grid_is_refused_with_its_size_and_the_way_out(tmp_path):
    values = "[" + ", ".join(f"{0.01 * k:.2f}" for k in range(1, 101)) + "]"
    paths = ["actors.big.capacity", "actors.small.outside_option", "actors.mid.dependence", "model.trust.spillover"]
    body = "design: grid\nparameters:\n" + "".join(f"  {p}: {values}\n" for p in paths)
    path = spec_file(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    text = one_line(caught.value, path)
    assert "100,000,000 points" in text and "max_points" in text


def test_huge_latin_hypercube_is_refused(tmp_path):
    body = "design: {kind: lhs, samples: 8000000}\nparameters:\n  actors.big.capacity: {low: 0.1, high: 0.9}\n"
    path = spec_file(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    assert "8,000,000 points" in one_line(caught.value, path)
    assert caught.value.field == "design.samples"


def test_max_points_raises_the_limit(tmp_path):
    body = "design: {kind: montecarlo, samples: 20}\nparameters:\n  actors.big.capacity: {low: 0.1, high: 0.9}\n"
    with pytest.raises(InputError, match="20 points"):
        load_sweep_spec(spec_file(tmp_path, body + "max_points: 10\n"))
    assert load_sweep_spec(spec_file(tmp_path, body + "max_points: 20\n", "ok.yaml")).points == 20


def test_a_non_ascii_digit_in_a_sweep_path(tmp_path):
    path = spec_file(tmp_path, "design: grid\nparameters:\n  events.\u00b2.severity: [0.1]\n")
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    assert "no item '\u00b2' in events" in one_line(caught.value, path)


# --- YAML that would hang, recurse or run code ---------------------------------------


def test_long_extends_chain_stops_at_the_limit(tmp_path):
    for k in range(1200):
        (tmp_path / f"s{k}.yaml").write_text(f"extends: s{k + 1}.yaml\n")
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path / "s0.yaml")
    assert f"at most {MAX_EXTENDS} files" in one_line(caught.value)
    assert caught.value.field == "extends"


def test_self_recursive_alias(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL + "junk: &loop [1, *loop]\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert "recursive alias" in one_line(caught.value, path)


def test_deep_nesting(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL + "junk: " + "[" * 600 + "]" * 600 + "\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert f"deeper than {MAX_DEPTH} levels" in one_line(caught.value, path)


def test_alias_bomb_under_an_unknown_key(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 9)]
    path = write(tmp_path, "s.yaml", SMALL + "junk:\n" + "".join(f"  {line}\n" for line in lines))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert "once aliases are expanded" in one_line(caught.value, path)


@pytest.mark.parametrize(
    "tag",
    ["!!python/object/apply:os.system [echo hi]", "!!python/name:os.system", "!!binary aGk=", "!custom {a: 1}"],
)
def test_non_standard_tags_are_refused(tmp_path, tag):
    path = write(tmp_path, "s.yaml", SMALL + f"junk: {tag}\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert "is not allowed" in one_line(caught.value, path)


def test_standard_tags_still_work(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL.replace("name: Small test alliance", "name: !!str Small"))
    assert load_scenario(path).name == "Small"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_as_scenario_base_and_spec(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    child = write(tmp_path, "child.yaml", "extends: pipe.yaml\nname: C\n")
    with pytest.raises(InputError) as caught:
        load_scenario(child)
    text = one_line(caught.value, child)
    assert "not a regular file" in text and caught.value.field == "extends"
    with pytest.raises(InputError, match="not a regular file"):
        load_sweep_spec(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_scenario(fifo)


def test_device_as_base(tmp_path):
    child = write(tmp_path, "child.yaml", "extends: /dev/zero\nname: C\n")
    with pytest.raises(InputError, match="not a regular file"):
        load_scenario(child)


# --- very large inputs ---------------------------------------------------------------


def test_thousands_of_members_are_refused(tmp_path):
    extra = "".join(f"  m{k}: {{name: M{k}, power: 0.001}}\n" for k in range(2000))
    path = write(tmp_path, "s.yaml", SMALL.replace("actors:\n", "actors:\n" + extra, 1))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert f"at most {MAX_ACTORS}" in one_line(caught.value, path)


def test_a_hundred_thousand_events_are_refused(tmp_path):
    extra = "".join(f"  - {{id: e{k}, type: protest, month: '2022-03', target: small}}\n" for k in range(100_000))
    path = write(tmp_path, "s.yaml", SMALL + "more:\n" + extra)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert f"{MAX_FILE_BYTES:,} bytes" in one_line(caught.value, path, line=False)


def test_a_million_items_under_an_unknown_key(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL + "junk: [" + "1," * 1_000_000 + "1]\n")
    with pytest.raises(InputError, match="bytes"):
        load_scenario(path)
    small = write(tmp_path, "t.yaml", SMALL + "junk: [" + "1," * 300_000 + "1]\n")
    with pytest.raises(InputError) as caught:
        load_scenario(small)
    assert "more than" in one_line(caught.value, small)


def test_a_huge_value_is_cut_in_the_message(small_config):
    with pytest.raises(InputError) as caught:
        with_overrides(small_config, {"name": "x" * 5_000_000})
    text = one_line(caught.value)
    assert "..." in text


# --- the ledger ----------------------------------------------------------------------


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", folder)
    return folder


def test_latin1_article_names_the_file(seeds_copy):
    article = sorted(seeds_copy.glob("*.txt"))[0]
    article.write_bytes(article.read_bytes() + "caf\u00e9\n".encode("latin-1"))
    ledger = seeds_copy / "evidence.yaml"
    with pytest.raises(InputError) as caught:
        load_ledger(ledger)
    text = one_line(caught.value, ledger)
    assert article.name in text and "not UTF-8" in text


def test_emptied_data_file(seeds_copy):
    data = next((seeds_copy / "data").glob("*.csv"))
    data.write_text("")
    ledger = seeds_copy / "evidence.yaml"
    with pytest.raises(InputError) as caught:
        load_ledger(ledger)
    assert "has no rows" in one_line(caught.value, ledger)


# --- clearer messages ----------------------------------------------------------------


def test_mistyped_event_id_in_a_what_if(tmp_path):
    write(tmp_path, "base.yaml", SMALL)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nevents:\n  - id: frist_attack\n    severity: 0.2\n")
    with pytest.raises(InputError) as caught:
        load_scenario(child)
    text = one_line(caught.value, child)
    assert caught.value.line == 3 and caught.value.field == "events.0.id"
    assert "the base scenario has no event 'frist_attack'" in text and "first_attack" in text


def test_set_errors_name_the_event_by_its_id(small_path):
    with pytest.raises(InputError) as caught:
        load_scenario(small_path, ["events.spring_summit.severity=5"])
    text = one_line(caught.value)
    assert text.startswith("--set events.spring_summit.severity=5: events.spring_summit.severity: "), text


def test_set_with_a_non_ascii_digit(small_path):
    with pytest.raises(InputError) as caught:
        load_scenario(small_path, ["events.\u00b2.severity=0.1"])
    assert "no item '\u00b2' in events" in one_line(caught.value)


def test_extends_of_a_missing_file_says_it_once(tmp_path):
    child = write(tmp_path, "a.yaml", "extends: nowhere.yaml\nname: A\n")
    with pytest.raises(InputError) as caught:
        load_scenario(child)
    text = one_line(caught.value, child)
    assert "extends: extends" not in text and "no such file" in text


def test_run_on_a_sweep_spec_says_so(tmp_path):
    path = spec_file(tmp_path, GRID)
    assert is_sweep_spec(read_yaml(path)[0])
    with pytest.raises(InputError, match="this is a sweep spec") as caught:
        load_scenario(path)
    one_line(caught.value, path)
    code, output = cli("run", str(path))
    assert code == 2 and "sweep spec" in output and "Traceback" not in output


def test_broken_copy_outside_scenarios_reports_its_own_mistake(tmp_path):
    text = (ROOT / "scenarios" / "csto_2022.yaml").read_text()
    assert "    name: Armenia\n" in text
    broken = write(
        tmp_path, "broken.yaml", text.replace("    name: Armenia\n", "    name: Armenia\n    outside_optoin: 0.5\n")
    )
    code, output = cli("run", str(broken))
    assert code == 2, output
    assert re.search(r"broken\.yaml:\d+:\d+: actors\.armenia\.outside_optoin: unknown field 'outside_optoin'", output)


def test_every_error_line_from_the_cli_is_one_line(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL + "junk: !!python/object/apply:os.system [echo]\n")
    code, output = cli("validate", str(path))
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:"), output


@pytest.mark.parametrize("name", ["../x", "/tmp/x", ".hidden", "a/b"])
def test_a_spec_name_is_a_plain_folder_name(tmp_path, name):
    path = spec_file(tmp_path, f"name: {name!r}\n" + GRID)
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    assert caught.value.field == "name" and "plain folder name" in one_line(caught.value, path)


@pytest.mark.parametrize("ident", ["[a, b]", "{a: 1}"])
def test_an_event_id_that_is_a_list_or_mapping(tmp_path, ident):
    write(tmp_path, "base.yaml", SMALL)
    child = write(tmp_path, "child.yaml", f"extends: base.yaml\nevents:\n  - id: {ident}\n    type: protest\n")
    with pytest.raises(InputError) as caught:
        load_scenario(child)
    one_line(caught.value, child)
    path = write(tmp_path, "s.yaml", SMALL.replace("- id: first_attack", f"- id: {ident}"))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    one_line(caught.value, path)


def test_calibration_of_a_missing_actor_names_the_claim(tmp_path):
    text = (ROOT / "scenarios" / "csto_2022.yaml").read_text()
    text = text.replace("ledger: ../seeds/evidence.yaml", f"ledger: {ROOT / 'seeds' / 'evidence.yaml'}")
    assert "  tajikistan:\n    name: Tajikistan\n" in text
    path = write(tmp_path, "s.yaml", text.replace("  tajikistan:\n    name: Tajikistan\n", "", 1))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    ledger = ROOT / "seeds" / "evidence.yaml"
    assert "this scenario has no actors" in one_line(caught.value, ledger)


def test_a_step_range_with_an_overflowing_count(tmp_path):
    body = "design: grid\nparameters:\n  actors.big.capacity: {start: 0, stop: 1.0e+308, step: 1.0e-300}\n"
    path = spec_file(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    assert "use a coarser step" in one_line(caught.value, path)


def test_union_labels_stay_out_of_the_field(tmp_path):
    path = spec_file(tmp_path, "design: grid\nparameters:\n  actors.big.capacity: {start: 0, stop: '1', step: 0.5}\n")
    with pytest.raises(InputError) as caught:
        load_sweep_spec(path)
    one_line(caught.value, path)
    assert caught.value.field == "parameters.actors.big.capacity.stop"


# --- mutations of the shipped files --------------------------------------------------

_ODD_VALUES = [None, -1, 2, 1e308, "x", "\u00b2", [1, [2]], {"a": 1}, True, "2022-13", "\uff10", [], {}, "x" * 200]


def _mutate(data, rng) -> None:
    node = data
    for _ in range(rng.randint(1, 4)):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if rng.random() < 0.3 or not isinstance(node[key], dict | list):
                roll = rng.random()
                if roll < 0.6:
                    node[key] = rng.choice(_ODD_VALUES)
                elif roll < 0.8:
                    node[f"{key}x"] = node.pop(key)
                else:
                    del node[key]
                return
            node = node[key]
        elif isinstance(node, list) and node:
            index = rng.randrange(len(node))
            if rng.random() < 0.3 or not isinstance(node[index], dict | list):
                node[index] = rng.choice(_ODD_VALUES)
                return
            node = node[index]
        else:
            return


def _mutation_cases(tmp_path: Path, seed: int, count: int) -> None:
    import random

    import yaml

    rng = random.Random(seed)
    sources = [
        FIXTURES / "small.yaml",
        FIXTURES / "sweeps" / "grid.yaml",
        *sorted((ROOT / "scenarios").rglob("*.yaml")),
    ]
    for case in range(count):
        source = rng.choice(sources)
        data = yaml.safe_load(source.read_text())
        _mutate(data, rng)
        for key in ("extends", "scenario"):
            if isinstance(data.get(key), str):
                data[key] = str(source.parent / data[key])
        calibration = data.get("calibration")
        if isinstance(calibration, dict) and isinstance(calibration.get("ledger"), str):
            calibration["ledger"] = str(source.parent / calibration["ledger"])
        path = tmp_path / f"case{case}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        try:
            if is_sweep_spec(data):
                load_sweep_spec(path)
            else:
                load_scenario(path)
        except InputError as error:
            one_line(error, path if str(error).startswith(str(path)) else None)
            assert re.match(r"^\S+:\d+:\d+: ", str(error)), str(error)


def test_mutated_files_give_located_errors(tmp_path):
    _mutation_cases(tmp_path, seed=1, count=40)


@pytest.mark.slow
def test_many_mutated_files_give_located_errors(tmp_path):
    _mutation_cases(tmp_path, seed=2, count=5000)
