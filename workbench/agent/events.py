"""Past-tense facts the agent loop emits; the TUI and the headless CLI render them.

Every event is a frozen dataclass with a `type` string used in JSONL output
(`workbench run --json`) and in transcripts. Front ends must not depend on
anything else from the loop.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True, kw_only=True)
class TaskStarted(Event):
    type: ClassVar[str] = "task_started"
    session_id: str
    prompt: str
    model: str
    approval: str


@dataclass(frozen=True, kw_only=True)
class ModelReplied(Event):
    type: ClassVar[str] = "model_replied"
    text: str
    tool_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    total_tokens: int = 0  # for the whole session so far
    total_cost_usd: float = 0.0


@dataclass(frozen=True, kw_only=True)
class CommandProposed(Event):
    type: ClassVar[str] = "command_proposed"
    call_id: str
    tool: str  # "run", "read_file", "write_file", "list_files"
    command: str  # shell command, or a one-line description of the tool call
    risks: tuple[str, ...] = ()
    needs_approval: bool = True
    rule: str = ""  # the rule that decided, in "rules" mode


@dataclass(frozen=True, kw_only=True)
class CommandApproved(Event):
    type: ClassVar[str] = "command_approved"
    call_id: str
    by: str = "user"  # "user", "auto" or "rule"


@dataclass(frozen=True, kw_only=True)
class CommandDenied(Event):
    type: ClassVar[str] = "command_denied"
    call_id: str
    message: str = ""
    by: str = "user"


@dataclass(frozen=True, kw_only=True)
class CommandEdited(Event):
    type: ClassVar[str] = "command_edited"
    call_id: str
    command: str


@dataclass(frozen=True, kw_only=True)
class CommandStarted(Event):
    type: ClassVar[str] = "command_started"
    call_id: str
    command: str
    container_id: str = ""
    image: str = ""
    runtime: str = ""
    network: str = "none"


@dataclass(frozen=True, kw_only=True)
class OutputReceived(Event):
    type: ClassVar[str] = "output_received"
    call_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class CommandFinished(Event):
    type: ClassVar[str] = "command_finished"
    call_id: str
    exit_code: int
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False
    output_truncated_bytes: int = 0


@dataclass(frozen=True, kw_only=True)
class ToolCallFailed(Event):
    """A tool call could not be carried out as asked (bad arguments, unknown tool)."""

    type: ClassVar[str] = "tool_call_failed"
    call_id: str
    tool: str
    message: str


@dataclass(frozen=True, kw_only=True)
class ChangesUpdated(Event):
    type: ClassVar[str] = "changes_updated"
    added: int = 0
    modified: int = 0
    deleted: int = 0
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ModelFailed(Event):
    type: ClassVar[str] = "model_failed"
    message: str
    retrying: bool = False
    attempt: int = 1


@dataclass(frozen=True, kw_only=True)
class BudgetExceeded(Event):
    type: ClassVar[str] = "budget_exceeded"
    limit: str  # "steps", "cost" or "time"
    message: str


@dataclass(frozen=True, kw_only=True)
class TaskFinished(Event):
    type: ClassVar[str] = "task_finished"
    outcome: str  # "finished", "failed", "budget_exceeded", "interrupted"
    summary: str = ""
    steps: int = 0
    total_tokens: int = 0
    total_cost_usd: float = 0.0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        TaskStarted,
        ModelReplied,
        CommandProposed,
        CommandApproved,
        CommandDenied,
        CommandEdited,
        CommandStarted,
        OutputReceived,
        CommandFinished,
        ToolCallFailed,
        ChangesUpdated,
        ModelFailed,
        BudgetExceeded,
        TaskFinished,
    )
}


def event_from_json(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form (transcripts, replay)."""
    data = dict(data)
    cls = EVENT_TYPES[data.pop("type")]
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = tuple(value)
    return cls(**data)
