"""`alliance-sim explain` on the interactive page: the decomposition, the knock-outs, the replay.

Nothing here computes an explanation of its own: the tables come from
`alliance_sim.runs.explain` and the figures from `alliance_sim.reporting.figures.explain`,
the same code behind ``alliance-sim explain --out``. What this module adds is the glue:

- `explanation`: the page's tables wrapped as the `ExplainResult` those figures draw (the
  scenario as run, the seed and the replicates in its manifest);
- `draw_terms` and `draw_knockouts`: those figures as PNG bytes at the page's resolution;
- `run_knockouts` and `run_replay`: the knock-out table and the unforced replay on the
  seeds of the page's ensemble (the seeds of ``alliance-sim explain --seed S -n N``);
- `knockout_rows` and `replay_rows`: the two tables in words, for the page's HTML tables.

The decomposition itself comes from the ensemble the page already runs on every change of
a lever (`alliance_sim.app_support.ensemble_view.summarise` runs it with its terms), so
moving a slider costs no extra run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from alliance_sim.app_support.ensemble_view import png
from alliance_sim.reporting.figures.explain import (
    MOVES_LITTLE,
    ExplainResult,
    knockouts_figure,
    strongest,
    terms_figure,
)
from alliance_sim.runs import explain as explain_runs
from alliance_sim.runs.seeds import run_seeds
from alliance_sim.scenario.config import ScenarioConfig

type Progress = explain_runs.Progress
"""Called after the baseline and each arm of the knock-outs: name, ensembles done, ensembles in all."""

KNOCKOUT_REPLICATES = 200
"""Replicates per arm of the knock-out table unless the user changes it (the command's default is 1000)."""

_EMPTY_DECOMPOSITION = pd.DataFrame(columns=["step", "month", "member", "term", "value"])
_EMPTY_KNOCKOUTS = pd.DataFrame(
    columns=["arm", "kind", "label", "member", "outcome", "baseline", "knocked_out", "change", "low", "high"]
)


def seeds_of(seed: int, replicates: int) -> list[int]:
    """The seeds of the page's replicates: those of ``alliance-sim run``/``explain`` with `seed`."""
    return run_seeds(seed, 0, range(replicates))


def arm_count(config: ScenarioConfig) -> int:
    """How many arms the knock-out table has (`alliance_sim.runs.explain.arms`)."""
    return len(explain_runs.arms(config))


def explanation(
    config: ScenarioConfig,
    decomposition: pd.DataFrame | None,
    *,
    replicates: int,
    seed: int,
    knockouts: pd.DataFrame | None = None,
    replay: pd.DataFrame | None = None,
    scenario: dict[str, Any] | None = None,
) -> ExplainResult:
    """The page's tables as the `ExplainResult` that the explain figures draw.

    Args:
        config: The scenario as run (with the page's changes).
        decomposition: `alliance_sim.runs.explain.decomposition_of` of the page's ensemble
            (None for a result that only draws the knock-outs).
        replicates: Replicates behind the tables.
        seed: Their root seed.
        knockouts: The knock-out table, if computed.
        replay: The unforced replay, if computed.
        scenario: ``config.model_dump(mode="json")`` if already at hand.
    """
    return ExplainResult(
        decomposition=_EMPTY_DECOMPOSITION if decomposition is None else decomposition,
        knockouts=_EMPTY_KNOCKOUTS if knockouts is None else knockouts,
        replay=pd.DataFrame() if replay is None else replay,
        manifest={"kind": "explain", "seed": seed, "replicates": replicates, "scenario": config.name},
        scenario=scenario if scenario is not None else config.model_dump(mode="json"),
    )


def draw_terms(result: ExplainResult) -> bytes:
    """The stacked named terms of each member over time, with the scripted events marked, as a PNG."""
    return png(terms_figure(result))


def draw_knockouts(result: ExplainResult) -> bytes:
    """The knock-out forest plot, as a PNG."""
    return png(knockouts_figure(result))


def run_knockouts(
    config: ScenarioConfig,
    replicates: int,
    seed: int,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The knock-out table: every mechanism switched off and every scripted event removed in turn.

    One ensemble of `replicates` runs per arm plus the baseline, on the seeds of
    ``alliance-sim explain --seed SEED -n REPLICATES`` (so the numbers are the command's).
    `progress` is called after the baseline and each arm with its name, the arms done and
    the arms in all.
    """
    return explain_runs.knockouts(config, seeds_of(seed, replicates), progress=progress)


def run_replay(config: ScenarioConfig, replicates: int, seed: int) -> pd.DataFrame:
    """The unforced replay of the scripted answers on the page's seeds (one ensemble run)."""
    return explain_runs.unforced_replay(config, seeds_of(seed, replicates))


def knockout_rows(result: ExplainResult, members: Sequence[str] | None = None) -> list[tuple[str, ...]]:
    """Per arm, the largest change it makes, largest first, as table rows in words.

    Columns: what was knocked out, its kind, the member and outcome it moves most, the
    probability before and knocked out, the change with its 95% interval, and whether it
    moves little (|change| under `MOVES_LITTLE`).
    """
    names = {k: str((a or {}).get("name") or k) for k, a in (result.scenario.get("actors") or {}).items()}
    rows: list[tuple[str, ...]] = []
    for _, row in strongest(result.knockouts, members).iterrows():
        rows.append(
            (
                str(row["arm"]),
                str(row["kind"]),
                names.get(str(row["member"]), str(row["member"])),
                str(row["outcome"]).replace("_", " "),
                f"{row['baseline']:.2f}",
                f"{row['knocked_out']:.2f}",
                f"{row['change']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}]",
                "moves little" if row["moves_little"] else "",
            )
        )
    return rows


KNOCKOUT_HEADERS = (
    "knocked out",
    "kind",
    "member",
    "outcome",
    "baseline",
    "knocked out",
    "change [95% interval]",
    f"|change| < {MOVES_LITTLE}",
)
"""The headings of `knockout_rows`."""


def replay_rows(result: ExplainResult) -> list[tuple[str, ...]]:
    """The unforced replay as table rows: request, month, who asked, reported answer, shares."""
    names = {k: str((a or {}).get("name") or k) for k, a in (result.scenario.get("actors") or {}).items()}
    rows: list[tuple[str, ...]] = []
    for _, row in result.replay.iterrows():
        rows.append(
            (
                str(row["event"]),
                str(row["month"]),
                names.get(str(row["requester"]), str(row["requester"])),
                str(row["reported"]),
                f"{row['full']:.0%}",
                f"{row['token']:.0%}",
                f"{row['refused']:.0%}",
                f"{row['agree']:.0%}",
            )
        )
    return rows


REPLAY_HEADERS = ("request", "month", "asked by", "reported answer", "full", "token", "refused", "gives the reported")
"""The headings of `replay_rows`."""
