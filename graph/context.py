"""What a review run is configured with, as opposed to what it computes: LangGraph's `context_schema`.

The CLI, the chat, the eval and LangGraph's own tooling pass one `RunContext` to the compiled graph; every node
reads the engine, the ask switch, the loop bound, the reference machine and the corpus it cites from it, and nothing
else carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ceiling.agents.scoring.reference import ReferenceMachine

RECURSION_PER_LOOP = 10  # graph steps one critic loop takes (six stages, critic, revise) with room to spare


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


def of(runtime) -> RunContext:
    """The run's context, or the defaults when the caller passed none (LangGraph then gives None)."""
    context = getattr(runtime, "context", None)
    return context if isinstance(context, RunContext) else RunContext()
