"""`workbench run` and `workbench sessions` on the real engine, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import make_folder, tree_hash
from fake_openai import FakeOpenAI, reply

from workbench.cli import WorkbenchGroup, main
from workbench.sandbox.session import SessionManager
from workbench.tasks import find_task

pytestmark = pytest.mark.docker


@pytest.fixture
def sessions(sandbox_image: str, isolated_data_dir: Path) -> Iterator[SessionManager]:
    """The test data dir's sessions; every session a test started is dropped."""
    manager = SessionManager()
    before = {info.id for info in manager.list()}
    yield manager
    for info in manager.list():
        if info.id not in before:
            manager.drop(info.id)


def _script(path: Path, *turns: dict) -> str:
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"scripted/{path}"


def _run(tool: str, **arguments: str) -> dict:
    return {"name": tool, "arguments": arguments}


def _invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _json_lines(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_sample_task_run_prints_events_as_json_lines(
    sessions: SessionManager,
) -> None:
    task = find_task("fix-failing-test")
    result = _invoke(
        "run", str(task.root), "--approve", "auto", "--sync", "all", "--json"
    )

    lines = _json_lines(result)
    types = [line["type"] for line in lines]
    final = lines[-1]
    folder = Path(final["folder"])
    try:
        assert result.exit_code == 0, result.output
        assert types[0] == "task_started" and types[-2:] == [
            "task_finished",
            "run_finished",
        ]
        assert {"command_proposed", "command_finished", "output_received"} <= set(types)
        assert final["outcome"] == "finished" and final["exit_code"] == 0
        assert final["applied"] == ["shop/price.py"] and final["pending"] == []
        assert lines[0]["model"] == "scripted/fix-failing-test"
        assert f"copied fix-failing-test to {folder}" in result.stderr
        assert task.check(folder) == []
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def test_review_sync_leaves_changes_pending_and_says_how_to_see_them(
    sessions: SessionManager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"README.md": "hello\n"})
    before = tree_hash(folder)
    model = _script(
        tmp_path / "script.json",
        {
            "text": "Writing a note.",
            "tool_calls": [_run("run", command="echo hi > note.txt")],
        },
        {"text": "Done.", "tool_calls": [_run("finish", summary="Left a note.")]},
    )
    result = _invoke(
        "run", "--dir", str(folder), "--prompt", "leave a note", "--model", model,
        "--approve", "auto", "--sync", "review",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "agent: Writing a note." in result.stdout
    assert "$ echo hi > note.txt" in result.stdout
    assert tree_hash(folder) == before
    listed = json.loads(_invoke("sessions", "--json").stdout)
    mine = [row for row in listed if row["folder"] == str(folder)]
    assert len(mine) == 1
    assert f"workbench session diff {mine[0]['id']}" in result.stdout
    assert mine[0]["pending"] == {"added": 1, "modified": 0, "deleted": 0}
    table = _invoke("sessions").stdout
    assert mine[0]["id"] in table and "+1 ~0 -0" in table


def test_a_model_that_fails_exits_1(sessions: SessionManager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    result = _invoke(
        "run", "--dir", str(folder), "--prompt", "anything", "--json",
        "--model", f"scripted/{tmp_path / 'no-such-script.json'}", "--approve", "auto",
    )  # fmt: skip

    lines = _json_lines(result)
    assert result.exit_code == 1
    assert "model_failed" in [line["type"] for line in lines]
    assert lines[-1]["outcome"] == "failed"


def test_running_out_of_steps_exits_3(sessions: SessionManager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    config = tmp_path / "config.toml"
    config.write_text("[agent]\nmax_steps = 1\n")
    model = _script(
        tmp_path / "script.json",
        {"text": "Looking.", "tool_calls": [_run("run", command="ls")]},
        {"text": "Looking again.", "tool_calls": [_run("run", command="ls -a")]},
    )
    result = _invoke(
        "run", "--dir", str(folder), "--prompt", "look", "--model", model,
        "--approve", "auto", "--json", env={"WORKBENCH_CONFIG": str(config)},
    )  # fmt: skip

    assert result.exit_code == 3
    assert _json_lines(result)[-1]["outcome"] == "budget_exceeded"


def test_ctrl_c_kills_the_command_and_exits_130(
    sessions: SessionManager, tmp_path: Path, isolated_data_dir: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    model = _script(
        tmp_path / "script.json",
        {"text": "Waiting.", "tool_calls": [_run("run", command="sleep 60")]},
    )
    stop = threading.Event()
    pressed = threading.Thread(
        target=_press_ctrl_c_once_a_command_runs,
        args=(isolated_data_dir / "sessions", folder, stop),
        daemon=True,
    )
    pressed.start()
    try:
        result = _invoke(
            "run", "--dir", str(folder), "--prompt", "wait", "--model", model,
            "--approve", "auto", "--json",
        )  # fmt: skip
    finally:
        stop.set()
        pressed.join()

    lines = _json_lines(result)
    assert result.exit_code == 130
    assert lines[-1]["outcome"] == "interrupted"
    finished = [line for line in lines if line["type"] == "command_finished"]
    assert finished and finished[0]["interrupted"]


def _press_ctrl_c_once_a_command_runs(
    root: Path, folder: Path, stop: threading.Event
) -> None:
    # The transcript records command_started when `sleep` is running.
    while not stop.wait(0.1):
        for transcript in root.glob("*/transcript.jsonl"):
            record = transcript.parent / "session.json"
            if str(folder) not in record.read_text():
                continue
            if '"command_started"' in transcript.read_text():
                os.kill(os.getpid(), signal.SIGINT)
                return


def test_ask_without_a_terminal_refuses_before_starting(
    sessions: SessionManager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    before = len(sessions.list())
    result = _invoke(
        "run", "--dir", str(folder), "--prompt", "hi",
        "--model", "scripted/fix-failing-test", "--approve", "ask",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "needs a terminal" in result.stderr
    assert "Traceback" not in result.output
    assert len(sessions.list()) == before


def test_run_without_a_task_or_prompt_says_what_to_give() -> None:
    result = _invoke("run", "--approve", "auto")

    assert result.exit_code == 2
    assert "give a task folder, or --dir DIR with --prompt TEXT" in result.stderr


def test_an_unknown_log_level_is_logged_not_a_traceback(
    isolated_data_dir: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from workbench.cli import main; main()", "run"],
        env={**os.environ, "WORKBENCH_LOG_LEVEL": "loud"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "give a task folder" in done.stderr and "Traceback" not in done.stderr
    log = (isolated_data_dir / "workbench.log").read_text()
    assert "unknown WORKBENCH_LOG_LEVEL 'LOUD'" in log


def test_an_unexpected_error_is_one_line_not_a_traceback() -> None:
    group = WorkbenchGroup(name="workbench")

    @group.command()
    def broken() -> None:
        raise RuntimeError("a defect")

    result = CliRunner().invoke(group, ["broken"])

    assert result.exit_code == 2
    assert "error: unexpected failure: a defect" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_task_lists_the_known_ones() -> None:
    result = _invoke("run", "no-such-task", "--approve", "auto")

    assert result.exit_code == 2
    assert "fix-failing-test" in result.stderr


def test_any_litellm_model_with_its_usual_environment_variables(
    sessions: SessionManager, tmp_path: Path
) -> None:
    # The README's llama.cpp recipe: openai/<name> plus OPENAI_API_BASE (loopback).
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    with FakeOpenAI() as server:
        server.queue(
            reply("Counting.", [("run", {"command": "wc -l a.txt"})]),
            reply(None, [("finish", {"summary": "a.txt has one line."})]),
        )
        result = _invoke(
            "run", "--dir", str(folder), "--prompt", "count lines",
            "--model", "openai/local-model", "--approve", "auto", "--json",
            env={"OPENAI_API_BASE": server.url, "OPENAI_API_KEY": "no-key"},
        )  # fmt: skip

    lines = _json_lines(result)
    assert result.exit_code == 0, result.output
    assert server.requests and server.requests[0]["model"] == "local-model"
    assert "1 a.txt" in "".join(
        line["text"] for line in lines if line["type"] == "output_received"
    )
    assert lines[-1]["summary"] == "a.txt has one line."


def test_the_config_files_api_base_reaches_the_model(
    sessions: SessionManager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    config = tmp_path / "config.toml"
    with FakeOpenAI() as server:
        config.write_text(f'[agent]\napi_base = "{server.url}"\n')
        server.queue(reply("Configured server answered."))
        result = _invoke(
            "run", "--dir", str(folder), "--prompt", "hello",
            "--model", "openai/local-model", "--approve", "auto", "--json",
            env={
                "WORKBENCH_CONFIG": str(config),
                "WORKBENCH_API_BASE": None,
                # Were the setting ignored, litellm would try this closed port.
                "OPENAI_API_BASE": "http://127.0.0.1:9/v1",
                "OPENAI_API_KEY": "no-key",
            },
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert len(server.requests) == 1
    assert _json_lines(result)[-1]["summary"] == "Configured server answered."
