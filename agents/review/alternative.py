"""The strongest alternative design along a different primary axis, and why the ceiling and
the two taxes make it worse (Exercise 1.8.3)."""

from __future__ import annotations

from ceiling.agents.schemas import Alternative
from ceiling.agents.scoring import formulas as scoring
from ceiling.agents.stages.axis_agent import AXIS_WORDS

_PRIMARY_AXES = ("data", "training", "model", "inference")
_RIVAL_PREFERENCE = ("model", "data", "inference", "training")


def propose(state: dict) -> Alternative:
    d = state["decisions"]
    facts, machine = state["facts"], state["machine"]
    ceiling = d[1].evidence.ceiling
    pressures = d[1].evidence.pressures
    axes = d[2].evidence.axes
    distribute = d[2].evidence.distribute
    failure = d[6].evidence.failure
    if ceiling == "none" or not distribute:
        other = max(_PRIMARY_AXES, key=lambda a: axes[a])
        n = 4
        p_down = scoring.p_failure_within(24.0, scoring.fleet_mtbf_h(facts.num("mtbf") or 50_000.0, n * machine.gpus))
        return Alternative(
            design=f"scale out anyway: {AXIS_WORDS[other]} across {n} machines behind a coordinator",
            why_worse=(
                f"No ceiling binds (highest ceiling pressure {max(p.pressure for p in pressures.values()):.2f} < "
                f"0.50), so {n} machines relieve nothing. "
                "They add a network hop to every unit of work (communication tax) "
                f"and raise P(some failure in 24 h) from {failure.p_any_down:.2%} to {p_down:.2%} (failure tax), "
                "for the same result one machine already gives."
            ),
        )
    primary = d[2].evidence.primary or distribute[0]
    relief = pressures[ceiling]
    machines = d[1].evidence.machines_needed
    scale_up = (
        f"Scale-up on one bigger machine is no escape either: the need is {relief.ratio:,.1f}x {machine.name}, "
        f"about {machines:,} machines' worth."
    )
    # The strongest rival: the highest-pressure primary axis the design does not already distribute; near-ties go
    # to the classic over-engineering moves (shard the model, shard the data) the chapter warns about.
    candidates = [a for a in _RIVAL_PREFERENCE if a != primary and a not in distribute]
    if not candidates:  # every primary axis is already spread: the only rival left is not spreading at all
        return Alternative(design=f"one bigger machine instead of {AXIS_WORDS[primary]}", why_worse=scale_up)
    top = max(axes[a] for a in candidates)
    other = next(a for a in candidates if axes[a] >= top - 0.1)
    text = (
        f"The {ceiling} ceiling binds at {relief.pressure:.2f} ({relief.ratio:,.1f}x one machine) and only "
        f"{AXIS_WORDS[primary]} relieves it; "
        f"{AXIS_WORDS[other]} scores {axes[other]:.2f}, so its ceiling is not the one that ran out."
    )
    if other == "model":
        text += (
            " Sharding the model puts a collective on every forward pass (per-layer all-reduce or pipeline hops) on "
            "top of the existing tax, "
            "and a replica now spans several devices, so one device failure takes the whole replica down: both taxes "
            "rise while the binding ceiling stays."
        )
    elif other in ("inference", "training"):
        text += (
            f" Replicating for {other} multiplies copies of a workload whose limit is {ceiling}, not request volume: "
            f"each copy still hits the same {ceiling} wall, "
            f"and every extra machine adds failure tax (fleet MTBF falls as 1/N)."
        )
    else:
        text += (
            " Sharding the data adds a shuffle across the network (communication tax) and more machines that can fail, "
            "while the resource that actually ran out is untouched."
        )
    text += " " + scale_up
    return Alternative(design=f"{AXIS_WORDS[other]} instead of {AXIS_WORDS[primary]}", why_worse=text)
