"""Edit a block of text (a command, a hunk's new lines) before using it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


class EditText(ModalScreen[str | None]):
    """Returns the edited text on ctrl+s, or None on escape."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "save", priority=True),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, title: str, text: str, language: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.language = language

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            yield TextArea(
                self.text, language=self.language, show_line_numbers=True, id="editor"
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_action(event.button.id or "cancel")

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
