"""Shared constrained types of every input format: numbers in bounds, ids, months, answers.

Every config model (the behavioural parameters here in `core`, the scenario in
`alliance_sim.scenario.config`, the event kinds in `alliance_sim.core.events`) builds on
these, so a bound or a pattern is written once. `FrozenModel` is their common base:
unknown keys are errors, instances are immutable, and field docstrings become
descriptions (which `docs/scenarios.md` is generated from).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
"""A number in [0, 1]."""

Weight = Annotated[float, Field(ge=0.0, le=10.0)]
"""A non-negative weight in [0, 10]."""

Coefficient = Annotated[float, Field(ge=-20.0, le=20.0)]
"""A signed logit coefficient in [-20, 20]."""

ActorId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
"""Lower-case identifier: letters, digits, underscores; starts with a letter."""

MONTH_PATTERN = r"^[0-9]{4}-[0-9]{2}$"
"""A month as ``YYYY-MM`` in ASCII digits (``\\d`` would also match other scripts' digits)."""

_MONTH = re.compile(MONTH_PATTERN)

Month = Annotated[str, Field(pattern=MONTH_PATTERN)]
"""A calendar month written ``YYYY-MM``."""


class FrozenModel(BaseModel):
    """Base of every config model: no unknown keys, immutable, field docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )


def parse_month(text: str) -> tuple[int, int]:
    """Split a ``YYYY-MM`` string into (year, month).

    Args:
        text: The month, for example ``"2022-09"``.

    Returns:
        The year and the month number (1-12).

    Raises:
        ValueError: If the text is not a valid calendar month (ASCII digits only).
    """
    match = _MONTH.match(str(text))
    if not match:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    year, month = int(match.group(0)[:4]), int(match.group(0)[5:])
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return year, month


def month_index(start: str, month: str) -> int:
    """Months from ``start`` to ``month`` (0 for the start month itself)."""
    y0, m0 = parse_month(start)
    y1, m1 = parse_month(month)
    return (y1 - y0) * 12 + (m1 - m0)


def month_label(start: str, index: int) -> str:
    """The ``YYYY-MM`` label of the month ``index`` months after ``start``."""
    y0, m0 = parse_month(start)
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class DecisionRule(StrEnum):
    """How the alliance turns its members' individual answers into one answer."""

    CONSENSUS = "consensus"
    """Full help needs every ally; a refusal makes it token; refusal needs the hegemon's (majority if it abstains)."""
    HEGEMON_LED = "hegemon_led"
    """The hegemon's answer is the alliance's answer."""
    MAJORITY = "majority"
    """The highest answer a strict majority of the voting allies gives at least (the lower median)."""


class Answer(StrEnum):
    """The alliance's answer to a request for assistance."""

    FULL = "full"
    """Troops or material help as the treaty promises."""
    TOKEN = "token"
    """A gesture: observers, statements, a promise to discuss."""
    REFUSED = "refused"
    """No help, or silence."""


ANSWER_LEVEL = {Answer.REFUSED: 0, Answer.TOKEN: 1, Answer.FULL: 2}
"""Answers as ordered levels, used by the dynamics."""
