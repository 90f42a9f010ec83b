"""Messages workers post to the UI; workers never touch widgets, handlers do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from workbench.agent.events import CommandProposed, Event


class AgentEventReceived(Message):
    """The agent loop (or a replay) emitted an event."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ApprovalRequested(Message):
    """The loop waits for the user's decision on a proposed command."""

    def __init__(self, proposal: CommandProposed, resolve: Callable[[Any], None]):
        super().__init__()
        self.proposal = proposal
        self.resolve = resolve


class SessionOpened(Message):
    """The sandbox session for the folder is ready."""

    def __init__(self, session: Any, watcher: Any = None) -> None:
        super().__init__()
        self.session = session
        self.watcher = watcher


class SessionFailed(Message):
    """Opening the session failed; `message` and `hint` are for the user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__()
        self.message = message
        self.hint = hint


class ProgressReported(Message):
    """Long work (an image build) made progress; `done` ends it."""

    def __init__(self, text: str, done: bool = False) -> None:
        super().__init__()
        self.text = text
        self.done = done


@dataclass(frozen=True)
class ChangedPath:
    """One line of the live change tree."""

    path: str
    kind: str  # "added", "modified" or "deleted"


class ChangesRefreshed(Message):
    """The sandbox's changed files were read again."""

    def __init__(self, changes: list[ChangedPath]) -> None:
        super().__init__()
        self.changes = changes


class AgentStopped(Message):
    """The agent worker ended (finished, failed or crashed)."""

    def __init__(self, error: str = "") -> None:
        super().__init__()
        self.error = error


class ModelReady(Message):
    """The model library is imported, so the first task starts without a pause."""


class ReviewReady(Message):
    """The review screen shows a freshly read review."""


class SyncFinished(Message):
    """An apply or an undo ended; `text` says how, for the user."""

    def __init__(self, text: str, failed: bool) -> None:
        super().__init__()
        self.text = text
        self.failed = failed


class PastEventsLoaded(Message):
    """A resumed session's earlier events were read from its transcript."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events
