"""The loop on real sessions: events, limits, interrupts, output cuts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_script_helpers import commands_run, finish_turn, run_turn, script_model
from conftest import StartSession, containers_of, real_session

from workbench.agent.events import (
    BudgetExceeded,
    ChangesUpdated,
    CommandFinished,
    CommandStarted,
    Event,
    OutputReceived,
    ToolCallFailed,
)
from workbench.agent.loop import AgentLoop
from workbench.config import AgentConfig
from workbench.sandbox.session import Session

pytestmark = pytest.mark.docker

SCRIPT = Path(__file__).with_name("agent_script.json")
AUTO = AgentConfig(approval="auto")
FILES = {"a.py": "print(1)\n"}


@pytest.fixture(scope="module")
def shared(
    engine, sandbox_image: str, isolated_data_dir: Path, tmp_path_factory
) -> Iterator[Session]:
    """One session for the tests that neither change files nor stop a command."""
    folder = tmp_path_factory.mktemp("shared") / "project"
    with real_session(engine, isolated_data_dir, folder, FILES) as session:
        yield session


def make_loop(session: Session, model: str, config: AgentConfig = AUTO, **kwargs):
    events: list[Event] = []
    loop = AgentLoop(session, model, config, emit=events.append, **kwargs)
    return loop, events


async def test_scripted_task_runs_to_its_finish_with_the_whole_event_stream(
    start_session: StartSession,
) -> None:
    session = start_session(FILES)
    loop, events = make_loop(session, f"scripted/{SCRIPT}")

    finished = await loop.run("leave a note")

    types = [e.type for e in events]
    assert types[0] == "task_started" and types[-1] == "task_finished"
    for expected in ("model_replied", "command_proposed", "command_approved",
                     "command_started", "output_received", "command_finished",
                     "changes_updated"):  # fmt: skip
        assert expected in types
    assert finished.outcome == "finished"
    assert finished.summary == "Left a note in notes/todo.txt."
    assert finished.steps == 3
    note = next(c for c in session.changes() if c.path == "notes/todo.txt")
    assert note.new_path.read_text() == "check the tests\n"
    changes = [e for e in events if isinstance(e, ChangesUpdated)][-1]
    assert changes.added == 2 and "notes/todo.txt" in changes.paths
    output = "".join(e.text for e in events if isinstance(e, OutputReceived))
    assert "check the tests" in output and "a.py" in output


async def test_emit_is_always_called_on_the_loops_own_thread(
    start_session: StartSession,
) -> None:
    threads: set[int] = set()
    loop = AgentLoop(
        start_session(),
        f"scripted/{SCRIPT}",
        AUTO,
        emit=lambda event: threads.add(threading.get_ident()),
    )
    await loop.run("go")
    assert threads == {threading.get_ident()}


async def test_command_started_precedes_its_output_and_finish(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, run_turn("echo one; echo two"), finish_turn())
    loop, events = make_loop(shared, model)
    await loop.run("go")
    kinds = [type(e) for e in events if getattr(e, "call_id", "") == "call_0_0"]
    started = kinds.index(CommandStarted)
    assert kinds.index(OutputReceived) > started
    assert kinds[-1] is CommandFinished


async def test_interrupt_kills_the_running_command_and_ends_interrupted(
    start_session: StartSession, engine, tmp_path: Path
) -> None:
    session = start_session(FILES)
    model = script_model(tmp_path, run_turn("echo started; sleep 60"), finish_turn())
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        # Stop only once the command is really running inside its container.
        if isinstance(event, OutputReceived) and "started" in event.text:
            loop.interrupt()

    loop = AgentLoop(session, model, AUTO, emit=emit)
    finished = await loop.run("go")
    # The interrupt removes the container before run() returns, not later.
    killed = [e.container_id for e in events if isinstance(e, CommandStarted)]
    still_there = containers_of(engine, session.id)

    assert finished.outcome == "interrupted"
    ended = [e for e in events if isinstance(e, CommandFinished)]
    assert ended and ended[0].interrupted
    assert loop.messages[-1]["role"] == "tool"
    assert len(killed) == 1 and killed[0]
    assert not any(full.startswith(killed[0]) for full in still_there)
    session.runner().settle()
    assert containers_of(engine, session.id) == []


async def test_interrupt_while_waiting_for_approval_ends_the_loop(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, run_turn("echo hi"), finish_turn())
    asked = asyncio.Event()

    async def approver(proposed):
        asked.set()
        await asyncio.Event().wait()

    loop, events = make_loop(
        shared, model, AgentConfig(approval="ask"), approver=approver
    )
    task = asyncio.ensure_future(loop.run("go"))
    await asked.wait()
    loop.interrupt()
    finished = await task
    assert finished.outcome == "interrupted"
    assert commands_run(events) == []


async def test_step_budget_stops_the_loop(shared: Session, tmp_path: Path) -> None:
    model = script_model(tmp_path, run_turn("true"), run_turn("true"), finish_turn())
    loop, events = make_loop(shared, model, AgentConfig(approval="auto", max_steps=1))
    finished = await loop.run("go")
    assert finished.outcome == "budget_exceeded"
    assert [e.limit for e in events if isinstance(e, BudgetExceeded)] == ["steps"]


async def test_wall_clock_budget_stops_a_long_command(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, run_turn("sleep 30"), finish_turn())
    config = AgentConfig(approval="auto", max_wall_s=3.0)
    loop, events = make_loop(shared, model, config)
    finished = await loop.run("go")
    assert finished.outcome == "budget_exceeded"
    assert [e.limit for e in events if isinstance(e, BudgetExceeded)] == ["time"]


async def test_long_output_reaches_the_model_as_head_and_tail(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, run_turn("seq 1 20000"), finish_turn())
    config = AgentConfig(approval="auto", tool_output_limit=300)
    loop, _ = make_loop(shared, model, config)
    await loop.run("go")
    result = next(m["content"] for m in loop.messages if m["role"] == "tool")
    assert len(result) < 400
    assert "characters cut" in result
    assert "\n1\n" in result and result.rstrip().endswith("20000")


async def test_unknown_tools_and_bad_arguments_go_back_as_errors(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(
        tmp_path,
        {"text": "", "tool_calls": [
            {"name": "launch_rockets", "arguments": {}},
            {"name": "run", "arguments": "{not json"},
            {"name": "read_file", "arguments": {"path": 7}},
        ]},
        finish_turn(),
    )  # fmt: skip
    loop, events = make_loop(shared, model)
    finished = await loop.run("go")

    failures = [e for e in events if isinstance(e, ToolCallFailed)]
    assert [f.tool for f in failures] == ["launch_rockets", "run", "read_file"]
    results = [m["content"] for m in loop.messages if m["role"] == "tool"]
    assert "Unknown tool 'launch_rockets'" in results[0]
    assert "not valid JSON" in results[1]
    assert "not strings: path" in results[2]
    assert commands_run(events) == []
    assert finished.outcome == "finished"


async def test_a_reply_without_tool_calls_finishes_with_its_text(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, {"text": "Nothing to do here."})
    loop, _ = make_loop(shared, model)
    finished = await loop.run("go")
    assert (finished.outcome, finished.summary) == ("finished", "Nothing to do here.")


async def test_a_fenced_block_without_tool_calls_is_run(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(
        tmp_path, {"text": "Let me check.\n```bash\necho from-text\n```"}, finish_turn()
    )
    loop, events = make_loop(shared, model)
    await loop.run("go")
    assert commands_run(events) == ["echo from-text"]
    assert "from-text" in loop.messages[-3]["content"]


async def test_read_file_returns_the_file_or_the_error(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(
        tmp_path,
        {"text": "", "tool_calls": [
            {"name": "read_file", "arguments": {"path": "a.py"}},
            {"name": "read_file", "arguments": {"path": "missing.py"}},
        ]},
        finish_turn(),
    )  # fmt: skip
    loop, _ = make_loop(shared, model)
    await loop.run("go")
    results = [m["content"] for m in loop.messages if m["role"] == "tool"]
    assert results[0] == "print(1)\n"
    assert results[1].startswith("exit code 1") and "missing.py" in results[1]


async def test_a_second_run_continues_the_same_conversation(
    shared: Session, tmp_path: Path
) -> None:
    model = script_model(tmp_path, {"text": "first"}, {"text": "second"})
    loop, _ = make_loop(shared, model)
    first = await loop.run("one")
    second = await loop.run("two")
    assert (first.summary, second.summary) == ("first", "second")
    assert [m["role"] for m in loop.messages] == ["user", "assistant"] * 2
