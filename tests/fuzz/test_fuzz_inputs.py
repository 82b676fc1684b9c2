"""Property-based fuzzing of every input file, through the command line.

Each case starts from a shipped scenario or sweep spec (copied, with the evidence ledger,
into a temporary tree so relative `extends:`, `scenario:` and `ledger:` paths still work),
changes it (types, out-of-range values, unknown keys at every level, broken `extends:`,
deep nesting, aliases and alias bombs, tags, encodings, special files, large sizes, odd
months) and runs `alliance-sim validate FILE`, and for some cases
`alliance-sim run FILE -n 2 --steps 3 --out DIR`, in process through click's runner with
the real entry point (a subprocess per case would cost most of the time; a few fixed cases
go through `python -m alliance_sim` to check the entry point itself).

The oracle: exit code 0, or exit code 2 with exactly one line on stderr that starts with
`error: ` and names a file; never a traceback; an answer within `CASE_SECONDS`; no results
folder and no temporary folder left behind when a run fails.

`make test` runs `FAST_EXAMPLES` cases; `make test-slow` also runs `SLOW_EXAMPLES` (set
ALLIANCE_SIM_FUZZ_EXAMPLES to run another number). The hypothesis profile (tests/conftest.py)
is derandomized, so a failure found in CI is found again on any machine.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_sim.cli.main import main
from alliance_sim.scenario.yamlio import MAX_DEPTH, MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]

FAST_EXAMPLES = 200
SLOW_EXAMPLES = int(os.environ.get("ALLIANCE_SIM_FUZZ_EXAMPLES", "10000"))
CASE_SECONDS = 30
"""No case may take longer than this (the issue's bound for an answer)."""

RUN_SHARE = 10
"""One case in RUN_SHARE (chosen by hypothesis) also goes through `run`, the rest only through `validate`."""

SOURCES = [
    "scenarios/csto_2022.yaml",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "what_if").glob("*.yaml")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "examples").glob("*.yaml")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "fixtures" / "sweeps").glob("*.yaml")),
    "tests/fixtures/small.yaml",
]
"""Every shipped scenario and sweep spec, relative to the repository (and to the fuzz tree)."""

TEXTS = {name: (ROOT / name).read_text() for name in SOURCES}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}


# --- the tree the cases live in --------------------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of scenarios/, seeds/ and tests/fixtures/ with a FIFO, a folder and two cycles."""
    base = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "scenarios", base / "scenarios")
    shutil.copytree(ROOT / "seeds", base / "seeds")
    shutil.copytree(ROOT / "tests" / "fixtures", base / "tests" / "fixtures")
    special = base / "special"
    special.mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(special / "pipe.yaml")
    (special / "folder.yaml").mkdir()
    (special / "self.yaml").write_text("extends: self.yaml\nname: Self\n")
    (special / "a.yaml").write_text("extends: b.yaml\nname: A\n")
    (special / "b.yaml").write_text("extends: a.yaml\nname: B\n")
    (special / "list.yaml").write_text("- 1\n- 2\n")
    (special / "empty.yaml").write_text("")
    (special / "latin1.yaml").write_bytes("name: caf\u00e9\n".encode("latin-1"))
    (special / "dangling.yaml").symlink_to(special / "nowhere.yaml")
    (special / "to_folder.yaml").symlink_to(special / "folder.yaml")
    (base / "out").mkdir()
    return base


# --- strategies ------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")

ODD_MONTHS = [
    "2022-13",
    "2022-00",
    "2022-1",
    "22-01",
    "2022/01",
    "2022-01-01",
    "2022-02-30",
    "\uff12\uff10\uff12\uff12-\uff10\uff13",
    "2022-\u00b9\u00b2",
    "\u0662\u0660\u0662\u0662-\u0660\u0663",
    "9999-12",
    "0000-01",
    "-2022-01",
    "",
]

ODD_STRINGS = [
    "\u00b2",
    "\uff10",
    "x" * 300,
    "nan",
    ".nan",
    "inf",
    "-.inf",
    "1e400",
    "0x10",
    "~",
    "null",
    "yes",
    "../x",
    "/etc/passwd",
    "a\x00b",
    "\u202eevil",
    "*",
    "&",
    "!",
    "%",
    "@",
    "`",
    "\t",
    "{",
    "[",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 2, 10**6, 10**9, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0000001, -1e-300, 1e308, 0.5, 2.0, -0.5]),
    st.text(max_size=20),
    st.sampled_from(ODD_STRINGS + ODD_MONTHS),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
keys = st.one_of(
    st.sampled_from(["id", "type", "name", "month", "start", "end", "extends", "power", "actors", "events", "x"]),
    st.text(min_size=1, max_size=12),
    st.integers(min_value=-5, max_value=5),
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in a tree of dicts and lists, the root included."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_of(value, (*prefix, index))
    return found


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def nest(value: Any, depth: int, kind: str) -> Any:
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


@st.composite
def tree_mutation(draw: st.DrawFn, data: Any) -> Any:
    """Change the parsed data: one to three edits anywhere in the tree."""
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(data)
        path = draw(st.sampled_from(paths))
        target = get(data, path)
        parent = get(data, path[:-1]) if path else None
        op = draw(
            st.sampled_from(
                ["replace", "unknown_key", "delete", "rename", "nest", "month", "grow", "duplicate", "out_of_range"]
            )
        )
        if op == "replace" and path:
            parent[path[-1]] = draw(values)
        elif op == "unknown_key" and isinstance(target, dict):
            target[draw(keys)] = draw(values)
        elif op == "delete" and path:
            del parent[path[-1]]
        elif op == "rename" and path and isinstance(parent, dict):
            parent[draw(keys)] = parent.pop(path[-1])
        elif op == "nest" and path:
            depth = draw(st.sampled_from([2, 10, MAX_DEPTH - 2, MAX_DEPTH + 1, 200, 600]))
            parent[path[-1]] = nest(target, depth, draw(st.sampled_from(["list", "dict"])))
        elif op == "month" and path:
            month = draw(st.sampled_from(ODD_MONTHS))
            if isinstance(target, str) and re.fullmatch(r"\d{4}-\d{2}", target):
                month = draw(st.sampled_from([month, target.translate(FULL_WIDTH)]))
            parent[path[-1]] = month
        elif op == "grow" and isinstance(target, list):
            count = draw(st.sampled_from([10, 300, 2500]))
            item = target[0] if target else draw(values)
            target.extend([item] * count)
        elif op == "grow" and isinstance(target, dict) and path:
            count = draw(st.sampled_from([10, 300, 2500]))
            sample = next(iter(target.values()), 1)
            target.update({f"extra{k}": sample for k in range(count)})
        elif op == "duplicate" and isinstance(target, list) and target:
            target.append(target[draw(st.integers(0, len(target) - 1))])
        elif op == "out_of_range" and path and isinstance(target, int | float) and not isinstance(target, bool):
            parent[path[-1]] = draw(st.sampled_from([-1, -1e-9, 1.0000001, 2, 1e308, -1e308, 10**12, 0]))
        if not isinstance(data, dict | list):
            break
    return data


EXTENDS_TARGETS = [
    "nowhere.yaml",
    "../special/pipe.yaml",
    "../special/folder.yaml",
    "../special/self.yaml",
    "../special/a.yaml",
    "../special/list.yaml",
    "../special/empty.yaml",
    "../special/latin1.yaml",
    "../special/dangling.yaml",
    "../special/to_folder.yaml",
    "/dev/null",
    "/dev/zero",
    "/",
    "",
    ".",
    "fuzz_case.yaml",
]


@st.composite
def broken_references(draw: st.DrawFn, data: Any) -> Any:
    """Point `extends:`, `scenario:` or `calibration.ledger` somewhere bad."""
    if not isinstance(data, dict):
        return data
    target = draw(st.sampled_from(EXTENDS_TARGETS) | values)
    key = draw(st.sampled_from(["extends", "scenario", "ledger"]))
    if key == "ledger":
        calibration = data.get("calibration")
        if isinstance(calibration, dict):
            calibration["ledger"] = target
        else:
            data["calibration"] = {"ledger": target}
    elif key == "scenario" and "scenario" not in data:
        data["extends"] = target
    else:
        data[key] = target
    return data


def alias_bomb(levels: int, width: int) -> str:
    lines = ["  a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"  a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


TEXT_ADDITIONS = [
    "junk: &loop [1, *loop]\n",
    "junk: &m {a: *m}\n",
    "junk:\n" + alias_bomb(9, 9),
    "junk:\n" + alias_bomb(4, 4),
    "junk: !!python/object/apply:os.system [echo hi]\n",
    "junk: !!python/name:os.system\n",
    "junk: !!binary aGk=\n",
    "junk: !custom {a: 1}\n",
    "junk: !!set {a, b}\n",
    "junk: !!omap [a: 1]\n",
    "junk: !!timestamp 2022-01-01\n",
    "junk: 2022-02-30\n",
    "junk: *undefined\n",
    "junk: [" + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "]\n",
    "junk: " + "{a: " * 600 + "1" + "}" * 600 + "\n",
    "junk: [" + "1, " * 250_000 + "1]\n",
    "junk: '" + "x" * 900_000 + "'\n",
    "? [a, b]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "1: one\n",
    "null: nothing\n",
    "---\nsecond: document\n",
    "%YAML 1.1\n",
    "<<: {name: merged}\n",
    "\t- tab\n",
    "name: duplicate\n",
]


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    """Change the YAML text: additions at the end or at a line, truncation, a tag on a value."""
    op = draw(st.sampled_from(["append", "insert", "truncate", "tag", "none"]))
    if op == "append":
        return text.rstrip("\n") + "\n" + draw(st.sampled_from(TEXT_ADDITIONS))
    lines = text.splitlines(keepends=True)
    if op == "insert" and lines:
        at = draw(st.integers(0, len(lines)))
        indent = draw(st.sampled_from(["", "  ", "    "]))
        lines.insert(at, indent + draw(st.sampled_from(TEXT_ADDITIONS)).replace("\n", "\n" + indent, 1))
        return "".join(lines)
    if op == "truncate" and text:
        return text[: draw(st.integers(0, len(text) - 1))]
    if op == "tag" and lines:
        at = draw(st.integers(0, len(lines) - 1))
        tag = draw(st.sampled_from(["!!python/tuple", "!x", "!!str", "!!int", "!!float", "!<tag:evil>", "!!map"]))
        lines[at] = re.sub(r":( +)(\S)", rf":\1{tag} \2", lines[at], count=1)
        return "".join(lines)
    return text


ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1251", "gb18030"]


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """Bytes of the text in some encoding, perhaps with a BOM, invalid bytes or a NUL."""
    if draw(st.booleans()):
        text = text.replace("name: ", "name: caf\u00e9 \u041c\u0438\u0440 ", 1)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    op = draw(st.sampled_from(["none", "none", "bom", "invalid", "nul", "pad"]))
    if op == "bom":
        boms = [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32]
        data = draw(st.sampled_from(boms)) + data
    elif op == "invalid" and data:
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80\x80"]))
        data = data[:at] + bad + data[at:]
    elif op == "nul" and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif op == "pad":
        size = draw(st.sampled_from([MAX_FILE_BYTES - len(data) - 10, MAX_FILE_BYTES + 1 - len(data), 100_000]))
        data = data + b"#" * max(size, 0) + b"\n"
    return data


SPECIAL_FILES = ["pipe.yaml", "folder.yaml", "self.yaml", "a.yaml", "list.yaml", "empty.yaml", "latin1.yaml"]
SPECIAL_FILES += ["dangling.yaml", "to_folder.yaml"]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """One case: which file it starts from, its bytes (or a special file) and whether to `run` it."""
    source = draw(st.sampled_from(SOURCES))
    kind = draw(st.sampled_from(["tree", "tree", "tree", "refs", "text", "bytes", "special"]))
    if kind == "special":
        special = draw(st.sampled_from([*SPECIAL_FILES, "/dev/null", "/dev/zero", "missing.yaml"]))
        return {"source": source, "special": special, "run": draw(st.integers(0, RUN_SHARE - 1)) == 0}
    text = TEXTS[source]
    if kind in ("tree", "refs"):
        data = yaml.safe_load(text)
        data = draw(tree_mutation(data)) if kind == "tree" else draw(broken_references(data))
        try:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()), width=10**6)
        except (yaml.YAMLError, RecursionError, ValueError):  # pragma: no cover - an unwritable tree
            text = TEXTS[source]
    elif kind == "text":
        text = draw(text_mutation(text))
    data_bytes = draw(encoded(text)) if kind == "bytes" else text.encode("utf-8", errors="surrogatepass")
    return {"source": source, "bytes": data_bytes, "run": draw(st.integers(0, RUN_SHARE - 1)) == 0}


# --- the oracle ------------------------------------------------------------------------


class CaseTimeoutError(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise CaseTimeoutError in the main thread after `seconds` (SIGALRM; a no-op where there is none)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CaseTimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


NAMES_A_FILE = re.compile(r"(^error: [^:\s]+:\d+:\d+: )|(/\S+)|(\S+\.(ya?ml|csv|txt|json)\b)")
"""A path with a folder in it, or a file name with one of the extensions the inputs have."""


def check_outcome(code: int | None, stderr: str, stdout: str, label: str) -> None:
    """Exit 0, or exit 2 with one `error: ` line on stderr that names a file; no traceback."""
    assert "Traceback" not in stderr + stdout, f"{label}: traceback\n{stderr}{stdout}"
    assert code in (0, 2), f"{label}: exit code {code}\nstderr: {stderr}\nstdout: {stdout[-2000:]}"
    if code == 2:
        lines = [line for line in stderr.splitlines() if line.strip()]
        problems = [line for line in lines if not line.startswith("warning: ")]
        assert len(problems) == 1, f"{label}: expected one error line, got\n{stderr}"
        line = problems[0]
        assert line.startswith("error: "), f"{label}: {line}"
        assert "\n" not in line and len(line) < 1000, f"{label}: {line[:2000]}"
        assert NAMES_A_FILE.search(line), f"{label}: names no file: {line}"


def invoke(args: list[str]) -> tuple[int | None, str, str]:
    """Run the command line in process; a Python exception other than SystemExit is a failure."""
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        detail = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"{' '.join(args)}: uncaught {type(result.exception).__name__}\n{detail}")
    return result.exit_code, result.stderr, result.stdout


def run_case(tree: Path, case: dict[str, Any]) -> None:
    source = tree / case["source"]
    if "special" in case:
        special = case["special"]
        path = Path(special) if special.startswith("/") else tree / "special" / special
    else:
        path = source.parent / "fuzz_case.yaml"
        path.write_bytes(case["bytes"])
    label = f"{case['source']} -> {path}"
    try:
        with time_limit(CASE_SECONDS):
            code, stderr, stdout = invoke(["validate", str(path)])
        check_outcome(code, stderr, stdout, f"validate {label}")
        if case["run"]:
            out_parent = tree / "out"
            out = out_parent / "result"
            with time_limit(CASE_SECONDS):
                code, stderr, _ = invoke(["run", str(path), "-n", "2", "--steps", "3", "--out", str(out), "-q"])
            check_outcome(code, stderr, stdout, f"run {label}")
            if code == 0:
                assert out.is_dir(), f"run {label}: exit 0 but no folder {out}"
                shutil.rmtree(out)
            leftovers = sorted(p.name for p in out_parent.iterdir())
            assert not leftovers, f"run {label}: left behind {leftovers}\n{stderr}"
    except CaseTimeoutError as exc:
        raise AssertionError(f"{label}: {exc}") from None
    finally:
        if "special" not in case:
            path.unlink(missing_ok=True)


# --- the tests -------------------------------------------------------------------------

FUZZ_SETTINGS = {"suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@settings(max_examples=FAST_EXAMPLES, **FUZZ_SETTINGS)
@given(case=cases())
def test_fuzzed_inputs_give_one_line_or_pass(tree, case):
    run_case(tree, case)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **FUZZ_SETTINGS)
@given(case=cases())
def test_many_fuzzed_inputs_give_one_line_or_pass(tree, case):
    run_case(tree, case)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("ok.yaml", None),
        ("tag.yaml", b"junk: !!python/object/apply:os.system [echo hi]\n"),
        ("bomb.yaml", ("junk:\n" + alias_bomb(9, 9)).encode()),
    ],
)
def test_entry_point_in_a_subprocess(tree, tmp_path, name, content):
    """The same oracle through `python -m alliance_sim`, with a hard timeout."""
    path = tree / "scenarios" / "csto_2022.yaml"
    if content is not None:
        path = tree / "scenarios" / name
        path.write_bytes(TEXTS["scenarios/csto_2022.yaml"].encode() + b"\n" + content)
    out = tmp_path / "result"
    for args in (["validate", str(path)], ["run", str(path), "-n", "2", "--steps", "3", "--out", str(out), "-q"]):
        done = subprocess.run(
            [sys.executable, "-m", "alliance_sim", *args],
            capture_output=True,
            text=True,
            timeout=CASE_SECONDS * 2,
            cwd=tmp_path,
        )
        check_outcome(done.returncode, done.stderr, done.stdout, f"{name}: {' '.join(args)}")
        assert (done.returncode == 0) == (content is None), done.stderr
    assert out.is_dir() == (content is None)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["result"] if content is None else [])


# --- failures the fuzzer found, kept as plain tests -------------------------------------


def test_a_folder_given_as_the_file(tmp_path):
    code, stderr, stdout = invoke(["validate", str(tmp_path)])
    check_outcome(code, stderr, stdout, "validate a folder")
    assert code == 2 and "is a directory" in stderr


def test_fewer_steps_than_a_what_if_change(tmp_path):
    """`--steps` shorter than the month of a `changes:` entry runs (it validated the short run as `--set`)."""
    path = ROOT / "scenarios" / "what_if" / "russia_recovers.yaml"
    code, stderr, _ = invoke(["run", str(path), "-n", "2", "--steps", "3", "--out", str(tmp_path / "r"), "-q"])
    assert code == 0, stderr


def test_duplicate_event_ids_are_refused(tmp_path):
    data = yaml.safe_load(TEXTS["tests/fixtures/small.yaml"])
    data["events"].append(dict(data["events"][0]))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, stderr, stdout = invoke(["validate", str(path)])
    check_outcome(code, stderr, stdout, "duplicate ids")
    assert code == 2 and "duplicate id" in stderr and re.search(r"s\.yaml:\d+:\d+: events\.\d+\.id: ", stderr)


def test_a_what_if_with_thousands_of_aliased_events(tmp_path):
    """Refused at its own size before merging (merging it item by item took minutes)."""
    event = "- &e\n  id: new_attack\n  type: attack\n  month: '2024-04'\n  source: azerbaijan\n  target: armenia\n"
    path = tmp_path / "w.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'csto_2022.yaml'}\nevents:\n" + event + "- *e\n" * 2500)
    with time_limit(CASE_SECONDS):
        code, stderr, stdout = invoke(["validate", str(path)])
    check_outcome(code, stderr, stdout, "aliased events")
    assert code == 2 and "at most 2,000" in stderr


def test_a_key_with_a_line_break_stays_on_one_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(TEXTS["tests/fixtures/small.yaml"] + '"a\\rb\\nc": 1\n')
    code, stderr, stdout = invoke(["validate", str(path)])
    check_outcome(code, stderr, stdout, "key with a line break")
    assert code == 2 and "a\\rb\\nc" in stderr


def test_an_astronomical_grid_size_is_printed_short(tmp_path):
    values = "[" + ", ".join(f"{k / 10**6:.6f}" for k in range(3000)) + "]"
    paths = ["big.capacity", "small.outside_option", "small.dependence", "mid.dependence", "small.power"]
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"scenario: {ROOT / 'tests' / 'fixtures' / 'sweeps' / 'pact.yaml'}\ndesign: grid\nparameters:\n"
        + "".join(f"  actors.{p}: {values}\n" for p in paths)
    )
    code, stderr, stdout = invoke(["validate", str(path)])
    check_outcome(code, stderr, stdout, "astronomical grid")
    assert code == 2 and "about 2.43e+17 points" in stderr


def test_a_grid_past_the_range_of_a_float_is_refused_in_one_line(tmp_path):
    values = "[" + ", ".join(str(k) for k in range(1000)) + "]"
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"scenario: {ROOT / 'tests' / 'fixtures' / 'sweeps' / 'pact.yaml'}\ndesign: grid\nparameters:\n"
        + "".join(f"  actors.a{k}.capacity: {values}\n" for k in range(110))
    )
    code, stderr, stdout = invoke(["validate", str(path)])
    check_outcome(code, stderr, stdout, "grid past the float range")
    assert code == 2 and "about 1.00e+330 points" in stderr
