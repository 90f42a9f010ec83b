"""Shared pieces of the TUI tests: a fixed app state, and waiting on messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message import Message

from workbench.agent import events as ev
from workbench.changes.changeset import Change, ChangeSet
from workbench.config import Config
from workbench.tui.app import Launch, WorkbenchApp
from workbench.tui.messages import ApprovalRequested, ChangedPath

SIZE = (120, 36)


def quiet_app(theme: str = "workbench-dark") -> WorkbenchApp:
    """The app without a session: deterministic, no engine, no model library."""
    launch = Launch(
        folder=Path("/home/user/code/shop"),
        model="scripted/fix-failing-test",
        theme=theme,
        config=Config(),
        open_session=False,
    )
    return WorkbenchApp(launch)


def show_session(app: WorkbenchApp, pending: bool = True) -> None:
    """Fill the main screen with a fixed conversation, a finished command, changes."""
    screen = app.main
    state = screen.container
    state.image, state.runtime = "workbench-sandbox:0.1.0", "runc"
    state.limits = "1 cpu · 1 GiB · pids 256 · 120s"
    screen.query_one("#sandbox").border_subtitle = "session 0123456789"
    screen.conversation.add_user("make the failing test in tests/ pass")
    events = [
        ev.TaskStarted(
            session_id="0123456789",
            prompt="make the failing test pass",
            model="scripted/fix-failing-test",
            approval="ask",
        ),
        ev.ModelReplied(
            text="The test expects prices rounded to cents. Let me run it.",
            total_tokens=12400,
            total_cost_usd=0.031,
        ),
        ev.CommandProposed(call_id="c1", tool="run", command="python -m unittest -q"),
        ev.CommandApproved(call_id="c1"),
        ev.CommandStarted(
            call_id="c1",
            command="python -m unittest -q",
            container_id="a3f9c1d2e3f4a5b6",
            image="workbench-sandbox:0.1.0",
            runtime="runc",
        ),
        ev.OutputReceived(call_id="c1", text="F..\nAssertionError: 16.9915 != 16.99\n"),
        ev.CommandFinished(call_id="c1", exit_code=1, duration_s=1.25),
        ev.ModelReplied(
            text="The function forgets to round. I'll fix it.",
            total_tokens=13100,
            total_cost_usd=0.034,
        ),
        ev.CommandProposed(
            call_id="c2",
            tool="run",
            command="rm -rf build && sed -i 's/p$/round(p, 2)/' shop/price.py",
            risks=("deletes recursively",),
        ),
    ]
    for event in events:
        screen.show_event(event)
    if pending:
        proposal = events[-1]
        assert isinstance(proposal, ev.CommandProposed)
        screen.on_approval_requested(ApprovalRequested(proposal, lambda *a: None))
    sandbox: Any = screen.query_one("#sandbox")
    sandbox.show_changes(
        [
            ChangedPath("shop/price.py", "modified"),
            ChangedPath("notes.txt", "added"),
            ChangedPath("old/legacy.py", "deleted"),
        ]
    )


def two_hunk_change(tmp: Path) -> ChangeSet:
    """A folder file and the agent's version differing in two separate places."""
    folder, upper = tmp / "folder", tmp / "upper"
    folder.mkdir()
    upper.mkdir()
    old = [f"line {n}\n" for n in range(1, 21)]
    new = list(old)
    new[1], new[17] = "line 2 (agent)\n", "line 18 (agent)\n"
    (folder / "notes.txt").write_text("".join(old))
    (upper / "notes.txt").write_text("".join(new))
    (upper / "hook").write_text("#!/bin/sh\necho planted\n")
    modified = Change(
        path="notes.txt",
        kind="modified",
        new_type="file",
        old_type="file",
        new_mode=0o644,
        old_mode=0o644,
        size=len("".join(new)),
        new_path=upper / "notes.txt",
        old_path=folder / "notes.txt",
    )
    hook = Change(
        path=".git/hooks/pre-commit",
        kind="added",
        new_type="file",
        new_mode=0o755,
        size=24,
        new_path=upper / "hook",
    )
    return ChangeSet(folder=folder, changes=(hook, modified))


class Messages:
    """Records every message the app handles and wakes waiters as they arrive."""

    def __init__(self) -> None:
        self.seen: list[Message] = []
        self._changed = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.seen.append(message)
        self._changed.set()

    def events(self, kind: type[ev.Event] = ev.Event) -> list[Any]:
        found = [getattr(m, "event", None) for m in self.seen]
        return [e for e in found if isinstance(e, kind)]

    async def until(self, condition: Callable[[], bool], timeout: float = 300) -> None:
        """Wait for messages until the condition holds (the timeout is a safety net)."""

        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)
