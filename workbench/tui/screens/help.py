"""Every key binding of the app, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


def describe(bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) pairs of Binding objects, shown as the footer shows them."""
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding):
            keys = ", ".join(_key_name(k) for k in binding.key.split(","))
            text = binding.description or binding.action
            if binding.tooltip:
                text = f"{text} — {binding.tooltip}"
            rows.append((keys, text))
    return rows


def _key_name(key: str) -> str:
    return key.strip().replace("ctrl+", "^").replace("question_mark", "?")


class HelpScreen(ModalScreen[None]):
    """Built from the BINDINGS of the app and each screen, so it cannot go stale."""

    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Keys · escape closes", classes="help-title")
            for title, bindings in self.sections:
                rows = describe(bindings)
                if not rows:
                    continue
                yield Static(Content(title), classes="help-section")
                width = max(len(keys) for keys, _ in rows) + 2
                lines = [
                    Content.assemble((keys.ljust(width), "bold $accent"), text)
                    for keys, text in rows
                ]
                yield Static(Content("\n").join(lines), classes="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
