"""A self-contained HTML report of a run or a sweep.

One file: the figures embedded as PNG data, the summary tables, the scripted events, the
evidence quotes behind each calibrated parameter and event, the scenario as run and the
provenance. It has no script, no style sheet or font from elsewhere and no link outside
itself, so it opens the same in any browser with no network, and can be mailed as is.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import alliance_sim
from alliance_sim.errors import InputError
from alliance_sim.reporting import figures as plotting

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
}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1280px; padding: 24px 32px 64px; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 2em; }
.lead { color: #444; font-size: 1.05em; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 12px 0; color: #333; }
.facts b { color: #000; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 0.92em; }
th, td { border: 1px solid #d6d6d6; padding: 4px 9px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
table.wrap td { overflow-wrap: anywhere; }
tr.detail td { border-top: none; padding-left: 28px; background: #fcfcfc; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 18px 0 30px; }
figure img { width: 100%; height: auto; border: 1px solid #e3e3e3; }
figcaption { color: #444; font-size: 0.92em; margin-top: 4px; }
blockquote { margin: 6px 0 10px 0; padding: 4px 12px; border-left: 4px solid #9E9AC8; background: #fafafa; }
.src { color: #666; font-size: 0.88em; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 12px; font-size: 0.85em; white-space: pre-wrap;
      overflow-wrap: anywhere; }
details { margin: 6px 0; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 6px;
          vertical-align: -0.1em; }
nav a { margin-right: 14px; }
.muted { color: #777; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(
    frame: pd.DataFrame,
    *,
    numeric: Iterable[str] = (),
    raw: Iterable[str] = (),
    wrap: bool = False,
    detail: str | None = None,
) -> str:
    """An HTML table.

    Args:
        frame: The rows.
        numeric: Columns aligned right.
        raw: Columns that hold HTML already (the others are escaped).
        wrap: Break long values anywhere.
        detail: A column (HTML) shown as a full-width row under its row, when not empty.
    """
    numeric, raw = set(numeric), set(raw)
    columns = [c for c in frame.columns if c != detail]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in columns:
            value = row[column]
            text = value if column in raw else _e("" if _missing(value) else value)
            cls = ' class="num"' if column in numeric else ""
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
        if detail is not None and row[detail]:
            rows.append(f'<tr class="detail"><td colspan="{len(columns)}">{row[detail]}</td></tr>')
    cls = ' class="wrap"' if wrap else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _figure_html(stem: str, fig: Any) -> str:
    data = base64.b64encode(plotting.figure_bytes(fig, "png", dpi=DPI)).decode("ascii")
    kind = stem.split("_")[0]
    caption = CAPTIONS.get(kind, "")
    return (
        f'<figure id="figure-{_e(stem)}"><img alt="{_e(stem)} figure" src="data:image/png;base64,{data}">'
        f"<figcaption><b>{_e(stem)}</b>. {_e(caption)}</figcaption></figure>"
    )


def _interval(row: pd.Series, what: str) -> str:
    return f"{row[f'p_{what}']:.3f} [{row[f'p_{what}_low']:.3f}–{row[f'p_{what}_high']:.3f}]"


# --- Evidence ----------------------------------------------------------------------------


def _ledger_candidates(result: Any, ledger: Path | None, folder: Path | None) -> list[Path]:
    manifest = getattr(result, "manifest", {}) or {}
    candidates = []
    if ledger is not None:
        return [Path(ledger)]
    if manifest.get("ledger"):
        recorded = Path(str(manifest["ledger"]))
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
        Items by id (`source`, `quote`, `date`, `actors`, `note`) and where they came from
        (empty when no ledger was found).
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
        citations = {k: s.citation for k, s in book.sources.items()}
        return {
            item.id: {
                "source": item.source,
                "quote": item.quote,
                "date": item.date,
                "actors": list(item.actors),
                "note": item.note,
                "citation": citations.get(item.source, ""),
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
            }
            for item in data["items"]
            if isinstance(item, dict) and "id" in item
        }


def _evidence_html(ids: Sequence[str], quotes: dict[str, dict]) -> str:
    parts = []
    for item_id in ids:
        item = quotes.get(item_id)
        if item is None:
            parts.append(f'<div class="src"><code>{_e(item_id)}</code> (not in the ledger)</div>')
            continue
        source = item.get("citation") or item.get("source")
        quote = item.get("quote") or ""
        quoted = quote if quote[:1] in '"“' else f"“{quote}”"
        body = f"<blockquote>{_e(quoted)}</blockquote>" if quote else ""
        parts.append(f'<div class="src"><code>{_e(item_id)}</code> · {_e(source)} · {_e(item.get("date"))}</div>{body}')
    return "".join(parts)


# --- Sections ------------------------------------------------------------------------------


def _header(result: Any, title: str, facts: dict[str, Any]) -> str:
    scenario = plotting.scenario_of(result)
    description = scenario.get("description") or ""
    items = "".join(f"<span><b>{_e(k)}</b>: {_e(v)}</span>" for k, v in facts.items() if v not in (None, ""))
    return (
        f"<header><h1>{_e(title)}</h1>"
        + (f'<p class="lead">{_e(description)}</p>' if description else "")
        + f'<div class="facts">{items}</div></header>'
    )


def _members_legend(result: Any) -> str:
    colours = plotting.colours_of(result)
    spans = [
        f'<span><span class="swatch" style="background:{c}"></span>{_e(plotting.display_name(result, m))}</span>'
        for m, c in colours.items()
    ]
    return f'<div class="facts">{"".join(spans)}</div>'


def _summary_section(result: Any) -> str:
    table = result.summary()
    rows = []
    for _, row in table.iterrows():
        ends = " / ".join(f"{row[f'final_{status}']:.2f}" for status in plotting.STATUS_ORDER)
        rows.append(
            {
                "member": plotting.display_name(result, row["member"]),
                "P(disengaged) [95% CI]": _interval(row, "disengaged"),
                "median month disengaged": row["median_month_disengaged"] or "–",
                "P(withdrawn) [95% CI]": _interval(row, "withdrawn"),
                "median month withdrawn": row["median_month_withdrawn"] or "–",
                "at end: member / disengaged / withdrawn": ends,
            }
        )
    frame = pd.DataFrame(rows)
    note = (
        "<p class='muted'>P(...) is the share of replicates in which the member disengaged (or withdrew) at "
        "least once within the horizon; the median month is when it first happened, among those replicates."
        "</p>"
    )
    return (
        '<section id="summary"><h2>Who leaves</h2>'
        + _members_legend(result)
        + _table(frame, numeric=[c for c in frame.columns if c != "member"])
        + note
        + "</section>"
    )


def _figures_section(figures: dict[str, Any]) -> str:
    body = "".join(_figure_html(stem, fig) for stem, fig in figures.items())
    return f'<section id="figures"><h2>Figures</h2>{body}</section>'


def _events_section(result: Any, quotes: dict[str, dict]) -> str:
    scenario = plotting.scenario_of(result)
    events = scenario.get("events") or []
    if not events:
        return ""
    support = (getattr(result, "manifest", {}) or {}).get("event_evidence") or {}
    names = {k: (a or {}).get("name") or k for k, a in (scenario.get("actors") or {}).items()}
    rows = []
    for event in sorted(events, key=lambda e: str(e.get("month"))):
        ids = support.get(event.get("id") or "", [])
        rows.append(
            {
                "month": event.get("month"),
                "event": event.get("id") or "",
                "type": event.get("type"),
                "target": names.get(event.get("target"), event.get("target") or ""),
                "source": names.get(event.get("source"), event.get("source") or ""),
                "severity": f"{event['severity']:.2f}" if isinstance(event.get("severity"), float) else "",
                "answer": event.get("answer") or "",
                "note": event.get("note") or "",
                "evidence": _evidence_html(ids, quotes) if ids else "",
            }
        )
    return (
        '<section id="events"><h2>Scripted events</h2>'
        + _table(pd.DataFrame(rows), numeric=["severity"], detail="evidence")
        + "</section>"
    )


def _calibration_section(result: Any, quotes: dict[str, dict], ledger_path: str) -> str:
    calibration = (getattr(result, "manifest", {}) or {}).get("calibration") or {}
    head = '<section id="calibration"><h2>Calibration: the evidence behind each parameter</h2>'
    if not calibration:
        return head + "<p class='muted'>This scenario takes no value from an evidence ledger.</p></section>"
    if ledger_path == RECORDED:
        where = "<p>Quotes as recorded with the results when they were made.</p>"
    elif ledger_path:
        where = (
            f"<p>Quotes from the ledger <code>{_e(ledger_path)}</code> (as it reads now; the results record "
            "only the evidence ids).</p>"
        )
    else:
        where = (
            "<p class='muted'>The ledger was not found, so only the evidence ids are shown; pass "
            "<code>--ledger</code> to show the quotes.</p>"
        )
    rows = []
    for path, entry in sorted(calibration.items()):
        entry = entry if isinstance(entry, dict) else {"value": entry}
        used = entry.get("used", True)
        value = entry.get("value")
        rows.append(
            {
                "parameter": f"<code>{_e(path)}</code>",
                "value": f"{value:.3f}" if isinstance(value, float) else _e(value),
                "used": "yes" if used else f"no: set by {_e(entry.get('set_by') or 'the scenario')}",
                "evidence": _evidence_html(entry.get("evidence") or [], quotes) or "<span class='muted'>prior</span>",
            }
        )
    return (
        head
        + where
        + _table(pd.DataFrame(rows), numeric=["value"], raw=["parameter", "value", "used", "evidence"])
        + "</section>"
    )


def _scenario_section(text: str, title: str = "The scenario as run") -> str:
    return f'<section id="scenario"><h2>{_e(title)}</h2><pre>{_e(text)}</pre></section>'


def _provenance_section(manifest: dict[str, Any]) -> str:
    hidden = ("calibration", "event_evidence", "replicate_seeds", "spec")
    rows = [
        {"field": k, "value": json.dumps(v, default=str) if isinstance(v, dict | list) else v}
        for k, v in manifest.items()
        if k not in hidden
    ]
    extra = ""
    if manifest.get("replicate_seeds"):
        seeds = ", ".join(map(str, manifest["replicate_seeds"]))
        extra = (
            f"<details><summary>Seeds of the {len(manifest['replicate_seeds'])} replicates</summary>"
            f"<pre>{_e(seeds)}</pre></details>"
        )
    return (
        '<section id="provenance"><h2>Provenance</h2>'
        + _table(pd.DataFrame(rows), wrap=True)
        + extra
        + f"<p class='muted'>Report written {datetime.now(UTC).isoformat(timespec='seconds')} by alliance-sim "
        f"{_e(alliance_sim.__version__)}.</p></section>"
    )


def _page(title: str, sections: Sequence[str], nav: Sequence[tuple[str, str]]) -> str:
    links = "".join(f'<a href="#{anchor}">{_e(label)}</a>' for anchor, label in nav)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<nav>{links}</nav>" + "".join(s for s in sections if s) + "</body></html>\n"
    )


# --- Reports -------------------------------------------------------------------------------


def build_report(result: Any, *, ledger: str | Path | None = None, folder: str | Path | None = None) -> str:
    """The HTML text of a report of a run or a sweep.

    Args:
        result: A `RunResult` or a `SweepResult`.
        ledger: Evidence ledger for the quotes (default: the one named in the manifest,
            or `seeds/evidence.yaml` above the results folder or the working folder).
        folder: The results folder, if the result was loaded from one.
    """
    folder = Path(folder) if folder is not None else getattr(result, "folder", None)
    quotes, ledger_path = load_quotes(result, Path(ledger) if ledger is not None else None, folder)
    if plotting.is_sweep(result):
        return _sweep_report(result, quotes, ledger_path, folder)
    return _run_report(result, quotes, ledger_path)


def _run_report(result: Any, quotes: dict[str, dict], ledger_path: str) -> str:
    manifest = result.manifest or {}
    name = plotting.scenario_name(result)
    facts = {
        "replicates": result.replicates,
        "seed": manifest.get("seed"),
        "months": manifest.get("steps"),
        "from": manifest.get("start"),
        "engine": manifest.get("engine"),
        "overrides": ", ".join(manifest.get("overrides") or []),
        "created": manifest.get("created"),
    }
    figures = plotting.standard_figures(result)
    scenario_text = yaml.safe_dump(result.scenario, sort_keys=False, allow_unicode=True)
    sections = [
        _header(result, name, facts),
        _summary_section(result),
        _figures_section(figures),
        _events_section(result, quotes),
        _calibration_section(result, quotes, ledger_path),
        _scenario_section(scenario_text),
        _provenance_section(manifest),
    ]
    nav = [
        ("summary", "Who leaves"),
        ("figures", "Figures"),
        ("events", "Events"),
        ("calibration", "Calibration"),
        ("scenario", "Scenario"),
        ("provenance", "Provenance"),
    ]
    return _page(f"{name}: alliance-sim report", sections, nav)


def _sweep_report(sweep: Any, quotes: dict[str, dict], ledger_path: str, folder: Path | None) -> str:
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
    figures = plotting.standard_figures(sweep) if len(probabilities) else {}
    sections = [
        _header(sweep, f"Sweep: {name}", facts),
        _sweep_summary(sweep, probabilities),
        _figures_section(figures),
    ]
    if "sensitivity" in plotting.standard_kinds(sweep):
        table = sweep.sensitivity()
        if len(table):
            sections.append(
                '<section id="sensitivity"><h2>Sensitivity indices</h2>'
                + _table(table.round(4), numeric=["value", "conf", "noise_floor"])
                + "</section>"
            )
    sections.append(_calibration_section(sweep, quotes, ledger_path))
    for file, title in (("scenario.yaml", "The base scenario as run"), ("spec.yaml", "The sweep specification")):
        if folder is not None and (Path(folder) / file).is_file():
            sections.append(_scenario_section((Path(folder) / file).read_text(), title))
    sections.append(_provenance_section(manifest))
    nav = [
        ("summary", "Who leaves"),
        ("figures", "Figures"),
        ("calibration", "Calibration"),
        ("scenario", "Scenario"),
        ("provenance", "Provenance"),
    ]
    return _page(f"{name}: alliance-sim sweep report", sections, nav)


def _sweep_summary(sweep: Any, probabilities: pd.DataFrame) -> str:
    head = '<section id="summary"><h2>Who leaves, across the design</h2>'
    if probabilities.empty:
        return head + "<p class='muted'>No finished runs yet.</p></section>"
    rows = []
    for member, part in probabilities.groupby("member", sort=False):
        row = {"member": plotting.display_name(sweep, member), "points": len(part)}
        for what in ("disengaged", "withdrawn"):
            p = part[f"p_{what}"]
            row[f"P({what}): lowest"] = f"{p.min():.3f}"
            row[f"P({what}): mean"] = f"{p.mean():.3f}"
            row[f"P({what}): highest"] = f"{p.max():.3f}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    columns = [
        "point",
        *sweep.parameters,
        "member",
        "replicates",
        "p_disengaged",
        "p_disengaged_low",
        "p_disengaged_high",
        "p_withdrawn",
        "p_withdrawn_low",
        "p_withdrawn_high",
    ]
    full = probabilities[[c for c in columns if c in probabilities.columns]]
    detail = ""
    if len(full) <= 3000:
        detail = (
            f"<details><summary>Every design point ({len(full)} rows)</summary>"
            + _table(full.round(4), numeric=[c for c in full.columns if c != "member"])
            + "</details>"
        )
    return (
        head
        + _members_legend(sweep)
        + _table(frame, numeric=[c for c in frame.columns if c != "member"])
        + detail
        + "</section>"
    )


def write_report(
    result: Any, path: str | Path, *, ledger: str | Path | None = None, folder: str | Path | None = None
) -> Path:
    """Write the report of a run or a sweep to one HTML file.

    Args:
        result: A `RunResult` or a `SweepResult`.
        path: The HTML file to write.
        ledger: Evidence ledger for the quotes (see `build_report`).
        folder: The results folder, if the result was loaded from one.

    Returns:
        The file.
    """
    path = Path(path)
    text = build_report(result, ledger=ledger, folder=folder)
    from alliance_sim.files import write_text

    return write_text(path, text)
