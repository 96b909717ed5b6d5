"""Stage 2: which of the six axes to distribute (Section 1.2), forced by the stage-1 ceiling."""

from __future__ import annotations

from ceiling.agents.schemas import StageDecision
from ceiling.agents.scoring import pressures as P
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import AxisEvidence

AXIS_WORDS = {
    "data": "distribute data",
    "training": "distribute training",
    "model": "distribute the model",
    "inference": "distribute inference",
    "coordination": "coordinate the cluster",
    "intelligence": "distribute intelligence",
}


# A model split over devices runs its training or its inference over them too (Megatron's tensor-parallel training,
# a sharded model behind a router): the model axis brings the workload's axis with it.
WORK_OF_A_SPLIT_MODEL = {"training": "training", "serving": "inference", "agents": "inference"}


def primary_axis(ceiling: str, workload: str) -> str | None:
    """The axis a ceiling points to (Section 1.2's mapping). A batch data job whose processing outgrows one
    machine is spread by its data (Part II: "shard + shuffle a >1-node corpus"), as training is by training."""
    if ceiling == "throughput":
        return {"training": "training", "data_pipeline": "data"}.get(workload, "inference")
    return {"data": "data", "model": "model"}.get(ceiling)


def decide(state: dict) -> StageDecision:
    facts, stage1 = state["facts"], state["decisions"][1]
    ceiling = stage1.evidence.ceiling
    axes = P.axis_pressures(facts, stage1.evidence.pressures, state["machine"].gpus)
    ranked = P.ranked(axes)
    primary = primary_axis(ceiling, facts.text("workload"))
    if state["design"].single_machine and primary is not None:
        distribute: list[str] = []
        why = (
            "The critic collapsed the design to one machine after the tax broke the budget, so no axis is "
            "distributed, "
            f"although the {ceiling} ceiling still points to {AXIS_WORDS[primary]} (pressure {axes[primary]:.2f})."
        )
        cited = ["tax_bound"]  # a situation of stage 2, not an axis: the tax itself binds
    elif primary is None and axes["intelligence"] >= P.BINDS_AT:
        # Section 1.8.1, Stage 2: "a system of many reasoning entities distributes intelligence", ceiling or not.
        distribute = ["intelligence"]
        why = (
            f"Stage 1 found no binding ceiling, but the system is {facts.num('agents'):g} reasoning agents "
            f"(intelligence pressure {axes['intelligence']:.2f}), and a system of many reasoning entities distributes "
            "intelligence. Not distributed: "
            + ", ".join(f"{a} ({p:.2f})" for a, p in ranked if a != "intelligence")
            + "."
        )
    elif primary is None:
        distribute: list[str] = []
        why = (
            "Stage 1 found no binding ceiling, so no axis is distributed: every axis pressure is below 0.5 ("
            + ", ".join(f"{a} {p:.2f}" for a, p in ranked)
            + "). One machine will do; spend the headcount on the product."
        )
    else:
        # A ceiling the text states in words beside the one its numbers show ("large-scale expert parallelism" in a
        # service whose load binds): the design spreads along that axis too.
        stated = facts.text("stated_ceiling")
        also = primary_axis(stated, facts.text("workload")) if stated and stated != ceiling else None
        split_model = "model" in (primary, also)
        work = WORK_OF_A_SPLIT_MODEL.get(facts.text("workload")) if split_model else None
        distribute = [primary] + [a for a in [also, work] if a] + [a for a, p in ranked if p >= P.BINDS_AT]
        distribute = list(dict.fromkeys(distribute))
        kept = [a for a, p in ranked if a not in distribute]
        forced = [a for a in distribute[1:] if a not in (work, also)]
        why = (
            f"The {ceiling} ceiling from stage 1 points to {AXIS_WORDS[primary]} (pressure {axes[primary]:.2f})"
            + (
                f'; the text also states a {stated} ceiling in words ("{facts.stated_ceiling.quote}"), which points to '
                f"{AXIS_WORDS[also]}"
                if also and also != primary
                else ""
            )
            + (f", and a model split over devices runs its {work} over them too" if work else "")
            + (f"; the pressures also force: {', '.join(AXIS_WORDS[a] for a in forced)}" if forced else "")
            + ". Not distributed: "
            + ", ".join(f"{a} ({axes[a]:.2f})" for a in kept)
            + "; distributing along an axis whose ceiling never bound adds cost without relief."
        )
    if not (state["design"].single_machine and primary is not None):
        cited = distribute or ["none"]
    return StageDecision(
        stage=2,
        name="axis",
        answer=", ".join(distribute) if distribute else "none (one machine)",
        justification=why,
        citations=cite(2, *cited),
        evidence=AxisEvidence(axes=axes, ranked=ranked, distribute=distribute, primary=primary),
    )
