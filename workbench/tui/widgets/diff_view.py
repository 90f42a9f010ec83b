"""One file's change in the review: flags, conflict, hunks and their decisions."""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

_TAGS = {
    "accepted": ("accepted", "bold $success"),
    "rejected": ("rejected", "bold $error"),
    "pending": ("pending", "$text-muted"),
}


def hunk_content(item: Any, index: int) -> Content:
    """A hunk as a coloured unified diff, with its decision (or edit) at the end."""
    hunk = item.hunks[index]
    lines: list[Content] = [Content(hunk.header).stylize("$secondary")]
    styles = {"-": "$error", "+": "$success", " ": ""}
    for marker, text in hunk.lines():
        line = Content(marker + text.rstrip("\r\n"))
        lines.append(line.stylize(styles[marker]) if styles[marker] else line)
    if index in item.edits:
        lines.append(Content("edited new text:").stylize("bold $accent"))
        lines += [Content("+" + line) for line in item.edits[index].splitlines()]
    tag, style = _TAGS[item.hunk_decisions[index]]
    if index in item.edits and tag == "accepted":
        tag = "accepted (edited)"
    lines.append(Content(f"[{tag}]").stylize(style))
    return Content("\n").join(lines)


def whole_content(item: Any) -> Content:
    """What cannot be split into hunks: the whole-file part of the change."""
    lines = [
        Content(line)
        for line in item.diff_lines()
        if not line.startswith(("---", "+++", "flag ", "conflict:"))
    ]
    if not item.hunks and len(lines) > 200:
        lines = lines[:200] + [Content(f"… {len(lines) - 200} more lines")]
    tag, style = _TAGS[item.whole]
    verbs = {"added": "create", "deleted": "delete", "modified": "change"}
    change = item.change
    kind = change.new_type or change.old_type or "entry"
    noun = "directory" if kind == "dir" else kind
    head = f"{verbs.get(item.kind, item.kind)} this {noun} as a whole"
    return Content("\n").join(
        [Content(head).stylize("bold"), *lines, Content(f"[{tag}]").stylize(style)]
    )


def _part_content(item: Any, part: int | str) -> Content:
    return whole_content(item) if part == "whole" else hunk_content(item, int(part))


class DiffView(VerticalScroll, can_focus=True):
    """Parts of the file: its hunks, then a whole-file part when there is one."""

    DEFAULT_CSS = """
    DiffView { padding: 0 1; background: $surface; }
    DiffView > .notice {
        margin: 0 0 1 0; padding: 0 1; border: round $warning; color: $text;
    }
    DiffView > .notice.-conflict { border: round $error; }
    DiffView > .part { margin: 0 0 1 0; padding: 0 1; border: blank; }
    DiffView > .part.-current { border: round $primary; }
    DiffView > .empty { color: $text-muted; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item: Any = None
        self.current = 0
        self._parts: list[Static] = []

    @property
    def parts(self) -> list[int | str]:
        """Hunk indices, and 'whole' for the part decided as one."""
        if self.item is None:
            return []
        parts: list[int | str] = list(range(len(self.item.hunks)))
        if self.item.whole is not None:
            parts.append("whole")
        return parts

    @property
    def current_part(self) -> int | str | None:
        parts = self.parts
        return parts[self.current] if parts else None

    def show(self, item: Any, current: int = 0) -> None:
        """Show a file; `current` is the part to select."""
        self.item = item
        self.current = max(0, min(current, len(self.parts) - 1))
        self.remove_children()
        if item is None:
            self.mount(Static("No changes to review.", classes="empty"))
            return
        widgets: list[Static] = []
        if item.flags:
            reasons = "\n".join(f"⚑ {flag.reason}" for flag in item.flags)
            widgets.append(Static(Content(reasons), classes="notice"))
        if item.conflict is not None:
            text = f"≠ {item.conflict.reason}\n  o keeps yours · t takes the agent's"
            widgets.append(Static(Content(text), classes="notice -conflict"))
        self._parts = [
            Static(_part_content(item, part), classes="part") for part in self.parts
        ]
        self.mount_all(widgets + self._parts)
        self.call_after_refresh(self._mark_current)

    def refresh_part(self) -> None:
        """Redraw the current part after its decision changed."""
        part = self.current_part
        if part is not None and self.current < len(self._parts):
            self._parts[self.current].update(_part_content(self.item, part))

    def move(self, step: int) -> None:
        if self.parts:
            self.current = (self.current + step) % len(self.parts)
            self._mark_current()

    def _mark_current(self) -> None:
        for number, widget in enumerate(self._parts):
            widget.set_class(number == self.current, "-current")
        if self.current < len(self._parts):
            self.scroll_to_widget(self._parts[self.current], animate=False)

    @property
    def position(self) -> str:
        """'hunk 1/2' for the title."""
        parts = self.parts
        if not parts:
            return ""
        part = parts[self.current]
        if part == "whole":
            return "whole file"
        return f"hunk {int(part) + 1}/{len(self.item.hunks)}"
