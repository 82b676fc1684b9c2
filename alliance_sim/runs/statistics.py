"""Statistics of defection: probabilities with intervals, median months, survival.

All functions take the tidy tables of `alliance_sim.runs.results` (pandas DataFrames) and
return tidy tables.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""


def wilson(successes: int | np.ndarray, trials: int | np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion.

    Args:
        successes: Number of successes k.
        trials: Number of trials n (> 0).
        z: Normal quantile (1.96 for 95%).

    Returns:
        (low, high), each in [0, 1]; (0, 1) where n is 0.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
        # exact bounds at the extremes (no rounding residue such as 1e-19 for k = 0)
        low = np.where((n > 0) & (k > 0), np.clip(centre - half, 0.0, 1.0), 0.0)
        high = np.where((n > 0) & (k < n), np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def defection_table(runs: pd.DataFrame, members: list[str] | None = None) -> pd.DataFrame:
    """Per member: probability of disengaging and of withdrawing, with 95% Wilson intervals.

    Args:
        runs: The per-run table (`RunResult.runs`): one row per replicate and member with
            `step_disengaged` and `step_withdrawn` (NaN when it never happened),
            `month_disengaged`, `month_withdrawn` and `final_status`. Extra key columns
            (such as `point`) are kept as groups.
        members: Order of the members in the output (default: order of appearance).

    Returns:
        One row per member (and group) with `replicates`, `p_disengaged`,
        `p_disengaged_low`, `p_disengaged_high`, `median_month_disengaged`, the same for
        withdrawn, and the share of replicates ending in each status.
    """
    if isinstance(runs["member"].dtype, pd.CategoricalDtype):  # group and order by value, not category
        runs = runs.assign(member=runs["member"].astype(object))
    groups = [c for c in ("point",) if c in runs.columns] + ["member"]
    grouped = runs.groupby(groups, sort=False)
    table = grouped.size().rename("replicates").reset_index()
    n = table["replicates"].to_numpy()
    for what in ("disengaged", "withdrawn"):
        k = grouped[f"step_{what}"].count().to_numpy()
        low, high = wilson(k, n)
        table[f"p_{what}"] = k / n
        table[f"p_{what}_low"] = low
        table[f"p_{what}_high"] = high
        table[f"median_month_{what}"] = _lower_median_labels(runs, groups, f"month_{what}", table)
    shares = pd.crosstab([runs[g] for g in groups], runs["final_status"], normalize="index")
    shares = shares.reindex(pd.MultiIndex.from_frame(table[groups]) if len(groups) > 1 else table[groups[0]])
    for status in ("member", "disengaged", "withdrawn"):
        values = shares[status].to_numpy(dtype=float) if status in shares.columns else np.zeros(len(table))
        table[f"final_{status}"] = values
    if members is not None and not table.empty:
        order = {m: i for i, m in enumerate(members)}
        table = table.sort_values(
            groups, key=lambda s: s.map(order) if s.name == "member" else s, kind="stable"
        ).reset_index(drop=True)
    return table


PREDICTIVE_QUANTILES = (0.025, 0.975)
"""Quantiles of the per-particle probabilities that bound the posterior predictive interval."""


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Quantiles of weighted values: the smallest value whose cumulative weight share reaches q."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(np.asarray(weights, dtype=float)[order])
    cumulative /= cumulative[-1]
    picks = np.minimum(np.searchsorted(cumulative, np.asarray(qs) - 1e-12), len(values) - 1)
    return [float(v) for v in np.asarray(values)[order][picks]]


def variance_split(runs: pd.DataFrame, draws: np.ndarray, members: list[str] | None = None) -> pd.DataFrame:
    """Per member and outcome: how much of the variance is calibration, how much chance.

    A replicate's outcome Y (1 when the member disengaged, or withdrew, within the horizon)
    varies because the parameters vary (the particle it took, theta) and because of chance.
    The law of total variance splits the variance of Y over the replicates exactly:

        Var(Y) = Var(E[Y | theta]) + E[Var(Y | theta)]
                 calibration         chance

    estimated with the replicates grouped by the draw they took: `between` (the variance
    of the draws' shares) and `within` (the mean of their p (1 - p)). The draws' shares
    carry the chance of their own few replicates, which adds ``within / (n - 1)`` to
    `between` on average (n replicates per draw); `calibration` is `between` less that
    (at least 0) and `chance` the rest, so the two still sum to `total`.

    The posterior predictive interval (`low`, `high`) is the 2.5-97.5% quantiles of the
    draws' shares, widened to hold the Monte Carlo (Wilson) interval of the pooled share
    (`mc_low`, `mc_high`): it covers what the evidence leaves open and, conservatively,
    the chance of each draw's few replicates.

    Args:
        runs: The per-run table (`RunResult.runs`): `replicate`, `member`, `step_disengaged`,
            `step_withdrawn`.
        draws: The draw of each row of `runs` (`alliance_sim.runs.predictive`).
        members: Order of the members (default: order of appearance).

    Returns:
        One row per member and outcome (`disengaged`, `withdrawn`): `member`, `outcome`,
        `p`, `low`, `high`, `mc_low`, `mc_high`, `total`, `calibration`, `chance`,
        `calibration_share` (NaN when the total is 0), `draws`.
    """
    draws = np.asarray(draws, dtype=np.int64)
    order = members if members is not None else list(dict.fromkeys(runs["member"]))
    member = runs["member"].astype(object).to_numpy()
    rows = []
    for m in order:
        mask = member == m
        group = draws[mask]
        keys, index = np.unique(group, return_inverse=True)
        sizes = np.bincount(index).astype(float)
        for outcome in ("disengaged", "withdrawn"):
            y = runs.loc[mask, f"step_{outcome}"].notna().to_numpy(dtype=float)
            n = y.size
            p = float(y.mean())
            shares = np.bincount(index, weights=y) / sizes
            between = float(np.sum(sizes * (shares - p) ** 2) / n)
            within = float(np.sum(sizes * shares * (1.0 - shares)) / n)
            total = between + within  # = p (1 - p), the variance of Y
            mean_size = n / len(keys)
            noise = within / (mean_size - 1.0) if mean_size > 1 else 0.0
            calibration = min(total, max(0.0, between - noise))
            wilson_low, wilson_high = wilson(int(y.sum()), n)
            mc_low, mc_high = float(wilson_low), float(wilson_high)
            q_low, q_high = weighted_quantiles(shares, sizes, PREDICTIVE_QUANTILES)
            rows.append(
                {
                    "member": m,
                    "outcome": outcome,
                    "p": p,
                    "low": min(q_low, mc_low),
                    "high": max(q_high, mc_high),
                    "mc_low": mc_low,
                    "mc_high": mc_high,
                    "total": total,
                    "calibration": calibration,
                    "chance": total - calibration,
                    "calibration_share": calibration / total if total > 0 else float("nan"),
                    "draws": len(keys),
                }
            )
    return pd.DataFrame(rows)


def kaplan_meier(runs: pd.DataFrame, event: str = "withdrawn", horizon: int | None = None) -> pd.DataFrame:
    """Kaplan-Meier estimate of staying in the alliance, per member (`scipy.stats.ecdf`).

    Every replicate is followed from step 0 to the horizon; the time to `event` is the
    first step with that status (runs where it never happens are censored at the horizon).

    Args:
        runs: The per-run table (see `defection_table`).
        event: `disengaged` (first step disengaged or withdrawn) or `withdrawn`.
        horizon: Last step (default: the largest `steps` in the table).

    Returns:
        Columns `member` (and `point` if present), `step`, `at_risk`, `events`,
        `survival`, `low`, `high` (Greenwood 95% interval, log-log transformed; equal to
        the estimate where it is 0 or 1).
    """
    from scipy.stats import CensoredData, ecdf

    groups = [c for c in ("point",) if c in runs.columns] + ["member"]
    if horizon is None:
        horizon = int(runs["steps"].max())
    steps = np.arange(horizon + 1)
    frames = []
    for key, part in runs.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        times = part[f"step_{event}"].to_numpy(dtype=float, na_value=np.nan)
        happened = times[~np.isnan(times)]
        counts = np.bincount(happened.astype(np.int64), minlength=horizon + 1)[: horizon + 1]
        at_risk = len(times) - np.concatenate([[0], np.cumsum(counts)[:-1]])
        if happened.size:
            censored = np.full(len(times) - happened.size, float(horizon))
            result = ecdf(CensoredData(uncensored=happened, right=censored)).sf
            survival = result.evaluate(steps)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                interval = result.confidence_interval(0.95, method="log-log")
                low, high = interval.low.evaluate(steps), interval.high.evaluate(steps)
            flat = ~np.isfinite(low) | ~np.isfinite(high) | (survival <= 0) | (survival >= 1)
            low, high = np.where(flat, survival, low), np.where(flat, survival, high)
        else:
            survival = low = high = np.ones(horizon + 1)
        frame = pd.DataFrame(
            {
                "step": steps,
                "at_risk": at_risk.astype(np.int64),
                "events": counts.astype(np.int64),
                "survival": survival,
                "low": low,
                "high": high,
            }
        )
        for name, value in reversed(list(zip(groups, key, strict=True))):
            frame.insert(0, name, value)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*groups, "step", "at_risk", "events", "survival", "low", "high"])
    return pd.concat(frames, ignore_index=True)


# --- Sensitivity analysis (sweeps) ---------------------------------------------------


def replicate_noise(p: np.ndarray, replicates: np.ndarray | int) -> float:
    """Variance that replicate noise adds to a design point's estimated probability.

    A probability estimated from n replicates has sampling variance p(1 - p) / n, and
    p_hat(1 - p_hat) / (n - 1) estimates it without bias; this returns its mean over the
    design points.

    Args:
        p: Estimated probability at each design point.
        replicates: Replicates behind each estimate (or one number for all).

    Returns:
        The mean noise variance sigma^2, or NaN with a single replicate.
    """
    p = np.asarray(p, dtype=float)
    n = np.broadcast_to(np.asarray(replicates, dtype=float), p.shape)
    if p.size == 0 or np.any(n < 2):
        return float("nan")
    return float(np.mean(p * (1.0 - p) / (n - 1.0)))


def sobol_indices(
    problem: dict[str, Any], y: np.ndarray, *, noise: float = float("nan"), resamples: int = 200, seed: int = 0
) -> pd.DataFrame:
    """First- and total-order Sobol indices (Saltelli sample, SALib) with 95% intervals.

    Args:
        problem: SALib problem (names, bounds) the sample was drawn for.
        y: Model output at each point of the sample, in sample order.
        noise: Replicate noise variance of `y` (see `replicate_noise`).
        resamples: Bootstrap resamples for the intervals.
        seed: Seed of the bootstrap.

    Returns:
        Rows `parameter`, `index` (S1 or ST), `value`, `conf` (half-width of the 95%
        interval) and `noise_floor`: sigma^2 / Var(y), the share of the output variance
        that replicate noise alone explains. Noise adds about that much to every total
        index; an index below it cannot be told apart from noise.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib warns when parts of y are constant
        result = sobol.analyze(problem, y, calc_second_order=False, num_resamples=resamples, conf_level=0.95, seed=seed)
    variance = float(np.var(y))
    floor = noise / variance if variance > 0 else float("nan")
    rows = []
    for k, name in enumerate(problem["names"]):
        for index in ("S1", "ST"):
            rows.append(
                {
                    "parameter": name,
                    "index": index,
                    "value": float(result[index][k]),
                    "conf": float(result[f"{index}_conf"][k]),
                    "noise_floor": floor,
                }
            )
    return pd.DataFrame(rows)


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int = 4,
    noise: float = float("nan"),
    resamples: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris screening (SALib): mu* with its 95% interval, and sigma.

    Args:
        problem: SALib problem the trajectories were drawn for.
        x: The sample (points x parameters), in sample order.
        y: Model output at each point.
        levels: Levels of the Morris grid.
        noise: Replicate noise variance of `y` (see `replicate_noise`).
        resamples: Bootstrap resamples for the interval of mu*.
        seed: Seed of the bootstrap.

    Returns:
        Rows `parameter`, `index` (mu_star or sigma), `value`, `conf` (NaN for sigma) and
        `noise_floor`: the mu* that replicate noise alone gives, 2 sigma_noise /
        (sqrt(pi) delta) with delta = levels / (2 (levels - 1)), the step in unit scale.
    """
    from SALib.analyze import morris

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    result = morris.analyze(problem, x, y, num_resamples=resamples, conf_level=0.95, num_levels=levels, seed=seed)
    delta = levels / (2.0 * (levels - 1))
    floor = 2.0 * math.sqrt(noise) / (math.sqrt(math.pi) * delta) if noise == noise else float("nan")
    rows = []
    for k, name in enumerate(problem["names"]):
        rows.append(
            {
                "parameter": name,
                "index": "mu_star",
                "value": float(result["mu_star"][k]),
                "conf": float(result["mu_star_conf"][k]),
                "noise_floor": floor,
            }
        )
        rows.append(
            {
                "parameter": name,
                "index": "sigma",
                "value": float(result["sigma"][k]),
                "conf": float("nan"),
                "noise_floor": floor,
            }
        )
    return pd.DataFrame(rows)


def _lower_median_labels(runs: pd.DataFrame, groups: list[str], column: str, table: pd.DataFrame) -> np.ndarray:
    """Per group, the lower median of the non-empty labels in `column` ("" when none)."""
    present = runs.loc[runs[column].notna(), [*groups, column]]
    present[column] = present[column].astype(str)
    if present.empty:
        return np.full(len(table), "", dtype=object)
    present = present.sort_values([*groups, column], kind="stable")
    rank = present.groupby(groups, sort=False).cumcount().to_numpy()
    count = present.groupby(groups, sort=False)[column].transform("size").to_numpy()
    medians = present[rank == (count - 1) // 2]
    merged = table[groups].merge(medians, on=groups, how="left")
    return np.asarray(merged[column].astype(object).fillna("").to_numpy(dtype=object))
