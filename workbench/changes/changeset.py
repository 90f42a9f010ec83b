"""What the agent changed since the session started, read from the workspace."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
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


# --- computing a change set -------------------------------------------------

# Overlay marks a directory that hides its lower twin with one of these: the
# user.* name when mounted with `userxattr` (readable by a non-root host user),
# the trusted.* name otherwise (readable by root only).
OPAQUE_XATTRS = ("user.overlay.opaque", "trusted.overlay.opaque")
_CHUNK = 1 << 16


def file_type(st: os.stat_result) -> FileType:
    """The FileType of an lstat result."""
    return mode_type(st.st_mode)


def mode_type(mode: int) -> FileType:
    """The FileType of an st_mode value."""
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "char"
    if stat.S_ISBLK(mode):
        return "block"
    return "file"


def is_whiteout(st: os.stat_result) -> bool:
    """Overlayfs marks a deleted lower path with a 0:0 character device."""
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque(path: Path) -> bool:
    """Whether an upper-dir directory hides the lower directory of its name."""
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            # No such xattr, or no right to read trusted.* as a non-root user.
            continue
    return False


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _same_content(a: Path, b: Path) -> bool:
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                chunk = fa.read(_CHUNK)
                if chunk != fb.read(_CHUNK):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def _readlink(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


class _Collector:
    """Accumulates changes while the upper dir is walked once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.changes: list[Change] = []
        self.inodes: dict[tuple[int, int], list[str]] = {}

    def added(self, rel: str, path: Path, st: os.stat_result) -> None:
        self._new(rel, "added", path, st, None, None)

    def modified(
        self,
        rel: str,
        path: Path,
        st: os.stat_result,
        old: Path,
        old_st: os.stat_result,
    ) -> None:
        self._new(rel, "modified", path, st, old, old_st)

    def _new(
        self,
        rel: str,
        kind: ChangeKind,
        path: Path,
        st: os.stat_result,
        old: Path | None,
        old_st: os.stat_result | None,
    ) -> None:
        kind_new = file_type(st)
        target = _readlink(path) if kind_new == "symlink" else None
        if kind_new != "dir" and st.st_nlink > 1:
            self.inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
        self.changes.append(
            Change(
                path=rel,
                kind=kind,
                new_type=kind_new,
                old_type=file_type(old_st) if old_st else None,
                new_mode=stat.S_IMODE(st.st_mode),
                old_mode=stat.S_IMODE(old_st.st_mode) if old_st else None,
                size=st.st_size if kind_new in ("file", "symlink") else None,
                link_target=target,
                old_link_target=_readlink(old)
                if old and old_st and stat.S_ISLNK(old_st.st_mode)
                else None,
                nlink=st.st_nlink if kind_new != "dir" else 1,
                new_path=path,
                old_path=old,
            )
        )

    def deleted(self, rel: str, old: Path, old_st: os.stat_result) -> None:
        """Record a deleted lower path, and everything below it."""
        self.changes.append(_deleted(rel, old, old_st))
        if stat.S_ISDIR(old_st.st_mode):
            for root, dirs, files in os.walk(old):
                base = Path(root)
                for name in dirs + files:
                    child = base / name
                    child_st = _lstat(child)
                    if child_st is not None:
                        child_rel = child.relative_to(self.folder).as_posix()
                        self.changes.append(_deleted(child_rel, child, child_st))

    def result(self) -> ChangeSet:
        changes = self.changes
        linked = {path: paths for paths in self.inodes.values() for path in paths}
        if linked:
            changes = [_with_hardlink(c, linked) for c in changes]
        return ChangeSet(self.folder, tuple(sorted(changes, key=lambda c: c.path)))


def _deleted(rel: str, old: Path, old_st: os.stat_result) -> Change:
    old_type = file_type(old_st)
    return Change(
        path=rel,
        kind="deleted",
        old_type=old_type,
        old_mode=stat.S_IMODE(old_st.st_mode),
        old_link_target=_readlink(old) if old_type == "symlink" else None,
        old_path=old,
    )


def _with_hardlink(change: Change, linked: dict[str, list[str]]) -> Change:
    group = linked.get(change.path)
    if not group or len(group) < 2 or change.kind == "deleted":
        return change
    others = sorted(p for p in group if p != change.path)
    return replace(change, hardlink_of=others[0])


def _unchanged(
    path: Path, st: os.stat_result, old: Path, old_st: os.stat_result
) -> bool:
    """True when a copied-up entry still equals the folder's (type, mode, content)."""
    if file_type(st) != file_type(old_st):
        return False
    if stat.S_IMODE(st.st_mode) != stat.S_IMODE(old_st.st_mode):
        return False
    if stat.S_ISLNK(st.st_mode):
        return _readlink(path) == _readlink(old)
    if stat.S_ISREG(st.st_mode):
        return st.st_size == old_st.st_size and _same_content(path, old)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return st.st_rdev == old_st.st_rdev
    return True


def changes_from_upper(folder: Path, upper: Path) -> ChangeSet:
    """Read an overlay upper dir against its lower folder.

    Only the upper dir is walked and only the matching lower paths are
    stat'ed, so the cost follows the number of changes, not the folder size
    (deleted directories are listed in full, since each path is a change).
    """
    collector = _Collector(folder)
    _walk_upper(collector, upper, folder, "", lower_visible=True, opaque=False)
    return collector.result()


def _walk_upper(
    out: _Collector,
    upper: Path,
    lower: Path,
    prefix: str,
    lower_visible: bool,
    opaque: bool,
) -> None:
    try:
        entries = sorted(os.scandir(upper), key=lambda e: e.name)
    except OSError:
        return
    seen: set[str] = set()
    for entry in entries:
        seen.add(entry.name)
        rel = f"{prefix}{entry.name}"
        path = Path(entry.path)
        old = lower / entry.name
        st = entry.stat(follow_symlinks=False)
        old_st = _lstat(old) if lower_visible else None
        if is_whiteout(st):
            if old_st is not None:
                out.deleted(rel, old, old_st)
            continue
        if stat.S_ISDIR(st.st_mode):
            _upper_dir(out, rel, path, st, old, old_st, opaque)
            continue
        if old_st is None:
            out.added(rel, path, st)
        elif stat.S_ISDIR(old_st.st_mode):
            out.modified(rel, path, st, old, old_st)
            _deleted_children(out, rel, old, set())
        elif not _unchanged(path, st, old, old_st):
            out.modified(rel, path, st, old, old_st)
    if opaque and lower_visible:
        _deleted_children(out, prefix.rstrip("/"), lower, seen)


def _upper_dir(
    out: _Collector,
    rel: str,
    path: Path,
    st: os.stat_result,
    old: Path,
    old_st: os.stat_result | None,
    opaque: bool,
) -> None:
    if old_st is None:
        out.added(rel, path, st)
        _walk_upper(out, path, old, rel + "/", lower_visible=False, opaque=False)
        return
    if not stat.S_ISDIR(old_st.st_mode):
        out.modified(rel, path, st, old, old_st)
        _walk_upper(out, path, old, rel + "/", lower_visible=False, opaque=False)
        return
    # A directory copied up only because a child changed is no change itself.
    if stat.S_IMODE(st.st_mode) != stat.S_IMODE(old_st.st_mode):
        out.modified(rel, path, st, old, old_st)
    # Below an opaque directory every lower child is hidden, at every depth.
    hides = opaque or is_opaque(path)
    _walk_upper(out, path, old, rel + "/", lower_visible=True, opaque=hides)


def _deleted_children(out: _Collector, rel: str, lower: Path, keep: set[str]) -> None:
    try:
        names = sorted(os.listdir(lower))
    except OSError:
        return
    prefix = f"{rel}/" if rel else ""
    for name in names:
        if name in keep:
            continue
        child = lower / name
        child_st = _lstat(child)
        if child_st is not None:
            out.deleted(prefix + name, child, child_st)


@dataclass(frozen=True)
class Entry:
    """One path of a copy workspace, as recorded at copy time or read back."""

    type: FileType
    mode: int
    size: int = 0
    mtime_ns: int = 0
    target: str | None = None  # symlinks
    sha256: str | None = None  # regular files, when known
    ino: int = 0
    nlink: int = 1


def entry_differs(before: Entry, after: Entry, new_sha256: str | None) -> bool:
    """Whether a path of a copy workspace changed; `new_sha256` settles same sizes."""
    if before.type != after.type:
        return True
    if before.type == "symlink":
        return before.target != after.target
    if before.mode != after.mode:
        return True
    if before.type != "file":
        return False
    if before.size != after.size:
        return True
    if before.mtime_ns == after.mtime_ns:
        return False
    return new_sha256 is None or new_sha256 != before.sha256


def changes_from_manifests(
    folder: Path,
    before: dict[str, Entry],
    after: dict[str, Entry],
    new_root: Path,
    hashes: dict[str, str],
) -> ChangeSet:
    """Compare a copy workspace's state with what was copied into it.

    `new_root` mirrors the workspace for the changed paths (shaped like an
    upper dir without whiteouts) and `hashes` holds the sha256 of the files
    fetched there.
    """
    changes: list[Change] = []
    inodes: dict[int, list[str]] = {}
    for rel, new in after.items():
        old = before.get(rel)
        if old is not None and not entry_differs(old, new, hashes.get(rel)):
            continue
        if new.type != "dir" and new.nlink > 1:
            inodes.setdefault(new.ino, []).append(rel)
        changes.append(_change_from_entries(folder, rel, old, new, new_root))
    for rel, old in before.items():
        if rel not in after:
            changes.append(_change_from_entries(folder, rel, old, None, new_root))
    linked = {path: paths for paths in inodes.values() for path in paths}
    if linked:
        changes = [_with_hardlink(c, linked) for c in changes]
    return ChangeSet(folder, tuple(sorted(changes, key=lambda c: c.path)))


def _change_from_entries(
    folder: Path, rel: str, old: Entry | None, new: Entry | None, new_root: Path
) -> Change:
    kind: ChangeKind = "modified"
    if old is None:
        kind = "added"
    elif new is None:
        kind = "deleted"
    return Change(
        path=rel,
        kind=kind,
        new_type=new.type if new else None,
        old_type=old.type if old else None,
        new_mode=new.mode if new else None,
        old_mode=old.mode if old else None,
        size=new.size if new and new.type in ("file", "symlink") else None,
        link_target=new.target if new else None,
        old_link_target=old.target if old else None,
        nlink=new.nlink if new and new.type != "dir" else 1,
        new_path=new_root / rel if new else None,
        old_path=folder / rel if old else None,
    )
