"""`explain`: the decomposition adds up, the knock-outs use common random numbers, the figures draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alliance_sim
from alliance_sim.core.mechanisms import BY_NAME, Mechanism
from alliance_sim.errors import InputError
from alliance_sim.reporting.figures.explain import (
    LEAVE_TERMS,
    MOVES_LITTLE,
    STAY_TERMS,
    ExplainResult,
    decomposition_table,
    key_steps,
    knockouts_figure,
    strongest,
    term_contributions,
    terms_figure,
)
from alliance_sim.runs.explain import OUTCOMES, explain, resolve_mechanisms

NOTHING = Mechanism("nothing", "a switch that changes nothing", {})


@pytest.fixture(scope="module")
def explained(small_config):
    calls = []
    result = explain(
        small_config,
        seed=3,
        replicates=12,
        mechanisms=[NOTHING, "protection", "outside_options"],
        progress=lambda name, done, total: calls.append((name, done, total)),
    )
    return result, calls


@pytest.fixture(scope="module")
def result(explained, small_config):
    explanation, _ = explained
    return ExplainResult(
        decomposition=explanation.decomposition,
        knockouts=explanation.knockouts,
        replay=explanation.replay,
        manifest={"kind": "explain", "seed": 3, "replicates": 12},
        scenario=small_config.model_dump(mode="json"),
    )


def test_the_terms_sum_to_the_values(explained):
    table = explained[0].decomposition
    wide = table.pivot_table(index=["step", "member"], columns="term", values="value")
    np.testing.assert_allclose(wide[list(STAY_TERMS)].sum(axis=1), wide["value_stay"], atol=1e-9)
    np.testing.assert_allclose(wide[list(LEAVE_TERMS)].sum(axis=1), wide["value_leave"], atol=1e-9)


def test_the_contributions_sum_to_the_net_value_of_leaving(explained):
    part = term_contributions(explained[0].decomposition, "small")
    terms = [*STAY_TERMS, *LEAVE_TERMS]
    np.testing.assert_allclose(part[terms].sum(axis=1), part["net"], atol=1e-9)


def test_an_arm_that_changes_nothing_changes_nothing_exactly(explained):
    table = explained[0].knockouts
    nothing = table[table["arm"] == "nothing"]
    assert len(nothing) == len(OUTCOMES) * 3  # every outcome, three members (the hegemon included)
    assert (nothing["change"] == 0.0).all()
    assert (nothing["low"] == 0.0).all() and (nothing["high"] == 0.0).all()
    assert (nothing["baseline"] == nothing["knocked_out"]).all()


def test_every_arm_shares_the_baseline(explained):
    table = explained[0].knockouts
    baselines = table.groupby(["member", "outcome"])["baseline"].nunique()
    assert (baselines == 1).all()


def test_knockouts_are_reproducible(small_config, explained):
    again = explain(small_config, seed=3, replicates=12, mechanisms=[NOTHING, "protection", "outside_options"])
    pd.testing.assert_frame_equal(again.knockouts, explained[0].knockouts)
    pd.testing.assert_frame_equal(again.decomposition, explained[0].decomposition)


def test_progress_counts_every_step(explained, small_config):
    _, calls = explained
    events = sum(1 for e in small_config.events if e.id is not None and e.enabled)
    total = 3 + 3 + events  # decomposition, baseline, replay; three mechanisms; each event
    assert [done for _, done, _ in calls] == list(range(1, total + 1))
    assert {t for _, _, t in calls} == {total}
    assert calls[0][0] == "decomposition" and calls[1][0] == "baseline" and calls[-1][0] == "unforced replay"
    assert [name for name, _, _ in calls[2:5]] == ["nothing", "protection", "outside_options"]


def test_the_replay_names_the_reported_answer(explained):
    replay = explained[0].replay
    assert list(replay["event"]) == ["first_attack"]
    row = replay.iloc[0]
    assert row["reported"] == "token"
    assert row["full"] + row["token"] + row["refused"] == pytest.approx(1.0)
    assert row["agree"] == row["token"]


def test_mechanisms_by_name():
    assert resolve_mechanisms(["protection", BY_NAME["contagion"], "protection"]) == (
        BY_NAME["protection"],
        BY_NAME["contagion"],
    )
    with pytest.raises(InputError, match=r"unknown mechanism 'protecton'.*protection"):
        resolve_mechanisms(["protecton"])


def test_explain_needs_two_replicates(small_config):
    with pytest.raises(InputError, match="at least 2 replicates"):
        explain(small_config, replicates=1)


def test_explain_is_reachable_from_the_package():
    assert alliance_sim.explain is explain
    assert "explain" in alliance_sim.__all__


def test_strongest_takes_the_largest_change_and_flags_small_ones():
    rows = [
        ("a", "armenia", "disengaged", 0.02),
        ("a", "armenia", "withdrawn", -0.30),
        ("a", "belarus", "disengaged", 0.10),
        ("b", "armenia", "disengaged", 0.01),
        ("b", "belarus", "withdrawn", -0.04),
    ]
    table = pd.DataFrame(rows, columns=["arm", "member", "outcome", "change"])
    table["low"], table["high"] = table["change"] - 0.01, table["change"] + 0.01
    best = strongest(table)
    assert list(best["arm"]) == ["a", "b"]
    assert list(best["change"]) == [-0.30, -0.04]
    assert list(best["moves_little"]) == [False, True]
    only = strongest(table, ["belarus"])
    assert list(only["change"]) == [0.10, -0.04]
    assert MOVES_LITTLE == 0.05


def test_key_steps_are_the_first_month_each_december_and_the_last(csto_config):
    months = [f"{2022 + (s - 1) // 12}-{(s - 1) % 12 + 1:02d}" if s else "start" for s in range(61)]
    table = pd.DataFrame({"step": range(61), "month": months})
    assert [m for _, m in key_steps(table)] == ["2022-01", "2022-12", "2023-12", "2024-12", "2025-12", "2026-12"]


def test_the_decomposition_table_is_wide_at_the_key_months(explained):
    table = decomposition_table(explained[0].decomposition, ["small", "mid"])
    assert list(table["member"]) == ["small"] * 3 + ["mid"] * 3  # 2022-01, 2022-12, 2023-12
    assert list(table["month"][:3]) == ["2022-01", "2022-12", "2023-12"]
    assert {"protection", "coercion", "value_stay", "value_leave", "pressure"} <= set(table.columns)


def test_terms_figure_stacks_every_member_s_terms(result):
    fig = terms_figure(result)
    gids = {artist.get_gid() for ax in fig.axes for artist in ax.get_children() if artist.get_gid()}
    assert {"net:small", "net:mid", "pressure:small"} <= gids
    assert any(g.startswith("term:small:") and g.endswith(":up") for g in gids)
    assert any(g.startswith("term:small:") and g.endswith(":down") for g in gids)
    assert not any(g.startswith("net:big") for g in gids)  # the hegemon is left out
    assert "What pushes each member out" in fig.get_suptitle()


def test_knockouts_figure_has_a_row_per_arm(result):
    fig = knockouts_figure(result)
    ax = next(a for a in fig.axes if a.get_yticklabels())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == result.knockouts["arm"].nunique()
    assert "nothing (mechanism)" in labels
    with pytest.raises(InputError, match="unknown member"):
        knockouts_figure(result, members=["nobody"])
