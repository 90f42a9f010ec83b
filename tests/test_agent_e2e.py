"""The agent loop on the real engine: scripted tasks end to end, env isolation, stop."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from conftest import make_folder

from workbench.agent.events import (
    ChangesUpdated,
    CommandStarted,
    Event,
    OutputReceived,
)
from workbench.agent.loop import AgentLoop
from workbench.agent.scripted import sample_tasks_dir
from workbench.agent.transcript import Transcript, iter_events
from workbench.config import AgentConfig

pytestmark = pytest.mark.docker

SCRIPT = Path(__file__).with_name("agent_script.json")
AUTO = AgentConfig(approval="auto")


def output_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, OutputReceived))


async def test_the_test_script_runs_end_to_end_in_the_sandbox(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.py": "print(1)\n"})
    session = manager.start(folder)
    events: list[Event] = []
    transcript = Transcript.for_session(session)
    loop = AgentLoop(
        session, f"scripted/{SCRIPT}", AUTO, emit=events.append, transcript=transcript
    )

    finished = await loop.run("leave a note")
    session.close()

    assert finished.outcome == "finished"
    started = [e for e in events if isinstance(e, CommandStarted)]
    assert len(started) == 3 and all(e.container_id for e in started)
    assert len({e.container_id for e in started}) == 3  # a fresh container each
    assert "check the tests\ndone" in output_of(events)
    changes = [e for e in events if isinstance(e, ChangesUpdated)][-1]
    assert "notes/todo.txt" in changes.paths and changes.added >= 1
    assert not (folder / "notes").exists()  # nothing reaches the folder unreviewed
    assert [e.type for e in iter_events(transcript.path)] == [e.type for e in events]


async def test_a_sample_task_runs_end_to_end(manager, tmp_path: Path) -> None:
    task = sample_tasks_dir() / "fix-failing-test"
    folder = tmp_path / "project"
    shutil.copytree(task / "workspace", folder)
    make_folder(folder, {})
    session = manager.start(folder)
    events: list[Event] = []
    loop = AgentLoop(session, "scripted/fix-failing-test", AUTO, emit=events.append)

    finished = await loop.run("make the failing test pass")
    view = sandbox_view(folder, session.changes(), tmp_path / "view")
    session.close()

    assert finished.outcome == "finished"
    assert [e for e in events if isinstance(e, ChangesUpdated)][-1].modified >= 1
    assert load_check(task / "check.py")(view) == []
    assert load_check(task / "check.py")(folder) != []  # the folder is untouched


def sandbox_view(folder: Path, changes, target: Path) -> Path:
    """A copy of the folder with the session's changes laid over it."""
    shutil.copytree(folder, target)
    for change in changes:
        path = target / change.path
        if change.kind == "deleted":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        elif change.new_type == "dir":
            path.mkdir(parents=True, exist_ok=True)
        elif change.new_type == "file":
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(change.new_path, path)
    return target


def load_check(path: Path):
    spec = importlib.util.spec_from_file_location("sample_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


async def test_no_host_environment_variable_reaches_the_sandbox(
    manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_HOST_ONLY", "host-value-7f3a")
    monkeypatch.setenv("VENDOR_API_KEY", "key-value-91bc")
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder)
    model = tmp_path / "env.json"
    model.write_text(
        '{"turns": [{"text": "", "tool_calls": [{"name": "run", "arguments": '
        '{"command": "env; cat /proc/1/environ | tr \\"\\\\0\\" \\"\\\\n\\""}}]}]}'
    )
    events: list[Event] = []
    loop = AgentLoop(session, f"scripted/{model}", AUTO, emit=events.append)

    await loop.run("show the environment")
    direct = session.exec("env").output
    session.close()

    seen = output_of(events) + direct
    assert "PATH=" in seen
    for leaked in ("WORKBENCH_HOST_ONLY", "host-value-7f3a", "VENDOR_API_KEY",
                   "key-value-91bc"):  # fmt: skip
        assert leaked not in seen


async def test_interrupt_kills_the_running_container(manager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder)
    model = tmp_path / "sleep.json"
    model.write_text(
        '{"turns": [{"text": "", "tool_calls": [{"name": "run", "arguments": '
        '{"command": "echo up; sleep 120"}}]}]}'
    )
    loop: AgentLoop

    def emit(event: Event) -> None:
        if isinstance(event, OutputReceived) and "up" in event.text:
            loop.interrupt()

    loop = AgentLoop(session, f"scripted/{model}", AUTO, emit=emit)
    finished = await loop.run("sleep")
    after = session.exec("echo still-usable").output
    session.close()

    assert finished.outcome == "interrupted"
    assert after == "still-usable\n"
