"""The terminal summary of a run, as text and as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alliance_sim.runs.results import RunResult


def _interval(row: Any, what: str) -> str:
    return f"{row[f'p_{what}']:.3f} [{row[f'p_{what}_low']:.3f}-{row[f'p_{what}_high']:.3f}]"


def format_summary(result: RunResult) -> str:
    """Plain-text summary: one line per member.

    With one replicate: final status and the months it disengaged and withdrew. With
    more: probability of disengaging and of withdrawing within the horizon, with 95%
    Wilson intervals and median months, and the share ending in each status.
    """
    manifest = result.manifest
    n = result.replicates
    head = (
        f"{manifest.get('scenario', 'scenario')}: {n} replicate{'s' if n != 1 else ''}, "
        f"{manifest.get('steps')} months from {manifest.get('start')}, seed {manifest.get('seed')}"
    )
    if manifest.get("engine"):
        head += f", {manifest['engine']} engine"
    if manifest.get("overrides"):
        head += "\noverrides: " + ", ".join(manifest["overrides"])
    posterior = manifest.get("posterior")
    if posterior:
        if posterior.get("fixed", True):
            head += f"\nparameters: the point estimate (--fixed; posterior {posterior['path']} not used)"
        else:
            head += (
                f"\nparameters: drawn from the posterior {posterior['path']} "
                f"({posterior['draws']} draws; --fixed for the point estimate)"
            )
    lines = [head, ""]
    width = max(len("member"), *(len(m) for m in result.member_ids)) + 2
    if n == 1:
        lines.append(f"{'member':<{width}}{'final status':<14}{'disengaged':<12}{'withdrawn':<12}")
        for _, row in result.runs.iterrows():
            lines.append(
                f"{row['member']:<{width}}{row['final_status']:<14}"
                f"{row['month_disengaged'] or '-':<12}{row['month_withdrawn'] or '-':<12}"
            )
        return "\n".join(lines)
    table = result.summary()
    if result.predictive:
        return "\n".join(lines + _predictive_lines(result, table, width))
    lines.append(
        f"{'member':<{width}}{'P(disengaged) [95% CI]':<25}{'median':<9}"
        f"{'P(withdrawn) [95% CI]':<25}{'median':<9}{'at end: member/diseng./withdrawn'}"
    )
    for _, row in table.iterrows():
        lines.append(
            f"{row['member']:<{width}}{_interval(row, 'disengaged'):<25}{row['median_month_disengaged'] or '-':<9}"
            f"{_interval(row, 'withdrawn'):<25}{row['median_month_withdrawn'] or '-':<9}"
            f"{row['final_member']:.2f} / {row['final_disengaged']:.2f} / {row['final_withdrawn']:.2f}"
        )
    lines.append("")
    lines.append(
        "P(...) = share of replicates in which the member disengaged (or withdrew) at least once "
        "within the horizon; median = median month it first happened."
    )
    return "\n".join(lines)


def _predictive_lines(result: RunResult, table: Any, width: int) -> list[str]:
    lines = [
        f"{'member':<{width}}{'P(disengaged) [95% PI]':<25}{'calib.':<8}{'median':<9}"
        f"{'P(withdrawn) [95% PI]':<25}{'calib.':<8}{'median':<9}{'at end: member/diseng./withdrawn'}"
    ]
    for _, row in table.iterrows():
        lines.append(
            f"{row['member']:<{width}}{_interval(row, 'disengaged'):<25}{_share(row, 'disengaged'):<8}"
            f"{row['median_month_disengaged'] or '-':<9}"
            f"{_interval(row, 'withdrawn'):<25}{_share(row, 'withdrawn'):<8}{row['median_month_withdrawn'] or '-':<9}"
            f"{row['final_member']:.2f} / {row['final_disengaged']:.2f} / {row['final_withdrawn']:.2f}"
        )
    lines += ["", "Monte Carlo only (95% Wilson CI: chance alone, as if the parameters were known):"]
    for _, row in table.iterrows():
        lines.append(f"{row['member']:<{width}}{_mc(row, 'disengaged'):<25}{'':<17}{_mc(row, 'withdrawn')}")
    lines += [
        "",
        "P(...) = share of replicates in which the member disengaged (or withdrew) at least once "
        "within the horizon; median = median month it first happened.",
        "Each replicate ran with parameters drawn from the posterior. PI = posterior predictive "
        "interval: 2.5-97.5% of the probability across the draws, so it covers what the evidence "
        "leaves open as well as chance. calib. = share of the variance due to calibration (between "
        "draws); the rest is chance (within). See docs/calibration.md.",
    ]
    return lines


def _share(row: Any, what: str) -> str:
    value = row[f"p_{what}_calibration_share"]
    return "-" if value != value else f"{value:.0%}"


def _mc(row: Any, what: str) -> str:
    return f"{row[f'p_{what}']:.3f} [{row[f'p_{what}_mc_low']:.3f}-{row[f'p_{what}_mc_high']:.3f}]"


def summary_json(result: RunResult, out: Path | None, figures: list[Path]) -> dict[str, Any]:
    """Machine-readable summary: provenance and the per-member table."""
    manifest = {
        k: v for k, v in result.manifest.items() if k not in ("replicate_seeds", "calibration", "event_evidence")
    }
    return {
        "manifest": manifest,
        "members": result.summary().to_dict(orient="records"),
        "variance_split": split.to_dict(orient="records") if (split := result.variance_split()) is not None else None,
        "out": str(out) if out else None,
        "figures": [str(p) for p in figures],
    }
