"""Every command of the session with its exit code and duration."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static


@dataclass(frozen=True)
class HistoryEntry:
    command: str
    exit_code: int | None  # None: denied, never ran
    duration_s: float = 0.0
    note: str = ""  # "timed out", "interrupted", "denied"


class CommandHistory(Static):
    """One line per command, newest last; long commands are cut to fit."""

    DEFAULT_CSS = """
    CommandHistory { height: auto; max-height: 10; padding: 0 1; color: $text; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[HistoryEntry] = []
        self.border_title = "History"

    def add(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)
        self.refresh(layout=True)

    def render(self) -> Content:
        if not self.entries:
            return Content("no commands yet").stylize("$text-muted")
        width = max(self.size.width - 2, 30)
        lines = [self._line(entry, width) for entry in self.entries[-8:]]
        return Content("\n").join(lines)

    def _line(self, entry: HistoryEntry, width: int) -> Content:
        if entry.exit_code is None:
            mark, style, code = "–", "$text-muted", entry.note or "denied"
        elif entry.exit_code == 0:
            mark, style, code = "✓", "$success", "0"
        else:
            mark, style, code = "✗", "$error", str(entry.exit_code)
            if entry.note:
                code = f"{code} {entry.note}"
        tail = f" {code:>4} {entry.duration_s:5.1f}s"
        room = max(width - len(tail) - 2, 8)
        command = " ".join(entry.command.split())
        if len(command) > room:
            command = command[: room - 1] + "…"
        return Content.assemble((mark, f"bold {style}"), " ", command.ljust(room), tail)
