"""`silence`: the alliance does nothing for a member in trouble, though nobody asked.

Non-action teaches. The articles report two emergencies of members to which "neither
the CSTO nor Moscow reacted" without a request for help on record: the Kyrgyz-Tajik
border war of September 2022 and Azerbaijan's taking of Artsakh in September 2023 ("the
inaction and tacit approval of Russian peacekeepers"). A member learns from such a silence
as from a request its allies refused, weighed by the event's `severity`: 1 teaches as much
as a refused request, 0 nothing. Nobody asked, so nobody refused a request: a silence
lowers trust but leaves no grievance (docs/model.md, "Silence").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from alliance_sim.core import dynamics as dyn
from alliance_sim.core.events.base import Event, EventKind, EventSpec

if TYPE_CHECKING:
    from alliance_sim.core.state import State
    from alliance_sim.core.world import World


class Silence(EventKind):
    """Every active ally other than the parties is seen to refuse, with weight `severity`."""

    type: ClassVar[str] = "silence"
    needs = "`target` (a member), optionally `source` (its adversary)"
    effect = (
        "no request is made; the target (and, times `trust.spillover`, every member still in the "
        "alliance) learns as from a refusal by every active ally, `severity` observations times "
        "`trust.learning`; no grievance, since nobody was asked"
    )

    def request_count(self, spec: EventSpec) -> int:
        """A silence raises no request."""
        return 0

    def slots(self, event: Event, m: int) -> int:
        """A silence raises no request, so it reserves no answer draws."""
        return 0

    def apply(self, world: World, state: State, event: Event, fired: np.ndarray) -> None:
        """Lower every observer's trust in the allies who stayed silent (no request: no grievance)."""
        trust = world.config.model.trust
        t, s = event.target, event.source
        assert t is not None
        where = np.asarray(fired) & (state.status[..., t] != dyn.WITHDRAWN)
        silent = state.status == dyn.MEMBER
        silent[..., t] = False
        if s is not None and s < world.m:
            silent[..., s] = False
        levels: np.ndarray = np.where(silent, dyn.REFUSED, dyn.ABSTAIN).astype(np.int8)
        answer = np.full(np.shape(where), dyn.REFUSED, dtype=np.int8)
        credit = dyn.attributed_credit(levels, answer, trust.vote_visibility, trust.token_credit)
        observers = (state.status != dyn.WITHDRAWN).astype(float)
        weights = dyn.observation_weights(t, silent.astype(float), observers, trust.spillover)
        weights = weights * (trust.learning * event.severity * where.astype(float))[..., None, None]
        state.alpha, state.beta = dyn.learn_from_answer(state.alpha, state.beta, credit, weights)
        state.alpha_int, state.beta_int = dyn.learn_from_answer(
            state.alpha_int, state.beta_int, credit, weights * trust.cross_domain
        )
