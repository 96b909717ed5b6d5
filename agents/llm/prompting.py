"""Prompt files -> chat messages. The shared part (rules, fenced description, then the facts
table at the head of each stage's message) comes first and is identical for every stage, so
llama.cpp reuses the cached prefix."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from string import Template

from ceiling.agents.schemas import SystemFacts


@cache
def template(name: str) -> Template:
    from importlib.resources import files

    return Template(files("ceiling.prompts").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def stage_questions() -> dict[int, dict[str, str]]:
    from importlib.resources import files

    import yaml

    return yaml.safe_load(files("ceiling.prompts").joinpath("stages.yaml").read_text(encoding="utf-8"))


def facts_table(facts: SystemFacts) -> str:
    lines = []
    for name, fact in facts.facts():
        if fact.value is None:
            continue
        value = f"{fact.value:.6g}" if isinstance(fact.value, float) else str(fact.value)
        # Whether a value was assumed matters to the stages; why it was is for the report.
        lines.append(f"- {name} = {value}{' ' + fact.unit if fact.unit else ''}{' (assumed)' if fact.assumed else ''}")
    return "\n".join(lines)


_FENCE_TAG = re.compile(r"<\s*(/?)\s*description\s*>", re.I)


def system_message(description: str, tools: bool = False, prose: str = "sentence") -> dict:
    """The shared head of every call of a review (so `tools` and `prose` must be the review's settings):
    rules, the stage answer form, the fenced description. With tools a citation names its chunk id."""
    # A fence tag inside the description, in any spelling ("</DESCRIPTION >"), must not end the
    # fence early or open a second one.
    fenced = _FENCE_TAG.sub(lambda m: f"[{m.group(1)}description]", description)
    # With tools a passage may come from a retrieve result as well as the stage's PASSAGE.
    cited, source = ('"chunk_id": "<id of a passage>", ', "that passage") if tools else ("", "the PASSAGE")
    citation = f'{{{cited}"quote": "<3 to 8 words copied exactly from {source}>"'
    return {
        "role": "system",
        "content": template("system.txt").substitute(
            description=fenced.strip(), citation=citation, justification=f"<one {prose}>"
        ),
    }


def shared_head(description: str, client) -> dict:
    """`system_message` with the client's settings: every agent of a review opens its calls with it."""
    return system_message(description, client.settings.tools, client.settings.prose)


def compact(evidence: dict) -> str:
    return json.dumps(evidence, default=str, separators=(",", ":"))[:2500]
