"""Figures by kind, the standard set of a result, and files: reading results, writing figures."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.defection import probabilities_figure, survival_figure
from alliance_sim.reporting.figures.posterior import has_posterior, pairs_figure, posterior_figure
from alliance_sim.reporting.figures.runs import status_figure, trajectories_figure
from alliance_sim.reporting.figures.scenario import hegemon
from alliance_sim.reporting.figures.sweeps import heatmap_figure, sensitivity_figure
from alliance_sim.reporting.figures.trust import trust_figure
from alliance_sim.reporting.kinds import FORMATS as FORMATS


def load_results(folder: str | Path) -> Any:
    """Open a results folder: a run (`RunResult`) or a sweep (`SweepResult`).

    A sweep folder's `manifest.json` has `kind: sweep`; any other manifest is a run's.

    Raises:
        InputError: The folder is missing, is neither kind of results folder, or is
            incomplete.
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputError("no such folder", file=str(folder))
    if not folder.is_dir():
        raise InputError("not a results folder (it is a file)", file=str(folder))
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError("not a run or sweep results folder (no manifest.json)", file=str(folder))
    from alliance_sim.files import read_json

    manifest = read_json(manifest_path)  # one line naming the file when it is damaged
    if manifest.get("kind") == "sweep":
        from alliance_sim.experiments.results import SweepResult

        return SweepResult.load(folder)
    from alliance_sim.runs.results import RunResult

    return RunResult.load(folder)


RUN_KINDS: dict[str, Callable[..., Figure]] = {
    "trajectories": trajectories_figure,
    "status": status_figure,
    "probabilities": probabilities_figure,
    "survival": survival_figure,
    "trust": trust_figure,
}
"""Figure kinds of a run, in the order of the standard set."""
SWEEP_KINDS: dict[str, Callable[..., Figure]] = {"heatmap": heatmap_figure, "sensitivity": sensitivity_figure}
"""Figure kinds of a sweep."""
POSTERIOR_KINDS: dict[str, Callable[..., Figure]] = {"posterior": posterior_figure, "posterior_pairs": pairs_figure}
"""Figure kinds of the posterior a run drew from (`alliance_sim.reporting.figures.posterior`)."""
KINDS = (*RUN_KINDS, *SWEEP_KINDS, *POSTERIOR_KINDS)
"""Every figure kind (the same names as `alliance_sim.reporting.kinds.KINDS`)."""


def is_sweep(result: Any) -> bool:
    """Whether `result` is a sweep result (it has per-point probabilities and a design)."""
    return callable(getattr(result, "probabilities", None)) and hasattr(result, "design")


def plot(result: Any, kind: str = "trajectories", **options: Any) -> Figure:
    """One figure of a run or a sweep.

    Args:
        result: A `RunResult` or a `SweepResult`.
        kind: One of `KINDS`.
        **options: Options of the kind's function (`members`, `replicate`, `months`,
            `quantities`, `member`, `outcome`, `x`, `y`); `member="id"` is accepted
            wherever `members` is.

    Raises:
        InputError: Unknown kind or option, a kind that does not fit the result, or data
            the kind needs that the result lacks.
    """
    sweep = is_sweep(result)
    kinds = SWEEP_KINDS if sweep else {**RUN_KINDS, **POSTERIOR_KINDS}
    if kind not in KINDS:
        raise InputError(f"unknown figure kind {kind!r} (kinds: {', '.join(KINDS)})", field="kind")
    if kind not in kinds:
        what, other = ("a sweep", "a run") if sweep else ("a run", "a sweep")
        raise InputError(
            f"figure kind {kind!r} needs results of {other}; these are of {what} "
            f"(kinds for {what}: {', '.join(kinds)})",
            field="kind",
        )
    function = kinds[kind]
    names = function.__code__.co_varnames[1 : function.__code__.co_argcount + function.__code__.co_kwonlyargcount]
    if "member" in options and "member" not in names and "members" in names:
        member = options.pop("member")
        options["members"] = None if member is None else [member]
    unknown = [k for k in options if k not in names]
    if unknown:
        raise InputError(f"figure kind {kind!r} takes no option {unknown[0]!r} (options: {', '.join(names)})")
    return function(result, **options)


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write a figure; the format follows the suffix (png, svg or pdf)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown figure format {fmt!r} ({', '.join(FORMATS)})", field="format")
    from alliance_sim.files import atomic_write

    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=fmt, metadata=_metadata(fmt)))


def _metadata(fmt: str) -> dict[str, Any] | None:
    # Keep files reproducible: no creation date in SVG and PDF.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int = 110) -> bytes:
    """A figure as file bytes in memory."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format=fmt, metadata=_metadata(fmt))
    return buffer.getvalue()


def standard_kinds(result: Any) -> list[str]:
    """The kinds of the standard set of a result (the trust matrix only when recorded)."""
    if is_sweep(result):
        kinds = ["heatmap"] if list(result.parameters) else []
        design = (getattr(result, "manifest", {}) or {}).get("design")
        name = design.get("kind") or design.get("method") if isinstance(design, dict) else design
        if str(name).lower() in ("sobol", "morris"):
            kinds.append("sensitivity")
        return kinds
    kinds = ["trajectories", "status", "probabilities", "survival"]
    if getattr(result, "trust", None) is not None and len(result.trust):
        kinds.append("trust")
    if has_posterior(result):
        kinds += list(POSTERIOR_KINDS)
    return kinds


def varying_outcomes(probabilities: Any, member: str) -> list[str]:
    """The outcomes (`disengaged`, `withdrawn`) whose probability varies over a sweep for one member."""
    part = probabilities[probabilities["member"] == member]
    return [
        outcome
        for outcome in ("disengaged", "withdrawn")
        if len(part) and float(part[f"p_{outcome}"].max() - part[f"p_{outcome}"].min()) > 1e-12
    ]


def standard_plan(result: Any, *, members: Sequence[str] | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
    """The standard set of a result as file stem -> (kind, options), without drawing anything.

    For a run: the run kinds (`trajectories`, `status`, `probabilities`, `survival`, and
    `trust` when recorded). For a sweep: a heatmap of each outcome that varies over the
    design, per member (`heatmap_<member>_<outcome>`; the hegemon aside; when nothing
    varies, each member's P(disengaged)), plus for Sobol and Morris designs the
    sensitivity indices of each outcome that varies for some member
    (`sensitivity_<outcome>`).

    Args:
        result: A `RunResult` or a `SweepResult`.
        members: Only these members (default: all but the hegemon).
    """
    kinds = standard_kinds(result)
    if not is_sweep(result):
        options = {"members": list(members)} if members else {}
        return {kind: (kind, dict(options) if kind in RUN_KINDS else {}) for kind in kinds}
    plan: dict[str, tuple[str, dict[str, Any]]] = {}
    probabilities = result.probabilities()
    if not len(probabilities):
        return plan
    available = list(dict.fromkeys(probabilities["member"]))
    chosen = list(members) if members else [m for m in available if m != hegemon(result)]
    varying = {m: varying_outcomes(probabilities, m) for m in chosen}
    if "heatmap" in kinds:
        for member in chosen:
            for outcome in varying[member] or (["disengaged"] if not any(varying.values()) else []):
                plan[f"heatmap_{member}_{outcome}"] = ("heatmap", {"member": member, "outcome": outcome})
    if "sensitivity" in kinds:
        for outcome in ("disengaged", "withdrawn"):
            shown = [m for m in chosen if outcome in varying[m]]
            if shown:
                plan[f"sensitivity_{outcome}"] = ("sensitivity", {"members": shown, "outcome": outcome})
    return plan


def standard_figures(result: Any, *, members: Sequence[str] | None = None) -> dict[str, Figure]:
    """The standard set of figures of a result, by file stem (see `standard_plan`).

    Args:
        result: A `RunResult` or a `SweepResult`.
        members: Only these members (default: all but the hegemon).
    """
    return {
        stem: plot(result, kind, **options) for stem, (kind, options) in standard_plan(result, members=members).items()
    }


def save_standard_figures(
    result: Any,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png",),
    dpi: int = 150,
    members: Sequence[str] | None = None,
) -> list[Path]:
    """Write the standard set of figures into `out/figures/`.

    Args:
        result: A `RunResult` or a `SweepResult`.
        out: The results folder.
        formats: File formats (png, svg, pdf).
        dpi: Resolution of raster formats.
        members: Only these members (default: all but the hegemon).

    Returns:
        The files written.
    """
    folder = Path(out) / "figures"
    written = []
    for stem, fig in standard_figures(result, members=members).items():
        for fmt in formats:
            written.append(save_figure(fig, folder / f"{stem}.{fmt}", dpi=dpi))
    return written
