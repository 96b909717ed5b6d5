"""What a review run is configured with, as opposed to what it computes: LangGraph's run context.

In process (the CLI, the chat, the eval) a caller passes one `RunContext`, with a live LLM client in it. A LangGraph
server run (Studio, the SDK, the server's /mcp) can pass only JSON: the graph's `context_schema` is `ContextInput`,
which LangGraph builds from the run's mapping; `of` turns it into the `RunContext` every node reads (the engine, the
ask switch, the loop bound, the reference machine and the corpus it cites), and nothing else carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ceiling.agents.llm.prose import Prose
from ceiling.agents.scoring.reference import ReferenceMachine

RECURSION_PER_LOOP = 10  # graph steps one critic loop takes (six stages, critic, revise) with room to spare
MAX_LOOPS = 10  # as the CLI's --max-loops allows


@dataclass(frozen=True)
class RunContext:
    llm: Any = None  # an LLMClient: the stage and facts agents propose through it; None: the rule agents alone
    ask: bool = False  # stop and ask for silent quantities that could flip the verdict (the chat's interrupt)
    max_loops: int = 3  # how many times the critic may send the design back
    machine: ReferenceMachine = field(default_factory=ReferenceMachine)  # what "one machine" means
    corpus: tuple[Path, ...] = ()  # folders of chapters cited beside the packaged one

    @property
    def engine(self) -> str:
        return self.llm.engine if self.llm is not None else "deterministic"

    @property
    def recursion_limit(self) -> int:
        return RECURSION_PER_LOOP * (self.max_loops + 3)


class ContextInput(BaseModel):
    """The run context as JSON (the graph's `context_schema`): what a server run passes, every field optional."""

    model_config = ConfigDict(extra="forbid")

    ask: bool = Field(False, description="Stop at a question (an interrupt) for silent quantities that could flip it")
    engine: Literal["off", "openai"] = Field(
        "off",
        description="off: the rule agents, no network; openai: an OpenAI-compatible endpoint, from OPENAI_BASE_URL "
        "and OPENAI_API_KEY in the server's environment",
    )
    model: str | None = Field(None, description="The model, for engine openai (default: CEILING_LLM_MODEL)")
    tools: bool | None = Field(None, description="Stage agents may call tools, for engine openai (CEILING_LLM_TOOLS)")
    prose: Prose | None = Field(
        None,
        description="What the model writes of each stage's paragraph, for engine openai: all of it (paragraph) or its "
        "decisive sentence (default: CEILING_LLM_PROSE, else paragraph)",
    )
    max_loops: int = Field(3, ge=0, le=MAX_LOOPS, description="How many times the critic may send the design back")
    machine: ReferenceMachine | None = Field(None, description="The reference machine (default: one 8x H100 node)")
    corpus: list[str] = Field(
        default_factory=list, description="Folders (on the server) of chapters cited beside the packaged one"
    )

    # LangGraph builds one ContextInput per run and hands the same object to every node: the RunContext made from it
    # is kept on it, so a run opens one client and the writer reports that client's token usage.
    _run_context: RunContext | None = PrivateAttr(None)

    def run_context(self) -> RunContext:
        if self._run_context is None:
            self._run_context = RunContext(
                llm=self._open_llm(),
                ask=self.ask,
                max_loops=self.max_loops,
                machine=self.machine or ReferenceMachine(),
                corpus=tuple(Path(folder) for folder in self.corpus),
            )
        return self._run_context

    def _open_llm(self):
        """The engine's client; engine "off" opens nothing and touches no network."""
        if self.engine == "off":
            return None
        from ceiling.agents.llm.client import LLMClient, LLMError, llm_configured, settings_from_env

        if not llm_configured():
            raise LLMError("engine openai needs OPENAI_API_KEY or OPENAI_BASE_URL in the server's environment")
        return LLMClient(settings_from_env(model=self.model, tools=self.tools, prose=self.prose))


def of(runtime) -> RunContext:
    """The run's context: a RunContext as passed, one made from a JSON context, or the defaults when the caller passed
    none (LangGraph then gives None)."""
    context = getattr(runtime, "context", None)
    if isinstance(context, ContextInput):
        return context.run_context()
    return context if isinstance(context, RunContext) else RunContext()
