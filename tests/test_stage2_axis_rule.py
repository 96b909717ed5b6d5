"""Stage 2 truth table: which of the six axes the binding ceiling forces.

Encodes Chapter 1.8, "1.8.1 The Checklist, Stage by Stage", Stage 2:
"The binding ceiling maps almost mechanically onto one of the six axes from Section 1.2. A data ceiling sends
you to distribute data (Part II). A throughput ceiling on training sends you to distribute training (Part III);
a throughput ceiling on serving sends you to distribute inference (Part V). A model ceiling sends you to
distribute the model (Part IV). A system whose difficulty is keeping many machines efficient and recoverable
leans on cluster coordination (Parts I and VII), and a system of many reasoning entities distributes
intelligence (Part VI). Distribute along the axis the ceiling points to".
And Stage 1: "If none binds, the correct design is a single machine, and the rest of this checklist is moot."
Coordination is only ever secondary in the chapter (the fraud example: "with cluster coordination as the
secondary axis"), so no row expects it as the primary axis.
"""

from __future__ import annotations

import pytest

from ceiling.agents.stages.axis_agent import primary_axis

# (ceiling, workload) -> primary axis; all 4 x 4 combinations
ROWS = [
    # --- data ceiling: "A data ceiling sends you to distribute data (Part II)" ---
    # "A data ceiling sends you to distribute data"
    pytest.param("data", "serving", "data", id="data-serving"),
    # "A data ceiling sends you to distribute data"
    pytest.param("data", "training", "data", id="data-training"),
    # "A data ceiling sends you to distribute data"; Exercise 1.8.1(a), the 40-TB crawl pipeline
    pytest.param("data", "data_pipeline", "data", id="data-data_pipeline"),
    # "A data ceiling sends you to distribute data" + "Distribute along the axis the ceiling points to"
    pytest.param("data", "agents", "data", id="data-agents"),
    # --- model ceiling: "A model ceiling sends you to distribute the model (Part IV)" ---
    # "A model ceiling sends you to distribute the model"; Exercise 1.8.1(b), the 70B-parameter assistant
    pytest.param("model", "serving", "model", id="model-serving"),
    # "A model ceiling sends you to distribute the model"
    pytest.param("model", "training", "model", id="model-training"),
    # "A model ceiling sends you to distribute the model" (mechanical mapping, workload does not enter)
    pytest.param("model", "data_pipeline", "model", id="model-data_pipeline"),
    # "A model ceiling sends you to distribute the model" + "Distribute along the axis the ceiling points to"
    pytest.param("model", "agents", "model", id="model-agents"),
    # --- throughput ceiling: depends on what is throughput-bound ---
    # "a throughput ceiling on serving sends you to distribute inference (Part V)"; fraud example Stage 2
    pytest.param("throughput", "serving", "inference", id="throughput-serving"),
    # "A throughput ceiling on training sends you to distribute training (Part III)"
    pytest.param("throughput", "training", "training", id="throughput-training"),
    # chapter silent: throughput on a data pipeline; records/s beyond one machine is sharding the data (Part II,
    # "PySpark / Ray Data # shard + shuffle"), not training or inference
    pytest.param("throughput", "data_pipeline", "data", id="throughput-data_pipeline"),
    # chapter silent: on throughput x agents. The ceiling is the agents' model calls outgrowing one server, which
    # "sends you to distribute inference"; intelligence is forced by the count of reasoning agents, not by this
    # ceiling (it is added beside the primary axis when there are many agents)
    pytest.param("throughput", "agents", "inference", id="throughput-agents"),
    # --- no ceiling binds: "the rest of this checklist is moot" ---
    # "If none binds, the correct design is a single machine, and the rest of this checklist is moot."
    pytest.param("none", "serving", None, id="none-serving"),
    # "If none binds, the correct design is a single machine, and the rest of this checklist is moot."
    pytest.param("none", "training", None, id="none-training"),
    # "If none binds, the correct design is a single machine, and the rest of this checklist is moot."
    pytest.param("none", "data_pipeline", None, id="none-data_pipeline"),
    # "Distribution is forced by a ceiling, never chosen for elegance." -- even for agents
    pytest.param("none", "agents", None, id="none-agents"),
]


@pytest.mark.parametrize(("ceiling", "workload", "expected"), ROWS)
def test_primary_axis(ceiling: str, workload: str, expected: str | None) -> None:
    assert primary_axis(ceiling, workload) == expected
