"""Paths the user changed in their folder while the agent worked on the same ones.

Two witnesses: a watchfiles watcher running for the life of a session, and,
after a restart, an entry's mtime or ctime later than the session's start. The
apply records what it wrote, so the folder's own updates never count as the
user's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from workbench.changes.changeset import ChangeSet

log = logging.getLogger(__name__)

Signature = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


@dataclass(frozen=True)
class Conflict:
    """A path both the user and the agent changed since the session started."""

    path: str
    reason: str
    mine: Path | None  # the user's current entry, None when they deleted it


def signature(path: Path) -> Signature | None:
    """What identifies one state of an entry, None when it does not exist."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _epoch(created_at: float | dt.datetime | str) -> float:
    if isinstance(created_at, dt.datetime):
        return created_at.timestamp()
    if isinstance(created_at, str):
        return dt.datetime.fromisoformat(created_at).timestamp()
    return float(created_at)


class FolderWatcher:
    """Records every path the user changes under a folder, from a background thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(os.path.realpath(folder))
        self._changed: set[str] = set()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FolderWatcher:
        """Start watching; returns once the watcher is live (or gave up)."""
        self._thread = threading.Thread(
            target=self._run, name="workbench-folder-watcher", daemon=True
        )
        self._thread.start()
        self._ready.wait(timeout=10)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FolderWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def changed(self) -> set[str]:
        """Relative paths seen changing so far, with each of their parents."""
        with self._lock:
            return set(self._changed)

    def wait_for(self, path: str, timeout: float = 10.0) -> bool:
        """Block until `path` was seen changing; False when the timeout passed."""
        with self._lock:
            return self._lock.wait_for(lambda: path in self._changed, timeout)

    def _run(self) -> None:
        # No filter: .git, .venv and editor files are exactly what must not be missed.
        try:
            for batch in watchfiles.watch(
                self.folder,
                watch_filter=None,
                stop_event=self._stop,
                debounce=50,
                step=20,
                rust_timeout=200,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self._ready.set()
                self._record(path for _, path in batch)
        except Exception:  # the watcher must never take the session down with it
            log.exception("folder watcher stopped for %s", self.folder)
        finally:
            self._ready.set()

    def _record(self, paths: Iterable[str]) -> None:
        fresh = set()
        for raw in paths:
            try:
                rel = Path(raw).relative_to(self.folder).as_posix()
            except ValueError:
                continue
            if rel != ".":
                fresh.add(rel)
        if fresh:
            with self._lock:
                self._changed |= fresh
                self._lock.notify_all()


def find_conflicts(
    changes: ChangeSet,
    created_at: float | dt.datetime | str,
    watched: Iterable[str] = (),
    written: Mapping[str, Signature | None] | None = None,
) -> dict[str, Conflict]:
    """The changed paths whose folder entry the user touched since `created_at`.

    `watched` are the watcher's paths; `written` the signatures the apply left,
    so an entry still exactly as workbench wrote it is not the user's doing.
    """
    since = _epoch(created_at)
    seen = set(watched)
    written = written or {}
    folder = Path(changes.folder)
    conflicts = {}
    for change in changes:
        entry = folder / change.path
        current = signature(entry)
        if change.path in written and written[change.path] == current:
            continue
        reason = _reason(change.kind, entry, current, since, change.path in seen)
        if reason:
            mine = entry if current is not None else None
            conflicts[change.path] = Conflict(change.path, reason, mine)
    return conflicts


def _reason(
    kind: str, entry: Path, current: Signature | None, since: float, seen: bool
) -> str:
    if current is None:
        if kind == "deleted" or (kind == "added" and not seen):
            return ""  # both sides deleted it, or it never was there
        return "You deleted this path in your folder."
    if kind == "added":
        return "You created this path in your folder too."
    touched = max(current[2], current[3]) / 1e9 > since
    if seen or touched:
        return "You changed this path in your folder after the session started."
    return ""
