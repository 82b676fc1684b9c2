"""A self-contained HTML report of a run or a sweep.

One file: the figures embedded as PNG data, the summary tables, the scripted events, the
evidence quotes behind each calibrated parameter and event, the scenario as run and the
provenance, and an "Explain" section when the results folder holds the outputs of
`alliance-sim explain --out FOLDER/explain` (or another explain folder is named). It has
no script, no style sheet or font from elsewhere and no link outside itself, so it opens
the same in any browser with no network, and can be mailed as is.

The page is the jinja2 template `templates/report.html.j2` (with `report.css`), rendered
with autoescaping: this module only gathers plain values (text, numbers, tables as
columns and rows), and every one of them is escaped on the page.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml

from alliance_sim.errors import InputError
from alliance_sim.reporting import figures as plotting
from alliance_sim.version import __version__

DPI = 100
"""Resolution of the embedded figures."""
RECORDED = "the results' manifest"
"""Where `load_quotes` says quotes came from when the manifest carries them (`evidence`)."""

CAPTIONS = {
    "trajectories": "Median across replicates (line) with the middle 50% and 90% of replicates (bands). "
    "Dotted lines mark the scenario's scripted events, numbered in the key.",
    "status": "Share of replicates in which each member is a member, disengaged or withdrawn, month by month.",
    "probabilities": "Share of replicates in which each member disengaged (or withdrew) at least once within "
    "the horizon, with 95% Wilson intervals.",
    "survival": "Kaplan-Meier estimate of the share still engaged and still a member, with 95% intervals.",
    "trust": "Each observer's mean trust in each ally across replicates (0.5 is the neutral prior).",
    "heatmap": "Probability of the outcome at each design point.",
    "sensitivity": "Sensitivity indices with 95% bootstrap intervals; grey: below the replicate noise floor.",
    "posterior": "Each calibrated parameter's prior (dashed, uniform on its plausible range) against its posterior "
    "(filled); the orange line is the point estimate. A posterior as flat as its prior is left open by the "
    "reported patterns.",
    "posterior_pairs": "The posterior's particles over the pairs of parameters with the strongest correlations "
    "(dot size: weight; +: point estimate): the patterns trade one parameter against the other along them.",
}

RUN_NOTE = (
    "P(...) is the share of replicates in which the member disengaged (or withdrew) at least once within the "
    "horizon; the median month is when it first happened, among those replicates."
)

PREDICTIVE_NOTE = (
    " Each replicate drew its parameters from the scenario's posterior. PI is the 95% posterior predictive "
    "interval (2.5-97.5% of the probability across the draws: what the evidence leaves open, and chance); "
    "MC is the Monte Carlo (Wilson) interval alone; calib. is the share of the variance due to calibration "
    "(between draws), the rest being chance (docs/calibration.md)."
)


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("alliance_sim.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template("report.html.j2")


def _frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A table as the template takes it: columns, and rows of display values (missing: empty)."""
    rows = [["" if _missing(value) else value for value in row] for row in frame.itertuples(index=False)]
    return {"columns": [str(c) for c in frame.columns], "rows": rows}


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _interval(row: pd.Series, what: str) -> str:
    return f"{row[f'p_{what}']:.3f} [{row[f'p_{what}_low']:.3f}–{row[f'p_{what}_high']:.3f}]"


# --- Evidence ----------------------------------------------------------------------------


def _ledger_candidates(result: Any, ledger: Path | None, folder: Path | None) -> list[Path]:
    manifest = getattr(result, "manifest", {}) or {}
    candidates = []
    if ledger is not None:
        return [Path(ledger)]
    entry = manifest.get("ledger")
    if isinstance(entry, dict):  # {"path": relative to the scenario file, "sha256": ...}
        entry = entry.get("path")
    if entry:
        recorded = Path(str(entry))
        candidates.append(recorded)
        scenario_file = manifest.get("scenario_file")
        if scenario_file and not recorded.is_absolute():
            candidates.append(Path(scenario_file).parent / recorded)
    from alliance_sim.evidence import DEFAULT_LEDGER

    for start in (folder, Path.cwd()):
        if start is not None:
            here = Path(start).resolve()
            candidates.extend(parent / DEFAULT_LEDGER for parent in (here, *here.parents))
    return candidates


def load_quotes(result: Any, ledger: Path | None = None, folder: Path | None = None) -> tuple[dict[str, dict], str]:
    """The evidence items a result cites, by id, from its ledger.

    Args:
        result: A run or sweep result (its manifest names the ledger).
        ledger: Use this ledger instead.
        folder: The results folder (the ledger is also looked for above it).

    Items recorded in the manifest (`evidence`: id -> item) are used first, so a results
    folder that carries its quotes reports them as they were when it ran.

    Returns:
        Items by id (`source`, the file; `citation`, the source as a reader knows it;
        `kind`, `article`, `reader_comment` or `data`; `quote`, `date`, `actors`, `note`)
        and where they came from (empty when no ledger was found).
    """
    if ledger is not None and not Path(ledger).is_file():
        raise InputError("no such ledger file", file=str(ledger))
    recorded = (getattr(result, "manifest", {}) or {}).get("evidence")
    if ledger is None and isinstance(recorded, dict) and recorded:
        return {str(k): dict(v) for k, v in recorded.items() if isinstance(v, dict)}, RECORDED
    for path in _ledger_candidates(result, ledger, folder):
        if path.is_file():
            items = _read_items(path)
            if items is not None:
                return items, str(path)
    return {}, ""


def _read_items(path: Path) -> dict[str, dict] | None:
    try:
        from alliance_sim.evidence import load_ledger

        book = load_ledger(path)
        return {
            item.id: {
                "source": item.source,
                "quote": item.quote,
                "date": item.date,
                "actors": list(item.actors),
                "note": item.note,
                "citation": item.citation,
                "kind": item.kind,
            }
            for item in book.items
        }
    except Exception:  # a ledger that no longer validates: read its items as plain data
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return None
        sources = data.get("sources") or {}
        return {
            str(item["id"]): {
                "source": item.get("source", ""),
                "quote": item.get("quote", ""),
                "date": item.get("date", ""),
                "actors": item.get("actors", []),
                "note": item.get("note", ""),
                "citation": (sources.get(item.get("source")) or {}).get("citation", ""),
                "kind": item.get("kind", "article"),
            }
            for item in data["items"]
            if isinstance(item, dict) and "id" in item
        }


def _evidence(ids: Sequence[str], quotes: dict[str, dict]) -> list[dict[str, Any]]:
    """The evidence items `ids` as the template shows them (quotes in typographic quotes)."""
    items = []
    for item_id in ids:
        item = quotes.get(item_id)
        if item is None:
            items.append({"id": item_id, "missing": True})
            continue
        quote = item.get("quote") or ""
        items.append(
            {
                "id": item_id,
                "missing": False,
                "source": item.get("citation") or item.get("source"),
                "file": item.get("source") if item.get("citation") else "",
                "reader_comment": item.get("kind") == "reader_comment",
                "date": item.get("date"),
                "quote": quote if not quote or quote[:1] in '"“' else f"“{quote}”",
            }
        )
    return items


# --- Sections ------------------------------------------------------------------------------


def _members(result: Any) -> list[tuple[str, str]]:
    return [(plotting.display_name(result, m), c) for m, c in plotting.colours_of(result).items()]


def _run_summary(result: Any) -> dict[str, Any]:
    predictive = bool(getattr(result, "predictive", False))
    rows = []
    for _, row in result.summary().iterrows():
        out = {"member": plotting.display_name(result, row["member"])}
        for what in ("disengaged", "withdrawn"):
            if predictive:
                share = row[f"p_{what}_calibration_share"]
                out[f"P({what}) [95% PI]"] = _interval(row, what)
                out[f"[95% MC] {what}"] = f"[{row[f'p_{what}_mc_low']:.3f}–{row[f'p_{what}_mc_high']:.3f}]"
                out[f"calib. {what}"] = "–" if _missing(share) else f"{share:.0%}"
            else:
                out[f"P({what}) [95% CI]"] = _interval(row, what)
            out[f"median month {what}"] = row[f"median_month_{what}"] or "–"
        out["at end: member / disengaged / withdrawn"] = " / ".join(
            f"{row[f'final_{status}']:.2f}" for status in plotting.STATUS_ORDER
        )
        rows.append(out)
    table = _frame(pd.DataFrame(rows))
    note = RUN_NOTE + (PREDICTIVE_NOTE if predictive else "")
    return {"heading": "Who leaves", "table": table, "numeric": table["columns"][1:], "note": note, "points": None}


def _sweep_summary(sweep: Any, probabilities: pd.DataFrame) -> dict[str, Any]:
    summary: dict[str, Any] = {"heading": "Who leaves, across the design", "table": None, "note": "", "points": None}
    if probabilities.empty:
        return summary
    rows = []
    for member, part in probabilities.groupby("member", sort=False):
        row = {"member": plotting.display_name(sweep, member), "points": len(part)}
        for what in ("disengaged", "withdrawn"):
            p = part[f"p_{what}"]
            row[f"P({what}): lowest"] = f"{p.min():.3f}"
            row[f"P({what}): mean"] = f"{p.mean():.3f}"
            row[f"P({what}): highest"] = f"{p.max():.3f}"
        rows.append(row)
    summary["table"] = _frame(pd.DataFrame(rows))
    summary["numeric"] = summary["table"]["columns"][1:]
    columns = ["point", *sweep.parameters, "member", "replicates"] + [
        f"p_{what}{end}" for what in ("disengaged", "withdrawn") for end in ("", "_low", "_high")
    ]
    full = probabilities[[c for c in columns if c in probabilities.columns]]
    if len(full) <= 3000:
        summary["points"] = _frame(full.round(4))
    return summary


def _figures(figures: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "stem": stem,
            "data": base64.b64encode(plotting.figure_bytes(fig, "png", dpi=DPI)).decode("ascii"),
            "caption": CAPTIONS.get(stem, CAPTIONS.get(stem.split("_")[0], "")),
        }
        for stem, fig in figures.items()
    ]


def _events(result: Any, quotes: dict[str, dict]) -> dict[str, Any] | None:
    scenario = plotting.scenario_of(result)
    events = scenario.get("events") or []
    if not events:
        return None
    support = (getattr(result, "manifest", {}) or {}).get("event_evidence") or {}
    names = {k: (a or {}).get("name") or k for k, a in (scenario.get("actors") or {}).items()}
    rows = []
    for event in sorted(events, key=lambda e: str(e.get("month"))):
        severity = event.get("severity")
        cells = [
            event.get("month"),
            event.get("id") or "",
            event.get("type"),
            names.get(event.get("target"), event.get("target") or ""),
            names.get(event.get("source"), event.get("source") or ""),
            f"{severity:.2f}" if isinstance(severity, float) else "",
            event.get("answer") or "",
            event.get("note") or "",
        ]
        rows.append({"cells": cells, "evidence": _evidence(support.get(event.get("id") or "", []), quotes)})
    columns = ["month", "event", "type", "target", "source", "severity", "answer", "note"]
    return {"columns": columns, "rows": rows}


def _calibration(result: Any, quotes: dict[str, dict], ledger_path: str) -> dict[str, Any]:
    calibration = (getattr(result, "manifest", {}) or {}).get("calibration") or {}
    rows = []
    for path, entry in sorted(calibration.items()):
        entry = entry if isinstance(entry, dict) else {"value": entry}
        value = entry.get("value")
        rows.append(
            {
                "parameter": path,
                "value": f"{value:.3f}" if isinstance(value, float) else value,
                "used": entry.get("used", True),
                "set_by": entry.get("set_by") or "the scenario",
                "evidence": _evidence(entry.get("evidence") or [], quotes),
            }
        )
    source = "recorded" if ledger_path == RECORDED else ledger_path
    return {"rows": rows, "source": source}


def _provenance(manifest: dict[str, Any]) -> dict[str, Any]:
    hidden = ("calibration", "event_evidence", "replicate_seeds", "spec", "evidence")
    rows = [
        [key, json.dumps(value, default=str) if isinstance(value, dict | list) else value]
        for key, value in manifest.items()
        if key not in hidden
    ]
    return {"columns": ["field", "value"], "rows": rows}


# --- Explain --------------------------------------------------------------------------------

EXPLAIN_FOLDER = "explain"
"""The sub-folder of a results folder that the report looks in for `explain` outputs."""

EXPLAIN_CAPTIONS = {
    "explain_terms": "Per member, the named terms of the values, month by month (means of replicates), each "
    "drawn by what it does to the net value of leaving: terms that push the member out above zero, terms that "
    "hold it in below. Solid line: the net value of leaving; dashed: the smoothed pressure, with the thresholds "
    "of disengaging and withdrawing.",
    "explain_knockouts": "Each mechanism switched off and each scripted event removed in turn, with the same "
    "seeds: the largest change it makes in a member's probability of disengaging, of withdrawing or of being "
    "away at the end, with its 95% interval. Open markers and grey labels: arms that move no probability "
    "by 0.05 or more.",
}


def find_explain(folder: str | Path | None, explain: str | Path | None = None) -> Path | None:
    """The explain folder a report shows: `explain` if given, else FOLDER/explain if it holds one.

    Raises:
        InputError: `explain` was given but is not an explain folder.
    """
    from alliance_sim.reporting.figures.explain import is_explain_folder

    if explain is not None:
        if not is_explain_folder(explain):
            raise InputError("not an explain folder (write one with alliance-sim explain --out)", file=str(explain))
        return Path(explain)
    if folder is not None and is_explain_folder(Path(folder) / EXPLAIN_FOLDER):
        return Path(folder) / EXPLAIN_FOLDER
    return None


def _explain(path: Path | None, result: Any) -> dict[str, Any] | None:
    """The Explain section of a report: the three tables and the two figures."""
    if path is None:
        return None
    from alliance_sim.reporting.figures.explain import (
        DECOMPOSITION_COLUMNS,
        decomposition_table,
        explain_figures,
        load_explain,
        strongest,
    )

    refuse_links(path)
    explained = load_explain(path)
    manifest = explained.manifest
    hegemon = plotting.hegemon(explained)
    members = [m for m in plotting.member_order(explained) if m != hegemon]
    decomposition = decomposition_table(explained.decomposition, members)
    decomposition["member"] = [plotting.display_name(explained, m) for m in decomposition["member"]]
    knockouts = strongest(explained.knockouts)
    unmoved = (knockouts["change"] == 0) & (knockouts["low"] == knockouts["high"])
    knockout_rows = pd.DataFrame(
        {
            "arm": knockouts["arm"],
            "kind": knockouts["kind"],
            "what": knockouts["label"],
            "member": [
                "–" if still else plotting.display_name(explained, m)
                for m, still in zip(knockouts["member"], unmoved, strict=True)
            ],
            "outcome": knockouts["outcome"].where(~unmoved, "–"),
            "baseline": knockouts["baseline"].map("{:.3f}".format),
            "knocked out": knockouts["knocked_out"].map("{:.3f}".format),
            "change": knockouts["change"].map("{:+.3f}".format),
            "95% interval": [
                f"[{lo:+.3f}, {hi:+.3f}]" for lo, hi in zip(knockouts["low"], knockouts["high"], strict=True)
            ],
            "moves little": knockouts["moves_little"].map({True: "moves little", False: ""}),
        }
    )
    replay = explained.replay.copy()
    if len(replay):
        replay["requester"] = [plotting.display_name(explained, m) for m in replay["requester"]]
    run_hash = (getattr(result, "manifest", {}) or {}).get("scenario_hash")
    facts = {
        "replicates per arm": manifest.get("replicates"),
        "seed": manifest.get("seed"),
        "arms": manifest.get("arms"),
        "scenario hash": manifest.get("scenario_hash"),
        "overrides": ", ".join(manifest.get("overrides") or []),
        "created": manifest.get("created"),
    }
    return {
        "facts": [(k, v) for k, v in facts.items() if v not in (None, "")],
        "other_scenario": bool(run_hash and manifest.get("scenario_hash") and run_hash != manifest["scenario_hash"]),
        "decomposition": _frame(decomposition.round(3)),
        "decomposition_numeric": list(DECOMPOSITION_COLUMNS),
        "knockouts": _frame(knockout_rows),
        "knockouts_numeric": ["baseline", "knocked out", "change"],
        "little": int(knockouts["moves_little"].sum()),
        "replay": _frame(replay.round(3)) if len(replay) else None,
        "figures": [
            {
                "stem": stem,
                "data": base64.b64encode(plotting.figure_bytes(fig, "png", dpi=DPI)).decode("ascii"),
                "caption": EXPLAIN_CAPTIONS.get(stem, ""),
            }
            for stem, fig in explain_figures(explained).items()
        ],
    }


def _render(result: Any, **context: Any) -> str:
    manifest = getattr(result, "manifest", {}) or {}
    scenario = plotting.scenario_of(result)
    page = {
        "description": scenario.get("description") or "",
        "members": _members(result),
        "events": None,
        "sensitivity": None,
        "explain": None,
        "provenance": _provenance(manifest),
        "seeds": manifest.get("replicate_seeds") or [],
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        **context,
    }
    page["facts"] = [(k, v) for k, v in page["facts"].items() if v not in (None, "")]
    if page["explain"] is not None:
        at = next((i for i, (anchor, _) in enumerate(page["nav"]) if anchor == "calibration"), len(page["nav"]))
        page["nav"] = [*page["nav"][:at], ("explain", "Explain"), *page["nav"][at:]]
    return _template().render(page)


# --- Reports -------------------------------------------------------------------------------


def refuse_links(folder: str | Path) -> None:
    """Refuse a results folder holding symbolic links (the report embeds what it reads).

    A results folder written by alliance-sim holds only regular files; a link in it could
    make the report embed any file of the machine (a `scenario.yaml` linked to a system
    file, say) in a page meant to be shared.

    Raises:
        InputError: The first link found, named.
    """
    root = Path(folder)
    for here, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(here) / name
            if path.is_symlink():
                raise InputError(
                    "is a symbolic link; a results folder holds only regular files, and the report does not "
                    "follow links (copy the file in if it belongs there)",
                    file=str(path),
                )


def build_report(
    result: Any,
    *,
    ledger: str | Path | None = None,
    folder: str | Path | None = None,
    explain: str | Path | None = None,
) -> str:
    """The HTML text of a report of a run or a sweep.

    Args:
        result: A `RunResult` or a `SweepResult`.
        ledger: Evidence ledger for the quotes (default: the one named in the manifest,
            or `seeds/evidence.yaml` above the results folder or the working folder).
        folder: The results folder, if the result was loaded from one.
        explain: A folder written by `alliance-sim explain --out`, shown in an "Explain"
            section (default: FOLDER/explain, when it holds one).

    Raises:
        InputError: The folder holds a symbolic link, the ledger given does not exist, or
            `explain` is not an explain folder.
    """
    folder = Path(folder) if folder is not None else getattr(result, "folder", None)
    if folder is not None:
        refuse_links(folder)
    quotes, ledger_path = load_quotes(result, Path(ledger) if ledger is not None else None, folder)
    section = _explain(find_explain(folder, explain), result)
    if plotting.is_sweep(result):
        return _sweep_report(result, quotes, ledger_path, folder, section)
    return _run_report(result, quotes, ledger_path, section)


def _parameters(manifest: dict[str, Any]) -> str:
    """How the run set its parameters: the point estimate, or draws from a posterior."""
    posterior = manifest.get("posterior")
    if not posterior:
        return ""
    if posterior.get("fixed", True):
        return f"point estimate (--fixed; posterior {posterior.get('path')} not used)"
    return (
        f"{posterior.get('draws')} draws from the posterior {posterior.get('path')} (sha256 {posterior.get('sha256')})"
    )


def _run_report(result: Any, quotes: dict[str, dict], ledger_path: str, explain: dict[str, Any] | None) -> str:
    manifest = result.manifest or {}
    name = plotting.scenario_name(result)
    facts = {
        "replicates": result.replicates,
        "seed": manifest.get("seed"),
        "months": manifest.get("steps"),
        "from": manifest.get("start"),
        "engine": manifest.get("engine"),
        "overrides": ", ".join(manifest.get("overrides") or []),
        "parameters": _parameters(manifest),
        "created": manifest.get("created"),
    }
    return _render(
        result,
        page_title=f"{name}: alliance-sim report",
        title=name,
        facts=facts,
        summary=_run_summary(result),
        figures=_figures(plotting.standard_figures(result)),
        events=_events(result, quotes),
        explain=explain,
        calibration=_calibration(result, quotes, ledger_path),
        texts=[
            {
                "title": "The scenario as run",
                "text": yaml.safe_dump(result.scenario, sort_keys=False, allow_unicode=True),
            }
        ],
        nav=[
            ("summary", "Who leaves"),
            ("figures", "Figures"),
            ("events", "Events"),
            ("calibration", "Calibration"),
            ("scenario", "Scenario"),
            ("provenance", "Provenance"),
        ],
    )


def _sweep_report(
    sweep: Any, quotes: dict[str, dict], ledger_path: str, folder: Path | None, explain: dict[str, Any] | None
) -> str:
    manifest = sweep.manifest or {}
    design = manifest.get("design") or {}
    spec = manifest.get("spec") or {}
    name = spec.get("name") or plotting.scenario_name(sweep)
    facts = {
        "scenario": plotting.scenario_name(sweep),
        "design": design.get("description") or design.get("kind"),
        "parameters": ", ".join(sweep.parameters),
        "state": manifest.get("state"),
        "created": manifest.get("created"),
    }
    probabilities = sweep.probabilities()
    sensitivity = None
    if len(probabilities) and "sensitivity" in plotting.standard_kinds(sweep):
        table = sweep.sensitivity()
        sensitivity = _frame(table.round(4)) if len(table) else None
    texts = []
    for file, title in (("scenario.yaml", "The base scenario as run"), ("spec.yaml", "The sweep specification")):
        if folder is not None and (Path(folder) / file).is_file():
            texts.append({"title": title, "text": (Path(folder) / file).read_text(encoding="utf-8")})
    return _render(
        sweep,
        page_title=f"{name}: alliance-sim sweep report",
        title=f"Sweep: {name}",
        facts=facts,
        summary=_sweep_summary(sweep, probabilities),
        figures=_figures(plotting.standard_figures(sweep)) if len(probabilities) else [],
        sensitivity=sensitivity,
        explain=explain,
        calibration=_calibration(sweep, quotes, ledger_path),
        texts=texts,
        nav=[
            ("summary", "Who leaves"),
            ("figures", "Figures"),
            ("calibration", "Calibration"),
            ("scenario", "Scenario"),
            ("provenance", "Provenance"),
        ],
    )


def write_report(
    result: Any,
    path: str | Path,
    *,
    ledger: str | Path | None = None,
    folder: str | Path | None = None,
    explain: str | Path | None = None,
) -> Path:
    """Write the report of a run or a sweep to one HTML file.

    Args:
        result: A `RunResult` or a `SweepResult`.
        path: The HTML file to write.
        ledger: Evidence ledger for the quotes (see `build_report`).
        folder: The results folder, if the result was loaded from one.
        explain: An explain folder to show (see `build_report`).

    Returns:
        The file.
    """
    path = Path(path)
    text = build_report(result, ledger=ledger, folder=folder, explain=explain)
    from alliance_sim.files import write_text

    return write_text(path, text)
