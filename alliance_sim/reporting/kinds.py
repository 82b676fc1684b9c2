"""The names of the figure kinds and file formats, without importing matplotlib.

The command line builds its choices from these; `alliance_sim.reporting.figures.standard`
maps each name to its function (a test keeps the two in step).
"""

RUN_KIND_NAMES = ("trajectories", "status", "probabilities", "survival", "trust")
"""Figure kinds of a run, in the order of the standard set."""
SWEEP_KIND_NAMES = ("heatmap", "sensitivity")
"""Figure kinds of a sweep."""
POSTERIOR_KIND_NAMES = ("posterior", "posterior_pairs")
"""Figure kinds of the posterior a run drew from (in its standard set when it drew from one)."""
KINDS = (*RUN_KIND_NAMES, *SWEEP_KIND_NAMES, *POSTERIOR_KIND_NAMES)
"""Every figure kind."""
FORMATS = ("png", "svg", "pdf")
"""File formats figures are written in."""
