"""Approval modes decide which commands wait for the user; the answers count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_script_helpers import commands_run, finish_turn, run_turn, script_model
from conftest import real_session

from workbench.agent.approval import ApprovalPolicy, Decision
from workbench.agent.events import (
    CommandApproved,
    CommandDenied,
    CommandEdited,
    CommandProposed,
    Event,
)
from workbench.agent.loop import AgentLoop
from workbench.agent.tools import ToolCall
from workbench.config import AgentConfig
from workbench.errors import ConfigError
from workbench.sandbox.session import Session


@pytest.fixture(scope="module")
def shared(
    engine, sandbox_image: str, isolated_data_dir: Path, tmp_path_factory
) -> Iterator[Session]:
    """One real session for the loop tests; none of them asserts on changes."""
    folder = tmp_path_factory.mktemp("approval") / "project"
    with real_session(engine, isolated_data_dir, folder, {"a.txt": "a\n"}) as session:
        yield session


def call(name: str, **arguments: str) -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=arguments)


def test_ask_mode_asks_for_commands_and_writes_but_not_for_reads() -> None:
    policy = ApprovalPolicy("ask")
    assert policy.evaluate(call("run", command="ls")).action == "ask"
    assert policy.evaluate(call("write_file", path="a", content="")).action == "ask"
    assert policy.evaluate(call("read_file", path="a")).action == "allow"
    assert policy.evaluate(call("list_files")).action == "allow"


def test_auto_mode_allows_everything_but_still_flags_risks() -> None:
    verdict = ApprovalPolicy("auto").evaluate(call("run", command="curl x | sh"))
    assert verdict.action == "allow"
    assert "network" in verdict.risks


def test_write_file_into_git_is_flagged_and_ruled() -> None:
    policy = ApprovalPolicy("rules", ({"action": "deny", "write": ".git/*"},))
    verdict = policy.evaluate(
        call("write_file", path=".git/hooks/pre-commit", content="")
    )
    assert verdict.action == "deny"
    assert verdict.risks == ("writes into .git",)
    assert verdict.rule == "deny write .git/*"


@pytest.mark.parametrize(
    "rules",
    [
        ({"action": "maybe", "command": "ls"},),
        ({"action": "allow"},),
        ({"action": "allow", "command": "ls", "write": "x"},),
        ({"action": "allow", "command": "ls", "when": "always"},),
    ],
)
def test_bad_rules_are_config_errors(rules: tuple) -> None:
    with pytest.raises(ConfigError):
        ApprovalPolicy("rules", rules)


def test_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        ApprovalPolicy("yolo")


async def _run(
    session: Session, tmp_path: Path, approver, config: AgentConfig, *turns: dict
):
    events: list[Event] = []
    loop = AgentLoop(
        session,
        script_model(tmp_path, *turns),
        config,
        approver=approver,
        emit=events.append,
    )
    finished = await loop.run("go")
    return loop, events, finished


async def test_denied_command_is_not_run_and_the_reason_reaches_the_model(
    shared: Session, tmp_path: Path
) -> None:
    seen: list[CommandProposed] = []

    async def approver(proposed: CommandProposed) -> Decision:
        seen.append(proposed)
        return Decision("deny", "do not delete my files")

    loop, events, finished = await _run(
        shared,
        tmp_path,
        approver,
        AgentConfig(approval="ask"),
        run_turn("rm -rf a.txt"),
    )

    assert seen[0].command == "rm -rf a.txt"
    assert seen[0].needs_approval and "deletes recursively" in seen[0].risks
    assert commands_run(events) == []
    assert not any(change.path == "a.txt" for change in shared.changes())
    assert any(isinstance(e, CommandDenied) and e.by == "user" for e in events)
    tool_results = [m["content"] for m in loop.messages if m["role"] == "tool"]
    assert "do not delete my files" in tool_results[0]
    assert finished.outcome == "finished"


async def test_edited_command_runs_instead_of_the_proposed_one(
    shared: Session, tmp_path: Path
) -> None:
    async def approver(proposed: CommandProposed) -> Decision:
        return Decision("edit", command="echo edited")

    loop, events, _ = await _run(
        shared,
        tmp_path,
        approver,
        AgentConfig(approval="ask"),
        run_turn("echo original"),
    )

    assert commands_run(events) == ["echo edited"]
    assert [e.command for e in events if isinstance(e, CommandEdited)] == [
        "echo edited"
    ]
    assert "edited" in [m for m in loop.messages if m["role"] == "tool"][0]["content"]


async def test_rules_mode_runs_allowed_denies_denied_and_asks_the_rest(
    shared: Session, tmp_path: Path
) -> None:
    asked: list[str] = []

    async def approver(proposed: CommandProposed) -> Decision:
        asked.append(proposed.command)
        return Decision("approve")

    config = AgentConfig(
        approval="rules",
        rules=(
            {"action": "allow", "command": "echo"},
            {"action": "deny", "command": "rm"},
        ),
    )
    _, events, finished = await _run(
        shared,
        tmp_path,
        approver,
        config,
        run_turn("echo one"),
        run_turn("echo two; rm a.txt"),
        run_turn("cat a.txt"),
        finish_turn(),
    )

    assert commands_run(events) == ["echo one", "cat a.txt"]
    assert asked == ["cat a.txt"]
    approvals = [e.by for e in events if isinstance(e, CommandApproved)]
    assert approvals == ["rule", "user"]
    denied = [e for e in events if isinstance(e, CommandDenied)]
    assert denied[0].by == "rule" and "deny rm" in denied[0].message
    assert finished.outcome == "finished"


async def test_without_an_approver_ask_mode_refuses_rather_than_runs(
    shared: Session, tmp_path: Path
) -> None:
    _, events, _ = await _run(
        shared, tmp_path, None, AgentConfig(approval="ask"), run_turn("echo hi")
    )
    assert commands_run(events) == []
    assert any(isinstance(e, CommandDenied) for e in events)
