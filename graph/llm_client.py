"""The one LLM client: the official `openai` SDK against any OpenAI-compatible endpoint.

Structured output is validated by the same pydantic schemas the rule agents return; the
SDK does the retries (`max_retries`) and timeouts; every call's token usage is recorded.
Any failure (HTTP error, timeout, malformed or off-schema JSON) becomes one `LLMError`, so a
stage can fall back to its rule agent instead of crashing the review.
"""

from __future__ import annotations

import json
import os
import time
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

T = TypeVar("T", bound=BaseModel)

# llama.cpp's server enforces {"type": "json_object", "schema": ...} and rejects "json_schema";
# OpenAI and most other servers accept json_object and read the schema from the prompt.
JsonMode = Literal["json_object_schema", "json_object"]


class LLMError(RuntimeError):
    """An LLM call that produced nothing usable (after the SDK's own retries)."""


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


class CallUsage(BaseModel):
    purpose: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    ok: bool = True


class Usage(BaseModel):
    calls: list[CallUsage] = Field(default_factory=list)

    def totals(self) -> dict[str, float]:
        return {"calls": len(self.calls), "prompt_tokens": sum(c.prompt_tokens for c in self.calls),
                "completion_tokens": sum(c.completion_tokens for c in self.calls),
                "seconds": round(sum(c.seconds for c in self.calls), 2), "failed": sum(not c.ok for c in self.calls)}


def settings_from_env(model: str | None = None, base_url: str | None = None, json_mode: JsonMode | None = None) -> LLMSettings:
    """Settings from OPENAI_BASE_URL / OPENAI_API_KEY / CEILING_LLM_MODEL, overridden by arguments."""
    return LLMSettings(
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        model=model or os.environ.get("CEILING_LLM_MODEL") or LLMSettings().model,
        json_mode=json_mode or "json_object",
    )


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

        self.settings = settings
        self.usage = Usage()
        self._client = OpenAI(base_url=settings.base_url, api_key=settings.api_key,
                              timeout=settings.timeout_s, max_retries=settings.max_retries)

    @property
    def engine(self) -> str:
        return f"llm:{self.settings.model}"

    def complete_json(self, messages: list[dict], schema: type[T], purpose: str) -> T:
        """One chat completion whose content must parse as `schema`."""
        import openai

        json_schema = _strip_titles(schema.model_json_schema())
        response_format: dict = {"type": "json_object"}
        if self.settings.json_mode == "json_object_schema":
            response_format["schema"] = json_schema
        started = time.perf_counter()
        record = CallUsage(purpose=purpose)
        try:
            response = self._client.chat.completions.create(
                model=self.settings.model, messages=messages, response_format=response_format,
                temperature=self.settings.temperature, max_tokens=self.settings.max_tokens, seed=self.settings.seed)
            if response.usage:
                record.prompt_tokens, record.completion_tokens = response.usage.prompt_tokens, response.usage.completion_tokens
            content = response.choices[0].message.content or ""
            return schema.model_validate(json.loads(content))
        except (openai.OpenAIError, json.JSONDecodeError, ValidationError, IndexError) as exc:
            record.ok = False
            raise LLMError(f"{purpose}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}") from exc
        finally:
            record.seconds = round(time.perf_counter() - started, 3)
            self.usage.calls.append(record)
