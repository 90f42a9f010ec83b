"""A proposed command: its risks in the title, and approve / deny / edit controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from workbench.agent.events import CommandProposed


def card_title(proposal: CommandProposed) -> Content:
    """'proposed command · ⚠ network', with the risks in the warning colour."""
    kind = "proposed command" if proposal.tool == "run" else f"proposed {proposal.tool}"
    title = Content(kind)
    if not proposal.risks:
        return title
    risks = Content(" · ").join(Content(f"⚠ {risk}") for risk in proposal.risks)
    return Content.assemble(title, " · ", risks.stylize("bold $warning"))


class CommandCard(Vertical, can_focus=True):
    """One proposed tool call; while it waits, a, d and e decide it."""

    DEFAULT_CSS = """
    CommandCard {
        height: auto;
        border: round $secondary;
        border-title-color: $foreground;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    CommandCard.-pending { border: round $warning; }
    CommandCard.-pending:focus { border: double $warning; }
    CommandCard.-risky { border-title-style: bold; }
    CommandCard .command { color: $text; text-style: bold; }
    CommandCard .status { color: $text-muted; }
    CommandCard .status.-bad { color: $error; }
    CommandCard .status.-good { color: $success; }
    CommandCard Horizontal { height: auto; }
    CommandCard Button { margin: 0 1 0 0; min-width: 0; width: auto; }
    CommandCard .risks { color: $warning; text-style: bold; }
    CommandCard.-decided Horizontal { display: none; }
    """

    BINDINGS = [
        Binding("a", "approve", "approve"),
        Binding("d", "deny", "deny…"),
        Binding("e", "edit", "edit…"),
    ]

    class Decided(Message):
        """The user decided: kind is 'approve', 'deny' or 'edit'."""

        def __init__(
            self, card: CommandCard, kind: str, message: str = "", command: str = ""
        ) -> None:
            super().__init__()
            self.card = card
            self.kind = kind
            self.message = message
            self.command = command

    pending: reactive[bool] = reactive(False)

    def __init__(self, proposal: CommandProposed, read_only: bool = False) -> None:
        super().__init__()
        self.proposal = proposal
        self.read_only = read_only
        self.command_text = proposal.command
        self._status = self._initial_status()
        self._tone = ""
        self.border_title = card_title(proposal)
        if proposal.risks:
            self.add_class("-risky")

    def compose(self) -> ComposeResult:
        if self.proposal.risks:
            # Repeated from the title, which a narrow terminal cuts short.
            risks = " · ".join(f"⚠ {risk}" for risk in self.proposal.risks)
            yield Static(Content(risks), classes="risks")
        yield Static(Content(self.command_text), classes="command")
        yield Static(Content(self._status), classes=f"status -{self._tone}")
        with Horizontal():
            yield Button(
                Content("[a] approve"), id="approve", variant="success", compact=True
            )
            yield Button(Content("[d] deny…"), id="deny", variant="error", compact=True)
            yield Button(
                Content("[e] edit…"), id="edit", variant="primary", compact=True
            )

    def _initial_status(self) -> str:
        if self.proposal.needs_approval:
            return "waiting for approval"
        if self.proposal.rule:
            return f"decided by rule: {self.proposal.rule}"
        return "no approval needed"

    def watch_pending(self, pending: bool) -> None:
        self.set_class(pending, "-pending")
        self.set_class(not pending, "-decided")

    def set_status(self, text: str, tone: str = "") -> None:
        """Show what happened to the command (approved, running, exit code)."""
        self._status, self._tone = text, tone
        for status in self.query(".status").results(Static):
            status.update(Content(text))
            status.set_class(tone == "bad", "-bad")
            status.set_class(tone == "good", "-good")

    def set_command(self, command: str) -> None:
        """Show the command as edited by the user."""
        self.command_text = command
        for widget in self.query(".command").results(Static):
            widget.update(Content(command))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "deny", "edit"):
            return self.pending and not self.read_only
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_action(event.button.id or "")

    def action_approve(self) -> None:
        self._decide("approve")

    def action_deny(self) -> None:
        from workbench.tui.screens.text_prompt import TextPrompt

        prompt = TextPrompt(
            "Deny this command",
            "Tell the agent why, or what to do instead (optional):",
            placeholder="e.g. don't touch the tests; fix the code instead",
        )
        self.app.push_screen(prompt, self._denied)

    def action_edit(self) -> None:
        from workbench.tui.screens.edit_text import EditText

        editor = EditText("Edit the command, then save to run it", self.command_text)
        self.app.push_screen(editor, self._edited)

    def _denied(self, message: str | None) -> None:
        if message is not None:
            self._decide("deny", message=message)

    def _edited(self, command: str | None) -> None:
        if command is not None and command.strip():
            self._decide("edit", command=command.strip())

    def _decide(self, kind: str, message: str = "", command: str = "") -> None:
        if not self.pending or self.read_only:
            return
        self.pending = False
        self.post_message(self.Decided(self, kind, message, command))
