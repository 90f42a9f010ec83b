"""Real on-disk change sets for review and sync tests: a folder and an upper dir.

The upper dir is laid out the way overlayfs writes it (copied-up files whole,
whiteouts as 0:0 character devices), and read by the real change set reader.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from workbench.changes.changeset import ChangeSet, changes_from_upper


def put(root: Path, rel: str, content: str | bytes, mode: int | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    if mode is not None:
        os.chmod(path, mode)
    return path


def whiteout(upper: Path, rel: str) -> None:
    """Mark a lower path deleted, as overlayfs does."""
    path = upper / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(0, 0))


def changes(folder: Path, upper: Path) -> ChangeSet:
    return changes_from_upper(folder, upper)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: type, mode, and content, link target or mtime."""
    seen: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = os.lstat(path)
            rel = path.relative_to(root).as_posix()
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                seen[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                seen[rel] = ("dir", mode)
            else:
                seen[rel] = ("file", mode, path.read_bytes(), info.st_mtime_ns)
    return seen


def numbered(count: int, changed: dict[int, str] | None = None) -> str:
    lines = [f"line {i}\n" for i in range(count)]
    for index, text in (changed or {}).items():
        lines[index] = text
    return "".join(lines)
