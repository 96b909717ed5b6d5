"""One declaration per stage: the graph, the LLM agent, the writer and the chat all follow the stage table."""

from __future__ import annotations

from pathlib import Path

from ceiling.agents.llm.prompting import stage_questions
from ceiling.agents.llm.stage import CHOICES, answer_schema
from ceiling.agents.review.writer import markdown
from ceiling.agents.stages.table import BY_NODE, STAGES
from ceiling.graph.workflow import compiled, run

FRAUD = (Path(__file__).resolve().parents[1] / "examples" / "fraud-scoring.md").read_text()


def test_the_graph_runs_the_table_s_stages_in_order():
    graph = compiled().get_graph()
    nodes = set(graph.nodes)
    assert all(stage.node in nodes for stage in STAGES)
    edges = {(edge.source, edge.target) for edge in graph.edges}
    assert all((a.node, b.node) in edges for a, b in zip(STAGES, STAGES[1:], strict=False))


def test_each_decision_carries_its_stage_s_one_name(corpus_index):
    decisions = run(FRAUD)["decisions"]
    assert [decisions[stage.number].name for stage in STAGES] == [stage.name for stage in STAGES]
    assert all(BY_NODE[stage.node] is stage for stage in STAGES)


def test_the_review_s_table_and_the_llm_s_answers_come_from_the_table(corpus_index):
    text = markdown(run(FRAUD)["review"], "fraud")
    for stage in STAGES:
        label, question, section = stage.row
        assert f"| {label} | {question} |" in text and section in text
        assert stage.number in stage_questions()  # its prompt text exists
        if stage.choices:
            assert CHOICES[stage.number] == stage.choices
            schema = answer_schema(stage.number).model_json_schema()
            assert schema["properties"]["answer"]["enum"] == list(stage.choices)
