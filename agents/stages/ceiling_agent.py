"""Stage 1: which ceiling binds (Section 1.1). Numbers first: each ceiling's need vs the
reference machine's capacity, and the highest pressure wins if it reaches 0.5."""

from __future__ import annotations

from ceiling.agents.schemas import StageDecision
from ceiling.agents.scoring import pressures as P
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import CeilingEvidence


def decide(state: dict) -> StageDecision:
    facts, machine = state["facts"], state["machine"]
    ceilings = P.ceilings(facts, machine)
    binding = P.binding(ceilings, facts)
    order = sorted(ceilings, key=lambda name: -ceilings[name].pressure)
    line = {name: f"{name} {ceilings[name].pressure:.2f} ({ceilings[name].inputs})" for name in order}
    lines = [line[name] for name in order]
    stated = facts.text("stated_ceiling")
    if binding == "none" and stated in ceilings:
        # A ceiling stated in words and no number to weigh it: it binds as stated, and the review says so.
        binding, answer = stated, stated
        why = (
            f'{stated.capitalize()} binds as stated in the text, not computed: "{facts.stated_ceiling.quote}". '
            f"The numbers the text gives do not show it on {machine.name} ("
            + "; ".join(lines)
            + "); give the size or load to have it computed."
        )
    elif binding == "none":
        answer = "none"
        why = (
            f"No ceiling binds on {machine.name}: "
            + "; ".join(lines)
            + ". Every need fits inside one machine, so the correct design is a single machine and the rest of the "
            "checklist is moot: "
            "distribution is forced by a ceiling, never chosen for elegance."
        )
    else:
        c = ceilings[binding]
        others = [n for n, p in ceilings.items() if n != binding and p.binds]
        answer = binding + (f" (also {', '.join(others)})" if others else "")
        why = (
            f"{binding.capitalize()} binds at pressure {c.pressure:.2f} on {machine.name} ({c.ratio:,.2f}x its "
            f"capacity: {c.inputs}). The other ceilings: "
            + "; ".join(line[name] for name in order if name != binding)  # the binding one's numbers said once
            + "."
            + (
                f" {' and '.join(others).capitalize()} binds as well, so two ceilings are active at once."
                if others
                else ""
            )
        )
    return StageDecision(
        stage=1,
        name="ceiling",
        answer=answer,
        justification=why,
        citations=cite(1, binding if binding in ("data", "model", "throughput") else "none"),
        evidence=CeilingEvidence(
            ceiling=binding,
            pressures=ceilings,
            binding_also=[n for n, p in ceilings.items() if n != binding and p.binds and binding != "none"],
            machines_needed=P.machines_needed(ceilings),
            break_evens=P.ceiling_break_evens(facts, ceilings, machine),
        ),
    )
