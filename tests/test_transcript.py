"""Transcripts: redacted JSONL that replays as events and resumes as a conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_script_helpers import run_turn, script_model
from conftest import StartSession

from workbench.agent.events import TaskFinished, TaskStarted
from workbench.agent.loop import AgentLoop
from workbench.agent.secrets import Redactor
from workbench.agent.transcript import Transcript, iter_events
from workbench.config import AgentConfig

KEY = "sk-test-0123456789abcdefABCDEF"


@pytest.mark.docker
async def test_a_key_in_the_conversation_never_reaches_the_transcript(
    start_session: StartSession, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SOMEVENDOR_API_KEY", "vendor-secret-value-42")
    session = start_session()
    model = script_model(
        tmp_path, run_turn(f"echo {KEY} vendor-secret-value-42 | tee said.txt")
    )
    transcript = Transcript.for_session(session, secret_patterns=(r"hunter\d+",))
    shown: list = []
    loop = AgentLoop(
        session,
        model,
        AgentConfig(approval="auto"),
        emit=shown.append,
        transcript=transcript,
    )

    await loop.run(f"my key is {KEY}, the db password is hunter42")

    text = transcript.path.read_text()
    assert transcript.path == session.data_dir / "transcript.jsonl"
    for secret in (KEY, "vendor-secret-value-42", "hunter42"):
        assert secret not in text
        assert all(secret not in json.dumps(e.to_json()) for e in shown)
    assert "[redacted]" in text
    # The command itself ran as the model asked; only what is shown is masked.
    said = next(c for c in session.changes() if c.path == "said.txt")
    assert said.new_path.read_text() == f"{KEY} vendor-secret-value-42\n"


@pytest.mark.docker
async def test_events_replay_and_the_conversation_resumes(
    start_session: StartSession, tmp_path: Path
) -> None:
    session = start_session()
    model = script_model(
        tmp_path, run_turn("echo first"), {"text": "paused"}, {"text": "resumed"}
    )
    transcript = Transcript.for_session(session)
    loop = AgentLoop(
        session, model, AgentConfig(approval="auto"), transcript=transcript
    )
    await loop.run("start")

    replayed = list(iter_events(transcript.path))
    assert isinstance(replayed[0], TaskStarted)
    assert isinstance(replayed[-1], TaskFinished) and replayed[-1].summary == "paused"

    again = AgentLoop.resume(
        session, model, Transcript.for_session(session), config=AgentConfig()
    )
    assert again.messages == loop.messages
    finished = await again.run("go on")
    assert finished.summary == "resumed"
    kinds = {json.loads(line)["kind"] for line in transcript.path.open()}
    assert kinds == {"message", "event", "decision", "call"}


def test_resume_answers_tool_calls_that_never_got_a_result(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "t.jsonl")
    transcript.record_message({"role": "user", "content": "go"})
    transcript.record_message(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "a", "type": "function",
                 "function": {"name": "run", "arguments": "{}"}},
            ],
        }
    )  # fmt: skip
    with transcript.path.open("a") as handle:
        handle.write('{"kind": "message", "mess')  # torn by a crash

    messages = transcript.messages()
    assert messages[-1]["role"] == "tool" and messages[-1]["tool_call_id"] == "a"


def test_an_api_key_given_to_the_loop_never_reaches_the_transcript(
    tmp_path: Path,
) -> None:
    transcript = Transcript(tmp_path / "transcript.jsonl")
    AgentLoop(None, "scripted/x", transcript=transcript, api_key="local-key-998877")

    transcript.record_message({"role": "user", "content": "use local-key-998877"})

    text = transcript.path.read_text()
    assert "local-key-998877" not in text and "[redacted]" in text


def test_redactor_masks_env_keys_assignments_and_known_shapes() -> None:
    redactor = Redactor(environ={"MY_TOKEN": "tok-abcdef-123", "HOME": "/root"})
    text = redactor.redact(
        "tok-abcdef-123 OPENAI_API_KEY=abc123xyz ghp_" + "a" * 36 + " /root"
    )
    assert text == "[redacted] OPENAI_API_KEY=[redacted] [redacted] /root"
