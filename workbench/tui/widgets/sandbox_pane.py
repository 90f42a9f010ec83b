"""The right-hand side: the container, its live output, the history, the changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
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

    def compose(self) -> ComposeResult:
        yield ContainerState(id="container-state")
        yield LiveOutput(id="live-output", highlight=False, max_lines=5000)
        yield Static("History", classes="section")
        yield CommandHistory(id="history")
        yield Static("Changes (0)", classes="section", id="changes-title")
        yield ChangeTree(id="change-tree")

    def show_changes(self, changes: list[ChangedPath]) -> None:
        self.query_one(ChangeTree).show(changes)
        title = self.query_one("#changes-title", Static)
        title.update(f"Changes ({len(changes)})")
