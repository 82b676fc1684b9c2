"""Run a documentation page: its ```bash blocks in order, each checked against the ```text block after it.

A page is a walk-through whose commands a reader types as they stand. This runner copies
the repository's `scenarios/` and `seeds/` into a fresh folder, puts an `alliance-sim` on
the PATH that runs this interpreter's `python -m alliance_sim`, and runs each ```bash block
there with bash (`set -euo pipefail`), in order. When a ```text block follows a bash block
(only blank lines and prose in between are not allowed: it must come next), every line of
it that is not `...` must appear in what the block printed (stdout and stderr), in order,
with runs of spaces and trailing spaces ignored; so outputs can be trimmed but not made up.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Step:
    """One bash block and the output the page shows for it (None when it shows none)."""

    line: int
    script: str
    shown: list[str] | None = None


def steps(page: Path) -> list[Step]:
    """The bash blocks of a page, each with the text block right after it, if any."""
    found: list[Step] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    last_was_bash = False
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match or not match.group(1):
            if lines[i].strip():
                last_was_bash = False
            i += 1
            continue
        kind, start = match.group(1), i + 1
        end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
        body = lines[start:end]
        if kind == "bash":
            found.append(Step(start, "\n".join(body) + "\n"))
            last_was_bash = True
        elif kind == "text" and last_was_bash:
            found[-1].shown = body
            last_was_bash = False
        else:
            last_was_bash = False
        i = end + 1
    return found


def _squash(text: str) -> str:
    return " ".join(text.split())


def check_output(step: Step, output: str, page: str) -> None:
    """Every shown line (but `...`) appears in the output, in order."""
    if step.shown is None:
        return
    printed = [_squash(line) for line in output.splitlines()]
    at = 0
    for wanted in step.shown:
        want = _squash(wanted)
        if not want or want == "...":
            continue
        for k in range(at, len(printed)):
            if want in printed[k]:
                at = k + 1
                break
        else:
            raise AssertionError(
                f"{page}, the block at line {step.line}: the page shows\n  {wanted}\n"
                f"which the command does not print (in this order). It printed:\n{output}"
            )


def workspace(tmp: Path) -> dict[str, str]:
    """Copy the inputs the pages use into `tmp` and return the environment to run them in."""
    for folder in ("scenarios", "seeds"):
        shutil.copytree(ROOT / folder, tmp / folder)
    bin_dir = tmp / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "alliance-sim"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m alliance_sim "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "200"
    return env


def run_page(page: Path, tmp: Path) -> list[Step]:
    """Run every bash block of `page` in `tmp`, in order, checking the outputs shown."""
    env = workspace(tmp)
    found = steps(page)
    for step in found:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step.script],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, (
            f"{page.name}, the block at line {step.line} failed (exit {done.returncode}):\n{step.script}\n{output}"
        )
        check_output(step, output, page.name)
    return found
