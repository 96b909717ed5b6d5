"""The tools an LLM stage agent may call: `retrieve` over the corpus and a few functions of
the scoring tool, each with a pydantic argument model from which its OpenAI tool definition
is generated.

A call never raises: an unknown tool, arguments that are not JSON or fail the schema, and a
formula's own ValueError all come back to the model as an error result it can read. Numbers
in the result of a computing tool are tool-produced for the numbers ledger; `retrieve`
returns chapter text, whose numbers describe the chapter's examples, not this design.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ceiling.agents.scoring import formulas as scoring

PASSAGE_CHARS = 400


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrieveArgs(_Args):
    query: str = Field(min_length=1, max_length=300, description="what to look up in the chapter")
    k: int = Field(2, ge=1, le=3, description="how many passages")


class CommTaxArgs(_Args):
    fanout: int = Field(ge=0, le=100_000, description="sequential remote lookups per request")
    hop_latency_ms: float = Field(ge=0, description="latency of one lookup, ms")
    slo_ms: float = Field(gt=0, description="latency budget per request, ms")


class AllReduceArgs(_Args):
    workers: int = Field(ge=1, le=1_000_000, description="ranks taking part")
    message_gb: float = Field(gt=0, description="bytes each rank reduces (gradients), GB")
    bandwidth_gb_per_s: float = Field(gt=0, description="link bandwidth, GB/s")
    alpha_us: float = Field(5.0, ge=0, description="latency per message, microseconds")


class FailureArgs(_Args):
    device_mtbf_h: float = Field(gt=0, description="mean time between failures of one device, hours")
    devices: int = Field(ge=1, description="devices in the fleet")
    window_h: float = Field(24.0, gt=0, description="time window, hours")
    checkpoint_write_s: float | None = Field(None, gt=0, description="time to write one checkpoint, s (training)")


class TrainingComputeArgs(_Args):
    params: float = Field(gt=0, description="model parameters, e.g. 7e10")
    tokens: float = Field(gt=0, description="training tokens, e.g. 2e12")
    gpus: int = Field(ge=1, description="accelerators")
    peak_tflops: float = Field(989.0, gt=0, description="peak TFLOP/s of one accelerator")
    mfu: float = Field(0.4, gt=0, le=1, description="model FLOPs utilisation")


def _retrieve(args: RetrieveArgs) -> dict:
    from ceiling.corpus.retrieve import retrieve

    return {
        "passages": [
            {"chunk_id": p.chunk_id, "section": p.section, "text": p.text[:PASSAGE_CHARS]}
            for p in retrieve(args.query, k=args.k)
        ]
    }


def _comm_tax(args: CommTaxArgs) -> dict:
    tax = scoring.comm_tax_ms(args.fanout, args.hop_latency_ms)
    left = scoring.budget_left_ms(args.slo_ms, tax)
    within = tax < args.slo_ms and not math.isclose(tax, args.slo_ms, rel_tol=1e-9)  # nothing left is not within
    out = {"communication_ms": round(tax, 6), "budget_left_ms": round(left, 6), "within_budget": within}
    if args.hop_latency_ms > 0:
        out["fanout_break_point"] = round(scoring.fanout_break_point(args.slo_ms, args.hop_latency_ms), 4)
    return out


def _allreduce(args: AllReduceArgs) -> dict:
    message, bandwidth, alpha = args.message_gb * 1e9, args.bandwidth_gb_per_s * 1e9, args.alpha_us * 1e-6
    name, seconds = scoring.best_allreduce(args.workers, message, bandwidth, alpha)
    return {
        "best_algorithm": name,
        "allreduce_ms": round(seconds * 1e3, 6),
        "ring_allreduce_ms": round(scoring.ring_allreduce_s(args.workers, message, bandwidth, alpha) * 1e3, 6),
    }


def _failure(args: FailureArgs) -> dict:
    fleet = scoring.fleet_mtbf_h(args.device_mtbf_h, args.devices)
    out = {
        "fleet_mtbf_h": round(fleet, 4),
        "p_failure_in_window": round(scoring.p_failure_within(args.window_h, fleet), 4),
        "failures_per_window": round(args.window_h / fleet, 4),
    }
    if args.checkpoint_write_s is not None:
        mtbf_s = fleet * 3600
        young = scoring.young_interval_s(args.checkpoint_write_s, mtbf_s)
        out.update(
            young_interval_s=round(young, 2),
            wasted_fraction=round(scoring.wasted_fraction(args.checkpoint_write_s, young, mtbf_s), 4),
        )
    return out


def _training_compute(args: TrainingComputeArgs) -> dict:
    flops = scoring.training_flops(args.params, args.tokens)
    seconds = scoring.training_time_s(flops, args.gpus, args.peak_tflops * 1e12, args.mfu)
    return {
        "training_flops": float(f"{flops:.4g}"),
        "training_time_h": round(seconds / 3600, 4),
        "training_time_days": round(seconds / 86400, 4),
    }


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[BaseModel], dict]
    computes: bool  # its numbers are tool-produced (the ledger counts them)


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "retrieve",
            "Passages of the chapter most similar to a query, with chunk ids to cite.",
            RetrieveArgs,
            _retrieve,
            False,
        ),
        Tool(
            "comm_tax",
            "Fan-out communication tax: lookups x hop latency vs the latency budget (Code 1.8.1).",
            CommTaxArgs,
            _comm_tax,
            True,
        ),
        Tool(
            "allreduce_time",
            "Time of one all-reduce over the workers (alpha-beta model; best of ring and Rabenseifner).",
            AllReduceArgs,
            _allreduce,
            True,
        ),
        Tool(
            "failure_probability",
            "Failure tax: fleet MTBF, P(some failure in the window), Young checkpoint interval.",
            FailureArgs,
            _failure,
            True,
        ),
        Tool(
            "training_compute",
            "Training compute 6 x params x tokens and its wall time on the accelerators.",
            TrainingComputeArgs,
            _training_compute,
            True,
        ),
    )
}


class ToolResult(BaseModel):
    """One executed tool call: the result, or the exact error the model is shown."""

    name: str
    arguments: str
    ok: bool
    result: dict | None = None
    error: str | None = None
    computes: bool = False

    def content(self) -> str:
        """The text sent back to the model as the tool message."""
        return json.dumps(self.result if self.ok else {"error": self.error}, separators=(",", ":"))

    def summary(self) -> dict:
        """What the review records of this call (retrieve: the chunk ids, not the text)."""
        out: dict = {"name": self.name, "arguments": self.arguments, "ok": self.ok}
        if not self.ok:
            out["error"] = self.error
        elif self.name == "retrieve":
            out["chunk_ids"] = [p["chunk_id"] for p in (self.result or {}).get("passages", [])]
        else:
            out["result"] = self.result
        return out

    def numbers(self) -> list[float]:
        """The numbers this call produced (for the ledger): computing tools' results only."""
        from ceiling.agents.llm.ledger import numbers_in

        return numbers_in(self.result) if self.ok and self.computes else []


def _strip_titles(schema):
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _explain(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


class ToolBox:
    """A set of tools with their OpenAI definitions, their execution and the prompts that
    carry their results back (llama.cpp's chatml-function-calling format does not show
    `tool` messages to the model, so each round's results are restated in a user message)."""

    def __init__(self, names: tuple[str, ...] | None = None):
        self.tools = {n: TOOLS[n] for n in (names or tuple(TOOLS))}

    def definitions(self) -> list[dict]:
        return [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": _strip_titles(t.args.model_json_schema()),
                },
            }
            for t in self.tools.values()
        ]

    def call(self, name: str, arguments: str | dict | None) -> ToolResult:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult(
                name=name,
                arguments=raw,
                ok=False,
                error=f"unknown tool {name!r}; the tools are: {', '.join(self.tools)}",
            )
        try:
            parsed = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolResult(
                name=name,
                arguments=raw,
                ok=False,
                error=f"arguments are not valid JSON: {exc.msg} at position {exc.pos}",
            )
        if not isinstance(parsed, dict):
            return ToolResult(name=name, arguments=raw, ok=False, error="arguments must be a JSON object")
        try:
            args = tool.args.model_validate(parsed)
        except ValidationError as exc:
            return ToolResult(name=name, arguments=raw, ok=False, error=f"invalid arguments: {_explain(exc)}")
        try:
            result = tool.run(args)
        except (ValueError, ArithmeticError) as exc:
            return ToolResult(name=name, arguments=raw, ok=False, error=f"{type(exc).__name__}: {exc}")
        return ToolResult(name=name, arguments=raw, ok=True, result=result, computes=tool.computes)

    def skipped(self, name: str, arguments: str | None, limit: int) -> ToolResult:
        return ToolResult(
            name=name, arguments=arguments or "", ok=False, error=f"not run: at most {limit} tool calls per round"
        )

    # The prompts of the tool path (prompts/tools*.txt): never inlined here.
    def intro_message(self, rounds: int) -> dict:
        from ceiling.agents.llm.prompting import template

        scoring_tools = ", ".join(n for n, t in self.tools.items() if t.computes) or "none for this stage"
        return {"role": "user", "content": template("tools.txt").substitute(rounds=rounds, scoring=scoring_tools)}

    def results_message(self, results: list[ToolResult]) -> dict:
        from ceiling.agents.llm.prompting import template

        lines = "\n".join(f"- {r.name}({r.arguments}) -> {r.content()}" for r in results)
        return {"role": "user", "content": template("tool_results.txt").substitute(results=lines)}

    def final_message(self) -> dict:
        from ceiling.agents.llm.prompting import template

        return {"role": "user", "content": template("tools_final.txt").substitute()}


def produced_numbers(results: list[ToolResult]) -> list[float]:
    return [n for r in results for n in r.numbers()]
