"""The main screen: the conversation beside the live sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from workbench.tui.messages import ApprovalRequested, ChangedPath
from workbench.tui.widgets.command_card import CommandCard
from workbench.tui.widgets.command_history import CommandHistory, HistoryEntry
from workbench.tui.widgets.container_state import ContainerState
from workbench.tui.widgets.conversation import Conversation
from workbench.tui.widgets.live_output import LiveOutput
from workbench.tui.widgets.sandbox_pane import SandboxPane
from workbench.tui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from workbench.agent import events as ev

_OUTCOMES = {
    "finished": ("Task finished", "success"),
    "failed": ("Task failed", "error"),
    "budget_exceeded": ("Budget exceeded", "warning"),
    "interrupted": ("Stopped", "warning"),
}
Resolver = Callable[..., None]


class MainScreen(Screen[None]):
    """Renders agent events; owns the cards and the resolvers of pending approvals."""

    CSS_PATH = "main.tcss"
    BINDINGS = [
        Binding("ctrl+r", "app.open_review", "review"),
        Binding("r", "app.open_review", "review", show=False),
        Binding("ctrl+c", "app.stop_agent", "stop agent", priority=True),
        Binding("i", "focus_prompt", "message", show=False, tooltip="type a new task"),
    ]

    def __init__(self, read_only: bool = False, prompt: str = "") -> None:
        super().__init__()
        self.read_only = read_only
        self.initial_prompt = prompt
        self.agent_running = False
        self._resolvers: dict[str, Resolver] = {}
        self._commands: dict[str, str] = {}
        self._waiting: list[ev.Event] = []
        self._past = False  # rendering a resumed session's earlier events

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="panes"):
            with Vertical(id="agent-side") as side:
                side.border_title = "Agent"
                yield Conversation(id="conversation")
                yield Static("", id="progress-line")
                yield Input(
                    self.initial_prompt,
                    placeholder=self._placeholder(),
                    id="prompt",
                    disabled=self.read_only,
                )
            with SandboxPane(id="sandbox") as pane:
                pane.border_title = "Sandbox"

    def on_mount(self) -> None:
        if not self.read_only:
            self.query_one("#prompt", Input).focus()
        # The footer follows one frame after the rest: the window shows sooner.
        self.call_after_refresh(self.mount, Footer())

    def _placeholder(self) -> str:
        if self.read_only:
            return "replay: read-only"
        return "describe a task for the agent, then press enter…"

    # -- state shown around the conversation -------------------------------------

    @property
    def header(self) -> StatusHeader:
        return self.query_one(StatusHeader)

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)

    @property
    def container(self) -> ContainerState:
        return self.query_one(ContainerState)

    def show_progress(self, text: str, done: bool = False) -> None:
        """A line above the input for long work such as building the image."""
        line = self.query_one("#progress-line", Static)
        line.update(text)
        line.set_class(not done, "-active")

    def set_agent_running(self, running: bool) -> None:
        self.agent_running = running
        prompt = self.query_one("#prompt", Input)
        prompt.disabled = running or self.read_only
        prompt.placeholder = (
            "the agent is working… ctrl+c stops it" if running else self._placeholder()
        )
        if not running and not self.read_only:
            prompt.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_prompt":
            return not self.read_only and not self.agent_running
        return True

    def action_focus_prompt(self) -> None:
        self.query_one("#prompt", Input).focus()

    # -- the user's input ----------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "prompt":
            return
        event.stop()
        text = event.value.strip()
        if not text:
            return
        if self.app.submit_task(text):  # type: ignore[attr-defined]
            event.input.value = ""

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        call_id = message.proposal.call_id
        card = self.conversation.card(call_id)
        if card is None:
            card = self.conversation.add_card(message.proposal, self.read_only)
        self._resolvers[call_id] = message.resolve
        card.pending = True
        card.set_status("waiting for you: a approve · d deny · e edit")
        self.call_after_refresh(card.focus)

    def on_command_card_decided(self, message: CommandCard.Decided) -> None:
        call_id = message.card.proposal.call_id
        resolve = self._resolvers.pop(call_id, None)
        if resolve is not None:
            resolve(message.kind, message.message, message.command)
        labels = {"approve": "approved", "deny": "denied", "edit": "edited"}
        message.card.set_status(f"{labels.get(message.kind, message.kind)} by you")
        self.conversation.focus()

    # -- agent events --------------------------------------------------------------

    def on_sandbox_pane_ready(self, message: SandboxPane.Ready) -> None:
        waiting, self._waiting = self._waiting, []
        for event in waiting:
            self.show_event(event)

    def show_past(self, events: list[ev.Event]) -> None:
        """Render a resumed session's earlier events, read-only, before new ones."""
        self._past = True
        try:
            for event in events:
                self.show_event(event)
        finally:
            self._past = False
        self.conversation.add_note("— resumed: earlier work above —")

    def show_event(self, event: ev.Event) -> None:
        """Render one event; unknown kinds are ignored so new events never crash."""
        if not self.query_one(SandboxPane).ready:
            self._waiting.append(event)
            return
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)

    def _on_task_started(self, event: ev.TaskStarted) -> None:
        if not self._past:  # a resumed session keeps today's model and mode
            self.header.model = event.model
            self.header.approval = event.approval
            self.header.state = "working"
        if (self.read_only or self._past) and event.prompt:
            self.conversation.add_user(event.prompt)

    def _on_model_replied(self, event: ev.ModelReplied) -> None:
        if event.text.strip():
            self.conversation.add_agent(event.text.strip())
        self.header.tokens = event.total_tokens
        self.header.cost = event.total_cost_usd

    def _on_command_proposed(self, event: ev.CommandProposed) -> None:
        self._commands[event.call_id] = event.command
        card = self.conversation.add_card(event, self.read_only or self._past)
        if not event.needs_approval:
            card.set_status(
                "runs without approval" + (f" ({event.rule})" * bool(event.rule))
            )

    def _on_command_approved(self, event: ev.CommandApproved) -> None:
        self._settle_card(event.call_id, f"approved ({event.by})", "good")

    def _on_command_denied(self, event: ev.CommandDenied) -> None:
        reason = f": {event.message}" if event.message else ""
        self._settle_card(event.call_id, f"denied ({event.by}){reason}", "bad")
        command = self._commands.get(event.call_id, "")
        self.query_one(CommandHistory).add(HistoryEntry(command, None, note="denied"))

    def _on_command_edited(self, event: ev.CommandEdited) -> None:
        self._commands[event.call_id] = event.command
        card = self._settle_card(event.call_id, "edited by you", "good")
        if card is not None:
            card.set_command(event.command)

    def _on_command_started(self, event: ev.CommandStarted) -> None:
        self._commands[event.call_id] = event.command
        self._settle_card(event.call_id, f"running in {event.container_id[:12]}…", "")
        self.container.start(
            event.container_id, event.image, event.runtime, event.network
        )
        self.query_one(LiveOutput).begin(event.command)

    def _on_output_received(self, event: ev.OutputReceived) -> None:
        self.query_one(LiveOutput).add(event.text)

    def _on_command_finished(self, event: ev.CommandFinished) -> None:
        note = "timed out" if event.timed_out else ""
        note = "interrupted" if event.interrupted else note
        summary = f"exit {event.exit_code} · {event.duration_s:.1f}s"
        if note:
            summary += f" · {note}"
        if event.output_truncated_bytes:
            summary += f" · {event.output_truncated_bytes} bytes of output cut"
        tone = "good" if event.exit_code == 0 and not note else "bad"
        self._settle_card(event.call_id, summary, tone)
        self.query_one(LiveOutput).end(f"[{summary}]")
        state = "finished" if tone == "good" else ("stopped" if note else "failed")
        self.container.stop(state, event.duration_s)
        command = self._commands.get(event.call_id, "")
        entry = HistoryEntry(command, event.exit_code, event.duration_s, note)
        self.query_one(CommandHistory).add(entry)

    def _on_changes_updated(self, event: ev.ChangesUpdated) -> None:
        if self._past:
            return  # the live tree is read from the sandbox itself
        if not self.read_only:
            self.app.refresh_changes()  # type: ignore[attr-defined]
            return
        # A replay has no sandbox to read; the event's own paths are the best guess.
        kind = "modified"
        if event.added == len(event.paths):
            kind = "added"
        elif event.deleted == len(event.paths):
            kind = "deleted"
        changes = [ChangedPath(path, kind) for path in event.paths]
        self.query_one(SandboxPane).show_changes(changes)

    def _on_model_failed(self, event: ev.ModelFailed) -> None:
        retry = f" (retrying, attempt {event.attempt})" if event.retrying else ""
        self.conversation.add_note(f"Model error{retry}: {event.message}", "warning")

    def _on_budget_exceeded(self, event: ev.BudgetExceeded) -> None:
        self.conversation.add_note(
            f"Budget exceeded ({event.limit}): {event.message}", "warning"
        )

    def _on_task_finished(self, event: ev.TaskFinished) -> None:
        title, tone = _OUTCOMES.get(event.outcome, (event.outcome, ""))
        text = f"{title} after {event.steps} steps"
        if event.summary:
            text += f": {event.summary}"
        self.conversation.add_note(text, tone)
        self.header.state = event.outcome.replace("_", " ")
        self.header.tokens = event.total_tokens or self.header.tokens
        self.header.cost = event.total_cost_usd or self.header.cost
        for call_id in list(self._resolvers):
            self._settle_card(call_id, "not decided: the task ended", "bad")
        self._resolvers.clear()
        if not self.read_only and not self._past:
            self.conversation.add_note("Press ctrl+r to review the changes.", "")

    def _settle_card(self, call_id: str, text: str, tone: str) -> CommandCard | None:
        card = self.conversation.card(call_id)
        if card is not None:
            card.pending = False
            card.set_status(text, tone)
        return card
