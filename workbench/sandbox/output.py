"""Bounded command output: the head and the tail, with a line saying what was cut."""

from __future__ import annotations

import codecs
from collections.abc import Callable


def cut_line(cut_bytes: int) -> str:
    return f"\n[... {cut_bytes} bytes of output cut ...]\n"


class CappedOutput:
    """Collects a stream of bytes in bounded memory, however long it runs.

    The first half of the limit is the head, streamed to `on_output` as it
    arrives; the last half is the tail, held back and streamed when the command
    ends, so what was streamed is exactly `text()`.
    """

    def __init__(
        self, limit: int, on_output: Callable[[str], None] | None = None
    ) -> None:
        limit = max(limit, 2)
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.on_output = on_output
        self.total = 0
        self._head = bytearray()
        self._tail = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.total += len(data)
        room = self.head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            self._emit(self._decoder.decode(data[:room]))
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > self.tail_limit:
                del self._tail[: len(self._tail) - self.tail_limit]

    @property
    def truncated_bytes(self) -> int:
        return self.total - len(self._head) - len(self._tail)

    def finish(self) -> str:
        """Streams the held-back tail and returns the whole kept output."""
        rest = self._decoder.decode(b"", final=True)
        if self.truncated_bytes:
            rest += cut_line(self.truncated_bytes)
        self._emit(rest + _decode(self._tail))
        return self.text()

    def text(self) -> str:
        cut = cut_line(self.truncated_bytes) if self.truncated_bytes else ""
        return _decode(self._head) + cut + _decode(self._tail)

    def _emit(self, text: str) -> None:
        if text and self.on_output is not None:
            self.on_output(text)


def _decode(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")
