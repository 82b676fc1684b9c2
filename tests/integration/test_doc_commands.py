"""Every shell command shown in README.md and docs/*.md runs, in the order shown, on a fresh copy.

Which lines are commands (the convention the documents follow):

- Only fenced blocks of three backticks whose language is empty, `bash`, `sh`, `shell` or
  `console` are read; blocks inside a longer fence (a quoted Markdown section) are not.
- A command is a line starting with `alliance-sim ` (after an optional `$ ` prompt); a
  trailing `# comment` is dropped. `make` and `pip` lines are never run (they set up the
  environment or run the suite).
- In a block, a line right after a command that starts with `error: ` is the output the
  document promises: that command must exit with code 2 and print that line.
- A block right after a `<!-- not run -->` comment is skipped, and so is every line that
  matches `NOT_RUN` below (each with its reason).

Each document's commands run in order in a fresh copy of the repository (`git ls-files`),
as a reader who opens that page on a fresh clone would run them (a page may not rely on
files another page's commands made), through bash with the venv's `alliance-sim` first on
PATH. To keep the test short, the copy differs in three ways: replicate counts given with
`-n`/`--replicates` are capped at `MAX_REPLICATES`, the copy's sweep specs ask for
`SWEEP_REPLICATES` replicates a point, and `/tmp/docs/` (used by the commands that draw
docs/img) points into the test's own folder.

The full sequences are slow (`make test-slow`); `make test` runs the commands that need no
results folder and simulate nothing (validate, evidence, patterns, --help) or promise an error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

MAX_REPLICATES = 8
SWEEP_REPLICATES = 2
COMMAND_SECONDS = 600

NOT_RUN: list[tuple[str, str]] = [
    (r"\bSPEC\b|\bFOLDER\b|\bFILE\b", "a placeholder for the reader's own file"),
    (r"^alliance-sim app\b", "starts a web server that runs until stopped"),
    (r"sweeps/sobol_csto\.yaml", "about 98,000 runs"),
    (r"^alliance-sim run broken\.yaml", "needs the misspelt copy of the baseline the text describes"),
]
"""Command lines that are shown but not run: (regular expression, reason)."""

CHEAP = re.compile(r"^alliance-sim (validate|evidence|patterns(?!.*--fit)|\S+ --help)\b")
"""Commands that simulate nothing, run in `make test`."""

LANGUAGES = {"", "bash", "sh", "shell", "console"}


@dataclass
class Command:
    document: str
    line: int
    text: str
    error: str | None  # the `error: ` line the document shows after it, if any

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"


RUN_ELSEWHERE = {
    "tutorial.md": "tests/integration/test_tutorial.py runs it whole (its blocks also write files with cat)",
    "your-own-case.md": "tests/integration/test_tutorial.py runs it whole (it writes its articles with cat)",
}
"""Pages whose commands need the shell lines around them; their own tests run them whole."""


def documents() -> list[Path]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [page for page in pages if page.name not in RUN_ELSEWHERE]


def commands_in(path: Path) -> list[Command]:
    """The commands of one document, in order, with the error each one promises."""
    found: list[Command] = []
    fence: str | None = None
    language = ""
    skip_block = False
    previous_text = ""
    lines = path.read_text().splitlines()
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        opening = re.match(r"^(`{3,})(.*)$", stripped)
        if fence is None:
            if opening:
                fence, language = opening.group(1), opening.group(2).strip().lower()
                skip_block = previous_text == "<!-- not run -->"
            elif stripped:
                previous_text = stripped
            continue
        if stripped == fence:
            fence = None
            previous_text = ""
            continue
        if len(fence) != 3 or language not in LANGUAGES or skip_block:
            continue
        text = stripped[2:] if stripped.startswith("$ ") else stripped
        if text.startswith("error: ") and found and found[-1].line == number - 1:
            found[-1].error = text
            continue
        if not text.startswith("alliance-sim "):
            continue
        text = re.sub(r"\s+#.*$", "", text)
        if any(re.search(pattern, text) for pattern, _ in NOT_RUN):
            continue
        found.append(Command(path.name if path.parent == ROOT else f"docs/{path.name}", number, text, None))
    return found


def all_commands() -> list[Command]:
    return [command for path in documents() for command in commands_in(path)]


def cheap_commands() -> list[Command]:
    """Commands that simulate nothing and need no earlier command's results."""
    return [c for c in all_commands() if (CHEAP.match(c.text) or c.error) and "results/" not in c.text]


def make_copy(base: Path) -> Path:
    """A fresh copy of the repository's tracked files under `base`, with cheaper sweep specs."""
    target = base / "repo"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the work tree
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    for spec in (target / "scenarios" / "sweeps").glob("*.yaml"):
        text = spec.read_text()
        spec.write_text(re.sub(r"(?m)^replicates: \d+", f"replicates: {SWEEP_REPLICATES}", text))
    (base / "tmpdocs").mkdir()
    return target


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    return make_copy(tmp_path_factory.mktemp("docs"))


def prepare(command: Command, copy: Path) -> str:
    text = re.sub(
        r"(-n|--replicates)(\s+|=)(\d+)",
        lambda m: f"{m.group(1)}{m.group(2)}{min(int(m.group(3)), MAX_REPLICATES)}",
        command.text,
    )
    text = text.replace("/tmp/docs/", f"{copy.parent / 'tmpdocs'}/")
    return text


def execute(command: Command, copy: Path) -> None:
    text = prepare(command, copy)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    env.pop("ALLIANCE_SIM_SCREENSHOT", None)
    done = subprocess.run(
        ["bash", "-c", text],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        stdin=subprocess.DEVNULL,
    )
    shown = f"{command}\nexit {done.returncode}\nstderr: {done.stderr[-3000:]}\nstdout: {done.stdout[-1500:]}"
    assert "Traceback" not in done.stderr, shown
    if command.error is None:
        assert done.returncode == 0, shown
    else:
        assert done.returncode == 2, shown
        printed = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert printed == [command.error], shown


def test_the_documents_show_commands():
    commands = all_commands()
    assert len(commands) >= 20
    assert cheap_commands()
    readme = [c for c in commands if c.document == "README.md"]
    assert readme and readme[0].text.startswith("alliance-sim run ")


@pytest.mark.parametrize("command", cheap_commands(), ids=str)
def test_cheap_doc_command(command, copy):
    execute(command, copy)


@pytest.mark.slow
@pytest.mark.parametrize("document", [p.relative_to(ROOT).as_posix() for p in documents()])
def test_every_command_of_a_document_in_order(document, tmp_path):
    repo = make_copy(tmp_path)
    for command in commands_in(ROOT / document):
        execute(command, repo)
