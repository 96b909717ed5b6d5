"""LLM stage agents behind the same interface as the rule agents, kept honest by the critic.

For each stage the rule agent decides first (numbers, citations). The LLM then proposes an
answer, a justification and citations from the same evidence. The proposal is checked:
its answer must match what the numbers force, every number in its prose must be one a
tool produced (the rule agents' evidence, or a scoring tool the model called when tool calls
are on), and each citation must resolve to a chunk and quote it exactly. A failed
check goes back once with the evidence; after that the rule answer stands and the
disagreement is recorded. Any LLM failure falls back to the rule decision, said so.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, create_model

from ceiling.agents.llm import ledger, paragraph
from ceiling.agents.llm.prompting import compact, facts_table, shared_head, stage_questions, template
from ceiling.agents.schemas import AXES, Citation, StageDecision
from ceiling.agents.stages.table import STAGES

# The stage table's answers, prompt keys and tools, as the LLM agent indexes them (by stage number).
CHOICES: dict[int, tuple[str, ...]] = {s.number: s.choices for s in STAGES if s.choices}


_SAYS_OVER = re.compile(r"\b(exceeds?|exceeding|over (the )?budget|breaks? the (budget|slo)|not within)\b", re.I)

EVIDENCE_KEYS = {s.number: s.evidence_keys for s in STAGES}
STAGE_TOOLS = {s.number: s.tools for s in STAGES}
_DROP = {"need", "capacity", "unit", "name", "formula", "large_fleet", "young_interval_s", "binds", "ratio", "parts"}
_STAGE_DROP = {s.number: set(s.drop) for s in STAGES if s.drop}


# On the 2-core reference machine a prompt token costs ~23 ms and a generated one ~55 ms
# (~9 ms of it the JSON grammar, see app/llama_serve.py), so both halves are kept short:
# one sentence and one short quote out, one trimmed passage in. The reply limits are in the
# schema (a grammar enforces them) but not validated, so a chattier endpoint is not failed for them.
JUSTIFICATION_CHARS = 160
QUOTE_CHARS = 60
PASSAGE_CHARS = 220


def answer_schema(
    stage: int, passage_id: str | None = None, cite: bool = True, chars: int = JUSTIFICATION_CHARS
) -> type[BaseModel]:
    """The JSON the model must produce for one stage, the answer constrained to the allowed set.

    `passage_id`: the one passage the model was shown; it then only quotes it and the id is
    filled in (copying a 20-token chunk id costs ~1 s per call on the local model). None (the
    tool path, where `retrieve` adds passages): the model names the chunk id it quotes.
    `cite=False` (a retry): the answer alone; the first round's citations stand. `chars`: the justification's limit
    (a sentence, or paragraph.PARAGRAPH_CHARS).
    (Justification before answer was tried: retried answers then contradicted their own prose.)"""
    # the axis list is bounded: unbounded, the model repeats the six axes until max_tokens (seen on retries)
    answer_type = Annotated[list[Literal[AXES]], Field(max_length=len(AXES))] if stage == 2 else Literal[CHOICES[stage]]  # type: ignore[valid-type]
    quote = (str, Field(json_schema_extra={"maxLength": QUOTE_CHARS}))
    citation = (
        create_model("LLMQuote", quote=quote)
        if passage_id
        else create_model("LLMCitation", chunk_id=(str, ...), quote=quote)
    )
    fields: dict = {"answer": (answer_type, ...)}
    if cite:
        fields["justification"] = (str, Field(json_schema_extra={"maxLength": chars}))
        fields["citations"] = (list[citation], Field(default_factory=list, max_length=1))
    return create_model(f"Stage{stage}Answer", **fields)


def expected_answer(stage: int, rule: StageDecision):
    """What the numbers force, in the form the LLM answers."""
    if stage == 1:
        return rule.evidence.ceiling
    if stage == 2:
        return sorted(rule.evidence.distribute)
    if stage == 6:
        return "within budget" if rule.evidence.communication.within_budget else "over budget"
    return rule.answer


def _normalize(stage: int, answer):
    return sorted(set(answer)) if stage == 2 else answer


def _earlier(state: dict, stage: int) -> str:
    decisions = state["decisions"]
    return (
        "; ".join(f"{n} {decisions[n].name} = {decisions[n].answer}" for n in range(1, stage) if n in decisions)
        or "none (this is the first stage)"
    )


def _passage(chunk, with_id: bool, limit: int = PASSAGE_CHARS) -> str:
    """The head of a passage, cut at a word; its chunk id only where the model must name it (tools)."""
    text = chunk.text if len(chunk.text) <= limit else chunk.text[:limit].rsplit(" ", 1)[0] + " ..."
    return f"[{chunk.chunk_id}] {text}" if with_id else text


def _writing(prose: str, rule: StageDecision) -> str:
    """The prompt's last lines: what to write (a sentence; or the paragraph, from the rule agent's text)."""
    return template(f"write_{prose}.txt").substitute(rule_text=rule.justification).rstrip("\n")


def _stage_message(
    stage: int, state: dict, rule: StageDecision, passages: list, with_ids: bool, prose: str = "sentence"
) -> dict:
    info = stage_questions()[stage]
    choices = "a list of " + ", ".join(AXES) + " ([] for one machine)" if stage == 2 else ", ".join(CHOICES[stage])
    text = template("stage.txt").substitute(
        facts=facts_table(state["facts"]),
        stage=stage,
        name=info["name"],
        question=info["question"],
        criteria=info["criteria"],
        earlier=_earlier(state, stage),
        evidence=compact(stage_evidence(stage, rule)),
        choices=choices,
        passages="\n".join(
            _passage(p, with_ids, paragraph.PASSAGE_CHARS if prose == "paragraph" else PASSAGE_CHARS) for p in passages
        ),
        write=_writing(prose, rule),
    )
    return {"role": "user", "content": text}


def _trim(value, drop: set[str]):
    if isinstance(value, dict):
        return {k: _trim(v, drop) for k, v in value.items() if k not in drop and v is not None}
    if isinstance(value, float):
        return round(value, 4)
    return value


def stage_evidence(stage: int, rule: StageDecision) -> dict:
    """The part of the evidence the stage's question turns on, without bookkeeping."""
    drop = _DROP | _STAGE_DROP.get(stage, set())
    evidence = rule.evidence.model_dump()
    return {k: _trim(evidence[k], drop) for k in EVIDENCE_KEYS[stage]}


def _allowed_quantities(state: dict, rule: StageDecision) -> list[tuple[float, str | None]]:
    """Every number the tools produced or the text stated for this stage, with the kind of its unit."""
    earlier = [_ledger_part(d) for d in state["decisions"].values()]
    return ledger.quantities_in(
        [_ledger_part(rule), earlier, state["facts"].model_dump(), state.get("description", ""), rule.justification]
    )


def _ledger_part(decision: StageDecision) -> dict:
    """What a decision adds to the ledger: its evidence and, after it, the LLM's record of it (what it proposed)."""
    return decision.evidence.model_dump() | ({"llm": decision.llm} if decision.llm is not None else {})


def _allowed_numbers(state: dict, rule: StageDecision) -> list[float]:
    return [number for number, _ in _allowed_quantities(state, rule)]


def _unsupported(text: str, state: dict, rule: StageDecision, tool_numbers=()) -> list[float]:
    """The numbers ledger: numbers in the prose that no tool produced and the text never stated."""
    return ledger.unsupported(text, _allowed_numbers(state, rule) + list(tool_numbers))


def _wrong_units(text: str, state: dict, rule: StageDecision, tool_numbers=()) -> list[str]:
    return ledger.wrong_units(text, _allowed_quantities(state, rule) + [(n, None) for n in tool_numbers])


def _plain(number: float) -> str:
    """A number as the ledger reads it: digits, no exponent (7e10 -> 70000000000)."""
    return f"{number:.6f}".rstrip("0").rstrip(".")


def _tool_numbers(calls: list, allowed: list[float]) -> tuple[list[float], list[str]]:
    """The numbers the scoring tools produced from this design's numbers. A tool run on
    inputs that are neither facts nor evidence computes nothing about this design: its
    results are left out of the ledger (and said so), else a tool would launder a guess."""
    import json

    numbers, ignored = [], []
    for call in calls:
        if not call.numbers():
            continue
        try:
            inputs = ledger.numbers_in(json.loads(call.arguments))
        except ValueError:
            inputs = []
        guessed = ledger.unsupported(" ".join(_plain(n) for n in inputs), allowed)
        if guessed:
            ignored.append(f"{call.name}: inputs {', '.join(f'{n:g}' for n in guessed)} are not numbers of this design")
        else:
            numbers += call.numbers()
    return numbers, ignored


def check(
    stage: int,
    proposal,
    rule: StageDecision,
    state: dict,
    chunk_text,
    tool_numbers: list[float] = (),
    passage_id: str | None = None,
) -> tuple[list[str], list[Citation], list[float]]:
    """(problems, valid citations, unsupported numbers) of one proposal; `tool_numbers` are
    the results of the scoring tools the model called (tool-produced, so allowed);
    `passage_id` is the chunk a quote-only citation quotes."""
    problems: list[str] = []
    expected = expected_answer(stage, rule)
    if _normalize(stage, proposal.answer) != expected:
        problems.append(f"the answer {proposal.answer!r} contradicts the computed evidence, which forces {expected!r}")
    numbers = _unsupported(proposal.justification, state, rule, tool_numbers)
    if numbers:
        problems.append(f"numbers no tool produced: {', '.join(f'{n:g}' for n in numbers[:5])}")
    if stage == 6 and expected == "within budget" and _SAYS_OVER.search(proposal.justification):
        problems.append("the prose says the tax breaks the budget; the numbers say it is within")
    # Citations that do not resolve, or quote a sentence that does not state the rule behind the answer (the rule
    # agent's citations are those: agents/stages/citing.py), are dropped and the rule agent's stand in; not worth a
    # retry (the model was shown the passage for the stage's question, which need not state the answer's rule).
    supporting = {rc.quote.rstrip(" .") for rc in rule.citations}
    citations = []
    for c in getattr(proposal, "citations", []):
        chunk_id = getattr(c, "chunk_id", passage_id)
        text = chunk_text(chunk_id) if chunk_id else None
        quote = c.quote.strip()
        if text is not None and quote and quote in text and quote.rstrip(" .") in supporting:
            citations.append(Citation(chunk_id=chunk_id, section=_section(chunk_id), quote=quote))
    return problems, citations, numbers


_SENTENCE_END = re.compile(r"(?<!\.\.)[.!?](?=\s|$)")  # "..." ends no sentence: it is the cut passage's mark
_TRAILS_OFF = re.compile(r"(\.\.\.|…)\W*$")  # the PASSAGE is cut with " ..."; a reply ending so copied it


def whole_sentences(text: str, limit: int = JUSTIFICATION_CHARS) -> str:
    """A justification the length limit cut off, back to its last complete sentence ("" when
    it cut the first one: a half sentence defends nothing). Shorter text is kept whole."""
    text = text.strip()
    if len(text) < limit - 1 or _SENTENCE_END.search(text[-1:]):
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends else ""


def prose_problems(
    stage: int, proposal, state: dict, rule: StageDecision, tool_numbers=(), sentence: bool = True
) -> list[str]:
    """What is wrong with the prose under a right answer, found when it would be accepted (never
    a reason to ask again: the rule agent's justification replaces such prose). `sentence=False`: a whole paragraph,
    whose decisive reason paragraph.problems checks more strictly."""
    from ceiling.agents.llm.comparisons import false_comparisons

    text, problems = proposal.justification, []
    if units := _wrong_units(text, state, rule, tool_numbers):
        problems.append(f"numbers in the wrong unit: {', '.join(units[:3])}")
    if compared := false_comparisons(text):
        problems.append(f"a comparison the numbers contradict: {'; '.join(compared[:2])}")
    if _TRAILS_OFF.search(text):
        problems.append("the sentence trails off ('...') like the cut passage it copies")
    if keys := _KEY_NAME.findall(text):
        problems.append(f"it names the evidence's keys ({', '.join(dict.fromkeys(keys))}), not what they measure")
    if labels := _PROMPT_LABEL.findall(text):
        problems.append(f"it cites the prompt's sections ({', '.join(dict.fromkeys(labels))}): no reader sees them")
    if sentence and REASON_IN_NUMBERS[stage] and not _keeps_decisive_reason(text, rule):
        problems.append("it states none of the numbers of the decisive reason (" + decisive_sentence(rule) + ")")
    return problems + _argues_for_other(stage, proposal)


# A key of the evidence or the facts ("within_budget", "slo_ms"): prose for people never has one.
_KEY_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
REASON_IN_NUMBERS = {s.number: s.reason_in_numbers for s in STAGES}


def _prompt_labels() -> re.Pattern:
    """The stage prompt's section labels (FACTS, EVIDENCE, PASSAGE, RULE TEXT: its lines' upper-case heads), as a
    pattern. "as the EVIDENCE states" points the reader at text they never see."""
    prompt = "\n".join(template(name).template for name in ("stage.txt", "write_sentence.txt", "write_paragraph.txt"))
    labels = re.findall(r"^([A-Z]{4,})\b", prompt, re.M)
    return re.compile(r"\b(" + "|".join(labels) + r")\b")


_PROMPT_LABEL = _prompt_labels()
_RULE_SENTENCES = re.compile(r"(?<=[.;])\s+(?=[A-Z])")  # the rule text's sentences ("0.89" and "8x" do not end one)


def decisive_sentence(rule: StageDecision) -> str:
    """The rule agent's first sentence: the reason the answer follows (its others weigh the rest and recommend)."""
    return _RULE_SENTENCES.split(rule.justification.strip(), maxsplit=1)[0]


def _keeps_decisive_reason(text: str, rule: StageDecision) -> bool:
    """Prose that replaces the decisive sentence keeps its reason: when that sentence turns on numbers, the prose
    states at least one of them (stage numbers and percentiles are no reason)."""
    decisive = [n for n in ledger.numbers_in(decisive_sentence(rule)) if n not in ledger.FREE]
    if not decisive:
        return True
    said = ledger.numbers_in(text)
    return len(ledger.unsupported(text, decisive, free=frozenset())) < len(said)


def with_rule_rest(sentence: str, rule: StageDecision) -> str:
    """The model's sentence in place of the rule agent's decisive one; the rule's other sentences (the ceilings
    that did not bind, the failure tax, every recommendation) stay after it, so no recommendation is lost."""
    rest = rule.justification.strip()[len(decisive_sentence(rule)) :].strip()
    return f"{sentence} {rest}".strip()


_AXIS = "|".join(AXES)
# "the model and coordination axes": axes the prose itself calls axes (the bare words "data" and
# "model" mean many things)
_NAMED_AXES = re.compile(rf"\b((?:{_AXIS})(?:\s*(?:,|and|&|,\s*and)\s*(?:{_AXIS}))*)\s+ax[ie]s\b", re.I)


def _argues_for_other(stage: int, proposal) -> list[str]:
    """The prose names another allowed answer and never the one given (a retried answer whose
    sentence still argues the first one), or, at stage 2, calls an axis the answer leaves out an
    axis to distribute: such prose does not defend the answer."""
    if stage == 2:
        named = [
            a.lower() for m in _NAMED_AXES.finditer(proposal.justification) for a in re.findall(_AXIS, m.group(1), re.I)
        ]
        extra = [a for a in dict.fromkeys(named) if a not in proposal.answer]
        return [f"the prose names the {extra[0]!r} axis, which the answer does not distribute"] if extra else []

    def said(choice: str):
        return re.search(rf"(?<![\w-]){re.escape(choice)}(?![\w-])", proposal.justification, re.I)

    others = [c for c in CHOICES[stage] if c != proposal.answer and said(c)]
    return (
        [f"the prose argues for {others[0]!r}, not the answer {proposal.answer!r}"]
        if others and not said(proposal.answer)
        else []
    )


def _section(chunk_id: str) -> str:
    from ceiling.corpus.retrieve import default_index

    chunk = default_index().chunk(chunk_id)
    return chunk.section if chunk else ""


def _prompt_digest(messages: list[dict]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]


def _reuse(previous: StageDecision, rule: StageDecision, digest: str, state: dict) -> StageDecision | None:
    """A critic loop that left this stage's prompt unchanged would get the same reply (greedy
    decoding): the previous pass's outcome is reused instead of a call. Its prose is checked
    again against this pass's numbers."""
    record = dict(previous.llm or {})
    if record.get("prompt") != digest or record.get("status") == "fallback":
        return None
    record["reused"] = "same prompt as the previous pass: no call"
    if record.get("status") == "accepted":
        text = record.get("paragraph") or record.get("sentence", previous.justification)
        if (
            _unsupported(text, state, rule)
            or _wrong_units(text, state, rule)
            or (REASON_IN_NUMBERS[rule.stage] and not _keeps_decisive_reason(text, rule))
        ):
            record.update(status="justification replaced", prose_problems=["its numbers are not this pass's"])
        else:
            return rule.model_copy(
                update={
                    "justification": text if "paragraph" in record else with_rule_rest(text, rule),
                    "citations": previous.citations,
                    "llm": record,
                }
            )
    return rule.model_copy(update={"llm": record})


def decide(
    stage: int, state: dict, rule: StageDecision, client, chunk_text, previous: StageDecision | None = None
) -> StageDecision:
    """The final decision for one stage with the LLM's part recorded in its `llm`.

    `previous`: this stage's decision in the pass before a critic loop (reused when its prompt is unchanged)."""
    from ceiling.agents.llm.client import LLMError
    from ceiling.corpus.retrieve import retrieve

    # The chapter's paragraph on this stage, found by the stage's question (not by the rule's
    # answer, which would leak it); one passage keeps the prompt short. A paragraph is written from the rule
    # agent's text, answer and all: its passage is the one that text cites (the stage's question's when none).
    tools, prose = client.settings.tools, client.settings.prose
    writes_paragraph = prose == "paragraph"
    passages = (_cited_passages(rule) if writes_paragraph else []) or retrieve(
        stage_questions()[stage]["question"], k=1
    )
    passage_id = None if tools or not passages else passages[0].chunk_id
    chars = paragraph.PARAGRAPH_CHARS if writes_paragraph else JUSTIFICATION_CHARS
    schema = answer_schema(stage, passage_id, chars=chars)
    max_tokens = paragraph.PARAGRAPH_TOKENS if writes_paragraph else None
    messages = [
        shared_head(state.get("description", ""), client),
        _stage_message(stage, state, rule, passages, with_ids=passage_id is None, prose=prose),
    ]
    digest = _prompt_digest(messages)
    if previous is not None and not tools and (reused := _reuse(previous, rule, digest, state)) is not None:
        return reused
    record: dict = {"model": client.settings.model, "prompt": digest}
    tool_numbers: list[float] = []
    try:
        if tools:
            from ceiling.agents.llm.tools import ToolBox

            proposal, calls = client.complete_with_tools(
                messages, schema, purpose=f"stage {stage}", toolbox=ToolBox(STAGE_TOOLS[stage]), max_tokens=max_tokens
            )
            reply = proposal.model_dump_json()
            record["tools"] = [c.summary() for c in calls]
            tool_numbers, ignored = _tool_numbers(calls, _allowed_numbers(state, rule))
            if ignored:
                record["tool_numbers_ignored"] = ignored
        else:
            proposal, reply = client.reply_json(messages, schema, purpose=f"stage {stage}", max_tokens=max_tokens)
        record["proposed"] = _normalize(stage, proposal.answer)
        problems, citations, numbers = check(stage, proposal, rule, state, chunk_text, tool_numbers, passage_id)
        # Only a wrong answer goes back (once, with the evidence); it is asked for the answer
        # alone: a sentence written after being told what the numbers force defends nothing, so
        # the rule agent's justification stands with it. Bad prose under a right answer is
        # replaced without a call.
        retried = None
        if _normalize(stage, proposal.answer) != expected_answer(stage, rule):
            record["retry_reason"] = "; ".join(problems)
            retry = template("retry.txt").substitute(stage=stage, reason=record["retry_reason"])
            messages += [{"role": "assistant", "content": reply}, {"role": "user", "content": retry}]
            retried = client.complete_json(
                messages, answer_schema(stage, passage_id, cite=False), purpose=f"stage {stage} retry"
            )
            record["proposed_after_retry"] = _normalize(stage, retried.answer)
    except LLMError as exc:
        if exc.tool_results:  # what the model called before the failure stays on the record
            record["tools"] = [c.summary() for c in exc.tool_results]
        record.update(status="fallback", error=str(exc))
        return rule.model_copy(update={"llm": record})

    final = retried or proposal
    if _normalize(stage, final.answer) != expected_answer(stage, rule):
        record.update(
            status="overridden",
            disagreement=f"the model answered {final.answer!r}; the numbers force {expected_answer(stage, rule)!r}",
        )
        return rule.model_copy(update={"llm": record})
    if retried is not None:
        record.update(
            status="accepted after retry", justification="the rule agent's (the first sentence argued another answer)"
        )
        return rule.model_copy(update={"llm": record})
    justification = whole_sentences(proposal.justification, chars)
    found = [p for p in problems if not p.startswith("numbers no tool produced")] + prose_problems(
        stage, proposal, state, rule, tool_numbers, sentence=not writes_paragraph
    )
    if writes_paragraph:
        found += paragraph.problems(
            justification or proposal.justification, _paragraph_stage(stage, state, rule, passages), tool_numbers
        )
    if not justification:
        found.append(f"the {prose} was cut off at the length limit")
    if numbers or found:  # the answer stands, the prose does not: the rule agent's justification replaces it
        record.update(status="justification replaced", proposed_justification=proposal.justification)
        record.update({k: v for k, v in (("unsupported_numbers", numbers), ("prose_problems", found)) if v})
        return rule.model_copy(update={"llm": record})
    record.update({"status": "accepted", str(prose): justification})
    if tool_numbers:  # numbers of the accepted prose that only a tool the model called produced
        rules_only = _unsupported(proposal.justification, state, rule)
        if rules_only:
            record["numbers_from_tools"] = rules_only
    if not citations:
        record["citations"] = "replaced by the rule agent's"
    return rule.model_copy(
        update={
            "justification": justification if writes_paragraph else with_rule_rest(justification, rule),
            "citations": citations or rule.citations,
            "llm": record,
        }
    )


def _paragraph_stage(stage: int, state: dict, rule: StageDecision, passages: list) -> paragraph.Stage:
    """What a paragraph is checked against: the numbers it may copy are the design's (the chapter's passage has its own
    example's: the recorded model copied the fraud example's 2.4 ms into a hospital network's paragraph)."""
    description = state.get("description", "")
    earlier = state["decisions"].get(stage - 1)
    return paragraph.Stage(
        answer=expected_answer(stage, rule),
        rule_text=rule.justification,
        decisive=decisive_sentence(rule),
        earlier_answer=earlier.answer if earlier is not None else "",
        figures=[facts_table(state["facts"]), compact(stage_evidence(stage, rule)), rule.justification, description]
        + [d.justification for n, d in state["decisions"].items() if n < stage],
        passage=passages[0].text if passages else "",
        description=description,
    )


def _cited_passages(rule: StageDecision) -> list:
    """The chunk the rule agent's first citation quotes (the passage that states the answer's rule), or none."""
    from ceiling.corpus.retrieve import default_index

    chunk = default_index().chunk(rule.citations[0].chunk_id) if rule.citations else None
    return [chunk] if chunk is not None else []
