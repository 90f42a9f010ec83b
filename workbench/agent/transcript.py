"""The per-session JSONL transcript: messages, events, decisions, model calls; redacted.

One JSON object per line, each with `kind` ("message", "event", "decision" or
"call") and `at`. A session resumes from its messages and replays from its events.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.agent.events import Event, event_from_json
from workbench.agent.secrets import Redactor

log = logging.getLogger(__name__)

FILE_NAME = "transcript.jsonl"


class Transcript:
    """Appends redacted records to a session's transcript.jsonl."""

    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self.redactor = redactor or Redactor()

    @classmethod
    def for_session(
        cls, session: Any, secret_patterns: tuple[str, ...] = ()
    ) -> Transcript:
        """The transcript beside a session's data."""
        return cls(Path(session.data_dir) / FILE_NAME, Redactor(secret_patterns))

    def _append(self, kind: str, **fields: Any) -> None:
        record = self.redactor.redact_data({"kind": kind, "at": time.time(), **fields})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as error:
            # A full disk must not stop the agent; the log says what was lost.
            log.warning("could not write %s to %s: %s", kind, self.path, error)

    def record_message(self, message: dict[str, Any]) -> None:
        self._append("message", message=message)

    def record_event(self, event: Event) -> None:
        self._append("event", event=event.to_json())

    def record_decision(self, call_id: str, kind: str, **details: Any) -> None:
        self._append("decision", call_id=call_id, decision=kind, **details)

    def record_call(self, **details: Any) -> None:
        """One model call: model, tokens, cost, duration, attempts."""
        self._append("call", **details)

    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far, ready to continue (dangling tool calls answered)."""
        return close_dangling_calls(
            [
                r["message"]
                for r in read_records(self.path)
                if r.get("kind") == "message"
            ]
        )


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable record of a transcript; a torn last line is skipped."""
    try:
        handle = Path(path).open(encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for number, line in enumerate(handle, 1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("skipped unreadable line %d of %s", number, path)


def iter_events(path: Path) -> Iterator[Event]:
    """The events of a transcript in order, for replay."""
    for record in read_records(path):
        if record.get("kind") != "event":
            continue
        try:
            yield event_from_json(record["event"])
        except (KeyError, TypeError) as error:
            log.warning("skipped an unknown event in %s: %s", path, error)


def close_dangling_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer tool calls that never got a result, so providers accept the history."""
    fixed: list[dict[str, Any]] = []
    pending: list[str] = []
    for message in messages:
        if message.get("role") == "tool":
            pending = [i for i in pending if i != message.get("tool_call_id")]
        else:
            fixed.extend(_not_run(call_id) for call_id in pending)
            pending = [call["id"] for call in message.get("tool_calls") or []]
        fixed.append(message)
    fixed.extend(_not_run(call_id) for call_id in pending)
    return fixed


def _not_run(call_id: str) -> dict[str, Any]:
    return {
        "role": "tool",
        "tool_call_id": call_id,
        "content": "Not run: the session stopped before this call.",
    }
