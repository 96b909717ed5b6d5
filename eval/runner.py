"""Run the case set through the reviewer: concurrently (bounded) for the rules, one at a time
through cassettes for an LLM engine. The index and models load once per run."""

from __future__ import annotations

import stat
import time
from concurrent.futures import ThreadPoolExecutor

from ceiling.eval.cases import Case
from ceiling.eval.scorer import CaseResult, score
from ceiling.graph.workflow import chunk_text  # the critic's own lookup; re-exported for the scorer


def run_case(case: Case, llm=None, max_loops: int = 3) -> CaseResult:
    from ceiling.graph.workflow import run

    started = time.perf_counter()
    calls_before = len(llm.usage.calls) if llm is not None else 0
    try:
        state = run(case.description, llm=llm, max_loops=max_loops)
        result = score(case, state["review"], chunk_text, facts=state["facts"])
    except Exception as exc:  # one broken case must not stop the run; it is reported by name
        result = CaseResult(
            id=case.id,
            checks=[],
            answers={},
            error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
        )
    if llm is not None:  # usage of this case only (the client accumulates across cases)
        calls = llm.usage.calls[calls_before:]
        result.calls = len(calls)
        result.prompt_tokens = sum(c.prompt_tokens for c in calls)
        result.completion_tokens = sum(c.completion_tokens for c in calls)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def run_rules(cases: list[Case], jobs: int, on_done=None) -> list[CaseResult]:
    from ceiling.corpus.retrieve import default_index

    default_index()  # open (or build) once, before the workers start
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        results = []
        for result in pool.map(run_case, cases):
            results.append(result)
            if on_done:
                on_done(result)
    return results


def _run_in_cassette(recorder, case: Case, llm, record: bool) -> CaseResult:
    """One case inside its cassette. A cassette vcrpy cannot load (truncated, not YAML, wrong shape)
    fails this case alone, by name; the others are still scored and the report still written."""
    from ceiling.eval.recording import use_cassette

    try:
        with use_cassette(recorder, f"{case.id}.yaml", record):  # an interrupted recording leaves the old file
            return run_case(case, llm)
    except Exception as exc:  # noqa: BLE001 - vcrpy and PyYAML raise many types for a broken file
        what = "recording failed" if record else f"malformed cassette {case.id}.yaml"
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        return CaseResult(id=case.id, checks=[], answers={}, error=f"{what}: {type(exc).__name__}: {detail}")


def run_llm(
    cases: list[Case], llm, model: str, record: bool, on_done=None, keep_matching: bool = False
) -> list[CaseResult]:
    """One case at a time inside its cassette (vcrpy patches the HTTP client process-wide)."""
    from ceiling.corpus.retrieve import default_index
    from ceiling.eval.recording import cassette_dir, make_vcr

    default_index()
    recorder = make_vcr(model, record, keep_matching)
    results = []
    for case in cases:
        path = cassette_dir(model) / f"{case.id}.yaml"
        if not record and not path.exists():
            result = CaseResult(
                id=case.id,
                checks=[],
                answers={},
                skipped=f"no recording for {model}: run `ceiling eval --llm ... --record`",
            )
        elif path.exists() and not stat.S_ISREG(path.stat().st_mode):  # vcrpy would block reading a FIFO
            result = CaseResult(id=case.id, checks=[], answers={}, error=f"cassette {path.name} is not a regular file")
        else:
            result = _run_in_cassette(recorder, case, llm, record)
        results.append(result)
        if on_done:
            on_done(result)
    return results
