"""Ask once before something that cannot be taken back lightly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class Confirm(ModalScreen[bool]):
    """A question, an optional detailed body, and yes / no."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("escape,n", "answer(False)", "no"),
        Binding("y", "answer(True)", "yes"),
    ]

    def __init__(
        self, title: str, body: Content | str = "", yes: str = "Yes", warning: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Content) else Content(body)
        self.yes = yes
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            if self.warning:
                yield Static(Content(self.warning), classes="dialog-text warning")
            if self.body:
                with VerticalScroll(classes="dialog-body"):
                    yield Static(self.body, id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content("[n] Cancel"), id="no")
                yield Button(Content(f"[y] {self.yes}"), id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
