"""The design's own fleet against the need (issue 24, part 1): each binding ceiling's need, in the
unit it is counted in, beside what the text says the design runs.

A ceiling's ratio is its need over one reference unit: one accelerator's memory for the model,
one reference node for training compute and serving throughput, one machine's disk or memory
for the data. The stated fleet is read as devices (`workers`) and, when given, devices per node.

Worked example: a 70B model served in bf16 on 64 GPUs (8 nodes of 8) whose throughput ceiling
is 13.2x one node needs 14 nodes; the fleet stated has 8, short by 6. An LLM service names its
phases: 2,000 req/s of 1,500-token prompts need 107 nodes for prefill alone, 49 for decode.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from ceiling.agents.scoring.pressures import Pressure


class FleetNeed(BaseModel):
    ceiling: str
    unit: str  # "nodes", "accelerators" or "machines"
    needed: int
    stated: float
    short: bool
    parts: dict[str, int] = {}  # a need made of phases (an LLM's prefill and decode): each one's count

    def sentence(self) -> str:
        phases = ", ".join(f"{phase} alone {count:,}" for phase, count in self.parts.items())
        need = f"the {self.ceiling} ceiling needs about {self.needed:,} {self.unit}" + (f" ({phases})" * bool(phases))
        if self.short:
            return f"{need}; the design states {self.stated:,.0f}, short by {self.needed - self.stated:,.0f}"
        return f"{need}; the design states {self.stated:,.0f}"


def _count(ratio: float) -> int:
    """Whole units a need of `ratio` units takes (at least one)."""
    return max(1, math.ceil(ratio - 1e-9))


def fleet_needs(
    pressures: dict[str, Pressure], devices: float | None, nodes: float | None, gpus_per_reference_node: int
) -> list[FleetNeed]:
    """One line per binding ceiling, for the part of the fleet the text states; [] when it states none.

    devices: accelerators the design runs; nodes: its machines (either may be unknown: a count of
    devices is read as reference nodes of `gpus_per_reference_node`, and a count of nodes gives no
    count of accelerators)."""
    if nodes is None and devices:
        nodes = devices / gpus_per_reference_node
    stated = {"model": ("accelerators", devices), "throughput": ("nodes", nodes), "data": ("machines", nodes)}
    found = []
    for name, pressure in pressures.items():
        unit, have = stated[name]
        if not pressure.binds or pressure.unit == "parties" or not have:  # a legal boundary needs sites
            continue
        needed = _count(pressure.ratio)
        parts = {phase: _count(ratio) for phase, ratio in pressure.parts.items()}
        found.append(
            FleetNeed(ceiling=name, unit=unit, needed=needed, stated=have, short=needed > have + 1e-9, parts=parts)
        )
    return found
