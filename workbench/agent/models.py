"""Models through litellm: tool modes, retries, clear errors, tokens and cost."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.agent.tools import TOOL_SCHEMAS, ToolCall, cut_middle, parse_tool_call

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 100_000  # longer replies are cut before they reach events/history
FENCE = re.compile(r"```(?:bash|sh|shell|console|zsh)?[ \t]*\n(.*?)```", re.DOTALL)


def import_litellm() -> Any:
    """Import litellm lazily, offline prices, with the scripted provider registered."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from workbench.agent import scripted

    litellm.suppress_debug_info = True
    litellm.drop_params = True
    scripted.register(litellm)
    return litellm


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff on rate limits, timeouts and server errors."""

    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))


class ModelError(Exception):
    """A model call failed; `message` is one line a user can read."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class ModelReply:
    """One reply: its text, the tool calls in it, and what it cost."""

    text: str
    tool_calls: list[ToolCall]
    message: dict[str, Any]  # the assistant message, as it goes into the history
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    attempts: int = 1
    native: bool = True


@dataclass
class ModelClient:
    """Sends a conversation to one litellm model and reads back text and tool calls."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout_s: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    native_tools: bool | None = None  # None: decide from litellm's model table

    async def complete(
        self,
        history: list[dict[str, Any]],
        system: Callable[[bool], str],
        on_retry: Callable[[str, int], None] | None = None,
    ) -> ModelReply:
        """One model turn, retried with backoff where retrying can help."""
        litellm = import_litellm()
        if self.model.startswith("scripted/"):
            _check_script(self.model)
        if self.native_tools is None:
            self.native_tools = _supports_tools(litellm, self.model)

        attempt = 1
        while True:
            started = time.monotonic()
            try:
                response = await self._call(litellm, history, system)
                reply = self._read(litellm, response)
            except Exception as error:  # noqa: BLE001 - every failure becomes a message
                failure = classify(error, self.model, self.timeout_s)
                if self.native_tools and _rejects_tools(error):
                    log.info("%s rejected tools; using the text fallback", self.model)
                    self.native_tools = False
                    continue
                if not failure.retryable or attempt >= self.retry.attempts:
                    raise failure from error
                if on_retry is not None:
                    on_retry(failure.message, attempt)
                await asyncio.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            reply.duration_s = time.monotonic() - started
            reply.attempts = attempt
            return reply

    async def _call(
        self, litellm: Any, history: list[dict[str, Any]], system: Callable[[bool], str]
    ) -> Any:
        native = bool(self.native_tools)
        messages = [{"role": "system", "content": system(native)}]
        messages.extend(history if native else to_text_mode(history))
        options: dict[str, Any] = {
            "timeout": self.timeout_s,
            "num_retries": 0,
            "max_retries": 0,
        }
        if native:
            options["tools"] = TOOL_SCHEMAS
        if self.api_base:
            options["api_base"] = self.api_base
        if self.api_key:
            options["api_key"] = self.api_key
        return await litellm.acompletion(model=self.model, messages=messages, **options)

    def _read(self, litellm: Any, response: Any) -> ModelReply:
        choices = getattr(response, "choices", None)
        if not choices:
            raise ModelError(f"{self.model} sent a reply with no choices.", True)
        message = choices[0].message
        text = cut_middle(message.content or "", MAX_REPLY_CHARS)
        calls = []
        for raw in getattr(message, "tool_calls", None) or []:
            function = getattr(raw, "function", None)
            calls.append(
                parse_tool_call(
                    raw.id or f"call_{len(calls)}",
                    getattr(function, "name", "") or "",
                    getattr(function, "arguments", "") or "",
                )
            )
        stored: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            stored["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.raw_arguments},
                }
                for call in calls
            ]
        else:
            calls = parse_text_reply(text)

        usage = getattr(response, "usage", None)
        return ModelReply(
            text=text,
            tool_calls=calls,
            message=stored,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=_cost(litellm, response),
            native=bool(self.native_tools),
        )


def _supports_tools(litellm: Any, model: str) -> bool:
    if model.startswith("scripted/"):
        return True
    try:
        litellm.get_model_info(model)
    except Exception:  # noqa: BLE001 - unknown models (local servers) usually take tools
        return True
    try:
        return bool(litellm.supports_function_calling(model))
    except Exception:  # noqa: BLE001
        return False


def _check_script(model: str) -> None:
    from workbench.agent import scripted

    try:
        scripted.load_script(model)
    except ValueError as error:
        raise ModelError(f"{model}: {error}", False) from None


def _rejects_tools(error: Exception) -> bool:
    status = getattr(error, "status_code", None)
    text = str(error).lower()
    return status == 400 and ("tool" in text or "function" in text)


def _cost(litellm: Any, response: Any) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # noqa: BLE001 - models missing from the price table cost 0
        return 0.0


def parse_text_reply(text: str) -> list[ToolCall]:
    """The run call in a plain-text reply: its first fenced shell block, if any."""
    match = FENCE.search(text or "")
    if not match or not match.group(1).strip():
        return []
    command = match.group(1).strip()
    call = parse_tool_call(f"text_{abs(hash(command)) % 10**8}", "run", {}, False)
    call.arguments = {"command": command}
    call.error = ""
    return [call]


def to_text_mode(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation for a model without native tools: tool traffic as plain text."""
    converted = []
    for message in history:
        role = message.get("role")
        if role == "tool":
            converted.append({"role": "user", "content": message.get("content", "")})
        elif role == "assistant" and message.get("tool_calls"):
            blocks = [
                f"[{c['function']['name']} {c['function']['arguments']}]"
                for c in message["tool_calls"]
            ]
            text = "\n".join([message.get("content") or "", *blocks]).strip()
            converted.append({"role": "assistant", "content": text})
        else:
            converted.append(message)
    return converted


def _one_line(text: str, limit: int = 240) -> str:
    line = " ".join(str(text).split("Traceback (most recent call last)")[0].split())
    # litellm prefixes messages with its own class names; users need the server's words.
    line = re.sub(r"^(litellm\.)?\w+Error:\s*", "", line)
    line = re.sub(r"^(litellm\.)?\w+Error:\s*", "", line)
    line = re.sub(r"^\w+Exception - ", "", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify(error: Exception, model: str, timeout_s: float) -> ModelError:
    """Turn any exception from a model call into a one-line, readable ModelError."""
    if isinstance(error, ModelError):
        return error
    name = type(error).__name__
    status = getattr(error, "status_code", None)
    detail = _one_line(str(error))
    if name == "Timeout" or isinstance(error, asyncio.TimeoutError):
        return ModelError(f"{model} did not answer within {timeout_s:g}s.", True)
    if name == "RateLimitError" or status == 429:
        return ModelError(f"{model} is rate limited (429): {detail}", True)
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        return ModelError(
            f"{model} refused the credentials ({status or 'auth'}): check the API key "
            f"for this provider. {detail}",
            False,
        )
    if name == "ContextWindowExceededError":
        return ModelError(
            f"The conversation no longer fits {model}'s context window: {detail}", False
        )
    if name == "NotFoundError" or status == 404:
        return ModelError(f"{model} was not found (404): {detail}", False)
    if name == "APIConnectionError" and status is None and "Connect" not in detail:
        return ModelError(f"{model} failed: {detail}", False)
    if (
        isinstance(status, int)
        and status >= 500
        or name
        in (
            "InternalServerError",
            "ServiceUnavailableError",
            "BadGatewayError",
            "APIConnectionError",
        )
    ):
        return ModelError(
            f"{model} had a server error ({status or name}): {detail}", True
        )
    return ModelError(f"{model} failed: {detail}", False)
