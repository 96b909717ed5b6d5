"""Score one review against one case: a named check per stage, numbers, loops, citations."""

from __future__ import annotations

from pydantic import BaseModel

from ceiling.eval.cases import Case
from ceiling.eval.citation_support import JUDGEMENTS, judge_review

STAGE_FIELDS = ("ceiling", "distribute", "topology", "mode", "metric", "tax")


class Check(BaseModel):
    name: str  # e.g. "ceiling", "numbers.communication_ms", "loops"
    passed: bool
    expected: str
    got: str


class CaseResult(BaseModel):
    id: str
    checks: list[Check]
    answers: dict[str, str]
    citations: int = 0
    citations_valid: int = 0
    citation_support: dict[int, dict[str, int]] = {}  # stage -> supporting / generic / contradicting quotes
    llm_proposals: int = 0
    llm_survived: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None
    skipped: str | None = None  # e.g. no recorded LLM traffic for this case

    def stage_ok(self, field: str) -> bool | None:
        relevant = [
            c
            for c in self.checks
            if c.name == field or (field == "tax" and c.name.startswith(("numbers.", "loops", "feasible")))
        ]
        return None if not relevant else all(c.passed for c in relevant)

    @property
    def all_six(self) -> bool:
        return all(self.stage_ok(f) is not False for f in STAGE_FIELDS) and not self.error


def _one_of(name: str, allowed: list[str] | None, got: str) -> list[Check]:
    if allowed is None:
        return []
    return [Check(name=name, passed=got in allowed, expected=" | ".join(allowed), got=got)]


def _read_checks(case: Case, facts) -> list[Check]:
    """Each number the case says the text states, against what the reader read (assumed values fail)."""
    checks = []
    for field, want in case.read.items():
        fact = getattr(facts, field, None) if facts is not None else None
        got = fact.value if fact is not None and fact.known and not (fact.assumed and not fact.quote) else None
        ok = isinstance(got, (int, float)) and abs(float(got) - want.value) <= want.tol * abs(want.value) + 1e-9
        expected = f"{want.value:g} +/- {want.tol:.0%}"
        checks.append(Check(name=f"read.{field}", passed=ok, expected=expected, got=str(got)))
    return checks


def score(case: Case, review, chunk_text, facts=None) -> CaseResult:
    e = case.expect
    checks = _one_of("ceiling", e.ceiling, review.ceiling) + _one_of("topology", e.topology, review.topology)
    checks += _one_of("mode", e.mode, review.mode) + _one_of("metric", e.metric, review.metric)
    if e.distribute is not None:
        got = set(review.distribute)
        ok = set(e.distribute.must) <= got and not (got & set(e.distribute.must_not))
        checks.append(
            Check(
                name="distribute",
                passed=ok,
                got=", ".join(review.distribute) or "none",
                expected=f"must {sorted(e.distribute.must)}, must not {sorted(e.distribute.must_not)}",
            )
        )
    for key, want in case.numbers.items():
        got = review.tax.get(key)
        ok = got is not None and abs(float(got) - want.value) <= want.tol + 1e-9
        checks.append(Check(name=f"numbers.{key}", passed=ok, expected=f"{want.value} +/- {want.tol}", got=str(got)))
    if case.loops != "any":
        checks.append(
            Check(
                name="loops",
                passed=(review.loops > 0) == (case.loops == "must"),
                expected=case.loops,
                got=str(review.loops),
            )
        )
    if case.feasible is not None:
        checks.append(
            Check(
                name="feasible",
                passed=review.feasible in case.feasible,
                expected=str(case.feasible),
                got=str(review.feasible),
            )
        )
    checks += _read_checks(case, facts)
    citations = [c for s in review.stages for c in s["citations"]]
    valid = sum(1 for c in citations if (text := chunk_text(c["chunk_id"])) is not None and c["quote"] in text)
    checks.append(
        Check(
            name="citations",
            passed=bool(citations) and valid == len(citations),
            expected="all resolve",
            got=f"{valid}/{len(citations)}",
        )
    )
    result = CaseResult(
        id=case.id,
        checks=checks,
        citations=len(citations),
        citations_valid=valid,
        citation_support=judge_review(review),
        answers={
            "ceiling": review.ceiling,
            "distribute": ", ".join(review.distribute) or "none",
            "topology": review.topology,
            "mode": review.mode,
            "metric": review.metric,
            "loops": str(review.loops),
        },
    )
    if review.llm:
        usage = review.llm["usage"]
        result.llm_proposals, result.llm_survived = review.llm["proposals"], review.llm["survived"]
        result.calls, result.prompt_tokens, result.completion_tokens = (
            usage["calls"],
            usage["prompt_tokens"],
            usage["completion_tokens"],
        )
    return result


def summarize(all_results: list[CaseResult]) -> dict:
    """Per-field accuracy, all-six rate, numeric accuracy, loop correctness, citation validity, LLM survival."""
    results = [r for r in all_results if not r.skipped]

    def rate(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    per_field = {f: rate([ok for r in results if (ok := r.stage_ok(f)) is not None]) for f in STAGE_FIELDS}
    support = {
        stage: {j: sum(r.citation_support.get(stage, {}).get(j, 0) for r in results) for j in JUDGEMENTS}
        for stage in range(1, len(STAGE_FIELDS) + 1)
    }
    judged = {j: sum(s[j] for s in support.values()) for j in JUDGEMENTS}
    quotes = sum(judged.values())
    checks = [c for r in results for c in r.checks]
    proposals = sum(r.llm_proposals for r in results)
    n = max(len(results), 1)
    return {
        "cases": len(results),
        "skipped": len(all_results) - len(results),
        "errors": sum(1 for r in results if r.error),
        "per_field": per_field,
        "all_six": rate([r.all_six for r in results]),
        "numbers": rate([c.passed for c in checks if c.name.startswith("numbers.")]),
        "read": rate([c.passed for c in checks if c.name.startswith("read.")]),
        "loops": rate([c.passed for c in checks if c.name == "loops"]),
        "citations_valid": rate([c.passed for c in checks if c.name == "citations"]),
        # of the quotes of the labelled chapter (eval/citation_support.py): the share that supports its answer, and
        # the share that does not argue for another answer
        "citation_support": round(judged["supporting"] / quotes, 4) if quotes else None,
        "citations_not_contradicting": round(1 - judged["contradicting"] / quotes, 4) if quotes else None,
        "citation_support_per_stage": {
            f: round(s["supporting"] / sum(s.values()), 4) if sum(s.values()) else None
            for f, s in zip(STAGE_FIELDS, support.values(), strict=True)
        },
        "citation_counts": judged,
        "llm_survival": round(sum(r.llm_survived for r in results) / proposals, 4) if proposals else None,
        "calls_per_case": round(sum(r.calls for r in results) / n, 2),
        "tokens_per_case": round(sum(r.prompt_tokens + r.completion_tokens for r in results) / n, 1),
        "seconds_per_case": round(sum(r.seconds for r in results) / n, 3),
    }
