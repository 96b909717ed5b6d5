"""What the model adds to a review (issue 21's measures; prints figures, never a test).

Per case: calls, tokens and seconds; stage answers right on the first pass (the model's proposal equals what the
numbers force); how many final stage paragraphs hold the model's prose (its sentence, or with `--prose paragraph` the
whole paragraph), of those right first answers (after a retry the rule text stands), and which checks refused the
rest; facts the model proposed, kept and right (against the case's listed `read` numbers);
mismatch pairs proposed, kept and right (the model's value is the case's listed one).

Replays the recorded traffic (eval/cassettes) by default: no server, seconds are replay time. `--live` asks the local
server instead (`make local` first) and records nothing: use it for a suite without recordings, e.g.
`python eval/bench_model.py --suite real --live --only s_deepseek_v3_inference_system,t_olmo3_32b_pretraining`, or
`--live --prose paragraph` for paragraph mode.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import re
import time

from ceiling.agents.llm.stage import expected_answer
from ceiling.eval.cases import SUITES, load_cases


def _right(case, field: str, value: float) -> bool | None:
    """Whether `value` is the number the case lists for `field` (None: the case lists none)."""
    expected = case.read.get(field)
    if expected is None:
        return None
    return abs(value - expected.value) <= max(expected.tol, 0.01) * abs(expected.value)


def measure(case, state, seconds: float, usage_calls: list) -> dict:
    """One case's figures from its finished review state."""
    decisions = state["decisions"]
    records = {n: d.llm or {} for n, d in decisions.items()}
    proposed = {n: r for n, r in records.items() if "proposed" in r}
    first_right = [n for n, r in proposed.items() if r["proposed"] == expected_answer(n, decisions[n])]
    model_prose = [n for n, r in records.items() if r.get("status") == "accepted"]
    notes = state.get("facts_notes") or []
    filled = state["facts"].llm_filled
    mismatches = state.get("mismatches") or []
    return {
        "id": case.id,
        "calls": len(usage_calls),
        "tokens": sum(c.prompt_tokens + c.completion_tokens for c in usage_calls),
        "seconds": seconds,
        "first_right": len(first_right),
        "proposals": len(proposed),
        "prose": len(model_prose),
        "facts_proposed": len(filled) + sum(n.startswith("dropped ") for n in notes),
        "facts_kept": len(filled),
        "facts_right": sum(bool(_right(case, f, state["facts"].num(f))) for f in filled),
        "pairs_proposed": len(mismatches) + sum(n.startswith("mismatch dropped") for n in notes),
        "pairs_kept": len(mismatches),
        "pairs_right": sum(bool(_right(case, m.field, m.model_value)) for m in mismatches),
    }


def _why_refused(state) -> list[str]:
    """The checks the model's refused prose failed, one entry per check per stage (its words before any detail)."""
    out = []
    for decision in state["decisions"].values():
        record = decision.llm or {}
        if record.get("status") == "justification replaced":
            unsupported = ["numbers no tool produced"] if record.get("unsupported_numbers") else []
            problems = record.get("prose_problems", []) + unsupported
            out += list(dict.fromkeys(re.split(r"[:('0-9]", p, maxsplit=1)[0].strip() for p in problems))
    return out


@contextlib.contextmanager
def _client(live: bool, prose: str | None):
    if live:
        from ceiling.app.engines import Engine, open_engine

        with open_engine(Engine.local, prose=prose) as client:
            yield client
        return
    from ceiling.app.engines import Engine
    from ceiling.app.evaluate import _replay_client

    yield _replay_client(Engine.local, None)


def main() -> None:
    from ceiling.corpus.retrieve import default_index
    from ceiling.eval.recording import cassette_dir, make_vcr, use_cassette
    from ceiling.graph.workflow import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="cases")
    parser.add_argument("--live", action="store_true", help="ask the local server instead of replaying recordings")
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("--only", default="", help="only these case ids (comma-separated)")
    parser.add_argument("--show", action="store_true", help="print each stage paragraph that holds the model's prose")
    parser.add_argument(
        "--prose", choices=["sentence", "paragraph"], help="with --live: what the model writes (recordings: sentence)"
    )
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    cases = [c for c in load_cases(SUITES[args.suite]) if not only or c.id in only][: args.limit or None]
    default_index()
    header = "case calls tokens s first-right/proposed prose/first-right facts p/k/r pairs p/k/r"
    print(header)
    rows = []
    refused: collections.Counter = collections.Counter()
    with _client(args.live, args.prose) as client:
        recorder = make_vcr(client.settings.model, record=False)
        for case in cases:
            recorded = cassette_dir(client.settings.model) / f"{case.id}.yaml"
            if not args.live and not recorded.exists():
                print(f"{case.id}: no recording (use --live)")
                continue
            before, started = len(client.usage.calls), time.perf_counter()
            with use_cassette(recorder, recorded.name, False) if not args.live else contextlib.nullcontext():
                state = run(case.description, llm=client)
            row = measure(case, state, time.perf_counter() - started, client.usage.calls[before:])
            rows.append(row)
            refused.update(_why_refused(state))
            if args.show:
                for number, decision in state["decisions"].items():
                    if (decision.llm or {}).get("status") == "accepted":
                        print(f"  stage {number} kept: {decision.justification}")
            print(
                f"{row['id']} {row['calls']} {row['tokens']} {row['seconds']:.1f} {row['first_right']}/"
                f"{row['proposals']} {row['prose']}/{row['first_right']} {row['facts_proposed']}/{row['facts_kept']}/"
                f"{row['facts_right']} {row['pairs_proposed']}/{row['pairs_kept']}/{row['pairs_right']}",
                flush=True,
            )
    if not rows:
        return
    total = {key: sum(r[key] for r in rows) for key in rows[0] if key != "id"}
    n = len(rows)
    print(
        f"\n{n} reviews: {total['calls'] / n:.1f} calls, {total['tokens'] / n:,.0f} tokens, "
        f"{total['seconds'] / n:.1f} s per review; first-pass answers right {total['first_right']}/"
        f"{total['proposals']}; model prose kept for {total['prose']} of {total['first_right']} right first answers "
        f"({total['prose']} of {6 * n} paragraphs); facts proposed/kept/right {total['facts_proposed']}/"
        f"{total['facts_kept']}/{total['facts_right']}; mismatch pairs proposed/kept/right {total['pairs_proposed']}/"
        f"{total['pairs_kept']}/{total['pairs_right']}"
    )
    if refused:
        print("model prose refused, by check: " + "; ".join(f"{why} {n}" for why, n in refused.most_common()))


if __name__ == "__main__":
    main()
