"""The loop against a stand-in session: events, limits, interrupts, output cuts."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from agent_fakes import LocalSession, finish_turn, run_turn, script_model

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

SCRIPT = Path(__file__).with_name("agent_script.json")
AUTO = AgentConfig(approval="auto")


def make_loop(tmp_path: Path, model: str, config: AgentConfig = AUTO, **kwargs):
    session = LocalSession(tmp_path, {"a.py": "print(1)\n"})
    events: list[Event] = []
    loop = AgentLoop(session, model, config, emit=events.append, **kwargs)
    return session, loop, events


async def test_scripted_task_runs_to_its_finish_with_the_whole_event_stream(
    tmp_path: Path,
) -> None:
    session, loop, events = make_loop(tmp_path, f"scripted/{SCRIPT}")

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
    assert (session.workspace / "notes/todo.txt").read_text() == "check the tests\n"
    changes = [e for e in events if isinstance(e, ChangesUpdated)][-1]
    assert changes.added == 2 and "notes/todo.txt" in changes.paths
    output = "".join(e.text for e in events if isinstance(e, OutputReceived))
    assert "check the tests" in output and "a.py" in output


async def test_emit_is_always_called_on_the_loops_own_thread(tmp_path: Path) -> None:
    threads: set[int] = set()
    session = LocalSession(tmp_path)
    loop = AgentLoop(
        session,
        f"scripted/{SCRIPT}",
        AUTO,
        emit=lambda event: threads.add(threading.get_ident()),
    )
    await loop.run("go")
    assert threads == {threading.get_ident()}


async def test_command_started_precedes_its_output_and_finish(tmp_path: Path) -> None:
    model = script_model(tmp_path, run_turn("echo one; echo two"), finish_turn())
    _, loop, events = make_loop(tmp_path, model)
    await loop.run("go")
    kinds = [type(e) for e in events if getattr(e, "call_id", "") == "call_0_0"]
    started = kinds.index(CommandStarted)
    assert kinds.index(OutputReceived) > started
    assert kinds[-1] is CommandFinished


async def test_interrupt_kills_the_running_command_and_ends_interrupted(
    tmp_path: Path,
) -> None:
    model = script_model(tmp_path, run_turn("echo started; sleep 60"), finish_turn())
    session, loop, events = make_loop(tmp_path, model)

    def stop_when_running() -> None:
        session.started.wait(30)
        loop.interrupt()

    stopper = threading.Thread(target=stop_when_running)
    stopper.start()
    finished = await loop.run("go")
    stopper.join()

    assert finished.outcome == "interrupted"
    ended = [e for e in events if isinstance(e, CommandFinished)]
    assert ended and ended[0].interrupted
    assert loop.messages[-1]["role"] == "tool"


async def test_interrupt_while_waiting_for_approval_ends_the_loop(
    tmp_path: Path,
) -> None:
    model = script_model(tmp_path, run_turn("echo hi"), finish_turn())
    asked = asyncio.Event()

    async def approver(proposed):
        asked.set()
        await asyncio.Event().wait()

    session, loop, events = make_loop(
        tmp_path, model, AgentConfig(approval="ask"), approver=approver
    )
    task = asyncio.ensure_future(loop.run("go"))
    await asked.wait()
    loop.interrupt()
    finished = await task
    assert finished.outcome == "interrupted"
    assert session.commands == []


async def test_step_budget_stops_the_loop(tmp_path: Path) -> None:
    model = script_model(tmp_path, run_turn("true"), run_turn("true"), finish_turn())
    _, loop, events = make_loop(
        tmp_path, model, AgentConfig(approval="auto", max_steps=1)
    )
    finished = await loop.run("go")
    assert finished.outcome == "budget_exceeded"
    assert [e.limit for e in events if isinstance(e, BudgetExceeded)] == ["steps"]


async def test_wall_clock_budget_stops_a_long_command(tmp_path: Path) -> None:
    model = script_model(tmp_path, run_turn("sleep 30"), finish_turn())
    config = AgentConfig(approval="auto", max_wall_s=3.0)
    _, loop, events = make_loop(tmp_path, model, config)
    finished = await loop.run("go")
    assert finished.outcome == "budget_exceeded"
    assert [e.limit for e in events if isinstance(e, BudgetExceeded)] == ["time"]


async def test_long_output_reaches_the_model_as_head_and_tail(tmp_path: Path) -> None:
    model = script_model(tmp_path, run_turn("seq 1 20000"), finish_turn())
    config = AgentConfig(approval="auto", tool_output_limit=300)
    _, loop, _ = make_loop(tmp_path, model, config)
    await loop.run("go")
    result = next(m["content"] for m in loop.messages if m["role"] == "tool")
    assert len(result) < 400
    assert "characters cut" in result
    assert "\n1\n" in result and result.rstrip().endswith("20000")


async def test_unknown_tools_and_bad_arguments_go_back_as_errors(
    tmp_path: Path,
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
    session, loop, events = make_loop(tmp_path, model)
    finished = await loop.run("go")

    failures = [e for e in events if isinstance(e, ToolCallFailed)]
    assert [f.tool for f in failures] == ["launch_rockets", "run", "read_file"]
    results = [m["content"] for m in loop.messages if m["role"] == "tool"]
    assert "Unknown tool 'launch_rockets'" in results[0]
    assert "not valid JSON" in results[1]
    assert "not strings: path" in results[2]
    assert session.commands == []
    assert finished.outcome == "finished"


async def test_a_reply_without_tool_calls_finishes_with_its_text(
    tmp_path: Path,
) -> None:
    model = script_model(tmp_path, {"text": "Nothing to do here."})
    _, loop, _ = make_loop(tmp_path, model)
    finished = await loop.run("go")
    assert (finished.outcome, finished.summary) == ("finished", "Nothing to do here.")


async def test_a_fenced_block_without_tool_calls_is_run(tmp_path: Path) -> None:
    model = script_model(
        tmp_path, {"text": "Let me check.\n```bash\necho from-text\n```"}, finish_turn()
    )
    session, loop, _ = make_loop(tmp_path, model)
    await loop.run("go")
    assert session.commands == ["echo from-text"]
    assert "from-text" in loop.messages[-3]["content"]


async def test_read_file_returns_the_file_or_the_error(
    tmp_path: Path,
) -> None:
    model = script_model(
        tmp_path,
        {"text": "", "tool_calls": [
            {"name": "read_file", "arguments": {"path": "a.py"}},
            {"name": "read_file", "arguments": {"path": "missing.py"}},
        ]},
        finish_turn(),
    )  # fmt: skip
    _, loop, _ = make_loop(tmp_path, model)
    await loop.run("go")
    results = [m["content"] for m in loop.messages if m["role"] == "tool"]
    assert results[0] == "print(1)\n"
    assert results[1].startswith("exit code 1") and "missing.py" in results[1]


async def test_a_second_run_continues_the_same_conversation(tmp_path: Path) -> None:
    model = script_model(tmp_path, {"text": "first"}, {"text": "second"})
    _, loop, _ = make_loop(tmp_path, model)
    first = await loop.run("one")
    second = await loop.run("two")
    assert (first.summary, second.summary) == ("first", "second")
    assert [m["role"] for m in loop.messages] == ["user", "assistant"] * 2
