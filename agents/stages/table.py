"""The six stages of Chapter 1.8's checklist, declared once: the graph's nodes, the LLM agents' prompts and
checks, the writer's Table 1.8.1 and the chat's stage messages all read this table.

Each stage's question for the LLM and how the chapter decides it are prompt text, in prompts/stages.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ceiling.agents.stages import axis_agent, ceiling_agent, metric_agent, mode_agent, tax_agent, topology_agent


@dataclass(frozen=True)
class Stage:
    number: int
    name: str  # the one name a stage has everywhere: node s<number>_<name>, StageDecision.name, the chat's title
    label: str  # its row of Table 1.8.1: "<number>. <label>"
    question: str  # Table 1.8.1's question
    section: str  # the chapter section the stage comes from
    agent: ModuleType  # the rule agent: agent.decide(state) -> StageDecision
    choices: tuple[str, ...] | None  # the answers an LLM may give (None: a list of axes)
    evidence_keys: tuple[str, ...]  # what the LLM's prompt shows of the rule agent's evidence
    tools: tuple[str, ...]  # what the LLM may call on the tool path: retrieve and the formulas the question turns on
    drop: frozenset[str] = frozenset()  # evidence the prompt leaves out (still in the numbers ledger)
    reason_in_numbers: bool = False  # the answer follows from numbers (pressures, the tax against its budget)

    @property
    def node(self) -> str:
        return f"s{self.number}_{self.name}"

    @property
    def row(self) -> tuple[str, str, str]:
        return f"{self.number}. {self.label}", self.question, self.section


STAGES: tuple[Stage, ...] = (
    Stage(1, "ceiling", "Ceiling", "Which resource ran out: data, model, or throughput?", "Section 1.1",
          ceiling_agent, ("data", "model", "throughput", "none"), ("ceiling", "pressures"),
          ("retrieve", "training_compute"), reason_in_numbers=True),
    Stage(2, "axis", "Axis", "Which of the six axes does that ceiling force?", "Section 1.2",
          axis_agent, None, ("axes", "distribute", "primary"), ("retrieve",)),
    Stage(3, "topology", "Topology", "Centralized, decentralized, or hybrid?", "Section 1.4",
          topology_agent, ("single-machine", "centralized", "decentralized", "hybrid"),
          ("distribute", "share_data", "spof_ok", "multi_region", "parties"), ("retrieve",)),
    Stage(4, "mode", "Mode", "Batch, streaming, online, or interactive?", "Section 1.5",
          mode_agent, ("batch", "streaming", "online", "interactive"),
          ("arrival", "model_updates_per_example", "workload", "slo_ms"), ("retrieve",)),
    Stage(5, "metric", "Metric", "Optimize throughput, latency, cost, or reliability?", "Section 1.6",
          metric_agent, ("throughput", "latency", "cost", "reliability"),
          ("mode", "cost_focus", "reliability_focus", "slo_stated"), ("retrieve", "comm_tax")),
    # Stage 6 turns on the tax against the budget; the tax's own inputs (workers, bytes, bandwidth) are a third
    # of its prompt, so the prompt leaves them out (the prose may still quote them: they are in the ledger).
    Stage(6, "tax", "Tax", "What communication and failure cost must we budget?", "Section 1.1",
          tax_agent, ("within budget", "over budget"), ("communication", "failure"),
          ("retrieve", "comm_tax", "allreduce_time", "failure_probability"), frozenset({"inputs"}), True),
)  # fmt: skip
BY_NUMBER: dict[int, Stage] = {stage.number: stage for stage in STAGES}
BY_NODE: dict[str, Stage] = {stage.node: stage for stage in STAGES}


def decide_all(facts, machine) -> dict:
    """The rule agents' six decisions (stage -> StageDecision) for `facts` on the design as described (no LLM, ~ms)."""
    from ceiling.agents.scoring.taxes import Design

    probe: dict = {"facts": facts, "machine": machine, "design": Design(), "loops": 0, "decisions": {}}
    for stage in STAGES:
        probe["decisions"] = {**probe["decisions"], stage.number: stage.agent.decide(probe)}
    return probe["decisions"]
