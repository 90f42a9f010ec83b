"""The real litellm path against a fake OpenAI-compatible server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_script_helpers import commands_run
from conftest import StartSession, real_session
from fake_openai import FakeOpenAI, error, reply, stall

from workbench.agent.events import (
    BudgetExceeded,
    CommandFinished,
    Event,
    ModelFailed,
    ModelReplied,
    ToolCallFailed,
)
from workbench.agent.loop import AgentLoop
from workbench.agent.models import MAX_REPLY_CHARS, RetryPolicy
from workbench.config import AgentConfig
from workbench.sandbox.session import Session

pytestmark = pytest.mark.docker

FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
CLOSED = "http://127.0.0.1:9/v1"  # a loopback port nothing listens on


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


FILES = {"a.txt": "alpha\n"}


@pytest.fixture(scope="module")
def shared(
    engine, sandbox_image: str, isolated_data_dir: Path, tmp_path_factory
) -> Iterator[Session]:
    """One session for the tests that change no file."""
    folder = tmp_path_factory.mktemp("litellm") / "project"
    with real_session(engine, isolated_data_dir, folder, FILES) as session:
        yield session


def make_loop(
    session: Session, server: FakeOpenAI, model: str = "openai/fake", **config
):
    events: list[Event] = []
    loop = AgentLoop(
        session,
        model,
        AgentConfig(approval="auto", **config),
        emit=events.append,
        api_base=server.url,
        api_key="sk-dummy",
        timeout_s=1.0,
        retry=FAST_RETRY,
    )
    return loop, events


def of(events: list[Event], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


async def test_tool_calls_run_and_their_results_go_back(shared, server) -> None:
    server.queue(reply("Looking.", [("run", {"command": "cat a.txt"})]))
    loop, events = make_loop(shared, server)

    finished = await loop.run("read a.txt")

    assert commands_run(events) == ["cat a.txt"]
    assert finished.outcome == "finished" and finished.summary == "All done."
    assert [t["function"]["name"] for t in server.requests[0]["tools"]] == [
        "run", "read_file", "write_file", "list_files", "finish",
    ]  # fmt: skip
    second = server.requests[1]["messages"]
    assert second[0]["role"] == "system" and "/workspace" in second[0]["content"]
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": "exit code 0\nalpha",
    }
    assert of(events, ModelReplied)[0].total_tokens == 15


async def test_several_tool_calls_in_one_reply_run_in_order(
    start_session: StartSession, server
) -> None:
    server.queue(
        reply(None, [
            ("write_file", {"path": "b.txt", "content": "beta\n"}),
            ("run", {"command": "cat b.txt"}),
            ("finish", {"summary": "Wrote b."}),
        ])
    )  # fmt: skip
    session = start_session(FILES)
    loop, events = make_loop(session, server)
    finished = await loop.run("write b")
    written = next(c for c in session.changes() if c.path == "b.txt")
    assert written.new_path.read_text() == "beta\n"
    assert commands_run(events)[-1] == "cat b.txt"
    assert finished.summary == "Wrote b."
    assert len(server.requests) == 1


async def test_a_reply_without_tool_calls_finishes(shared, server) -> None:
    server.queue(reply("There is nothing to change."))
    loop, _ = make_loop(shared, server)
    finished = await loop.run("anything?")
    assert (finished.outcome, finished.summary) == (
        "finished",
        "There is nothing to change.",
    )


async def test_malformed_arguments_and_unknown_tools_do_not_stop_the_loop(
    shared, server
) -> None:
    server.queue(
        reply(None, [("run", '{"command": "ls'), ("format_disk", {"now": "yes"})]),
        reply(None, [("run", {"command": "echo recovered"})]),
    )
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")

    failures = of(events, ToolCallFailed)
    assert [e.tool for e in failures] == ["run", "format_disk"]
    sent_back = server.requests[1]["messages"][-2:]
    assert "not valid JSON" in sent_back[0]["content"]
    assert "Unknown tool 'format_disk'" in sent_back[1]["content"]
    assert commands_run(events) == ["echo recovered"]
    assert finished.outcome == "finished"


async def test_a_rate_limit_is_retried_then_succeeds(shared, server) -> None:
    server.queue(error(429, "slow down"), reply("Fine now."))
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    failed = of(events, ModelFailed)
    assert len(failed) == 1 and failed[0].retrying
    assert "rate limited" in failed[0].message and "slow down" in failed[0].message
    assert finished.outcome == "finished" and finished.summary == "Fine now."


async def test_server_errors_are_retried_then_fail_the_task(shared, server) -> None:
    server.queue(*[error(500, "the server broke")] * 3)
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    failed = of(events, ModelFailed)
    assert [f.retrying for f in failed] == [True, True, False]
    assert "server error" in failed[-1].message and "\n" not in failed[-1].message
    assert finished.outcome == "failed" and "the server broke" in finished.summary
    assert len(server.requests) == 3


async def test_a_reply_without_choices_fails_the_task_not_the_loop(
    shared, server
) -> None:
    empty = reply("unused")
    empty["body"]["choices"] = []
    server.queue(*[empty] * 3)
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    failed = of(events, ModelFailed)
    assert [f.retrying for f in failed] == [True, True, False]
    assert failed[-1].message == "openai/fake sent a reply with no choices."
    assert finished.outcome == "failed"


async def test_auth_errors_are_not_retried(shared, server) -> None:
    server.queue(error(401, "invalid api key"), reply("never sent"))
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    failed = of(events, ModelFailed)
    assert len(failed) == 1 and not failed[0].retrying
    assert "API key" in failed[0].message
    assert finished.outcome == "failed"
    assert len(server.requests) == 1


async def test_a_model_slower_than_the_timeout_fails_clearly(shared, server) -> None:
    server.queue(stall(30), stall(30), stall(30))
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    failed = of(events, ModelFailed)
    assert failed[-1].message == "openai/fake did not answer within 1s."
    assert failed[0].retrying and not failed[-1].retrying
    assert finished.outcome == "failed"


async def test_a_ten_megabyte_reply_is_cut_before_it_spreads(shared, server) -> None:
    server.queue(reply("x" * 10_000_000))
    loop, events = make_loop(shared, server)
    finished = await loop.run("go")
    replied = of(events, ModelReplied)[0]
    assert finished.outcome == "finished"
    assert len(replied.text) < MAX_REPLY_CHARS + 100
    assert "characters cut" in replied.text
    assert len(loop.messages[-1]["content"]) < MAX_REPLY_CHARS + 100


async def test_cost_comes_from_the_price_table_and_the_budget_stops(
    shared, server
) -> None:
    big = reply(None, [("run", {"command": "true"})], 200_000, 100_000)
    server.queue(big, big)
    loop, events = make_loop(shared, server, model="openai/gpt-4o", max_cost_usd=0.01)
    finished = await loop.run("go")
    replied = of(events, ModelReplied)[0]
    assert replied.cost_usd > 0.01
    assert finished.outcome == "budget_exceeded"
    assert of(events, BudgetExceeded)[0].limit == "cost"
    assert commands_run(events) == []
    assert not of(events, CommandFinished)


async def test_a_server_without_tools_gets_the_text_fallback(shared, server) -> None:
    server.queue(
        error(400, "this model does not support tools"),
        reply("I will look.\n```bash\ncat a.txt\n```"),
        reply("It says alpha."),
    )
    loop, events = make_loop(shared, server)
    finished = await loop.run("what is in a.txt?")

    assert commands_run(events) == ["cat a.txt"]
    assert "tools" not in server.requests[1]
    assert "fenced block" in server.requests[1]["messages"][0]["content"]
    assert "alpha" in server.requests[2]["messages"][-1]["content"]
    assert [m["role"] for m in server.requests[2]["messages"]] == [
        "system", "user", "assistant", "user",
    ]  # fmt: skip
    assert finished.summary == "It says alpha."
    assert not of(events, ModelFailed)


async def test_the_config_api_base_is_used_when_nothing_else_is_set(
    shared, server, monkeypatch
) -> None:
    monkeypatch.delenv("WORKBENCH_API_BASE", raising=False)
    # Should the config be ignored, litellm's default goes to a closed loopback port.
    monkeypatch.setenv("OPENAI_API_BASE", CLOSED)
    server.queue(reply("Reached through the config."))
    config = AgentConfig(approval="auto", api_base=server.url)
    loop = AgentLoop(
        shared, "openai/fake", config, api_key="sk-dummy", retry=FAST_RETRY
    )
    finished = await loop.run("go")
    assert finished.summary == "Reached through the config."
    assert len(server.requests) == 1


async def test_the_env_api_base_beats_the_config_and_an_argument_beats_both(
    shared, server, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_BASE", CLOSED)
    config = AgentConfig(approval="auto", api_base=CLOSED)
    with FakeOpenAI() as by_env:
        monkeypatch.setenv("WORKBENCH_API_BASE", by_env.url)
        by_env.queue(reply("From the env."))
        server.queue(reply("From the argument."))
        from_env = AgentLoop(
            shared, "openai/fake", config, api_key="sk-dummy", retry=FAST_RETRY
        )
        from_argument = AgentLoop(
            shared, "openai/fake", config, api_base=server.url,
            api_key="sk-dummy", retry=FAST_RETRY,
        )  # fmt: skip
        assert (await from_env.run("go")).summary == "From the env."
        assert (await from_argument.run("go")).summary == "From the argument."
    assert (len(by_env.requests), len(server.requests)) == (1, 1)
