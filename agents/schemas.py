"""Pydantic schemas shared by every agent, deterministic or LLM-backed.

Quantities are stored in one canonical unit per field (see ``CANONICAL_UNITS``) so the
scoring tool can stay a set of plain float functions; pint does the conversion at the edge.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator, model_validator

from ceiling.agents import quantities
from ceiling.agents.stages.evidence import EVIDENCE_MODELS, Evidence

Workload = Literal["serving", "training", "data_pipeline", "agents", "unknown"]
Arrival = Literal["request", "feed", "bounded", "per_example_update", "unknown"]
Percentile = Literal["p50", "p90", "p95", "p99", "p999", "mean", "max", "unknown"]
Axis = Literal["data", "training", "model", "inference", "coordination", "intelligence"]
AXES: tuple[str, ...] = get_args(Axis)  # the six axes of Section 1.2, in the chapter's order: the one list
Ceiling = Literal["data", "model", "throughput", "none"]
Topology = Literal["single-machine", "centralized", "decentralized", "hybrid"]
Mode = Literal["batch", "streaming", "online", "interactive"]
Metric = Literal["throughput", "latency", "cost", "reliability"]


class Fact(BaseModel):
    """One extracted value: what it is, where it came from, or what we assumed instead."""

    model_config = ConfigDict(extra="forbid")

    value: float | bool | str | None = None
    unit: str = ""
    quote: str | None = Field(None, description="The text the value was read from.")
    assumed: bool = False
    assumption: str | None = Field(None, description="Why this value, when the text was silent.")

    @property
    def known(self) -> bool:
        return self.value is not None


CANONICAL_UNITS = quantities.CANONICAL_UNITS  # the canonical unit of every numeric field (pint spelling)


class _SystemFactsBase(BaseModel):
    """What SystemFacts does with its fields, which the registry declares."""

    model_config = ConfigDict(extra="forbid")

    def num(self, name: str) -> float | None:
        """The numeric value of a field in its canonical unit, or None."""
        value = getattr(self, name).value
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def flag(self, name: str) -> bool | None:
        value = getattr(self, name).value
        return value if isinstance(value, bool) else None

    def text(self, name: str) -> str | None:
        value = getattr(self, name).value
        return value if isinstance(value, str) else None

    def spans_sites(self) -> bool:
        """Training whose data stays with two or more owners: its rounds cross the sites' own links, not a fabric."""
        return (
            self.text("workload") == "training" and (self.num("parties") or 0) >= 2 and self.flag("share_data") is False
        )

    def assumptions(self) -> list[str]:
        return [
            f"{name}: {fact.assumption}"
            for name, fact in self
            if isinstance(fact, Fact) and fact.assumed and fact.assumption
        ]

    def facts(self):
        """(name, Fact) pairs, skipping the bookkeeping lists."""
        return [(name, fact) for name, fact in self if isinstance(fact, Fact)]


# The schema is the registry's rows in their order (the LLM prompts list the facts in it), before the lists.
SystemFacts = create_model(
    "SystemFacts",
    __base__=_SystemFactsBase,
    __module__=__name__,
    __doc__="Every quantity the six stages need, each with its unit and its provenance (agents/quantities.py).",
    **{q.name: (Fact, Field(default_factory=Fact, description=q.meaning)) for q in quantities.QUANTITIES},
    ignored_instructions=(
        list[str],
        Field(default_factory=list, description="text aimed at the reviewer, treated as data"),
    ),
    set_aside=(
        list[str],
        Field(
            default_factory=list, description="sections outside the design (non-goals, alternatives), with the reason"
        ),
    ),
    unread_numbers=(
        list[str],
        Field(default_factory=list, description="numbers of the text no quantity claimed, each with its sentence"),
    ),
    llm_filled=(
        list[str],
        Field(default_factory=list, description="fields the LLM facts agent added, each with a verified quote"),
    ),
)


class Citation(BaseModel):
    chunk_id: str
    section: str
    quote: str


class StageDecision(BaseModel):
    """What every stage agent returns, whichever engine made it."""

    stage: int = Field(ge=1, le=6)
    name: str
    answer: str
    justification: str
    citations: list[Citation] = Field(default_factory=list)
    evidence: Evidence = Field(description="numbers the answer rests on: the stage's own model (EVIDENCE_MODELS)")
    llm: dict | None = Field(
        None, description="what the LLM proposed for this stage and what the checks made of it (None: rules only)"
    )

    @model_validator(mode="before")
    @classmethod
    def _llm_record_apart(cls, data):
        """A decision stored before the LLM's record had its own field kept it in evidence["llm"]."""
        if isinstance(data, dict) and isinstance(data.get("evidence"), dict) and "llm" in data["evidence"]:
            evidence = dict(data["evidence"])
            llm = evidence.pop("llm")
            data = {**data, "evidence": evidence, "llm": data.get("llm") or llm}
        return data

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence_of_stage(cls, value, info: ValidationInfo):
        """The stage number picks the evidence model: stage 1's evidence is CeilingEvidence, and so on."""
        stage = info.data.get("stage")
        return EVIDENCE_MODELS[stage].model_validate(value) if stage in EVIDENCE_MODELS else value


class LoopStep(BaseModel):
    loop: int
    reason: str
    change: str


class Alternative(BaseModel):
    design: str
    why_worse: str


class Review(BaseModel):
    """The JSON contract of `ceiling review --format json` (DESIGN.md). More keys may be added."""

    ceiling: Ceiling
    pressures: dict[str, float]
    axes: list[dict]
    distribute: list[Axis]
    topology: Topology
    mode: Mode
    metric: Metric
    tax: dict
    loops: int
    trace: list[LoopStep]
    stages: list[dict]
    alternative: Alternative
    assumptions: list[str]
    engine: str
    feasible: bool = True
    infeasible_because: str | None = None
    question: str | None = None  # the text's own question about whether the design holds, quoted back
    answer: str = ""  # the verdict in one sentence, answering it
    reference_machine: str = ""
    ceiling_inputs: dict[str, str] = Field(default_factory=dict)
    break_evens: list[dict] = Field(default_factory=list)
    playbook: dict[str, str] = Field(default_factory=dict)
    ignored_instructions: list[str] = Field(default_factory=list)
    set_aside: list[str] = Field(default_factory=list)  # sections read as outside the design, with the reason
    unread_numbers: list[str] = Field(default_factory=list)  # numbers of the text the review did not use
    capacity: list[dict] = Field(default_factory=list)  # each binding ceiling's need vs the fleet the text states
    first_token: dict | None = None  # an LLM service with a stated prompt length: its time to first token, at least
    training_fleet: dict | None = None  # a training run on its stated fleet: memory per GPU, bubble, TP placement
    embedding_exchange: dict | None = None  # a sharded recommendation model's all-to-all per step
    findings: list[dict] = Field(default_factory=list)  # break-evens ranked by distance to the edge, with a change
    facts_used: list[dict] = Field(default_factory=list)  # every quantity used: value, unit, origin, quote, reason
    without_model: str | None = None  # the rules' answers without the numbers only the LLM read, when they differ
    mismatches: list[dict] = Field(default_factory=list)  # values the LLM reads differently (origins.Mismatch)
    llm: dict | None = Field(
        None, description="LLM engine only: per-stage proposals and the critic's verdicts, token usage"
    )
