"""What changed between two reviews: the stage answers first, then the numbers behind them.

Used by the chat after a what-if follow-up and by `ceiling diff old.md new.md`. A review's
markdown carries its JSON in a trailing HTML comment, so a saved .md diffs as exactly as a .json.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ceiling.agents.review import prose
from ceiling.agents.schemas import Review

MARKER = "<!-- ceiling-review-json"
_EMBED = re.compile(re.escape(MARKER) + r"\n(?P<json>.*?)\n-->", re.S)


class Difference(BaseModel):
    what: str
    before: str
    after: str
    kind: str  # "answer" or "number"


def _stage6(review: Review) -> str:
    if "within_budget" not in review.tax:  # a review saved without it: say nothing rather than "over budget"
        return "-"
    return "within budget" if review.tax["within_budget"] else "over budget"


def _answers(r: Review) -> dict[str, str]:
    return {
        "1. ceiling": r.ceiling,
        "2. distribute": ", ".join(r.distribute) or "nothing (one machine)",
        "3. topology": r.topology,
        "4. mode": r.mode,
        "5. metric": r.metric,
        "6. tax": _stage6(r),
        "verdict": "feasible" if r.feasible else "infeasible",
        "alternative": r.alternative.design,
    }


def _numbers(r: Review) -> dict[str, float | None]:
    t = r.tax  # a plain dict in the schema: any key may be missing from a saved review, so .get
    failure = t.get("failure") if isinstance(t.get("failure"), dict) else {}
    out = {
        "communication (ms)": t.get("communication_ms"),
        "SLO (ms)": t.get("slo_ms"),
        "budget left (ms)": t.get("budget_left_ms"),
        "P(failure in 24 h)": failure.get("p_any_down"),
        "critic loops": r.loops,
    }
    out.update({f"{name} ceiling pressure": p for name, p in r.pressures.items()})
    out.update({f"{a['axis']} axis pressure": a.get("pressure") for a in r.axes if "axis" in a})
    return out


def _fmt(what: str, value) -> str:
    """A changed number as the review writes it (the unit is in the row's name): 2.4, 17,600, 0.2%."""
    if what.startswith("P(") and isinstance(value, int | float) and not isinstance(value, bool):
        return prose.percent(value)
    return prose.number(value)


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)
    return a == b


def diff(old: Review, new: Review) -> list[Difference]:
    out = [
        Difference(what=k, before=v, after=_answers(new)[k], kind="answer")
        for k, v in _answers(old).items()
        if v != _answers(new)[k]
    ]
    new_numbers = _numbers(new)
    out += [
        Difference(what=k, before=_fmt(k, v), after=_fmt(k, new_numbers.get(k)), kind="number")
        for k, v in _numbers(old).items()
        if not _same(v, new_numbers.get(k))
    ]
    return out


def summary(differences: list[Difference]) -> str:
    """One sentence: whether the verdict turned and how many stage answers changed ("1 stage answer changed")."""
    if not differences:
        return "No stage answer or number changed."
    verdict = next((d for d in differences if d.what == "verdict"), None)
    stages = [d for d in differences if d.kind == "answer" and d.what[:1].isdigit()]
    said = f"The verdict turned {verdict.after}. " if verdict else ""
    if stages:
        return said + f"{prose.plural(len(stages), 'stage answer')} changed."
    other = [d.what for d in differences if d.kind == "answer" and d is not verdict]
    return said + (
        f"No stage answer changed; the {' and the '.join(other)} did."
        if other
        else "No stage answer changed; only numbers moved."
    )


def markdown(differences: list[Difference]) -> str:
    if not differences:
        return summary(differences)
    rows = ["| | Before | After |", "|---|---|---|"] + [
        f"| {'**' + d.what + '**' if d.kind == 'answer' else d.what} | {d.before} | {d.after} |" for d in differences
    ]
    return summary(differences) + "\n\n" + "\n".join(rows)


def embed(review: Review) -> str:
    """The review's JSON as an HTML comment (invisible when the markdown is rendered)."""
    # "<" and ">" escaped so no text inside can close the comment early.
    text = review.model_dump_json().replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{MARKER}\n{text}\n-->\n"


def visible_part(markdown: str) -> str:
    """A review's markdown without its embedded JSON (for display)."""
    return markdown.split(MARKER)[0]


def load(text: str, name: str = "review") -> Review:
    """A review from a saved .json, or from a .md written by `ceiling review` (its embedded JSON).
    Raises ValueError naming `name`: not a review, or (TooDeep) nested too deeply."""
    from pydantic import ValidationError

    from ceiling.agents.files import InputError, TooDeep, parse_structured

    not_a_review = f"{name}: not a ceiling review (expected the .json or .md that `ceiling review` writes)"
    match = _EMBED.search(text)
    try:
        return Review.model_validate(parse_structured(match.group("json") if match else text, name, json_only=True))
    except TooDeep:
        raise
    except (InputError, ValidationError):
        raise ValueError(not_a_review) from None
