"""The tools the model may call, their schemas, and how each becomes a sandbox command.

There is deliberately no tool that touches the sandbox's hardening or the approval
policy: nothing the model says can loosen either.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

READ_ONLY = {"read_file", "list_files"}
LIST_LIMIT = 400


def _schema(name: str, description: str, **properties: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {
                    key: {"type": "string", "description": text}
                    for key, text in properties.items()
                },
                # list_files alone has an optional argument.
                "required": [] if name == "list_files" else list(properties),
            },
        },
    }


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _schema(
        "run",
        "Run one shell command in a fresh container; /workspace is the working dir.",
        command="The bash command line to run.",
    ),
    _schema("read_file", "Read a text file.", path="Path relative to /workspace."),
    _schema(
        "write_file",
        "Create or replace a file with the given content.",
        path="Path relative to /workspace.",
        content="The whole new content of the file.",
    ),
    _schema(
        "list_files",
        "List files under a directory, a few levels deep.",
        path="Directory relative to /workspace (default '.').",
    ),
    _schema(
        "finish",
        "Stop working and report what was done.",
        summary="A short summary for the user.",
    ),
]
TOOL_NAMES = {schema["function"]["name"] for schema in TOOL_SCHEMAS}
REQUIRED = {
    schema["function"]["name"]: schema["function"]["parameters"]["required"]
    for schema in TOOL_SCHEMAS
}


@dataclass
class ToolCall:
    """One tool call from the model; `error` is set when it cannot be executed."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str = ""
    error: str = ""
    native: bool = True  # False when read from a fenced block in plain text


def parse_tool_call(call_id: str, name: str, raw: Any, native: bool = True) -> ToolCall:
    """Validate a tool call's name and arguments; problems go into `error`."""
    call = ToolCall(id=call_id, name=name or "", native=native)
    call.raw_arguments = raw if isinstance(raw, str) else json.dumps(raw)
    if call.name not in TOOL_NAMES:
        call.error = (
            f"Unknown tool {call.name!r}. Available tools: "
            f"{', '.join(sorted(TOOL_NAMES))}."
        )
        return call
    try:
        arguments = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw
    except json.JSONDecodeError as error:
        call.error = f"The arguments of {call.name} are not valid JSON ({error.msg})."
        return call
    arguments = arguments or {}
    if not isinstance(arguments, dict):
        call.error = f"The arguments of {call.name} must be a JSON object."
        return call
    missing = [key for key in REQUIRED[call.name] if key not in arguments]
    wrong = [k for k, v in arguments.items() if not isinstance(v, str)]
    if missing or wrong:
        call.error = (
            f"{call.name} needs string arguments: "
            f"{', '.join(REQUIRED[call.name]) or 'none'}"
            f"{'; missing ' + ', '.join(missing) if missing else ''}"
            f"{'; not strings: ' + ', '.join(wrong) if wrong else ''}."
        )
        return call
    call.arguments = arguments
    return call


def describe(call: ToolCall) -> str:
    """A one-line description of a tool call, for the approval card and logs."""
    arguments = call.arguments
    if call.name == "run":
        return arguments.get("command", "")
    if call.name == "read_file":
        return f"read {arguments.get('path', '')}"
    if call.name == "write_file":
        size = len(arguments.get("content", "").encode())
        return f"write {arguments.get('path', '')} ({size} bytes)"
    if call.name == "list_files":
        return f"list {arguments.get('path') or '.'}"
    return call.name


def sandbox_command(call: ToolCall) -> tuple[str, bytes | None]:
    """The shell command (and stdin) that carries out a tool call inside the sandbox."""
    arguments = call.arguments
    if call.name == "run":
        return arguments["command"], None
    path = shlex.quote(arguments.get("path") or ".")
    if call.name == "read_file":
        return f"cat -- {path}", None
    if call.name == "list_files":
        return (
            f"find {path} -maxdepth 3 -not -path '*/.git/*' -not -name .git "
            f"| sort | head -n {LIST_LIMIT}",
            None,
        )
    if call.name == "write_file":
        content = arguments.get("content", "").encode("utf-8", "surrogateescape")
        return f'mkdir -p -- "$(dirname -- {path})" && cat > {path}', content
    raise ValueError(f"{call.name} does not run in the sandbox")


def cut_middle(text: str, limit: int) -> str:
    """Head and tail of a long text, with one line saying how much was left out."""
    if limit <= 0 or len(text) <= limit:
        return text
    head = text[: limit // 2]
    tail = text[-(limit - len(head)) :]
    cut = len(text) - len(head) - len(tail)
    return f"{head}\n[... {cut} characters cut ...]\n{tail}"
