"""A one-line question, e.g. why a command was denied."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class TextPrompt(ModalScreen[str | None]):
    """Returns the text typed (possibly empty), or None when cancelled."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, text: str, placeholder: str = "", value: str = ""):
        super().__init__()
        self.title_text = title
        self.text = text
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Static(Content(self.text), classes="dialog-text")
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.dismiss(self.query_one(Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
