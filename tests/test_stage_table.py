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


def test_no_module_imports_from_a_layer_above_it():
    """The layers, lowest first: agents and corpus, then graph, then eval's harness, then app (the
    CLI, chat and servers). A module may import its own layer and those below, never one above;
    eval's benchmark scripts drive the app and are scripts, not the harness."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rank = {"agents": 0, "corpus": 0, "graph": 1, "eval": 2, "app": 3}
    scripts = {"bench.py", "bench_chat.py", "bench_llm.py", "bench_model.py", "load_chat.py"}
    upward = []
    for layer, level in rank.items():
        for path in (root / layer).rglob("*.py"):
            if layer == "eval" and path.name in scripts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ceiling."):
                    target = node.module.split(".")[1]
                    if rank.get(target, -1) > level:
                        upward.append(f"{path.relative_to(root)} imports {node.module}")
    assert upward == []
