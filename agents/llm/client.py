"""The one LLM client: the official `openai` SDK against any OpenAI-compatible endpoint.

Structured output is validated by the same pydantic schemas the rule agents return; the
SDK does the retries (`max_retries`) and timeouts; every call's token usage is recorded.
Any failure (HTTP error, timeout, malformed or off-schema JSON) becomes one `LLMError`, so a
stage can fall back to its rule agent instead of crashing the review.

Two paths to a structured answer: `complete_json` (JSON mode, the schema enforced by the
server where it can be: every endpoint) and `complete_with_tools` (tool calls first, for a
bounded number of rounds, then the same JSON-mode answer: endpoints with tool calls).
"""

from __future__ import annotations

import json
import os
import time
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ceiling.agents.llm.prose import Prose

T = TypeVar("T", bound=BaseModel)

# llama.cpp's server enforces {"type": "json_object", "schema": ...} and rejects "json_schema";
# OpenAI and most other servers accept json_object and read the schema from the prompt.
JsonMode = Literal["json_object_schema", "json_object"]


class LLMError(RuntimeError):
    """An LLM call that produced nothing usable (after the SDK's own retries).

    `tool_results`: the tool calls already executed when a tool loop failed (kept for the report)."""

    tool_results: list | tuple = ()


class LLMSettings(BaseModel):
    base_url: str | None = None
    api_key: str = "not-needed"
    model: str = "gpt-4o-mini"
    timeout_s: float = 180.0
    max_retries: int = 2
    json_mode: JsonMode = "json_object"
    temperature: float = 0.0
    max_tokens: int = 220
    seed: int | None = 0
    tools: bool = False  # stage agents may call retrieve and the scoring functions (bounded rounds)
    prose: Prose = Prose.sentence  # either way the checks keep the model's prose only where it passes them
    max_tool_rounds: int = Field(3, ge=1, le=10)
    max_tool_calls_per_round: int = Field(4, ge=1, le=20)


class CallUsage(BaseModel):
    purpose: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    ok: bool = True
    tool_calls: list[str] = Field(default_factory=list)  # the tools a tool round called, in order


class Usage(BaseModel):
    calls: list[CallUsage] = Field(default_factory=list)

    def totals(self) -> dict[str, float]:
        return {
            "calls": len(self.calls),
            "prompt_tokens": sum(c.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.completion_tokens for c in self.calls),
            "seconds": round(sum(c.seconds for c in self.calls), 2),
            "failed": sum(not c.ok for c in self.calls),
            **(
                {
                    "tool_rounds": sum(1 for c in self.calls if " tools round " in c.purpose),
                    "tool_calls": sum(len(c.tool_calls) for c in self.calls),
                }
                if any(" tools round " in c.purpose for c in self.calls)
                else {}
            ),
        }


def tools_from_env(tools: bool | None = None) -> bool:
    """`--tools/--no-tools` when given, else CEILING_LLM_TOOLS (1/true/yes/on), else off."""
    if tools is not None:
        return tools
    return os.environ.get("CEILING_LLM_TOOLS", "").strip().lower() in ("1", "true", "yes", "on")


def prose_from_env(prose: str | None = None, default: Prose = Prose.paragraph) -> Prose:
    """`--prose` when given, else CEILING_LLM_PROSE, else `default` (the engine's: paragraph for a configured endpoint,
    sentence for the local model); any other value is a clear error."""
    value = (prose or os.environ.get("CEILING_LLM_PROSE", "")).strip().lower() or default
    if value not in set(Prose):
        source = "--prose" if prose else "CEILING_LLM_PROSE"
        raise LLMError(f"{source}={value!r} is not one of {', '.join(Prose)}")
    return Prose(value)


def settings_from_env(
    model: str | None = None,
    base_url: str | None = None,
    json_mode: JsonMode | None = None,
    tools: bool | None = None,
    prose: str | None = None,
    default_prose: Prose = Prose.paragraph,
) -> LLMSettings:
    """Settings from OPENAI_BASE_URL / OPENAI_API_KEY / CEILING_LLM_MODEL / CEILING_LLM_TOOLS / CEILING_LLM_PROSE,
    overridden by arguments."""
    return LLMSettings(
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        model=model or os.environ.get("CEILING_LLM_MODEL") or LLMSettings().model,
        json_mode=json_mode or "json_object",
        tools=tools_from_env(tools),
        prose=prose_from_env(prose, default_prose),
        **_number_from_env("CEILING_LLM_TIMEOUT", "timeout_s", float),
        **_number_from_env("CEILING_LLM_RETRIES", "max_retries", int),
    )


def _number_from_env(variable: str, field: str, kind: type) -> dict:
    """{field: value} from a numeric environment variable, {} when unset; a bad value is a clear error."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return {}
    try:
        value = kind(raw)
    except ValueError:
        raise LLMError(f"{variable}={raw!r} is not a number") from None
    if value < 0:
        raise LLMError(f"{variable}={raw!r} must not be negative")
    return {field: value}


def llm_configured() -> bool:
    """An endpoint is configured when a key or a base URL is in the environment."""
    return bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))


def _strip_titles(schema: dict) -> dict:
    """Smaller schemas make shorter prompts and simpler grammars for small models."""
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


class LLMClient:
    def __init__(self, settings: LLMSettings):
        from openai import OpenAI

        from ceiling.agents import redact

        self.settings = settings
        self.usage = Usage()
        redact.register(settings.api_key)
        self._client = OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )

    @property
    def engine(self) -> str:
        return f"llm:{self.settings.model}"

    @staticmethod
    def _redact(text: str) -> str:
        """Error text may echo what the server saw: never let the configured key (or any key) through."""
        from ceiling.agents.redact import redact

        return redact(text)

    def _error(self, purpose: str, exc: Exception) -> LLMError:
        first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
        return LLMError(self._redact(f"{purpose}: {type(exc).__name__}: {first_line}"))

    def _chat(self, record: CallUsage, messages: list[dict], max_tokens: int | None = None, **request):
        """One chat completion (the settings' model and sampling plus `request`); its tokens, time and
        failure are recorded on `record`, which joins the usage whatever happens."""
        started = time.perf_counter()
        self.usage.calls.append(record)
        try:
            response = self._client.chat.completions.create(
                model=self.settings.model,
                messages=messages,
                temperature=self.settings.temperature,
                max_tokens=max_tokens or self.settings.max_tokens,
                seed=self.settings.seed,
                **request,
            )
            if response.usage:
                record.prompt_tokens, record.completion_tokens = (
                    response.usage.prompt_tokens,
                    response.usage.completion_tokens,
                )
            return _redacted(response.choices[0].message)
        except BaseException:
            record.ok = False
            raise
        finally:
            record.seconds = round(time.perf_counter() - started, 3)

    def complete_json(self, messages: list[dict], schema: type[T], purpose: str, max_tokens: int | None = None) -> T:
        """One chat completion whose content must parse as `schema`."""
        return self.reply_json(messages, schema, purpose, max_tokens)[0]

    def reply_json(
        self, messages: list[dict], schema: type[T], purpose: str, max_tokens: int | None = None
    ) -> tuple[T, str]:
        """`complete_json`, with the reply's text as the model wrote it (sent back verbatim in a
        follow-up, it matches the server's cached tokens; re-serialized, it is evaluated again).
        `max_tokens`: this reply's limit where it needs more than the settings' (a paragraph)."""
        import openai

        json_schema = _strip_titles(schema.model_json_schema())
        response_format: dict = {"type": "json_object"}
        if self.settings.json_mode == "json_object_schema":
            response_format["schema"] = json_schema
        record = CallUsage(purpose=purpose)
        try:
            message = self._chat(record, messages, max_tokens, response_format=response_format)
            if message.tool_calls and not message.content:
                record.ok = False
                called = ", ".join(repr(c.function.name) for c in message.tool_calls)
                raise LLMError(
                    self._redact(
                        f"{purpose}: the model called the tool {called} instead of answering (no tools were offered)"
                    )
                )
            text = message.content or ""
            return schema.model_validate(json.loads(text, strict=False)), text  # raw newlines in strings are fine
        except (openai.OpenAIError, json.JSONDecodeError, ValidationError, IndexError) as exc:
            record.ok = False
            raise self._error(purpose, exc) from exc

    def complete_with_tools(
        self, messages: list[dict], schema: type[T], purpose: str, toolbox, max_tokens: int | None = None
    ) -> tuple[T, list]:
        """Tool rounds, then a structured answer validated by `schema`; returns (answer, tool results).

        Each round sends the tools with tool_choice "auto" and executes what the model calls
        (`toolbox.call` turns an unknown tool or bad arguments into an error result, never an
        exception; calls over `max_tool_calls_per_round` get an error result too). The loop
        ends when the model calls no tool or after `max_tool_rounds` rounds; the answer is then
        asked for without tools, through `complete_json`. `messages` is not modified.
        """
        import openai

        messages = [*messages, toolbox.intro_message(self.settings.max_tool_rounds)]
        results: list = []
        for number in range(1, self.settings.max_tool_rounds + 1):
            record = CallUsage(purpose=f"{purpose} tools round {number}")
            try:
                message = self._chat(record, messages, max_tokens, tools=toolbox.definitions(), tool_choice="auto")
            except (openai.OpenAIError, IndexError) as exc:
                error = self._error(record.purpose, exc)
                error.tool_results = results
                raise error from exc
            calls = message.tool_calls or []
            if not calls:
                direct = _parse(message.content, schema)  # an endpoint that answered directly saves a call
                if direct is not None:
                    return direct, results
                break
            # llama.cpp's server answers 500 to an assistant message whose content is null.
            messages.append(
                {
                    "role": "assistant",
                    "content": message.content or "",
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.function.name, "arguments": c.function.arguments},
                        }
                        for c in calls
                    ],
                }
            )
            this_round = []
            for index, call in enumerate(calls):
                if index < self.settings.max_tool_calls_per_round:
                    result = toolbox.call(call.function.name, call.function.arguments)
                else:
                    result = toolbox.skipped(
                        call.function.name, call.function.arguments, self.settings.max_tool_calls_per_round
                    )
                this_round.append(result)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result.content()})
            record.tool_calls = [r.name for r in this_round]
            results += this_round
            messages.append(toolbox.results_message(this_round))
        messages.append(toolbox.final_message())
        try:
            return self.complete_json(messages, schema, purpose=f"{purpose} answer", max_tokens=max_tokens), results
        except LLMError as error:
            error.tool_results = results
            raise


def _redacted(message):
    """A reply as the rest of the reviewer may see it: an endpoint that echoes the caller's key (a debugging
    proxy, a prompt-injected model) must not put it into a review, a transcript or a follow-up."""
    from ceiling.agents.redact import redact

    if message.content:
        message.content = redact(message.content)
    for call in message.tool_calls or []:
        call.function.arguments = redact(call.function.arguments or "")
    return message


def _parse(content: str | None, schema: type[T]) -> T | None:
    try:
        return schema.model_validate(json.loads(content or ""))
    except (json.JSONDecodeError, ValidationError):
        return None
