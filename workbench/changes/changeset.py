"""What the agent changed since the session started, read from the workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ChangeKind = Literal["added", "modified", "deleted"]
FileType = Literal["file", "dir", "symlink", "fifo", "socket", "char", "block"]


@dataclass(frozen=True)
class Change:
    """One path that differs between the user's folder and the sandbox's view.

    `new_path` is a host path holding the sandbox's version (in the overlay
    upper directory, or extracted from a copy volume); it is None for deletions.
    `old_path` is the path in the user's folder, None for additions.
    """

    path: str  # relative, POSIX separators, never starts with "/"
    kind: ChangeKind
    new_type: FileType | None = None  # None when deleted
    old_type: FileType | None = None  # None when added
    new_mode: int | None = None  # permission bits incl. setuid/setgid/sticky
    old_mode: int | None = None
    size: int | None = None  # new size in bytes
    link_target: str | None = None  # for symlinks: the new target
    old_link_target: str | None = None
    nlink: int = 1  # > 1: a hardlink inside the change set
    hardlink_of: str | None = None  # another changed path sharing the inode
    new_path: Path | None = None
    old_path: Path | None = None

    @property
    def mode_changed(self) -> bool:
        return (
            self.kind == "modified"
            and self.new_mode is not None
            and self.old_mode is not None
            and self.new_mode != self.old_mode
        )

    @property
    def type_changed(self) -> bool:
        return self.kind == "modified" and self.new_type != self.old_type


@dataclass(frozen=True)
class ChangeSet:
    """All changes of a session, sorted by path."""

    folder: Path  # the user's real folder
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.changes)

    def get(self, path: str) -> Change | None:
        return next((c for c in self.changes if c.path == path), None)

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "modified": 0, "deleted": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts
