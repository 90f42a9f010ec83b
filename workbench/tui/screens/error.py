"""A failure the app cannot work around: what happened and what to do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Static


class ErrorScreen(Screen[str]):
    """Dismisses with 'retry' or 'quit'; never shows a traceback."""

    CSS_PATH = "error.tcss"
    BINDINGS = [
        Binding("r", "choose('retry')", "retry"),
        Binding("q,escape", "choose('quit')", "quit"),
    ]

    def __init__(self, title: str, message: str, hint: str = "", retry: bool = True):
        super().__init__()
        self.title_text = title
        self.message = message
        self.hint = hint
        self.retry = retry

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="error-title")
            yield Static(Content(self.message), classes="error-message")
            if self.hint:
                yield Static(Content(self.hint), classes="error-hint")
            with Horizontal():
                if self.retry:
                    yield Button(Content("[r] Retry"), id="retry", variant="primary")
                yield Button(Content("[q] Quit"), id="quit", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "quit")

    def action_choose(self, choice: str) -> None:
        if choice == "retry" and not self.retry:
            return
        self.dismiss(choice)
