"""The writer: the stage decisions and numbers -> the Review (JSON contract) and its markdown."""

from __future__ import annotations

import html
import math
import re

from ceiling.agents.reading.fleet import stated_fleet
from ceiling.agents.review import answer, findings, origins, prose
from ceiling.agents.review.diff import embed
from ceiling.agents.schemas import AXES, Review
from ceiling.agents.scoring.capacity import FirstToken, FleetNeed, first_token, fleet_needs
from ceiling.agents.scoring.pressures import assumed_inputs, recomputation
from ceiling.agents.scoring.training_fleet import EmbeddingExchange, TrainingFleet, embedding_exchange, training_fleet
from ceiling.agents.stages.table import STAGES

# Code 1.8.2 of the chapter: the tool that owns each axis.
PLAYBOOK = {
    "data": "PySpark / Ray Data: shard + shuffle a >1-node corpus",
    "training": "torch DDP: gradient all-reduce across workers",
    "model": "FSDP / DeepSpeed: shard params + optimizer state",
    "inference": "vLLM / Ray Serve: replicate, batch, autoscale",
    "coordination": "Kubernetes / Slurm: schedule, restart, place by topology",
    "intelligence": "a multi-agent runtime: orchestrate reasoning agents",
}
TABLE_ROWS = [stage.row for stage in STAGES]


_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]#!|~])")
_LINE_START_SYNTAX = re.compile(r"^(\d+[.)]|[-+=])")


def as_text(text, inline: bool = False) -> str:
    """Text from a description (or a model) as inert markdown: one line, HTML escaped, markdown
    syntax backslash-escaped, so it is shown as written and never rendered as a heading, image,
    link, form or comment (nor as the review's embedded-JSON marker). `inline`: the text goes after
    something else on its line (a heading's label, a table cell), so a leading "2." is no list."""
    line = html.escape(" ".join(str(text).split()), quote=False)
    line = _MARKDOWN_SYNTAX.sub(r"\\\1", line)
    if inline:
        return line
    return _LINE_START_SYNTAX.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], line)


def _fleet(facts, pressures, machine) -> tuple[list[FleetNeed], TrainingFleet | None, EmbeddingExchange | None]:
    """Each binding ceiling's need against the fleet stated, a training run's memory and layout on it, and a sharded
    recommendation model's embedding exchange."""
    devices, nodes = stated_fleet(facts.num("workers"), facts.workers.quote, facts.num("devices_per_node"))
    layout = training_fleet(facts, machine, devices)
    needs = fleet_needs(
        pressures,
        devices,
        nodes,
        machine.gpus,
        _unlike(facts, machine),
        _design_node(facts, machine),
        layout.bubble if layout else None,
    )
    needs = [need.model_copy(update={"assumed": assumed_inputs(need.ceiling, facts)}) for need in needs]
    return needs, layout, embedding_exchange(facts, machine, devices)


def _design_node(facts, machine):
    """The design's node by its device's own speeds, when the text names a device unlike the reference's."""
    from ceiling.agents.reading import fleet
    from ceiling.agents.reading.text_numbers import normalize
    from ceiling.agents.scoring.capacity import design_node

    quotes = (facts.workers.quote, facts.devices_per_node.quote, facts.gpu_memory.quote)
    device = next((d for q in quotes if q and (d := fleet.read(normalize(q)[0]).device)), None)
    node = design_node(device, facts.num("devices_per_node"), machine)
    return node if node and (abs(node.compute - 1) > 0.01 or abs(node.bandwidth - 1) > 0.01) else None


def _scoring_assumptions(facts, layout: TrainingFleet | None) -> list[str]:
    """What the scoring tool assumed beyond the facts: a training run's layout, and its FLOPs per token."""
    said = [f"training layout: {assumed}" for assumed in (layout.assumed if layout else [])]
    if facts.text("workload") == "training" and facts.num("tokens") and not facts.flag("recommender"):
        if recomputation(facts) != "full":
            said.append("training FLOPs: 6 x params x tokens (no full activation recomputation stated; with it, 8 x)")
    return said


def _unlike(facts, machine) -> str | None:
    """How the design's nodes differ from the reference machine, when the text says (devices per node, memory)."""
    per, memory = facts.num("devices_per_node") or machine.gpus, facts.num("gpu_memory") or machine.gpu_memory_bytes
    if per == machine.gpus and memory == machine.gpu_memory_bytes:
        return None
    return (
        f"the design's hold {per:g} x {memory / 1e9:g} GB devices, the reference {machine.gpus} x "
        f"{machine.gpu_memory_bytes / 1e9:g} GB"
    )


def build(state: dict) -> Review:
    d = state["decisions"]
    first = state["first_tax"]
    comm, failure = first.communication, first.failure
    axes = d[2].evidence.axes
    ranked = sorted(axes.items(), key=lambda kv: (-kv[1], AXES.index(kv[0])))
    pressures = d[1].evidence.pressures
    break_evens = d[1].evidence.break_evens + first.break_evens
    final = d[6].evidence.communication
    facts = state["facts"]
    capacity, layout, exchange = _fleet(facts, pressures, state["machine"])
    short = [need for need in capacity if need.short]  # feasible only when the stated fleet covers every need
    ttft = first_token(facts, state["machine"])
    late = ttft is not None and not ttft.within
    over = layout is not None and layout.blocks
    feasible = state["feasible"] and not short and not late and not over
    # the checks no critic revision can fix (machines, a prompt's prefill, memory per GPU), beside the critic's reason
    unfixable = ([ttft.sentence()] if late else []) + ([layout.sentence()] if over else [])
    why_not = "; ".join([reason for reason in [state.get("infeasible_because")] if reason] + unfixable)
    return Review(
        question=answer.question_asked(state.get("description", "")),
        answer=answer.one_sentence(
            feasible,
            why_not or None,
            capacity,
            d[1].evidence.ceiling,
            d[1].evidence.machines_needed,
            state["machine"].name,
            comm.budget_left_ms,
            None if facts.slo.assumed else comm.slo_ms,  # an assumed budget is no answer to the design's writer
            int(pressures["data"].need) if pressures["data"].unit == "parties" and pressures["data"].binds else None,
            int(facts.num("agents")) if "intelligence" in d[2].evidence.distribute else None,
            None if facts.workers.assumed else facts.num("workers"),
            state["machine"].gpus,
        ),
        ceiling=d[1].evidence.ceiling,
        pressures={name: round(p.pressure, 2) for name, p in pressures.items()},
        axes=[{"axis": a, "pressure": round(p, 2)} for a, p in ranked],
        distribute=d[2].evidence.distribute,
        topology=d[3].answer,
        mode=d[4].answer,
        metric=d[5].answer,
        tax={
            "communication_ms": comm.communication_ms,
            "slo_ms": comm.slo_ms,
            "budget_left_ms": comm.budget_left_ms,
            "within_budget": comm.within_budget,
            "kind": comm.kind,
            "compute_ms": comm.compute_ms,
            "failure": failure.model_dump(),
            "inputs": dict(comm.inputs),
            "final": {
                "communication_ms": final.communication_ms,
                "budget_left_ms": final.budget_left_ms,
                "within_budget": final.within_budget,
            },
        },
        loops=state["loops"],
        trace=state["trace"],
        stages=[
            {
                "stage": s.stage,
                "name": s.name,
                "answer": s.answer,
                "justification": s.justification,
                "citations": [c.model_dump() for c in s.citations],
                **({"llm": s.llm} if s.llm is not None else {}),
            }
            for s in (d[i] for i in range(1, 7))
        ],
        alternative=state["alternative"],
        assumptions=facts.assumptions()
        + _scoring_assumptions(facts, layout)
        + [f"reference machine: {state['machine'].name}"],
        engine=state.get("engine", "deterministic"),
        feasible=feasible,
        infeasible_because="; ".join(
            [reason for reason in [state.get("infeasible_because")] if reason]
            + (["the fleet the text states is short: " + "; ".join(n.sentence() for n in short)] if short else [])
            + unfixable
        )
        or None,
        reference_machine=state["machine"].name,
        ceiling_inputs={name: p.inputs for name, p in pressures.items()},
        break_evens=[b.model_dump() for b in break_evens],
        playbook={a: PLAYBOOK[a] for a in d[2].evidence.distribute},
        ignored_instructions=facts.ignored_instructions,
        set_aside=facts.set_aside,
        unread_numbers=facts.unread_numbers,
        capacity=[need.model_dump() for need in capacity],
        first_token=ttft.model_dump() if ttft else None,
        training_fleet=layout.model_dump() if layout else None,
        embedding_exchange=exchange.model_dump() if exchange else None,
        facts_used=[used.model_dump() for used in origins.facts_used(facts)],
        findings=[f.model_dump() for f in findings.findings([b.model_dump() for b in break_evens])],
        without_model=origins.without_model(facts, state["machine"]),
        mismatches=[m.model_dump() for m in state.get("mismatches") or [] if facts.num(m.field) == m.used],
    )


def _kept(stage: dict) -> str:
    """Why the model's prose did not reach the stage's paragraph (the rule text stands), or what of it did."""
    if problems := stage.get("prose_problems") or stage.get("unsupported_numbers"):
        first = problems[0] if isinstance(problems[0], str) else f"numbers no tool produced: {problems[0]:g}"
        return f"the rule text stands: {first}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    if "paragraph" in stage:
        return "the model's paragraph"
    return "the model's sentence opens the paragraph" if "sentence" in stage else ""


def llm_report(state: dict, usage: dict) -> dict:
    """What the model proposed per stage, what the critic did, and what it cost."""
    stages = [{"stage": n, **(state["decisions"][n].llm or {})} for n in range(1, 7)]
    survived = [s for s in stages if s.get("status")]
    return {
        "usage": usage,
        "stages": stages,
        "facts_added": state["facts"].llm_filled,
        "facts_notes": state.get("facts_notes", []),
        "survived": sum(s["status"] == "accepted" for s in survived),
        "accepted_after_retry": sum(s["status"] == "accepted after retry" for s in survived),
        "proposals": len(survived),
        "disagreements": [f"stage {s['stage']}: {s['disagreement']}" for s in stages if s.get("disagreement")],
    }


def _edge(break_even: dict) -> float:
    """How far a quantity is from where the verdict flips, as a factor (1 = on the edge); unknown ones last."""
    return findings.distance(break_even["current"], break_even["flips_at"])


def _distance(break_even: dict) -> str:
    factor = _edge(break_even)
    if math.isinf(factor):
        return "-"
    return "on the edge" if factor < 1.005 else prose.factor(factor)


def _origin(r: Review, break_even: dict) -> str:
    """Where a break-even's current value came from, as the review names it (origins.SAID)."""
    if break_even["current"] is None:
        return "not stated"
    used = next((f for f in r.facts_used if f["field"] == break_even["quantity"]), None)
    if used is None:
        return origins.SAID["assumed" if break_even["assumed"] else "read"]
    return origins.SAID[used["origin"]]


def _calls_answered(r: Review) -> str:
    """How many of the model's calls answered, when some did not (which stages fell back is in its table)."""
    usage = (r.llm or {}).get("usage") or {}
    failed, calls = usage.get("failed", 0), usage.get("calls", 0)
    return f" ({calls - failed} of {calls} LLM calls answered; the rules stand where one did not)" if failed else ""


def _capacity_line(r: Review) -> list[str]:
    """The fleet the text states against each binding ceiling's need, in the units each counts."""
    needs = [FleetNeed(**c) for c in r.capacity]
    ttft = FirstToken(**r.first_token) if r.first_token else None
    layout = TrainingFleet(**r.training_fleet) if r.training_fleet else None
    exchange = EmbeddingExchange(**r.embedding_exchange) if r.embedding_exchange else None
    if not needs and ttft is None and layout is None and exchange is None:
        return []
    short = any(n.short for n in needs) or (ttft is not None and not ttft.within) or (layout and layout.blocks)
    lead = "**Capacity: short.** " if short else "**Capacity:** "
    said = [n.sentence() for n in needs] + [x.sentence() for x in (ttft, layout, exchange) if x is not None]
    text = prose.tidy("; ".join(said))
    return [lead + as_text(text[0].upper() + text[1:], inline=True) + ".", ""]


def _mismatch(m: dict) -> str:
    """One value the LLM reads differently, and what the rules would answer with its value."""

    def quoted(text: str) -> str:
        return '"' + as_text(prose.whole_quote(text)) + '"'

    used_from = f" from {quoted(m['used_quote'])}" if m["used_quote"] else ""
    with_it = (
        "With it the rules would answer: " + "; ".join(m["verdict_with_it"]) + "."
        if m["verdict_with_it"]
        else "The verdict is the same with it."
    )
    return (
        f"The LLM reads the {prose.label(m['field'])} as {prose.quantity(m['model_value'], m['unit'])} in "
        f"{quoted(m['quote'])}; the review used {prose.quantity(m['used'], m['unit'])}{used_from}. "
        f"{with_it} Say which is meant, and the review reads that."
    )


def _mismatches_that_flip(r: Review) -> list[str]:
    """Near the top: a value the LLM reads differently that would change a stage's answer."""
    flips = [f"**Check this:** {_mismatch(m)}" for m in r.mismatches if m["verdict_with_it"]]
    return [*flips, ""] if flips else []


def _what_was_not_read(r: Review) -> list[str]:
    """After the stages (the top says how many there are): the sections read as outside the design, the
    numbers no quantity claimed and the values the LLM reads differently, so the writer of the design sees what to
    correct."""
    if not (r.set_aside or r.unread_numbers or r.mismatches):
        return []
    out = ["## Check what was read", ""]
    out += [f"- {_mismatch(m)}" for m in r.mismatches]
    out += [f"- Set aside {as_text(s)}" for s in r.set_aside]
    if r.unread_numbers:
        out += ["- Numbers in the text the review did not use (say what they measure to have them read):"]
        out += [f"  - {as_text(n)}" for n in r.unread_numbers]
    return [*out, ""]


def _not_read_pointer(r: Review) -> str:
    """One sentence near the top when part of the text was not read, pointing at the list after the stages."""
    parts = (
        ([prose.plural(len(r.set_aside), "section")] if r.set_aside else [])
        + ([prose.plural(len(r.unread_numbers), "number")] if r.unread_numbers else [])
        + ([f"{prose.plural(len(r.mismatches), 'value')} the LLM reads differently"] if r.mismatches else [])
    )
    if not parts:
        return ""
    return f" Not read from your text: {' and '.join(parts)} (see *Check what was read*)."


def _closest(r: Review) -> dict | None:
    ranked = sorted((b for b in r.break_evens if not math.isinf(_edge(b))), key=_edge)
    return ranked[0] if ranked else None


def _what_to_do(r: Review) -> list[str]:
    """What to act on first, right under the verdict: the critic's change when it had to make one, and the
    quantity closest to where the verdict flips (said as assumed when the text did not state it)."""
    out = []
    if r.trace:
        change = "; then ".join(prose.tidy(step.change) for step in r.trace)
        lead = "**What the critic changed:** " if r.feasible else "**What the critic tried:** "
        out += [f"{lead}{as_text(change)} (the design as described: {as_text(prose.tidy(r.trace[0].reason))}).", ""]
    edge = _closest(r)
    if edge is not None:
        unit, factor = edge["unit"], _edge(edge)
        said = "assumed, so state it in the text" if edge["assumed"] else "as stated"
        where = "right on it" if factor < 1.005 else f"a factor of {prose.number(factor, 2)} from it"
        out += [
            f"**Closest to the edge:** {prose.label(edge['quantity'])}, {prose.quantity(edge['current'], unit)} "
            f"({said}); the verdict flips at {prose.quantity(edge['flips_at'], unit)}, {where}: "
            f"{as_text(prose.tidy(edge['meaning']), inline=True)}.",
            "",
        ]
    return out


def _tax_answer(t: dict) -> str:
    """Stage 6's row of Table 1.8.1: the communication tax against its budget, and the failure tax."""
    comm = prose.quantity(t["communication_ms"], "ms")
    budget = "round" if t["kind"] == "federated round" else "SLO"  # a round's period is its budget
    slo = f" of {prose.quantity(t['slo_ms'], 'ms')} {budget}" if t["slo_ms"] else ""
    return f"{comm} communication{slo}; P(failure in 24 h) {prose.percent(t['failure']['p_any_down'])}"


# The failure tax's numbers: a label a reader knows and the unit each is counted in.
FAILURE_ROWS = {
    "devices": ("devices", ""),
    "fleet_mtbf_h": ("fleet MTBF", "h"),
    "p_any_down": ("P(some failure in 24 h)", "probability"),
    "interruptions_per_day": ("interruptions per day", ""),
    "checkpoint_interval_s": ("checkpoint interval (Young/Daly)", "s"),
    "young_interval_s": ("Young's interval", "s"),
    "wasted_fraction": ("time lost to failures", "probability"),
    "replicas_for_four_nines": ("replicas for 99.99% availability", ""),
    "large_fleet": ("large fleet (failures are routine)", ""),
    "within_budget": ("failure waste within its bound", ""),
    "job_shorter_than_interval": ("job shorter than the checkpoint interval (restart, do not checkpoint)", ""),
}


def _failure_rows(failure: dict) -> list[str]:
    rows = []
    for key, value in failure.items():
        if value is None:
            continue
        name, unit = FAILURE_ROWS.get(key, (prose.label(key), ""))
        shown = prose.percent(value) if unit == "probability" else prose.quantity(value, unit)
        rows.append(f"| failure: {name} | {shown} |")
    return rows


def _within(flag) -> str:
    return {True: "yes", False: "no"}.get(flag, "-")


def _quote(citation: dict) -> str:
    return (
        f'> "{as_text(prose.whole_quote(citation["quote"]))}"  \n> ({as_text(citation["section"])}, '
        f"`{citation['chunk_id']}`)\n"
    )


def _written_by_model(record: dict) -> str:
    """Which words of the paragraph the model wrote (it passed the checks), so the reader can weigh them."""
    if record.get("status") != "accepted":
        return ""
    if "paragraph" in record:
        return "*The model wrote this paragraph; it passed the checks against the rule agent's text.*"
    return "*The model wrote the first sentence; it passed the checks, and the rule agent's text follows it.*"


def stage_section(stage: dict) -> list[str]:
    """One stage as the review prints it: its answer as a heading, the defended paragraph, its citations."""
    out = [
        f"### {stage['stage']}. {stage['name'].capitalize()}: {as_text(prose.tidy(stage['answer']), inline=True)}",
        "",
        as_text(prose.tidy(stage["justification"])),
        "",
    ]
    if written := _written_by_model(stage.get("llm") or {}):
        out += [written, ""]
    if not stage["citations"]:
        return out + ["> The chapter states no rule for this answer that could be quoted.\n"]
    return out + [_quote(c) for c in stage["citations"]]


def verdict_line(r: Review) -> str:
    return (
        f"**Verdict:** {'feasible' if r.feasible else 'INFEASIBLE'}. Ceiling **{r.ceiling}**; distribute "
        f"**{', '.join(r.distribute) or 'nothing (one machine)'}**; {r.topology}, {r.mode}, optimizing {r.metric}."
        + (f" Infeasible because {as_text(prose.tidy(r.infeasible_because))}." if not r.feasible else "")
    )


def _assumption(text: str) -> str:
    """The field as words ("request_rate: read ..." -> "request rate: read ..."), the rest as written."""
    name, sep, rest = text.partition(": ")
    if sep and re.fullmatch(r"[a-z_]+", name):
        return f"{prose.label(name)}: {rest}"
    return text


def markdown(review: Review, title: str = "the described system") -> str:
    """The review for people: the answer and the verdict first, then Table 1.8.1, the six stages, what was not
    read, the numbers, the critic's trace, the alternative, the assumptions; the JSON record last, in a comment."""
    r = review
    out = [
        f"# Design review: {as_text(title)}",
        "",
        *([f'> You asked: "{as_text(r.question)}"', ""] if r.question else []),
        f"**Answer:** {as_text(prose.tidy(r.answer))}",
        "",
        verdict_line(r),
        "",
        *_capacity_line(r),
        *([f"**Check this:** {as_text(prose.tidy(r.without_model))}", ""] if r.without_model else []),
        *_mismatches_that_flip(r),
        *_what_to_do(r),
        f"Engine: `{r.engine}`{_calls_answered(r)}. Reference machine: {r.reference_machine}.{_not_read_pointer(r)}",
        "",
        "## Table 1.8.1, filled in",
        "",
        "| Stage | Question | Answer | Source |",
        "|---|---|---|---|",
    ]
    answers = [
        r.ceiling,
        ", ".join(r.distribute) or "none (one machine)",
        r.topology,
        r.mode,
        r.metric,
        _tax_answer(r.tax),
    ]
    out += [f"| {row[0]} | {row[1]} | {answer} | {row[2]} |" for row, answer in zip(TABLE_ROWS, answers, strict=True)]
    out += ["", "## The six stages, defended", ""]
    for stage in r.stages:
        out += stage_section(stage)
    out += _what_was_not_read(r)
    out += ["## Numbers", "", "### Ceiling pressures", "", "| Ceiling | Pressure | Inputs |", "|---|---|---|"]
    out += [
        f"| {name} | {p:.2f} | {as_text(prose.tidy(r.ceiling_inputs.get(name, '')), inline=True)} |"
        for name, p in r.pressures.items()
    ]
    out += ["", "### Axis pressures", "", "| Axis | Pressure | |", "|---|---|---|"]
    out += [f"| {a['axis']} | {a['pressure']:.2f} | {'#' * round(a['pressure'] * 20)} |" for a in r.axes]
    t = r.tax
    out += [
        "",
        "### Taxes (the system as described)",
        "",
        "| Quantity | Value |",
        "|---|---|",
        f"| communication ({t['kind']}) | {prose.quantity(t['communication_ms'], 'ms')} |",
        f"| SLO | {prose.quantity(t['slo_ms'], 'ms')} |",
        f"| compute per unit of work | {prose.quantity(t['compute_ms'], 'ms')} |",
        f"| budget left | {prose.quantity(t['budget_left_ms'], 'ms')} |",
        f"| within budget | {_within(t['within_budget'])} |",
    ]
    out += _failure_rows(t["failure"])
    if r.loops:
        final = t["final"]
        out += [
            f"| after the critic's changes: communication | {prose.quantity(final['communication_ms'], 'ms')} "
            f"({'within budget' if final['within_budget'] else 'over budget'}) |"
        ]
    out += [
        "",
        "### Break-even values (where the verdict flips), closest to the edge first",
        "",
        "| Quantity | Now | Flips at | Distance | From | Meaning | Change |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [
        f"| {prose.label(b['quantity'])} | {prose.quantity(b['current'], b['unit'])} | "
        f"{prose.quantity(b['flips_at'], b['unit'])} | {_distance(b)} | {_origin(r, b)} | "
        f"{as_text(prose.tidy(b['meaning']), inline=True)} | {as_text(prose.tidy(f['change']), inline=True)} |"
        for b, f in zip(sorted(r.break_evens, key=_edge), r.findings, strict=True)
    ]
    out += ["", "## Critic loop trace", ""]
    out += [f"{s.loop}. {as_text(prose.tidy(s.reason))} -> {as_text(prose.tidy(s.change))}" for s in r.trace] or [
        "The critic accepted the first pass: no loop back."
        if r.feasible
        else "No loop back: the critic has no change that makes the design hold (see the verdict)."
    ]
    out += [
        "",
        "## Strongest alternative",
        "",
        f"**{as_text(prose.tidy(r.alternative.design))}**: {as_text(prose.tidy(r.alternative.why_worse))}",
        "",
        "## Playbook",
        "",
    ]
    out += [f"- {axis}: {tool}" for axis, tool in r.playbook.items()] or [
        "- one machine: no distributed framework needed."
    ]
    out += ["", "## Assumptions (where the description was silent)", ""]
    out += [f"- {as_text(prose.tidy(_assumption(a)))}" for a in r.assumptions]
    if r.llm:
        out += ["", f"## The LLM's part ({r.engine})", "", "| Stage | Proposed | Critic | Note |", "|---|---|---|---|"]
        out += [
            f"| {s['stage']} | {as_text(s.get('proposed', '-'))} | {s.get('status', '-')} | "
            f"{as_text(prose.tidy(s.get('disagreement') or s.get('retry_reason') or s.get('error') or _kept(s)))}"
            f"{' (reused: same prompt as the pass before the loop)' if s.get('reused') else ''} |"
            for s in r.llm["stages"]
        ]
        if notes := r.llm.get("facts_notes"):  # the facts agent and the mismatch check: asked or not, kept or dropped
            heading = "Besides the stages, the model was asked for facts the rules left out and to check those read:"
            out += ["", heading, "", *(f"- {as_text(prose.tidy(n))}" for n in notes)]
        u = r.llm["usage"]
        out += [
            "",
            f"{prose.plural(u['calls'], 'call')}, {u['prompt_tokens']:,} prompt + {u['completion_tokens']:,} "
            f"completion tokens, {u['seconds']:.1f} s.",
        ]
    if r.ignored_instructions:
        out += ["", "## Ignored text aimed at the reviewer (treated as data)", ""]
        out += [f"- {as_text(s)}" for s in r.ignored_instructions]
    return "\n".join(out) + "\n\n" + embed(r)
