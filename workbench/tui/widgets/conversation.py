"""The conversation: the user's task, the agent's replies, and command cards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.tui.widgets.command_card import CommandCard

if TYPE_CHECKING:
    from workbench.agent.events import CommandProposed


class Conversation(VerticalScroll):
    """A scrolling log of turns that follows the newest entry."""

    DEFAULT_CSS = """
    Conversation { padding: 0 1; }
    Conversation > .turn { margin: 0 0 1 0; height: auto; }
    Conversation > .user { color: $text; }
    Conversation > .agent { color: $text; }
    Conversation > .note { color: $text-muted; }
    Conversation > .note.-warning { color: $warning; }
    Conversation > .note.-error { color: $error; }
    Conversation > .note.-success { color: $success; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cards: dict[str, CommandCard] = {}

    def add_user(self, text: str) -> None:
        line = Content.assemble(("You: ", "bold $accent"), text)
        self._append(Static(line, classes="turn user"))

    def add_agent(self, text: str) -> None:
        line = Content.assemble(("Agent: ", "bold $primary"), text)
        self._append(Static(line, classes="turn agent"))

    def add_note(self, text: str, tone: str = "") -> None:
        classes = "turn note" + (f" -{tone}" if tone else "")
        self._append(Static(Content(text), classes=classes))

    def add_card(
        self, proposal: CommandProposed, read_only: bool = False
    ) -> CommandCard:
        card = CommandCard(proposal, read_only=read_only)
        # Call ids can repeat across tasks; the newest card owns the id.
        self._cards[proposal.call_id] = card
        self._append(card)
        return card

    def card(self, call_id: str) -> CommandCard | None:
        """The card of a call, or None when it is not shown."""
        return self._cards.get(call_id)

    def _append(self, widget: Static | CommandCard) -> None:
        self.mount(widget)
        self.call_after_refresh(self.scroll_end, animate=False)
