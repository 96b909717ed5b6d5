"""Citations for a stage: the corpus sentence that states the rule behind the stage's answer.

Each answer's claim and the words that name it are declared once, in prompts/claims.yaml; the search and its
checks (no question restated, no other answer argued, cite nothing rather than filler) are corpus/support.py's.
"""

from __future__ import annotations

import weakref
from functools import cache

from ceiling.agents.schemas import Citation

__all__ = ["cite", "claims"]

_WARMED: weakref.WeakSet = weakref.WeakSet()  # the indexes whose claim and question vectors are in their cache


@cache
def claims() -> dict[int, dict[str, dict]]:
    """Stage -> answer key -> {"claim": the rule that forces it, "names": the words that assert it}."""
    from importlib.resources import files

    import yaml

    return yaml.safe_load(files("ceiling.prompts").joinpath("claims.yaml").read_text(encoding="utf-8"))


def _search_terms(stage: int, key: str) -> tuple[str, list[str], list[str], list[str]]:
    """(claim, names, rivals, elsewhere) of one answer: what a quote for it must state, name, not argue, not be."""
    from ceiling.agents.llm.prompting import stage_questions

    answers = claims()[stage]
    entry = answers[key]
    rivals = [n for other, e in answers.items() if other != key for n in e["names"]]
    # a later stage's rule is a consequence of this answer, not its reason; the question restated supports nothing
    later = [e["claim"] for s, later_answers in claims().items() if s > stage for e in later_answers.values()]
    return entry["claim"], entry["names"], rivals, [*later, stage_questions()[stage]["question"]]


@cache
def _all_texts() -> tuple[str, ...]:
    """Every text a citation search embeds besides the corpus: the claims and the stages' questions."""
    from ceiling.agents.llm.prompting import stage_questions

    questions = [stage["question"] for stage in stage_questions().values()]
    return (*(e["claim"] for answers in claims().values() for e in answers.values()), *questions)


def cite(stage: int, *keys: str, index=None) -> list[Citation]:
    """One quote per answer key (stage 2 gives one per axis distributed) that states its rule; none for a key the
    corpus states no rule for (the writer says so), and never the same sentence twice. ``index``: a CorpusIndex
    (the running review's corpus by default)."""
    from ceiling.corpus.retrieve import default_index
    from ceiling.corpus.support import supporting

    index = index if index is not None else default_index()
    if index not in _WARMED:  # every claim and question in one batch, once per index (a miss loads the model once)
        index.embed_texts(_all_texts())
        _WARMED.add(index)
    out: list[Citation] = []
    for key in keys:
        for support in supporting(*_search_terms(stage, key), k=1 + len(out), index=index):
            if all(c.quote != support.quote for c in out):
                out.append(Citation(chunk_id=support.chunk_id, section=support.section, quote=support.quote))
                break
    return out
