"""An offline model: a litellm custom provider that replays a scripted conversation.

`scripted/<task-name>` replays `sample_tasks/<task-name>/script.json`, and
`scripted/<path>.json` any script file; it goes through `litellm.acompletion` like
every other model, so demos and tests exercise the real code path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PROVIDER = "scripted"
FINISH_TEXT = "The script has no more turns."


def sample_tasks_dir() -> Path:
    """Where the sample tasks live (WORKBENCH_SAMPLE_TASKS overrides)."""
    override = os.environ.get("WORKBENCH_SAMPLE_TASKS")
    if override:
        return Path(override)
    import workbench

    return Path(workbench.__file__).resolve().parents[1] / "sample_tasks"


def script_path(name: str) -> Path:
    """The script.json a scripted model name refers to."""
    if name.startswith(f"{PROVIDER}/"):
        name = name[len(PROVIDER) + 1 :]
    if name.endswith(".json") or "/" in name:
        return Path(name).expanduser()
    return sample_tasks_dir() / name / "script.json"


def load_script(name: str) -> list[dict[str, Any]]:
    """The turns of a script; a clear ValueError when it is missing or malformed."""
    path = script_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no script for scripted model {name!r} at {path}") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read script {path}: {error}") from None
    turns = data.get("turns") if isinstance(data, dict) else None
    if not isinstance(turns, list):
        raise ValueError(f"script {path} has no list of turns")
    return turns


def next_turn(turns: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict:
    """The turn to play: one per assistant message so far, then a finish."""
    index = sum(1 for message in messages if _role(message) == "assistant")
    if index < len(turns):
        return {"index": index, **turns[index]}
    return {
        "index": index,
        "text": FINISH_TEXT,
        "tool_calls": [{"name": "finish", "arguments": {"summary": FINISH_TEXT}}],
    }


def _role(message: Any) -> str:
    if isinstance(message, dict):
        return str(message.get("role", ""))
    return str(getattr(message, "role", ""))


def _as_text(turn: dict[str, Any]) -> str:
    """A turn rendered for a model without native tools: one fenced block."""
    text = turn.get("text", "")
    for call in turn.get("tool_calls", []):
        arguments = call.get("arguments", {})
        if call.get("name") == "run":
            return f"{text}\n```bash\n{arguments.get('command', '')}\n```"
        if call.get("name") == "finish":
            return arguments.get("summary", text)
    return text


def _build_response(model_response: Any, model: str, turn: dict, tools: bool) -> Any:
    from litellm.types.utils import Message, Usage

    calls = []
    for index, call in enumerate(turn.get("tool_calls", []) if tools else []):
        arguments = call.get("arguments", {})
        calls.append(
            {
                "id": call.get("id") or f"call_{turn.get('index', 0)}_{index}",
                "type": "function",
                "function": {
                    "name": call.get("name", ""),
                    # A string lets scripts replay malformed arguments verbatim.
                    "arguments": arguments
                    if isinstance(arguments, str)
                    else json.dumps(arguments),
                },
            }
        )
    text = turn.get("text", "") if tools else _as_text(turn)
    model_response.choices[0].message = Message(
        content=text or None, tool_calls=calls or None
    )
    model_response.choices[0].finish_reason = "tool_calls" if calls else "stop"
    model_response.model = f"{PROVIDER}/{model}"
    words = len(text.split()) + sum(len(c["function"]["arguments"]) // 4 for c in calls)
    model_response.usage = Usage(
        prompt_tokens=0, completion_tokens=words, total_tokens=words
    )
    return model_response


def _handler_class() -> type:
    from litellm import CustomLLM

    class ScriptedLLM(CustomLLM):
        """Replays script.json turns as model responses with real tool_calls."""

        def completion(self, model: str, messages: list, **kwargs: Any) -> Any:
            tools = bool((kwargs.get("optional_params") or {}).get("tools"))
            turn = next_turn(load_script(model), messages)
            return _build_response(kwargs["model_response"], model, turn, tools)

        async def acompletion(self, model: str, messages: list, **kwargs: Any) -> Any:
            return self.completion(model, messages, **kwargs)

    return ScriptedLLM


def register(litellm: Any) -> None:
    """Add the scripted provider to litellm once."""
    if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
        return
    handler = _handler_class()()
    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": PROVIDER, "custom_handler": handler},
    ]
