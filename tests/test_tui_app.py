"""The app without an agent: errors, help, palette, replay, themes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from agent_script_helpers import commands_run, run_turn, script_model
from conftest import StartSession
from textual.widgets import Static
from tui_helpers import SIZE, Messages, quiet_app

from workbench.agent import events as ev
from workbench.config import AgentConfig, Config
from workbench.tui.agent_bridge import AgentBridge
from workbench.tui.app import Launch, WorkbenchApp
from workbench.tui.messages import AgentEventReceived, AgentStopped
from workbench.tui.screens.error import ErrorScreen
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.main import MainScreen
from workbench.tui.screens.review import ReviewScreen
from workbench.tui.themes import load_themes
from workbench.tui.widgets.command_card import CommandCard
from workbench.tui.widgets.command_history import CommandHistory
from workbench.tui.widgets.live_output import LiveOutput


def test_three_themes_load_from_the_themes_folder() -> None:
    names = {theme.name for theme in load_themes()}
    assert {"workbench-dark", "workbench-light", "workbench-high-contrast"} <= names


def test_a_broken_theme_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("name = 'x'\nprimary = [")
    (tmp_path / "good.toml").write_text("name = 'mine'\nprimary = '#102030'\n")
    assert [theme.name for theme in load_themes([tmp_path])] == ["mine"]


async def test_no_engine_shows_an_error_screen_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    app = WorkbenchApp(Launch(folder=tmp_path, model="scripted/x", config=Config()))
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.until(lambda: isinstance(app.screen, ErrorScreen))
        screen = app.screen
        text = " ".join(str(s.render()) for s in screen.query(Static))
        assert "Docker" in text or "docker" in text
        assert "Traceback" not in text
        await pilot.press("q")
        await messages.until(lambda: not app.is_running)


async def test_help_lists_every_binding() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        for binding in [
            *MainScreen.BINDINGS,
            *ReviewScreen.BINDINGS,
            *CommandCard.BINDINGS,
        ]:
            assert binding.description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_palette_switches_theme_and_approval_mode() -> None:
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme: workbench-light")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "workbench-light"

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Approval mode: auto")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.approval == "auto"
        assert app.main.header.approval == "auto"


async def test_replay_plays_events_read_only() -> None:
    recorded = [
        ev.TaskStarted(session_id="s", prompt="list files", model="m", approval="ask"),
        ev.ModelReplied(text="Listing.", total_tokens=10),
        ev.CommandProposed(call_id="c1", tool="run", command="ls"),
        ev.CommandApproved(call_id="c1"),
        ev.CommandStarted(call_id="c1", command="ls", container_id="abc"),
        ev.OutputReceived(call_id="c1", text="README.md\n"),
        ev.CommandFinished(call_id="c1", exit_code=0, duration_s=0.2),
        ev.TaskFinished(outcome="finished", summary="Listed.", steps=1),
    ]
    launch = Launch(
        folder=Path("/tmp/replayed"),
        replay=lambda: iter(recorded),
        replay_speed=1000.0,
        open_session=False,
        config=Config(),
    )
    app = WorkbenchApp(launch)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.until(lambda: messages.events(ev.TaskFinished))
        await pilot.pause()
        assert app.main.query_one("#prompt").disabled
        card = app.main.conversation.card("c1")
        assert card is not None and card.read_only and not card.pending
        assert "README.md" in "\n".join(app.main.query_one(LiveOutput).lines)
        assert app.main.query_one(CommandHistory).entries[0].exit_code == 0


FIRST_FRAME_PROBE = """
import os, sys
from pathlib import Path
from workbench.tui.app import Launch, WorkbenchApp

class Probe(WorkbenchApp):
    def _open_session(self):
        pass  # no engine work: only the import order is under test

    def on_ready(self):
        print("litellm" in sys.modules, file=sys.__stdout__, flush=True)
        os._exit(0)

Probe(Launch(folder=Path.cwd(), model="scripted/x")).run(headless=True)
"""


def test_first_frame_is_drawn_before_litellm_is_imported(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, WORKBENCH_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.stdout.strip() == "False", result.stderr[-2000:]


async def test_image_build_progress_is_shown_then_cleared() -> None:
    from workbench.tui.messages import ProgressReported

    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(ProgressReported("building the sandbox image: step 3/9"))
        await pilot.pause()
        line = app.main.query_one("#progress-line", Static)
        assert "step 3/9" in str(line.render()) and line.display
        assert "step 3/9" in app.main.container.detail

        app.post_message(ProgressReported("", done=True))
        await pilot.pause()
        assert not line.has_class("-active")


@pytest.mark.docker
def test_a_stop_asked_while_the_agent_loads_still_stops_it(
    start_session: StartSession, tmp_path: Path
) -> None:
    session = start_session()
    model = script_model(tmp_path, run_turn("echo never"))
    posted: list = []
    stopped = threading.Event()

    def post(message: object) -> None:
        posted.append(message)
        if isinstance(message, AgentStopped):
            stopped.set()

    bridge = AgentBridge(post)
    try:
        bridge.start(session, "go", model, AgentConfig(approval="auto"))
        bridge.interrupt()  # before the loop module has even been imported
        assert stopped.wait(60)
    finally:
        bridge.close()

    events = [m.event for m in posted if isinstance(m, AgentEventReceived)]
    assert [e.outcome for e in events if isinstance(e, ev.TaskFinished)] == [
        "interrupted"
    ]
    assert commands_run(events) == []
