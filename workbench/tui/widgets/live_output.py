"""The running command's output, as it arrives."""

from __future__ import annotations

import re

from textual.widgets import Log

# Terminal control sequences would show as noise in the log, so they are removed.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r(?!\n)")


class LiveOutput(Log):
    """A plain-text log: command output is never interpreted as markup."""

    DEFAULT_CSS = """
    LiveOutput {
        height: 1fr;
        min-height: 4;
        border: none;
        padding: 0 1;
        background: $surface;
        color: $text;
    }
    """

    def begin(self, command: str) -> None:
        """Start a new command's output."""
        self.clear()
        self.write(f"$ {command}\n")

    def add(self, text: str) -> None:
        self.write(_ANSI.sub("", text))

    def end(self, summary: str) -> None:
        if self.lines and self.lines[-1] != "":
            self.write("\n")
        self.write(summary + "\n")
