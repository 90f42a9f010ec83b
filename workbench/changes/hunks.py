"""Split a text change into hunks and merge back any choice of them.

A hunk is one group of nearby changed lines (difflib's grouped opcodes, the
same grouping `diff -u` uses). Its span runs from its first to its last changed
line, so the equal lines between two changes inside one hunk move with it.
Lines keep their endings, so merging reproduces files byte for byte.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

CONTEXT_LINES = 3

Opcode = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class Hunk:
    """One group of changed lines: old span `[old_start, old_end)` becomes new span."""

    index: int
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_lines: tuple[str, ...]
    new_lines: tuple[str, ...]
    before: tuple[str, ...]  # context shown above the span
    after: tuple[str, ...]  # context shown below the span
    opcodes: tuple[Opcode, ...]  # inside the span, indices into the whole files

    @property
    def header(self) -> str:
        """The unified diff header, counting the context lines like `diff -u`."""
        old_first = self.old_start - len(self.before)
        new_first = self.new_start - len(self.before)
        old_count = len(self.before) + len(self.old_lines) + len(self.after)
        new_count = len(self.before) + len(self.new_lines) + len(self.after)
        return f"@@ -{_range(old_first, old_count)} +{_range(new_first, new_count)} @@"

    @property
    def added(self) -> int:
        return sum(j2 - j1 for tag, _, _, j1, j2 in self.opcodes if tag != "equal")

    @property
    def removed(self) -> int:
        return sum(i2 - i1 for tag, i1, i2, _, _ in self.opcodes if tag != "equal")

    @property
    def new_text(self) -> str:
        return "".join(self.new_lines)

    def lines(self) -> list[tuple[str, str]]:
        """The hunk as (marker, line) pairs: " " context, "-" removed, "+" added."""
        rows = [(" ", line) for line in self.before]
        old_base, new_base = self.old_start, self.new_start
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                rows += [
                    (" ", line)
                    for line in self.old_lines[i1 - old_base : i2 - old_base]
                ]
                continue
            rows += [
                ("-", line) for line in self.old_lines[i1 - old_base : i2 - old_base]
            ]
            rows += [
                ("+", line) for line in self.new_lines[j1 - new_base : j2 - new_base]
            ]
        rows += [(" ", line) for line in self.after]
        return rows


def _range(first: int, count: int) -> str:
    # diff -u numbers lines from 1, and an empty range names the line before it.
    start = first + 1 if count else first
    return f"{start}" if count == 1 else f"{start},{count}"


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept, so joining them gives the text back."""
    return text.splitlines(keepends=True)


def split_hunks(
    old_lines: Sequence[str], new_lines: Sequence[str], context: int = CONTEXT_LINES
) -> list[Hunk]:
    """The hunks that turn `old_lines` into `new_lines`, in file order."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        changed = [op for op in group if op[0] != "equal"]
        first, last = changed[0], changed[-1]
        old_start, old_end = first[1], last[2]
        new_start, new_end = first[3], last[4]
        hunks.append(
            Hunk(
                index=len(hunks),
                old_start=old_start,
                old_end=old_end,
                new_start=new_start,
                new_end=new_end,
                old_lines=tuple(old_lines[old_start:old_end]),
                new_lines=tuple(new_lines[new_start:new_end]),
                before=tuple(old_lines[max(0, old_start - context) : old_start]),
                after=tuple(old_lines[old_end : old_end + context]),
                opcodes=tuple(
                    op for op in group if old_start <= op[1] and op[2] <= old_end
                ),
            )
        )
    return hunks


def merge(
    old_lines: Sequence[str],
    hunks: Sequence[Hunk],
    picks: Sequence[Sequence[str] | None],
) -> str:
    """The old text with each hunk's span replaced by its pick (None keeps the old)."""
    if len(picks) != len(hunks):
        raise ValueError("one pick per hunk")
    parts: list[str] = []
    position = 0
    for hunk, pick in zip(hunks, picks, strict=True):
        parts += old_lines[position : hunk.old_start]
        parts += hunk.old_lines if pick is None else pick
        position = hunk.old_end
    parts += old_lines[position:]
    return "".join(parts)


def edited_lines(hunk: Hunk, text: str, old_line_count: int) -> list[str]:
    """The user's replacement text for a hunk, as lines ready for `merge`.

    A missing final newline is added unless the hunk ends the file, so an edit
    never glues itself onto the line that follows.
    """
    if text and not text.endswith(("\n", "\r")) and hunk.old_end < old_line_count:
        text += "\n"
    return split_lines(text)
