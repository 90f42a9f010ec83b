"""The app end to end on the real engine with a scripted model: approve, deny, edit,
review hunk by hunk and apply."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea
from tui_helpers import SIZE, Messages

from workbench.agent import events as ev
from workbench.config import Config
from workbench.errors import EngineUnavailable
from workbench.tui.app import Launch, WorkbenchApp
from workbench.tui.messages import (
    AgentStopped,
    ApprovalRequested,
    ReviewReady,
    SessionFailed,
    SessionOpened,
    SyncFinished,
)
from workbench.tui.screens.edit_text import EditText
from workbench.tui.screens.review import ReviewScreen
from workbench.tui.screens.text_prompt import TextPrompt
from workbench.tui.widgets.command_card import CommandCard
from workbench.tui.widgets.command_history import CommandHistory
from workbench.tui.widgets.live_output import LiveOutput

TASK = Path(__file__).parent / "tui_task"
PROMPT = "Mark lines 2 and 18 of notes.txt."
ORIGINAL = "".join(f"line {n}\n" for n in range(1, 21))

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine() -> None:
    from workbench.sandbox.engine import Engine

    try:
        Engine().client.ping()
    except EngineUnavailable as error:
        pytest.skip(f"no Docker engine: {error.message}")


@pytest.fixture
def folder(tmp_path: Path, engine: None) -> Iterator[Path]:
    work = tmp_path / "work"
    shutil.copytree(TASK / "workspace", work)
    yield work


def flow_app(folder: Path) -> WorkbenchApp:
    launch = Launch(
        folder=folder,
        model=f"scripted/{TASK / 'script.json'}",
        approval="ask",
        prompt=PROMPT,
        config=Config(),
    )
    return WorkbenchApp(launch)


def of_type(messages: Messages, kind: type) -> list:
    return [m for m in messages.seen if isinstance(m, kind)]


async def start_task(pilot, messages: Messages) -> CommandCard:
    """Wait for the sandbox, submit the pre-filled task, return the waiting card."""
    await messages.until(
        lambda: of_type(messages, SessionOpened) or of_type(messages, SessionFailed)
    )
    assert not of_type(messages, SessionFailed), of_type(messages, SessionFailed)[
        0
    ].message
    await pilot.press("enter")
    await messages.until(lambda: of_type(messages, ApprovalRequested))
    await pilot.pause()
    request = of_type(messages, ApprovalRequested)[0]
    card = pilot.app.main.conversation.card(request.proposal.call_id)
    assert card is not None and card.pending
    assert pilot.app.focused is card
    return card


async def quit_app(pilot, messages: Messages) -> None:
    session_id = pilot.app.session.id
    await pilot.press("ctrl+q")
    await messages.until(lambda: not pilot.app.is_running)
    from workbench.sandbox.session import SessionManager

    SessionManager().drop(session_id)


async def test_approve_review_and_apply_exactly_the_accepted_hunk(folder: Path) -> None:
    messages = Messages()
    app = flow_app(folder)
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        card = await start_task(pilot, messages)
        assert "sed -i" in card.command_text

        await pilot.press("a")
        await messages.until(lambda: messages.events(ev.TaskFinished))
        await pilot.pause()
        assert messages.events(ev.TaskFinished)[0].outcome == "finished"
        assert "marked-two-lines" in "\n".join(app.main.query_one(LiveOutput).lines)
        assert app.main.query_one(CommandHistory).entries[0].exit_code == 0

        await pilot.press("ctrl+r")
        await messages.until(lambda: of_type(messages, ReviewReady))
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert [item.path for item in review.review] == ["notes.txt"]
        await pilot.press("y", "n")  # accept the first hunk, reject the second
        assert review.review.file("notes.txt").hunk_decisions == [
            "accepted",
            "rejected",
        ]

        await pilot.press("A")
        await pilot.pause()
        body = str(app.screen.query_one("#confirm-body").render())
        assert "notes.txt" in body
        await pilot.press("y")
        await messages.until(lambda: of_type(messages, SyncFinished))
        assert not of_type(messages, SyncFinished)[0].failed

        expected = ORIGINAL.replace("line 2\n", "line 2 (agent)\n", 1)
        assert (folder / "notes.txt").read_text() == expected
        await pilot.press("escape")
        await quit_app(pilot, messages)


async def test_deny_with_a_message_reaches_the_agent(folder: Path) -> None:
    messages = Messages()
    app = flow_app(folder)
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await start_task(pilot, messages)

        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"not now", "enter")
        await messages.until(lambda: messages.events(ev.TaskFinished))
        await pilot.pause()

        denied = messages.events(ev.CommandDenied)
        assert [d.message for d in denied] == ["not now"]
        assert not messages.events(ev.CommandStarted)
        assert app.main.query_one(CommandHistory).entries[0].note == "denied"
        assert (folder / "notes.txt").read_text() == ORIGINAL

        # A new task starts the conversation afresh: the script begins again.
        app.action_new_task()
        await pilot.press(*"again", "enter")
        await messages.until(lambda: len(of_type(messages, ApprovalRequested)) == 2)
        await pilot.press("d", "enter")
        await messages.until(lambda: len(messages.events(ev.TaskFinished)) == 2)
        await quit_app(pilot, messages)


async def test_edit_runs_the_users_command(folder: Path) -> None:
    messages = Messages()
    app = flow_app(folder)
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        card = await start_task(pilot, messages)

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditText)
        app.screen.query_one(TextArea).text = "echo edited-by-user"
        await pilot.press("ctrl+s")
        await messages.until(lambda: messages.events(ev.TaskFinished))
        await pilot.pause()

        assert [e.command for e in messages.events(ev.CommandEdited)] == [
            "echo edited-by-user"
        ]
        assert card.command_text == "echo edited-by-user"
        assert "edited-by-user" in "\n".join(app.main.query_one(LiveOutput).lines)
        assert (folder / "notes.txt").read_text() == ORIGINAL
        await quit_app(pilot, messages)


async def test_ctrl_c_stops_a_long_command(folder: Path) -> None:
    launch = Launch(
        folder=folder,
        model=f"scripted/{TASK / 'slow.json'}",
        approval="auto",
        prompt="Sleep for a minute.",
        config=Config(),
    )
    app = WorkbenchApp(launch)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.until(lambda: of_type(messages, SessionOpened))
        await pilot.press("enter")
        await messages.until(
            lambda: (
                "started-sleeping"
                in "".join(e.text for e in messages.events(ev.OutputReceived))
            )
        )
        await pilot.press("ctrl+c")
        # AgentStopped follows TaskFinished; its handler clears agent_running.
        await messages.until(lambda: of_type(messages, AgentStopped))
        await pilot.pause()

        assert messages.events(ev.TaskFinished)[0].outcome == "interrupted"
        assert messages.events(ev.CommandFinished)[0].interrupted
        assert not app.agent_running
        await quit_app(pilot, messages)


async def test_resume_switches_to_another_session(folder: Path, tmp_path: Path) -> None:
    from workbench.sandbox.session import SessionManager

    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("a\n")
    manager = SessionManager()
    earlier = manager.start(other)
    earlier.close()
    from workbench.agent.transcript import Transcript

    transcript = Transcript.for_session(earlier)
    transcript.record_event(
        ev.TaskStarted(
            session_id=earlier.id, prompt="earlier task", model="m", approval="ask"
        )
    )
    transcript.record_event(
        ev.CommandProposed(call_id="old", tool="run", command="ls -la")
    )

    messages = Messages()
    app = flow_app(folder)
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.until(lambda: of_type(messages, SessionOpened))
        first = app.session.id
        app.resume(earlier.id)
        await messages.until(lambda: len(of_type(messages, SessionOpened)) == 2)
        await pilot.pause()

        assert app.session.id == earlier.id
        await messages.until(lambda: app.main.conversation.card("old") is not None)
        card = app.main.conversation.card("old")
        assert card.read_only and not card.pending
        texts = " ".join(str(w.render()) for w in app.main.conversation.query(".user"))
        assert "earlier task" in texts
        assert app.main.query_one("#sandbox").border_subtitle == f"session {earlier.id}"
        await quit_app(pilot, messages)
    manager.drop(first)
