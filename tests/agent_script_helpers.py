"""Helpers for agent tests: write scripted turns, read what ran from the events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.agent.events import CommandStarted, Event


def script_model(directory: Path, *turns: dict[str, Any]) -> str:
    """Write a script.json of these turns and return its scripted model name."""
    path = directory / "script.json"
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"scripted/{path}"


def run_turn(command: str, text: str = "") -> dict[str, Any]:
    return {
        "text": text,
        "tool_calls": [{"name": "run", "arguments": {"command": command}}],
    }


def finish_turn(summary: str = "Done.") -> dict[str, Any]:
    return {
        "text": "",
        "tool_calls": [{"name": "finish", "arguments": {"summary": summary}}],
    }


def commands_run(events: list[Event]) -> list[str]:
    """The sandbox command lines that started, in order (as shown, so redacted)."""
    return [e.command for e in events if isinstance(e, CommandStarted)]
