"""Does a review's quote support its stage's answer? Judged against hand labels, not against the reviewer's search.

eval/citations/support.yaml lists, for each stage and answer, the sentences of the packaged chapter that state the
rule forcing that answer (or an example of it). It was written from the chapter alone, by a labeller who never saw
the reviewer. A quote is
- supporting: it is (a clause of) a sentence labelled for the answer given;
- contradicting: it is labelled only for other answers of that stage (it argues for one of them);
- generic: neither (a question restated, a list of sections, or a sentence on another topic).
Quotes of other corpora (``--corpus`` chapters) have no labels and are not judged.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml

LABELS = Path(__file__).resolve().parent / "citations" / "support.yaml"
LABELLED_DOC = "chapter-01-section-08"
Support = Literal["supporting", "generic", "contradicting"]
JUDGEMENTS: tuple[Support, ...] = ("supporting", "generic", "contradicting")


@cache
def labels() -> dict[int, dict[str, list[str]]]:
    data = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    return {int(stage): answers for stage, answers in data.items() if str(stage).isdigit()}


def _same(quote: str, sentence: str) -> bool:
    q, s = " ".join(quote.split()), " ".join(sentence.split())
    return q in s or s in q


def answer_keys(review) -> dict[int, list[str]]:
    """The label keys of each stage's answer (stage 2: each axis distributed; stage 6: within/over budget, of the
    design the stage answered for: the critic's revision when it sent the design back, not the tax as described)."""
    tax = next(s["answer"] for s in review.stages if s["stage"] == 6)
    return {
        1: [review.ceiling],
        2: list(review.distribute) or ["none"],
        3: [review.topology],
        4: [review.mode],
        5: [review.metric],
        6: ["over budget" if "over budget" in tax.lower() else "within budget"],
    }


def judge(stage: int, keys: list[str], quote: str, answers: dict[str, list[str]] | None = None) -> Support:
    """How ``quote`` stands to the answer ``keys`` of ``stage``, by the labels of its answers (``answers``: another
    chapter's, for that stage; the packaged chapter's by default)."""
    answers = labels()[stage] if answers is None else answers
    if any(_same(quote, s) for key in keys for s in answers.get(key) or []):
        return "supporting"
    others = [a for a, sentences in answers.items() if a not in keys and any(_same(quote, s) for s in sentences or [])]
    return "contradicting" if others else "generic"


def judge_review(review) -> dict[int, dict[str, int]]:
    """Stage -> how many of its quotes of the labelled chapter support, are generic, contradict."""
    keys = answer_keys(review)
    out: dict[int, dict[str, int]] = {}
    for stage in review.stages:
        counts = out.setdefault(stage["stage"], dict.fromkeys(JUDGEMENTS, 0))
        for citation in stage["citations"]:
            if citation["chunk_id"].startswith(f"{LABELLED_DOC}:"):
                counts[judge(stage["stage"], keys[stage["stage"]], citation["quote"])] += 1
    return out
