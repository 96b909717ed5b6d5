"""Stage 3: the simplest topology the axis and the trust boundaries allow (Section 1.4)."""

from __future__ import annotations

from ceiling.agents.schemas import StageDecision
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import TopologyEvidence


def choose(distribute: list[str], share_data: bool, spof_ok: bool, multi_region: bool) -> tuple[str, str]:
    if not distribute:
        return "single-machine", "no axis is distributed, so there is nothing to arrange: one machine"
    if not share_data:
        return (
            "decentralized",
            "no party may hold all the data, which forces peers with no single coordinator holding it",
        )
    if not spof_ok and not multi_region:
        return (
            "decentralized",
            "a single point of failure is unacceptable, so no single coordinator may sit on the path",
        )
    if multi_region:
        return "hybrid", "the system spans regions: centralized within a region, decentralized across regions"
    return (
        "centralized",
        "one trust domain and no ban on a coordinator, so the simplest choice is one coordinator (a balancer or "
        "scheduler) in front of many workers",
    )


def _said(flag: bool | None) -> str:
    """A flag as a reader says it: the text's yes or no, or that it says nothing."""
    return "not stated" if flag is None else ("yes" if flag else "no")


def decide(state: dict) -> StageDecision:
    facts, stage2 = state["facts"], state["decisions"][2]
    distribute = stage2.evidence.distribute
    share, spof, regions = facts.flag("share_data"), facts.flag("spof_ok"), facts.flag("multi_region")
    # A ban on sharing splits the data only when there are several parties to split it between.
    split = share is False and (facts.num("parties") or 0) >= 2
    topology, reason = choose(distribute, not split, spof is not False, bool(regions))
    facts_used = TopologyEvidence(
        distribute=distribute, share_data=share, spof_ok=spof, multi_region=regions, parties=facts.num("parties")
    )
    why = (
        f"Stage 2 {'distributes ' + ', '.join(distribute) if distribute else 'distributes nothing'}; {reason}. "
        f"Trust boundaries read from the text: may the parties pool their data? {_said(share)}; is a single point "
        f"of failure acceptable? {_said(spof)}; does it span regions? {_said(regions)}."
    )
    return StageDecision(
        stage=3, name="topology", answer=topology, justification=why, citations=cite(3, topology), evidence=facts_used
    )
