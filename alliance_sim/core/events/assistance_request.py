"""`assistance_request`: a member asks the alliance for help, and nothing else happens."""

from __future__ import annotations

from typing import ClassVar

from alliance_sim.core.events.base import Event, EventKind, EventSpec


class AssistanceRequest(EventKind):
    """A request only (against `source`, or internal unrest when it has none)."""

    type: ClassVar[str] = "assistance_request"
    needs = "`target` (and `source` for the attacker, if any)"
    effect = "a request only"

    def request_count(self, spec: EventSpec) -> int:
        """Always one request."""
        return 1

    def slots(self, event: Event, m: int) -> int:
        """Always one request, whatever `request` says."""
        return 1
