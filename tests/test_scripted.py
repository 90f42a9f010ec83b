"""The scripted model replays script.json through litellm like any other model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import StartSession

from workbench.agent import scripted
from workbench.agent.events import ModelFailed
from workbench.agent.loop import AgentLoop
from workbench.agent.models import ModelClient, import_litellm
from workbench.config import AgentConfig

SCRIPT = Path(__file__).with_name("agent_script.json")


def system(native: bool) -> str:
    return "rules"


def test_task_names_resolve_under_sample_tasks_and_the_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = scripted.script_path("scripted/fix-failing-test")
    assert default.parts[-3:] == ("sample_tasks", "fix-failing-test", "script.json")
    monkeypatch.setenv("WORKBENCH_SAMPLE_TASKS", str(tmp_path))
    assert scripted.script_path("demo") == tmp_path / "demo" / "script.json"
    assert scripted.script_path(f"scripted/{SCRIPT}") == SCRIPT


def test_the_turn_follows_the_number_of_assistant_messages() -> None:
    turns = json.loads(SCRIPT.read_text())["turns"]
    history = [{"role": "user", "content": "go"}]
    assert scripted.next_turn(turns, history)["text"] == "Let me look around."
    history += [{"role": "assistant", "content": "x"}, {"role": "tool", "content": ""}]
    assert scripted.next_turn(turns, history)["text"] == "I will leave a note."
    history += [{"role": "assistant", "content": "x"}] * 5
    past_the_end = scripted.next_turn(turns, history)
    assert past_the_end["tool_calls"][0]["name"] == "finish"


async def test_replies_carry_real_tool_calls_through_litellm() -> None:
    litellm = import_litellm()
    response = await litellm.acompletion(
        model=f"scripted/{SCRIPT}",
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": ""},
        ],
        tools=[{"type": "function", "function": {"name": "run", "parameters": {}}}],
    )
    calls = response.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["write_file", "run"]
    assert json.loads(calls[1].function.arguments) == {
        "command": "cat notes/todo.txt && echo done"
    }
    assert response.usage.completion_tokens > 0


async def test_without_native_tools_the_script_answers_in_fenced_blocks() -> None:
    client = ModelClient(f"scripted/{SCRIPT}", native_tools=False)
    history = [{"role": "user", "content": "go"}, {"role": "assistant", "content": ""}]
    reply = await client.complete(history, system)
    assert "```bash\ncat notes/todo.txt && echo done\n```" in reply.text
    assert reply.tool_calls[0].arguments == {
        "command": "cat notes/todo.txt && echo done"
    }
    assert not reply.tool_calls[0].native


@pytest.mark.docker
async def test_a_missing_script_fails_the_task_with_one_clear_line(
    start_session: StartSession, tmp_path: Path
) -> None:
    events: list = []
    loop = AgentLoop(
        start_session(),
        f"scripted/{tmp_path}/nope.json",
        AgentConfig(approval="auto"),
        emit=events.append,
    )
    finished = await loop.run("go")
    failed = [e for e in events if isinstance(e, ModelFailed)]
    assert finished.outcome == "failed"
    assert "no script" in failed[0].message and "\n" not in failed[0].message
