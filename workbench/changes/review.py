"""The review model: per file and per hunk decisions over a session's change set.

Synchronous and UI-free; the TUI and the CLI drive the same object. The old
side of every diff is the user's folder as it is now (with the overlay strategy
it is the sandbox's lower layer), the new side is the agent's version.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbench.changes.changeset import Change, ChangeSet
from workbench.changes.conflicts import Conflict
from workbench.changes.flags import Flag, change_flags
from workbench.changes.hunks import Hunk, edited_lines, merge, split_hunks, split_lines
from workbench.config import ReviewConfig

Decision = Literal["pending", "accepted", "rejected"]
FileDecision = Literal["pending", "accepted", "rejected", "partial"]
Resolution = Literal["agent", "mine"]


@dataclass
class FileReview:
    """One changed path: what changed, why it is flagged, and what the user decided.

    Text content the user can split is in `hunks`, one decision each; everything
    else about the file (its creation or deletion as a whole, binary content, a
    type or mode change) is one decision in `whole`, None when there is none.
    """

    change: Change
    flags: list[Flag]
    binary: bool  # content not shown as text: NUL bytes, not UTF-8, or too large
    old_lines: list[str]
    new_lines: list[str]
    hunks: list[Hunk]
    hunk_decisions: list[Decision]
    whole: Decision | None
    edits: dict[int, str] = field(default_factory=dict)
    conflict: Conflict | None = None
    resolution: Resolution | None = None

    @property
    def path(self) -> str:
        return self.change.path

    @property
    def kind(self) -> str:
        return self.change.kind

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def conflicted(self) -> bool:
        """A conflict the user has not resolved yet."""
        return self.conflict is not None and self.resolution is None

    @property
    def mode_change(self) -> tuple[int, int] | None:
        change = self.change
        if change.mode_changed and not change.type_changed:
            return (change.old_mode or 0, change.new_mode or 0)
        return None

    @property
    def decision(self) -> FileDecision:
        parts = list(self.hunk_decisions)
        if self.whole is not None:
            parts.append(self.whole)
        kinds = set(parts)
        if len(kinds) == 1:
            return kinds.pop()
        return "pending" if not kinds else "partial"

    @property
    def accepted_any(self) -> bool:
        return "accepted" in self.hunk_decisions or self.whole == "accepted"

    def merged_text(self) -> str | None:
        """The file's text with accepted (or edited) hunks applied, None if not text."""
        if self.binary:
            return None
        picks: list[list[str] | None] = []
        for hunk, decision in zip(self.hunks, self.hunk_decisions, strict=True):
            if decision != "accepted":
                picks.append(None)
            elif hunk.index in self.edits:
                picks.append(
                    edited_lines(hunk, self.edits[hunk.index], len(self.old_lines))
                )
            else:
                picks.append(list(hunk.new_lines))
        return merge(self.old_lines, self.hunks, picks)

    def diff_lines(self) -> Iterator[str]:
        """The change as unified diff lines (no line endings), for a terminal."""
        change = self.change
        old = "/dev/null" if change.kind == "added" else f"a/{change.path}"
        new = "/dev/null" if change.kind == "deleted" else f"b/{change.path}"
        yield f"--- {old}"
        yield f"+++ {new}"
        yield from _metadata_lines(self)
        hunks = self.hunks
        if change.kind == "deleted" and not self.binary:
            hunks = split_hunks(self.old_lines, [])
        for hunk in hunks:
            yield hunk.header
            for marker, text in hunk.lines():
                yield marker + text.rstrip("\r\n")
                if not text.endswith(("\n", "\r")):
                    yield "\\ No newline at end of file"


def _metadata_lines(item: FileReview) -> Iterator[str]:
    change = item.change
    if item.mode_change:
        old, new = item.mode_change
        yield f"mode {old:o} -> {new:o}"
    if change.type_changed:
        yield f"type {change.old_type} -> {change.new_type}"
    if change.new_type == "symlink":
        yield f"symlink -> {change.link_target}"
    if item.binary and change.kind != "deleted" and change.new_type == "file":
        yield f"binary or large content, {change.size or 0} bytes"
    for flag in item.flags:
        yield f"flag {flag.code}: {flag.reason}"
    if item.conflict is not None:
        yield f"conflict: {item.conflict.reason}"


@dataclass(frozen=True)
class ReviewSummary:
    files: int
    hunks: int
    flagged: int
    conflicts: int
    accepted: int
    rejected: int
    partial: int
    pending: int


class Review:
    """Decisions over every file of a change set; build it with `Review.build`."""

    def __init__(
        self, changes: ChangeSet, files: list[FileReview], config: ReviewConfig
    ) -> None:
        self.changes = changes
        self.folder = Path(changes.folder)
        self.files = files
        self.config = config
        self._by_path = {item.path: item for item in files}

    @classmethod
    def build(
        cls,
        changes: ChangeSet,
        config: ReviewConfig | None = None,
        conflicts: dict[str, Conflict] | None = None,
    ) -> Review:
        """Read both sides of every change and split text changes into hunks."""
        config = config or ReviewConfig()
        conflicts = conflicts or {}
        folder = Path(changes.folder)
        # Every line and hunk built here lives as long as the review, so cyclic
        # GC passes over them are pure cost (about a third of the build).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            files = [
                _file_review(change, folder, config, conflicts.get(change.path))
                for change in changes
            ]
        finally:
            if was_enabled:
                gc.enable()
        return cls(changes, files, config)

    def file(self, path: str) -> FileReview:
        """The review of one path; KeyError when the path did not change."""
        return self._by_path[path]

    def __iter__(self) -> Iterator[FileReview]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def accept_file(self, path: str) -> None:
        self._set_file(path, "accepted")

    def reject_file(self, path: str) -> None:
        self._set_file(path, "rejected")

    def accept_hunk(self, path: str, index: int) -> None:
        self.file(path).hunk_decisions[index] = "accepted"

    def reject_hunk(self, path: str, index: int) -> None:
        item = self.file(path)
        item.hunk_decisions[index] = "rejected"
        item.edits.pop(index, None)

    def edit_hunk(self, path: str, index: int, text: str) -> None:
        """Replace a hunk's new text with the user's and accept it."""
        item = self.file(path)
        item.hunks[index]  # an IndexError here beats a silent no-op
        item.edits[index] = text
        item.hunk_decisions[index] = "accepted"

    def resolve(self, path: str, keep: Resolution) -> None:
        """Settle a conflict: take the agent's version whole, or keep the user's."""
        item = self.file(path)
        if item.conflict is None:
            raise ValueError(f"{path} has no conflict")
        item.resolution = keep
        self._set_file(path, "accepted" if keep == "agent" else "rejected")

    def accept_all(self, include_flagged: bool = False) -> list[str]:
        """Accept every file; returns the flagged or conflicted paths it left alone."""
        skipped = []
        for item in self.files:
            if item.conflicted or (item.flagged and not include_flagged):
                skipped.append(item.path)
                continue
            self._set_file(item.path, "accepted")
        return skipped

    def reject_all(self) -> None:
        for item in self.files:
            self._set_file(item.path, "rejected")

    def summary(self) -> ReviewSummary:
        decisions = [item.decision for item in self.files]
        return ReviewSummary(
            files=len(self.files),
            hunks=sum(len(item.hunks) for item in self.files),
            flagged=sum(item.flagged for item in self.files),
            conflicts=sum(item.conflict is not None for item in self.files),
            accepted=decisions.count("accepted"),
            rejected=decisions.count("rejected"),
            partial=decisions.count("partial"),
            pending=decisions.count("pending"),
        )

    def to_json(self) -> list[dict[str, object]]:
        """Per path: kind, flags, conflict and decision (the CLI's `--json`)."""
        return [file_json(item) for item in self.files]

    def _set_file(self, path: str, decision: Decision) -> None:
        item = self.file(path)
        item.hunk_decisions = [decision] * len(item.hunks)
        if item.whole is not None:
            item.whole = decision
        if decision == "rejected":
            item.edits.clear()


def file_json(item: FileReview) -> dict[str, object]:
    """One file's review facts as plain JSON types."""
    return {
        "path": item.path,
        "kind": item.kind,
        "binary": item.binary,
        "hunks": len(item.hunks),
        "flags": [{"code": f.code, "reason": f.reason} for f in item.flags],
        "conflict": item.conflict.reason if item.conflict else None,
        "decision": item.decision,
    }


def _file_review(
    change: Change, folder: Path, config: ReviewConfig, conflict: Conflict | None
) -> FileReview:
    old_path = change.old_path
    if old_path is None and change.kind != "added":
        old_path = folder / change.path
    old_data = _read_text(old_path, change.old_type, config)
    new_data = _read_text(change.new_path, change.new_type, config)
    old_lines = split_lines(old_data) if old_data is not None else []
    new_lines = split_lines(new_data) if new_data is not None else []
    binary = _is_binary(change, old_data, new_data)
    splittable = (
        not binary
        and change.new_type == "file"
        and change.kind in ("added", "modified")
        and change.old_type in (None, "file")
    )
    hunks = split_hunks(old_lines, new_lines) if splittable else []
    needs_whole = not hunks or change.mode_changed or change.type_changed
    return FileReview(
        change=change,
        flags=change_flags(change, config),
        binary=binary,
        old_lines=old_lines,
        new_lines=new_lines,
        hunks=hunks,
        hunk_decisions=["pending"] * len(hunks),
        whole="pending" if needs_whole else None,
        conflict=conflict,
    )


def _is_binary(change: Change, old: str | None, new: str | None) -> bool:
    has_old = change.old_type == "file" and change.kind != "added"
    has_new = change.new_type == "file" and change.kind != "deleted"
    return (has_old and old is None) or (has_new and new is None)


def _read_text(path: Path | None, kind: str | None, config: ReviewConfig) -> str | None:
    """A regular file's text, None when it is binary, too large or unreadable."""
    if path is None or kind != "file":
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > config.large_file_bytes:
            return None
        # Asking for just past the size seen keeps a growing file bounded without
        # allocating the whole limit for every small file.
        data = handle.read(size + 1)
        if len(data) > config.large_file_bytes:
            return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
