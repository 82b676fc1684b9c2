"""Options shared by several commands, declared once, and the checks of output paths.

One vocabulary across the command line: `--seed`, `--replicates/-n`, `--set`,
`--out/-o`, `--overwrite`, `--workers/-w` (0, every core, for `sweep`; 1 elsewhere), `--engine`,
`--patterns`, `--json`, `--quiet/-q`, `--member/-m` (repeatable) and `--outcome disengaged|withdrawn`.

Output paths are checked before anything runs (`check_output_folder`, `check_output_file`),
so a folder that cannot be written fails in a second with one line, not after the whole
simulation; nothing a user made is replaced without `--overwrite`.

This module imports only click and the standard library: it is loaded for every command.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from alliance_sim.errors import InputError

type Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

EXIT_INPUT = 2
"""Exit code for bad input and bad usage."""
OUTCOMES = ("disengaged", "withdrawn")
"""The two outcomes, as `--outcome` takes them."""
MAX_SEED = 2**63 - 1


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses `nan` and infinities (which compare false to any bound)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The value as a float within the range, or a usage error."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def seed_option(default: int = 0) -> Decorator:
    """`--seed`: the root seed."""
    return click.option(
        "--seed",
        type=click.IntRange(0, MAX_SEED),
        default=default,
        show_default=True,
        help="Root seed (the same seed gives the same results on any engine and worker count).",
    )


def patterns_option() -> Decorator:
    """`--patterns`: the reported patterns file (`patterns` and `calibrate`)."""
    return click.option(
        "--patterns",
        "patterns_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Reported patterns (default: seeds/patterns.yaml next to the scenario's ledger).",
    )


def replicates_option(default: int = 100, minimum: int = 1, maximum: int = 1_000_000) -> Decorator:
    """`--replicates/-n`: the number of replicates."""
    return click.option(
        "-n",
        "--replicates",
        type=click.IntRange(minimum, maximum),
        default=default,
        show_default=True,
        help="Number of replicates.",
    )


def set_option() -> Decorator:
    """`--set PATH=VALUE`, repeatable, into the parameter `overrides`."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="PATH=VALUE",
        help="Override a scenario value, e.g. actors.russia.capacity=0.5 (repeatable).",
    )


def out_option(help: str, *, required: bool = False) -> Decorator:
    """`--out/-o`: where the command writes."""
    return click.option("-o", "--out", type=click.Path(path_type=Path), default=None, required=required, help=help)


def overwrite_option(help: str = "Replace existing output files.") -> Decorator:
    """`--overwrite`."""
    return click.option("--overwrite", is_flag=True, help=help)


def workers_option(default: int = 1) -> Decorator:
    """`--workers/-w`: the most worker processes a command may start (0: one per core).

    The default is 1 (this process) for every command but `sweep`, whose default is 0:
    a sweep's driver times a pilot chunk and starts workers only when they finish the
    rest sooner than it would alone, so a small sweep still runs in this process.
    """
    piloted = " Workers start only when a short pilot says they finish sooner." if default == 0 else ""
    return click.option(
        "-w",
        "--workers",
        type=click.IntRange(0, 4096),
        default=default,
        show_default=True,
        help=f"Worker processes: 1 runs in this process, 0 uses every core.{piloted}",
    )


def resolve_workers(workers: int) -> int:
    """The number of workers `--workers` asks for (0: every core this process may use)."""
    if workers:
        return workers
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def engine_option(choices: tuple[str, ...] = ("auto", "mesa", "ensemble"), default: str | None = "auto") -> Decorator:
    """`--engine`: `auto` by default (`alliance_sim.runs.pipeline.resolve_engine`)."""
    return click.option(
        "--engine",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help="auto: the ensemble engine (all replicates at once) for more than one run, the Mesa model "
        "for one; mesa: one Mesa model per run (the reference). Both give the same tables and event log"
        + ("." if default is not None else " (default: the spec's)."),
    )


def fixed_option() -> Decorator:
    """`--fixed`: run the point estimate instead of drawing from the scenario's posterior."""
    return click.option(
        "--fixed",
        is_flag=True,
        help="Run the point estimate. By default, a scenario that names a posterior (calibration.posterior) "
        "draws each replicate's parameters from it, so intervals cover what the evidence leaves open.",
    )


def json_option() -> Decorator:
    """`--json`: machine-readable output on stdout, into the parameter `as_json`."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout instead of tables.")


def quiet_option(help: str = "Print nothing but errors.") -> Decorator:
    """`--quiet/-q`."""
    return click.option("-q", "--quiet", is_flag=True, help=help)


def member_option(help: str = "Only this member (repeatable).") -> Decorator:
    """`--member/-m`, repeatable, into the parameter `members`."""
    return click.option("-m", "--member", "members", multiple=True, metavar="ID", help=help)


def outcome_option(help: str = "Only this outcome (default: both).") -> Decorator:
    """`--outcome disengaged|withdrawn`."""
    return click.option("--outcome", type=click.Choice(OUTCOMES), default=None, help=help)


def dpi_option() -> Decorator:
    """`--dpi` for PNG files."""
    return click.option(
        "--dpi", type=click.IntRange(30, 600), default=150, show_default=True, help="Resolution of PNG files."
    )


_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def check_dask(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A `--dask` value: `local` or a scheduler address such as tcp://host:8786."""
    if value is None or value == "local" or _DASK_ADDRESS.match(value):
        return value
    raise click.BadParameter(
        f"{value!r} is neither 'local' nor a scheduler address such as tcp://host:8786", ctx, param
    )


# --- Output paths ------------------------------------------------------------------------------


def _probe_writable(folder: Path, option: str) -> None:
    """Fail unless a file can be created in `folder` (an existing folder)."""
    import tempfile

    try:
        handle, name = tempfile.mkstemp(prefix=".alliance-sim-probe-", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write in {folder}: {exc.strerror or exc}", field=option) from None
    os.close(handle)
    os.unlink(name)


def _nearest_existing(path: Path, option: str) -> Path:
    """The nearest existing ancestor of `path`, which must be a folder."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{path} cannot be created: {parent} is a file, not a folder", field=option)
    return parent


def check_output_folder(path: Path, *, overwrite: bool, option: str = "out", exists_ok: bool = False) -> None:
    """Check, before anything runs, that a results folder can be written at `path`.

    Args:
        path: The folder the command will write.
        overwrite: Whether `--overwrite` was given.
        option: The option that named it, for messages.
        exists_ok: An existing folder is fine (a resumed sweep; the caller checks the rest).

    Raises:
        InputError: `path` is a file, lies under a file, is the working folder or one of
            its parents, exists (without `--overwrite`), or its folder is not writable.
    """
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise InputError(
            f"{path} is the working folder or holds it; results need a folder of their own, such as results/NAME",
            field=option,
        )
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise InputError(f"{path} exists and is not a folder", field=option)
        if not (overwrite or exists_ok):
            raise InputError(f"{path} already exists; choose another --{option} or pass --overwrite", field=option)
        _probe_writable(path, option)
        _probe_writable(_nearest_existing(path, option), option)
        return
    _probe_writable(_nearest_existing(path, option), option)


def check_output_file(path: Path, *, overwrite: bool, option: str = "out") -> None:
    """Check, before anything is drawn, that a file can be written at `path`.

    Raises:
        InputError: `path` is a folder, exists (without `--overwrite`), or its folder
            cannot be created or written.
    """
    if path.is_dir():
        raise InputError(f"{path} is a folder; name a file", field=option)
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InputError(f"{path} already exists; pass --overwrite to replace it", field=option)
    _probe_writable(_nearest_existing(path, option), option)


def existing_files(paths: list[Path]) -> list[Path]:
    """Those of `paths` that exist already (as files or links)."""
    return [p for p in paths if p.exists() or p.is_symlink()]


def refuse_existing(paths: list[Path], option: str = "out") -> None:
    """Fail, naming the first and counting the rest, if any of `paths` exists (no `--overwrite`)."""
    found = existing_files(paths)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InputError(f"{found[0]} already exists{more}; pass --overwrite to replace", field=option)
