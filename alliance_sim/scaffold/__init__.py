"""A new case folder: articles, sources, evidence ledger, reported patterns and scenario.

`write_case` fills the templates in `case/` (package data) for the names it is given and
writes them to a new folder:

    CASE_DIR/
      articles/README.md     what to put there
      articles/example.txt   a made-up placeholder article (replace it)
      sources.yaml           outlet, title and date of each article
      evidence.yaml          the ledger: mapping, priors, one example item
      patterns.yaml          statuses the articles report, to check runs against
      scenario.yaml          the alliance, calibrated by `calibration.ledger: evidence.yaml`

The case validates and runs as written, so that a user changes one thing at a time and
checks it (`alliance-sim validate CASE_DIR/scenario.yaml`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from alliance_sim.errors import InputError

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FILES = {
    "articles/README.md": "articles_README.md",
    "articles/example.txt": "example.txt",
    "sources.yaml": "sources.yaml",
    "evidence.yaml": "evidence.yaml",
    "patterns.yaml": "patterns.yaml",
    "scenario.yaml": "scenario.yaml",
}
"""Each file of a new case and the template it is made from."""
DEFAULT_MEMBERS = ("leader", "north", "south")
"""Members when none are given (the first is the hegemon)."""
RIVAL = "rival"
"""The outside actor of the example event."""


@dataclass(frozen=True)
class CaseNames:
    """The names a new case is written for.

    Attributes:
        name: The case's (and the alliance's) name.
        members: Member actor ids, the hegemon among them.
        hegemon: The hegemon's id.
    """

    name: str
    members: tuple[str, ...]
    hegemon: str

    @property
    def example_member(self) -> str:
        """The member the example article and event are about: the first that is not the hegemon."""
        return next(m for m in self.members if m != self.hegemon)


def check_names(name: str, members: tuple[str, ...], hegemon: str | None) -> CaseNames:
    """Check the names of a new case.

    Raises:
        InputError: A bad id, a duplicate, too few members, or a hegemon who is not one.
    """
    for member in members:
        if not _ID.match(member):
            raise InputError(
                f"{member!r} is not an actor id (lower case letters, digits and _, starting with a letter)",
                field="--members",
            )
    if len(set(members)) != len(members):
        raise InputError("a member is named twice", field="--members")
    if RIVAL in members:
        raise InputError(f"{RIVAL!r} is the example's outside actor; name the members otherwise", field="--members")
    if len(members) < 2:
        raise InputError("an alliance needs at least two members (the hegemon and one more)", field="--members")
    hegemon = hegemon or members[0]
    if hegemon not in members:
        raise InputError(f"the hegemon {hegemon!r} is not one of the members ({', '.join(members)})", field="--hegemon")
    if not name.strip() or "\n" in name:
        raise InputError("the name must be one non-empty line", field="--name")
    return CaseNames(name.strip(), members, hegemon)


def _title(actor: str) -> str:
    return actor.replace("_", " ").title()


def _actors(names: CaseNames) -> str:
    blocks = []
    for actor in names.members:
        if actor == names.hegemon:
            blocks.append(
                f"  {actor}:\n    name: {_title(actor)}\n    power: 0.05\n    capacity: 0.7\n    offense: 0.5"
            )
            continue
        near = 1.0 if actor == names.example_member else 0.3
        blocks.append(
            f"  {actor}:\n    name: {_title(actor)}\n    power: 0.004\n    capacity: 0.5\n    dependence: 0.5\n"
            f"    regime_security: 0.4\n    outside_option: 0.2\n    domestic_pressure: 0.2\n"
            f"    sovereignty_cost: 0.2\n    relations:\n      {RIVAL}: {{proximity: {near}, hostility: 0.3}}"
        )
    return "\n".join(blocks)


def render(names: CaseNames) -> dict[str, str]:
    """The text of every file of the case, by path inside the case folder."""
    values = {
        "name": names.name,
        "hegemon": names.hegemon,
        "hegemon_name": _title(names.hegemon),
        "member": names.example_member,
        "member_name": _title(names.example_member),
        "rival": RIVAL,
        "rival_name": _title(RIVAL),
        "start": "2030-01",
        "event_month": "2030-03",
        "actors": _actors(names),
    }
    folder = resources.files(__package__) / "case"
    return {path: Template(folder.joinpath(src).read_text("utf-8")).substitute(values) for path, src in FILES.items()}


def write_case(folder: str | Path, names: CaseNames) -> list[Path]:
    """Write a new case to `folder`, which must not exist or be empty.

    The files are written to a temporary folder beside it and moved into place at once,
    so a failure leaves nothing half-written.

    Returns:
        The files written.

    Raises:
        InputError: The folder exists and is not empty, or is a file.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} exists and is not empty; choose a new folder (nothing was written)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for path, text in render(names).items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return [folder / path for path in FILES]
