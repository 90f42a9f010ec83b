"""A small OpenAI-compatible chat server on 127.0.0.1 that replays queued replies."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def reply(
    text: str | None = None,
    tool_calls: list[tuple[str, Any]] | None = None,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
) -> dict[str, Any]:
    """A 200 chat completion; tool call arguments may be a dict or a raw string."""
    calls = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": args if isinstance(args, str) else json.dumps(args),
            },
        }
        for index, (name, args) in enumerate(tool_calls or [])
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = calls
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return {"status": 200, "body": body}


def error(status: int, message: str = "fake failure") -> dict[str, Any]:
    """An error response in OpenAI's shape."""
    kind = "rate_limit_error" if status == 429 else "server_error"
    return {"status": status, "body": {"error": {"message": message, "type": kind}}}


def stall(seconds: float) -> dict[str, Any]:
    """A reply that sleeps longer than the client waits."""
    return {"status": 200, "sleep": seconds, "body": reply("too late")["body"]}


class FakeOpenAI:
    """Serves /v1/chat/completions from a queue; records every request body."""

    def __init__(self) -> None:
        self.replies: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def queue(self, *replies: dict[str, Any]) -> None:
        self.replies.extend(replies)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def _next(self) -> dict[str, Any]:
        # An empty queue means the model is done: a plain reply ends the task.
        return self.replies.popleft() if self.replies else reply("All done.")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                planned = fake._next()
                if planned.get("sleep") and fake.closing.wait(planned["sleep"]):
                    return
                payload = json.dumps(planned["body"]).encode()
                try:
                    self.send_response(planned["status"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
