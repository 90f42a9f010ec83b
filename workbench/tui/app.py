"""The workbench Textual app: opens a session, runs the agent, reviews its changes.

Nothing slow is imported here: the sandbox and the agent loop (with litellm) are
imported in workers after the first frame is on screen.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from workbench.config import Config, load_config
from workbench.errors import EngineUnavailable, WorkbenchError
from workbench.tui.agent_bridge import AgentBridge
from workbench.tui.messages import (
    AgentEventReceived,
    AgentStopped,
    ApprovalRequested,
    ChangedPath,
    ChangesRefreshed,
    ModelReady,
    PastEventsLoaded,
    ProgressReported,
    SessionFailed,
    SessionOpened,
)
from workbench.tui.screens.main import MainScreen
from workbench.tui.themes import DEFAULT_THEME, load_themes

if TYPE_CHECKING:
    from textual.command import Provider

    from workbench.agent.events import Event

log = logging.getLogger(__name__)

EXIT_UNAVAILABLE = 2  # the user quit from the error screen: nothing could open


@dataclass
class Launch:
    """What the app opens: a folder, a session to resume, or a replay."""

    folder: Path | None = None
    resume_id: str | None = None
    model: str | None = None
    approval: str | None = None
    theme: str | None = None
    prompt: str = ""
    replay: Callable[[], Iterable[Event]] | None = None
    replay_speed: float = 1.0
    config: Config | None = None
    open_session: bool = True  # False: show the screen only (snapshots, benchmarks)


class WorkbenchApp(App[None]):
    """The agent beside its sandbox; nothing leaves the sandbox without the review."""

    TITLE = "workbench"
    COMMANDS = App.COMMANDS | {lambda: _workbench_commands()}
    BINDINGS = [
        Binding("ctrl+q", "quit_app", "quit", priority=True),
        Binding("f1", "help", "help"),
        Binding("question_mark", "help", "help", show=False),
        Binding("ctrl+p", "command_palette", "palette"),
    ]

    def __init__(self, launch: Launch | None = None) -> None:
        super().__init__()
        self.launch = launch or Launch()
        self.config = self.launch.config or load_config()
        self.model = self.launch.model or self.config.agent.model
        self.approval = self.launch.approval or self.config.agent.approval
        self.session: Any = None
        self.folder_watcher: Any = None
        self.pending_changes = 0
        self.session_error = ""
        self.agent_running = False
        self.model_loading = False
        self._bridge: AgentBridge | None = None
        self._queued_prompt = ""
        self._dequeued = ""
        self._watch_stop = threading.Event()
        self._quitting = False
        for theme in load_themes():
            self.register_theme(theme)
        self.theme = self._pick_theme(self.launch.theme or self.config.theme)

    def _pick_theme(self, name: str) -> str:
        if name in self.available_themes:
            return name
        fallback = DEFAULT_THEME
        if fallback not in self.available_themes:
            fallback = "textual-dark"
        known = ", ".join(n for n in sorted(self.available_themes) if "workbench" in n)
        message = f"Unknown theme {name!r}; using {fallback}. Known: {known}."
        self.call_later(self.notify, message, severity="warning", timeout=8)
        return fallback

    # -- start-up ----------------------------------------------------------------

    async def on_mount(self) -> None:
        read_only = self.launch.replay is not None
        self.main = MainScreen(read_only=read_only, prompt=self.launch.prompt)
        await self.push_screen(self.main)
        self._fill_header()
        if not read_only and self.launch.open_session:
            # litellm takes seconds to import: start now, after the first frame.
            self._bridge = AgentBridge(self.post_message)
            self.call_after_refresh(self._bridge.preload)
            self.model_loading = True
            self.main.header.state = "loading the model library…"
        if read_only:
            self.main.container.state, self.main.container.detail = "idle", "replay"
            self.call_after_refresh(self._replay)
        elif self.launch.open_session:
            self.call_after_refresh(self._open_session)
        else:
            self.main.container.state, self.main.container.detail = "idle", ""

    def _fill_header(self) -> None:
        header = self.main.header
        header.folder = _short_path(self.launch.folder) if self.launch.folder else ""
        header.model = self.model
        header.approval = self.approval
        header.budget = self.config.agent.max_cost_usd
        header.loosened = tuple(self.config.sandbox.loosened())
        if self.launch.replay is not None:
            header.state = "replay"

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _open_session(self) -> None:
        try:
            from workbench.sandbox.session import SessionManager

            manager = SessionManager(config=self.config)
            if self.launch.resume_id:
                session = manager.get(self.launch.resume_id)
            else:
                progress = _Progress(self.post_message)
                session = manager.start(self.launch.folder, progress=progress)
        except EngineUnavailable as error:
            self.post_message(SessionFailed(error.message, error.hint or _DOCKER_HINT))
        except WorkbenchError as error:
            self.post_message(SessionFailed(error.message, error.hint))
        except Exception as error:  # shown on the error screen, details in the log
            log.exception("opening the session failed")
            self.post_message(SessionFailed(f"Could not open the sandbox: {error}"))
        else:
            if self._quitting:  # the user quit while it opened: release it now
                _close_quietly(session, None)
                return
            self.post_message(SessionOpened(session, _watch_folder(session)))
            if self.launch.resume_id:
                past = _past_events(session)
                if past:
                    self.post_message(PastEventsLoaded(past))

    def resume(self, session_id: str) -> None:
        """Reopen another session in place of this one, on a fresh main screen."""
        if self.agent_running:
            self.notify("Stop the agent first (ctrl+c).", severity="warning")
            return
        if self.session is not None and self.session.id == session_id:
            self.notify("That session is already open.")
            return
        self._switch_to(session_id)

    @work(exclusive=True, group="session")
    async def _switch_to(self, session_id: str) -> None:
        old, watcher = self.session, self.folder_watcher
        self.session = self.folder_watcher = None
        self._watch_stop.set()
        await asyncio.to_thread(_close_quietly, old, watcher)

        self._watch_stop = threading.Event()
        self.launch.resume_id, self.launch.folder, self.launch.prompt = (
            session_id,
            None,
            "",
        )
        if self._bridge is not None:
            self._bridge.close()
        self._bridge = AgentBridge(self.post_message)
        self._bridge.preload()
        while self.screen is not self.main:
            await self.pop_screen()
        self.main = MainScreen()
        await self.switch_screen(self.main)
        self._fill_header()
        self.main.header.folder = ""
        self._open_session()

    def on_session_opened(self, message: SessionOpened) -> None:
        session = self.session = message.session
        self.folder_watcher = message.watcher
        self.main.show_progress("", done=True)
        state = self.main.container
        state.image, state.runtime = session.image, session.runtime
        limits = session.limits_summary().split(" · ")
        state.network = session.network
        state.limits = " · ".join(p for p in limits if not p.startswith("net "))
        state.state, state.detail = "idle", ""
        self.main.query_one("#sandbox").border_subtitle = f"session {session.id}"
        if self.launch.folder is None:
            self.launch.folder = Path(session.folder)
            self.main.header.folder = _short_path(self.launch.folder)
        self._watch_changes()
        self.refresh_changes()
        if self._queued_prompt:
            self._dequeued, self._queued_prompt = self._queued_prompt, ""
            self.submit_task(self._dequeued)

    def on_past_events_loaded(self, message: PastEventsLoaded) -> None:
        self.main.show_past(message.events)
        if not self.model:  # continue with the model the session last used
            started = [e for e in message.events if e.type == "task_started"]
            if started:
                self.set_model(started[-1].model)  # type: ignore[attr-defined]

    def on_session_failed(self, message: SessionFailed) -> None:
        self.session_error = message.message
        self.main.show_progress("", done=True)
        self.main.container.state = "unavailable"
        self.main.container.detail = ""
        is_engine = "docker" in (message.message + message.hint).lower()
        title = "Docker is not reachable" if is_engine else "Cannot open the sandbox"
        from workbench.tui.screens.error import ErrorScreen

        self.push_screen(
            ErrorScreen(title, message.message, message.hint), self._after_error
        )

    def _after_error(self, choice: str | None) -> None:
        if choice == "retry":
            self.session_error = ""
            self.main.container.state = "starting"
            self.main.container.detail = "opening the sandbox…"
            self._open_session()
        else:
            self.exit(return_code=EXIT_UNAVAILABLE)

    def on_progress_reported(self, message: ProgressReported) -> None:
        self.main.show_progress(message.text, message.done)
        if not message.done:
            self.main.container.detail = message.text[:60]

    def on_model_ready(self, message: ModelReady) -> None:
        log.info("agent loop loaded")
        self.model_loading = False
        if not self.agent_running:
            self.main.header.state = ""

    # -- the agent -----------------------------------------------------------------

    def submit_task(self, prompt: str) -> bool:
        """Start the agent on a task; False (and the user is told) when it cannot."""
        if self.agent_running:
            self.notify(
                "The agent is still working; ctrl+c stops it.", severity="warning"
            )
            return False
        if not self.model:
            self.notify(
                "No model set: use --model, or pick one in the palette (ctrl+p).",
                severity="error",
            )
            return False
        if prompt is not self._dequeued:
            self.main.conversation.add_user(prompt)
        if self.session is None or self._bridge is None:
            self._queued_prompt = prompt
            self.main.conversation.add_note("Starts when the sandbox is ready…")
            return True
        if self.model_loading:
            self.main.conversation.add_note("Loading the model library first…")
        config = replace(self.config.agent, approval=self.approval)
        try:
            self._bridge.start(self.session, prompt, self.model, config)
        except WorkbenchError as error:
            self.notify(error.message, severity="error")
            return False
        self.agent_running = True
        self.main.set_agent_running(True)
        self.refresh_bindings()
        return True

    def on_agent_event_received(self, message: AgentEventReceived) -> None:
        self.main.show_event(message.event)

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        self.main.on_approval_requested(message)
        if self.screen is not self.main:
            self.notify("The agent is waiting for your approval on the main screen.")

    def on_agent_stopped(self, message: AgentStopped) -> None:
        self.agent_running = False
        self.main.set_agent_running(False)
        self.refresh_bindings()
        if message.error:
            self.main.conversation.add_note(message.error, "error")
            self.notify(message.error, severity="error", timeout=8)
        self.refresh_changes()

    def action_stop_agent(self) -> None:
        if self._bridge is not None and self.agent_running:
            self._bridge.interrupt()
            self.notify("Stopping the agent…")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_agent":
            return self.agent_running
        if action == "open_review":
            return self.session is not None or None
        return True

    # -- changes -------------------------------------------------------------------

    def refresh_changes(self) -> None:
        """Read the sandbox's changes again, off the UI thread."""
        if self.session is not None:
            self._read_changes()

    @work(thread=True, exclusive=True, group="changes", exit_on_error=False)
    def _read_changes(self) -> None:
        changes = self.session.changes()
        listed = [ChangedPath(change.path, change.kind) for change in changes]
        self.post_message(ChangesRefreshed(listed))

    def on_changes_refreshed(self, message: ChangesRefreshed) -> None:
        self.pending_changes = len(message.changes)
        self.main.query_one("#sandbox").show_changes(message.changes)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_changes(self) -> None:
        folder = self.session.changes_dir()
        if folder is None or not Path(folder).exists():
            return  # copy strategy: the loop's ChangesUpdated events drive refreshes
        import watchfiles

        for _batch in watchfiles.watch(
            folder, stop_event=self._watch_stop, debounce=300, raise_interrupt=False
        ):
            self.call_from_thread(self.refresh_changes)

    # -- review, help, settings ----------------------------------------------------

    def action_open_review(self) -> None:
        if self.session is None:
            self.notify("The sandbox is not open yet.", severity="warning")
            return
        from workbench.tui.screens.review import ReviewScreen

        screen = ReviewScreen(self.session, self.config, watcher=self.folder_watcher)
        self.push_screen(screen)

    def action_help(self) -> None:
        from workbench.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(help_sections()))

    def set_model(self, model: str) -> None:
        self.model = model.strip()
        self.main.header.model = self.model
        self.notify(f"Model: {self.model} (from the next task)")

    def set_approval(self, mode: str) -> None:
        self.approval = mode
        self.main.header.approval = mode
        self.notify(f"Approval mode: {mode} (from the next task)")

    def action_new_task(self) -> None:
        if self.agent_running:
            self.notify("Stop the agent first (ctrl+c).", severity="warning")
            return
        if self._bridge is not None:
            self._bridge.forget()
        self.main.conversation.add_note("— new task: the agent starts afresh —")
        self.main.action_focus_prompt()

    # -- replay --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="replay", exit_on_error=False)
    def _replay(self) -> None:
        assert self.launch.replay is not None
        speed = max(self.launch.replay_speed, 0.01)
        previous: float | None = None
        for event in self.launch.replay():
            if self._watch_stop.is_set():
                return
            if previous is not None:
                # Long thinking pauses are capped so a replay never seems stuck.
                self._watch_stop.wait(min(max(event.at - previous, 0) / speed, 2.0))
            previous = event.at
            self.post_message(AgentEventReceived(event))
        self.call_from_thread(self.notify, "Replay finished.")

    # -- workers and quitting --------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %s failed: %r", event.worker.name, error)
        text = error.message if isinstance(error, WorkbenchError) else str(error)
        self.notify(f"{event.worker.group}: {text}", severity="error", timeout=8)

    def action_quit_app(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self._watch_stop.set()
        if self._bridge is not None:
            if self.agent_running:
                self._bridge.interrupt()
            self._bridge.close()
        if self.session is None:
            self.exit()
            return
        self.notify("Closing the sandbox…")
        self._close_session()

    @work(thread=True, group="quit", exit_on_error=False)
    def _close_session(self) -> None:
        try:
            if self.folder_watcher is not None:
                self.folder_watcher.stop()
            self.session.close()
        except Exception:  # quitting must always work
            log.exception("closing the session failed")
        self.call_from_thread(self.exit)


_DOCKER_HINT = (
    "Start Docker (e.g. `sudo systemctl start docker`), then press r to retry."
)


class _Progress:
    """Turns the session's progress callbacks into messages (called from a thread)."""

    def __init__(self, post: Callable[[Any], Any]) -> None:
        self._post = post
        self._last = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(a) for a in args if a is not None).strip()
        done = bool(kwargs.get("done"))
        now = time.monotonic()
        if done or now - self._last > 0.1:
            self._last = now
            self._post(ProgressReported(text or "working…", done))


def _past_events(session: Any) -> list[Event]:
    """The events of a resumed session's transcript, to show what happened before."""
    try:
        from workbench.agent.transcript import Transcript, iter_events

        return list(iter_events(Transcript.for_session(session).path))
    except Exception:  # a session without a readable transcript just starts empty
        log.exception("cannot read the transcript of session %s", session.id)
        return []


def _close_quietly(session: Any, watcher: Any) -> None:
    """Release a session being left behind; failures only reach the log."""
    try:
        if watcher is not None:
            watcher.stop()
        if session is not None:
            session.close()
    except Exception:  # switching sessions must not fail on the old one
        log.exception("closing the previous session failed")


def _workbench_commands() -> type[Provider]:
    # The palette is imported when first opened, not on the way to the first frame.
    from workbench.tui.commands import WorkbenchCommands

    return WorkbenchCommands


def _watch_folder(session: Any) -> Any:
    """Watch the user's folder for the session's life, so the review sees conflicts."""
    from workbench.changes.conflicts import FolderWatcher

    try:
        return FolderWatcher(Path(session.folder)).start()
    except Exception:  # conflicts are still found by mtime without the watcher
        log.exception("cannot watch %s", session.folder)
        return None


def _short_path(path: Path) -> str:
    try:
        return "~/" + str(path.resolve().relative_to(Path.home()))
    except ValueError:
        return str(path)


def help_sections() -> list[tuple[str, list[Any]]]:
    """Every binding by where it works, from the classes themselves."""
    from workbench.tui.screens.confirm import Confirm
    from workbench.tui.screens.edit_text import EditText
    from workbench.tui.screens.review import ReviewScreen
    from workbench.tui.widgets.command_card import CommandCard

    return [
        ("Everywhere", list(WorkbenchApp.BINDINGS)),
        ("Main screen", list(MainScreen.BINDINGS)),
        ("A proposed command (when it waits for you)", list(CommandCard.BINDINGS)),
        ("Review screen", list(ReviewScreen.BINDINGS)),
        ("Editing a command or a hunk", list(EditText.BINDINGS)),
        ("Confirmations", list(Confirm.BINDINGS)),
    ]
