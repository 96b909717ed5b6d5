"""What each stage's rule agent found: the numbers and readings its answer rests on, one model per stage.

The stage agent writes its model; the later stages, the critic, the alternative, the writer and the LLM
agents' prompts and numbers ledger read it by attribute. Field order is the order the prompts and the
ledger show them in (a dump of the model is the JSON the recorded prompts were built from).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ceiling.agents.scoring.pressures import Pressure
from ceiling.agents.scoring.taxes import BreakEven, CommunicationTax, FailureTax


class StageEvidence(BaseModel):
    """The evidence of one stage; each field's docstring is its description."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class CeilingEvidence(StageEvidence):
    """Stage 1: each ceiling's need against the reference machine."""

    ceiling: str
    """The ceiling that binds (highest pressure, at least 0.5): data, model, throughput, or none."""
    pressures: dict[str, Pressure]
    """Each ceiling (data, model, throughput) with its need, capacity, ratio and pressure."""
    binding_also: list[str]
    """The other ceilings that bind as well (empty when none binds)."""
    machines_needed: int
    """Reference machines the largest need takes (at least 1)."""
    break_evens: list[BreakEven]
    """For each ceiling input, the value at which that ceiling would start (or stop) binding."""


class AxisEvidence(StageEvidence):
    """Stage 2: the six axes' pressures and the ones distributed."""

    axes: dict[str, float]
    """Each of the six axes with its pressure, in the chapter's order."""
    ranked: list[tuple[str, float]]
    """The same (axis, pressure) pairs, highest pressure first."""
    distribute: list[str]
    """The axes distributed, the stage-1 ceiling's own axis first (empty: one machine)."""
    primary: str | None
    """The axis the stage-1 ceiling points to (None when no ceiling binds)."""


class TopologyEvidence(StageEvidence):
    """Stage 3: the axes to arrange and the trust boundaries read from the text."""

    distribute: list[str]
    """Stage 2's distributed axes."""
    share_data: bool | None
    """May one party hold all the data (None: the text does not say)."""
    spof_ok: bool | None
    """Is a single point of failure acceptable (None: the text does not say)."""
    multi_region: bool | None
    """Does the system span regions or sites (None: the text does not say)."""
    parties: float | None
    """Independent organisations or sites (None: the text does not say)."""


class ModeEvidence(StageEvidence):
    """Stage 4: how work arrives and how fresh the answer must be."""

    arrival: str | None
    """How work arrives: request, feed, bounded, per_example_update or unknown."""
    model_updates_per_example: bool
    """The model updates itself from each arriving example (online learning)."""
    workload: str | None
    """serving, training, data_pipeline, agents or unknown."""
    slo_ms: float | None
    """The latency budget per request, ms (None: no budget)."""


class MetricEvidence(StageEvidence):
    """Stage 5: the inputs of the metric rule."""

    mode: str
    """Stage 4's processing mode."""
    cost_focus: bool
    """The text puts cost first."""
    reliability_focus: bool
    """The text puts availability or correctness first."""
    slo_stated: bool
    """The text gives a latency bound (stated, not a default or a vague reading)."""


class TaxEvidence(StageEvidence):
    """Stage 6: the communication tax and the failure tax of the current design."""

    communication: CommunicationTax
    """The communication tax against its budget (SLO, compute per step, or job window)."""
    failure: FailureTax
    """The failure tax of the fleet the design runs on."""
    break_evens: list[BreakEven]
    """For each tax input, the value at which the budget verdict would flip."""
    machines: int
    """Machines the design runs on (1 once the critic collapsed it to one machine)."""


Evidence = CeilingEvidence | AxisEvidence | TopologyEvidence | ModeEvidence | MetricEvidence | TaxEvidence
# Each stage's evidence model, by stage number: a StageDecision's evidence validates into its stage's model.
EVIDENCE_MODELS: dict[int, type[StageEvidence]] = {
    1: CeilingEvidence,
    2: AxisEvidence,
    3: TopologyEvidence,
    4: ModeEvidence,
    5: MetricEvidence,
    6: TaxEvidence,
}
