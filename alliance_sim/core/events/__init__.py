"""Event kinds: one module per kind, registered by `type` (see `base`).

Importing this package registers the built-in kinds, in the order of the docs table.
A new kind is one new module holding one `EventKind` subclass; import it here to make
it built in (`docs/architecture.md`, "Event kinds: adding one").
"""

from __future__ import annotations

# The built-in kinds, in the order of the docs table (importing a module registers its kind).
# isort: off
from alliance_sim.core.events import attack  # noqa: F401
from alliance_sim.core.events import border_clash  # noqa: F401
from alliance_sim.core.events import regime_crisis  # noqa: F401
from alliance_sim.core.events import assistance_request  # noqa: F401
from alliance_sim.core.events import war_drain  # noqa: F401
from alliance_sim.core.events import protest  # noqa: F401
from alliance_sim.core.events import outside_offer  # noqa: F401
from alliance_sim.core.events import summit  # noqa: F401
from alliance_sim.core.events import coercion  # noqa: F401
from alliance_sim.core.events import silence  # noqa: F401

# isort: on
from alliance_sim.core.events.base import (
    REGISTRY,
    Condition,
    Event,
    EventKind,
    EventSpec,
    Form,
    HazardEvent,
    Request,
    ScriptedEvent,
    event_union,
    happens,
    kind_of,
    raise_share,
    register,
    unregister,
)

__all__ = [
    "REGISTRY",
    "Condition",
    "Event",
    "EventKind",
    "EventSpec",
    "Form",
    "HazardEvent",
    "Request",
    "ScriptedEvent",
    "event_union",
    "happens",
    "kind_of",
    "raise_share",
    "register",
    "unregister",
]
