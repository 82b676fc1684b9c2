"""The house style of every figure: colours, fonts, the standard width, and layout helpers.

One colour per member in every figure (Okabe-Ito, colour-blind-safe: the hegemon black,
the others in scenario order), fonts sized for slides. Figures are built as `Figure`
objects on the Agg canvas, never through `matplotlib.pyplot`, so figures can be made from
several threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
"""Okabe-Ito colours for members other than the hegemon, in scenario order (cycled)."""
HEGEMON_COLOUR = "#000000"
"""The hegemon's colour (Okabe-Ito black)."""
STATUS_COLOURS = {"member": "#DADAEB", "disengaged": "#9E9AC8", "withdrawn": "#54278F"}
"""Statuses as a light-to-dark sequence (distinct from the member colours)."""
EVENT_COLOUR = "#555555"
TRUST_CMAP = "RdBu"
"""Trust heatmaps: diverging around 0.5 (red distrust, blue trust; ColorBrewer, colour-blind-safe)."""
PROBABILITY_CMAP = "viridis"
"""Sweep heatmaps of probabilities (perceptually uniform, colour-blind-safe)."""
WIDTH = 13.33
"""Figure width in inches (a 16:9 slide is 13.33 x 7.5)."""
FONT, SMALL, TITLE = 13, 11, 16
"""Font sizes in points: labels, ticks and keys, titles."""
QUANTITY_LABELS = {
    "trust_in_hegemon": "Trust in the hegemon",
    "pressure": "Pressure to leave",
    "credibility": "Credibility of the alliance",
    "value_stay": "Value of staying",
    "value_leave": "Value of leaving",
    "grievance": "Grievance",
    "max_threat": "Largest threat",
}
STATUS_ORDER = ("member", "disengaged", "withdrawn")
LEGEND_ROW, STRIP_ROW = 0.3, 0.5
"""Heights in inches of the legend row and of the event strip of time figures."""


def new_figure(height: float) -> Figure:
    """A figure of the standard width on the Agg canvas, with constrained layout."""
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Any) -> None:
    """The house style of a panel: small ticks, a light grid behind, no top or right spine."""
    ax.tick_params(labelsize=SMALL)
    ax.grid(True, color="#E5E5E5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def figure_title(fig: Figure, what: str, subtitle: str) -> None:
    """The figure's title over its subtitle."""
    fig.suptitle(f"{what}\n{subtitle}", fontsize=TITLE, linespacing=1.4)


def legend_row(ax: Any, handles: list[Any]) -> None:
    """An invisible axis holding a one-line legend (under the title, above the panels)."""
    ax.axis("off")
    ax.legend(
        handles=handles,
        loc="center",
        ncols=len(handles),
        fontsize=SMALL,
        frameon=False,
        handlelength=2.5,
        columnspacing=2.0,
    )


def colour_labels(labels: Sequence[Any], members: Sequence[str], colours: dict[str, str]) -> None:
    """Colour tick labels naming members in the members' colours."""
    for label, member in zip(labels, members, strict=False):
        label.set_color(colours[member])
        label.set_fontweight("bold")
