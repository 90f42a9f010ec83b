"""The right-hand side: the container, its live output, the history, the changes."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from workbench.tui.messages import ChangedPath
from workbench.tui.widgets.change_tree import ChangeTree
from workbench.tui.widgets.command_history import CommandHistory
from workbench.tui.widgets.container_state import ContainerState
from workbench.tui.widgets.live_output import LiveOutput


class SandboxPane(Vertical):
    """Always beside the conversation: what runs now and what it has changed."""

    DEFAULT_CSS = """
    SandboxPane > .section {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        text-style: bold;
        background: $panel;
    }
    """

    class Ready(Message):
        """Every part of the pane is mounted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ready = False
        self._changes: list[ChangedPath] | None = None

    def compose(self) -> ComposeResult:
        yield ContainerState(id="container-state")

    def on_mount(self) -> None:
        # The log and the tree are the slowest widgets to set up; mounting them
        # just after the first frame gets the window on screen sooner.
        self.call_after_refresh(self._mount_rest)

    async def _mount_rest(self) -> None:
        await self.mount_all(
            [
                LiveOutput(id="live-output", highlight=False, max_lines=5000),
                Static("History", classes="section"),
                CommandHistory(id="history"),
                Static("Changes (0)", classes="section", id="changes-title"),
                ChangeTree(id="change-tree"),
            ]
        )
        self.ready = True
        log = self.query_one(LiveOutput)
        if not log.lines:
            log.write("The output of each command shows here as it runs.\n")
        if self._changes is not None:
            self.show_changes(self._changes)
        self.post_message(self.Ready())

    def show_changes(self, changes: list[ChangedPath]) -> None:
        if not self.ready:
            self._changes = changes
            return
        self.query_one(ChangeTree).show(changes)
        title = self.query_one("#changes-title", Static)
        title.update(f"Changes ({len(changes)})")
