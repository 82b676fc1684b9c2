"""A plain Mesa model of the size of the alliance benchmarks: the yardstick of the Mesa path.

Eight agents, 120 steps, one data collection per step, written the way the Mesa examples
are: each agent keeps its numbers as attributes, updates them from the others and from
the model's random generator, and a `DataCollector` records one model and two agent
quantities per step. Such a model takes about 8 ms a run on a 2-core machine; the
Mesa path of alliance-sim must stay within 2x of it.
"""

from __future__ import annotations

import mesa
from mesa.datacollection import DataCollector


class State(mesa.Agent):
    """A state with a trust in the others, a pressure to leave, and a status."""

    def __init__(self, model: PlainAlliance, power: float) -> None:
        super().__init__(model)
        self.power = power
        self.trust = 0.5
        self.pressure = 0.0
        self.status = 0

    def step(self) -> None:
        """Answer a random request, learn from the others, weigh staying, maybe change status."""
        others = [a for a in self.model.agents if a is not self]
        helped = sum(a.power for a in others if self.random.random() < a.trust)
        total = sum(a.power for a in others)
        self.trust = 0.9 * self.trust + 0.1 * (helped / total)
        value = self.trust * total - 0.3 * self.random.random()
        self.pressure = 0.7 * self.pressure + 0.3 * (0.2 - value)
        if self.status == 0 and self.pressure > 0.1 and self.random.random() < 0.1:
            self.status = 1
        elif self.status == 1 and self.pressure < 0.0 and self.random.random() < 0.1:
            self.status = 0


class PlainAlliance(mesa.Model):
    """Eight states, one step a month."""

    def __init__(self, agents: int = 8, steps: int = 120, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.horizon = steps
        for k in range(agents):
            State(self, power=0.01 + 0.01 * k)
        self.datacollector = DataCollector(
            model_reporters={"cohesion": lambda m: sum(a.status == 0 for a in m.agents) / len(m.agents)},
            agent_reporters={"trust": "trust", "pressure": "pressure"},
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """All agents act in random order, then one data collection."""
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)
        if self.steps >= self.horizon:
            self.running = False

    def run(self) -> PlainAlliance:
        """Run to the horizon."""
        while self.running:
            self.step()
        return self
