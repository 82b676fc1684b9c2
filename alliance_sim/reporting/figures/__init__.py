"""Figures from results: one function per kind, each returning a matplotlib `Figure`.

Kinds for a run (`RunResult`):

- `trajectories`: trust in the hegemon and pressure to leave, per member: the median
  across replicates with 50% and 90% bands, scripted events marked on a calendar axis.
- `status`: with one replicate (or `replicate=r`), a bar per member coloured by status;
  with many, the share of replicates in each status by month, stacked.
- `probabilities`: each member's probability of disengaging and of withdrawing within
  the horizon, with 95% Wilson intervals (`alliance_sim.runs.statistics.defection_table`);
  for a run that drew from a posterior, also the wider posterior predictive interval.
- `survival`: Kaplan-Meier curves of staying engaged and of staying a member, with 95%
  Greenwood intervals (`alliance_sim.runs.statistics.kaplan_meier`).
- `trust`: the trust matrix (observer's trust in each ally, mean across replicates) as
  heatmaps at chosen months; needs the `trust` table (`outputs.trust_matrix: true`).

Kinds of the posterior a run drew from (in its standard set when it drew from one):
`posterior` (prior against posterior per parameter) and `posterior_pairs` (the particles
over the most correlated pairs of parameters).

Kinds for a sweep (`SweepResult`): `heatmap` (one member's defection probability over
two swept parameters) and `sensitivity` (sensitivity indices with their intervals).
`compare_figure` sets several runs side by side (baseline against what-ifs).

Figures of `explain` (an `ExplainResult`, read back with `load_explain`): `terms_figure`
(per member, the named terms over time as stacked areas: what pushes it out above zero,
what holds it in below) and `knockouts_figure` (a forest plot of the knock-out table).

Style: one colour per member in every figure (Okabe-Ito, colour-blind-safe: the hegemon
black, the others in scenario order), titles naming the scenario and the number of
replicates, calendar months on time axes, fonts sized for slides. A state recorded at
step s (the end of month s - 1) is drawn at the first day of month s; a scripted event
is drawn at the middle of its month. Figures are built as `Figure` objects on the Agg
canvas, never through `matplotlib.pyplot`, so figures can be made from several threads.

Modules: `style` (colours, fonts, layout), `scenario` (names, members, colours of a
result), `timeline` (calendar axes, scripted events), `runs` (trajectories, status),
`defection` (probabilities, survival), `posterior` (prior against posterior, pairs of
parameters), `trust` (the trust matrix), `sweeps` (heatmap,
sensitivity), `compare` (`compare_figure`), `explain` (the figures of `explain`) and
`standard` (`plot`, the standard set, `load_results`, `save_figure`). Everything public is
importable from `alliance_sim.reporting.figures`.
"""

from alliance_sim.reporting.figures.compare import MARKERS, compare_figure
from alliance_sim.reporting.figures.defection import probabilities_figure, survival_figure
from alliance_sim.reporting.figures.explain import (
    ExplainResult,
    explain_figures,
    is_explain_folder,
    knockouts_figure,
    load_explain,
    terms_figure,
)
from alliance_sim.reporting.figures.posterior import pairs_figure, posterior_figure, posterior_of, strongest_pairs
from alliance_sim.reporting.figures.runs import quantile_bands, status_figure, status_shares, trajectories_figure
from alliance_sim.reporting.figures.scenario import (
    colours_of,
    display_name,
    hegemon,
    member_colours,
    member_order,
    scenario_name,
    scenario_of,
)
from alliance_sim.reporting.figures.standard import (
    FORMATS,
    KINDS,
    POSTERIOR_KINDS,
    RUN_KINDS,
    SWEEP_KINDS,
    figure_bytes,
    is_sweep,
    load_results,
    plot,
    save_figure,
    save_standard_figures,
    standard_figures,
    standard_kinds,
    standard_plan,
    varying_outcomes,
)
from alliance_sim.reporting.figures.style import (
    EVENT_COLOUR,
    FONT,
    HEGEMON_COLOUR,
    LEGEND_ROW,
    OKABE_ITO,
    PROBABILITY_CMAP,
    QUANTITY_LABELS,
    SMALL,
    STATUS_COLOURS,
    STATUS_ORDER,
    STRIP_ROW,
    TITLE,
    TRUST_CMAP,
    WIDTH,
)
from alliance_sim.reporting.figures.sweeps import INDEX_LABELS, heatmap_cells, heatmap_figure, sensitivity_figure
from alliance_sim.reporting.figures.timeline import (
    event_clusters,
    event_label,
    month_middle,
    scripted_events,
    step_dates,
)
from alliance_sim.reporting.figures.trust import trust_figure, trust_matrix

__all__ = [
    "EVENT_COLOUR",
    "FONT",
    "FORMATS",
    "HEGEMON_COLOUR",
    "INDEX_LABELS",
    "KINDS",
    "LEGEND_ROW",
    "MARKERS",
    "OKABE_ITO",
    "POSTERIOR_KINDS",
    "PROBABILITY_CMAP",
    "QUANTITY_LABELS",
    "RUN_KINDS",
    "SMALL",
    "STATUS_COLOURS",
    "STATUS_ORDER",
    "STRIP_ROW",
    "SWEEP_KINDS",
    "TITLE",
    "TRUST_CMAP",
    "WIDTH",
    "ExplainResult",
    "colours_of",
    "compare_figure",
    "display_name",
    "event_clusters",
    "event_label",
    "explain_figures",
    "figure_bytes",
    "heatmap_cells",
    "heatmap_figure",
    "hegemon",
    "is_explain_folder",
    "is_sweep",
    "knockouts_figure",
    "load_explain",
    "load_results",
    "member_colours",
    "member_order",
    "month_middle",
    "pairs_figure",
    "plot",
    "posterior_figure",
    "posterior_of",
    "probabilities_figure",
    "quantile_bands",
    "save_figure",
    "save_standard_figures",
    "scenario_name",
    "scenario_of",
    "scripted_events",
    "sensitivity_figure",
    "standard_figures",
    "standard_kinds",
    "standard_plan",
    "status_figure",
    "status_shares",
    "step_dates",
    "strongest_pairs",
    "survival_figure",
    "terms_figure",
    "trajectories_figure",
    "trust_figure",
    "trust_matrix",
    "varying_outcomes",
]
