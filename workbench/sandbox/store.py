"""Sessions on disk: one directory per session, its facts in session.json."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import stat
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.errors import SessionNotFound, WorkbenchError

log = logging.getLogger(__name__)

RECORD = "session.json"


@dataclass(frozen=True)
class SessionRecord:
    """What survives a restart: enough to reattach to the workspace."""

    id: str
    folder: str
    strategy: str  # "overlay" or "copy"
    created_at: float
    image: str
    runtime: str
    network: str
    uid: int
    gid: int
    state: str = "starting"  # "ready" once the workspace exists
    notes: tuple[str, ...] = ()
    volume: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["notes"] = tuple(values.get("notes", ()))
        return cls(**values)


class Store:
    """The sessions directory of one data dir."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        self.root = data_root / "sessions"

    def path(self, session_id: str) -> Path:
        if not _valid_id(session_id):
            raise SessionNotFound(
                f"No session {session_id!r}.", "List sessions: workbench session list"
            )
        return self.root / session_id

    def new_id(self) -> str:
        """A short random id, unused in this store."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            candidate = secrets.token_hex(5)
            try:
                (self.root / candidate).mkdir()
            except FileExistsError:
                continue
            except OSError as error:
                raise WorkbenchError(
                    f"Cannot create a session under {self.root}: {error}",
                    "Check the data dir (WORKBENCH_DATA_DIR) is writable.",
                ) from error
            return candidate

    def save(self, record: SessionRecord) -> None:
        """Write session.json atomically, so a kill -9 never leaves half a record."""
        directory = self.path(record.id)
        directory.mkdir(parents=True, exist_ok=True)
        scratch = directory / f".{RECORD}.{os.getpid()}.tmp"
        scratch.write_text(json.dumps(record.to_json(), indent=2), encoding="utf-8")
        os.replace(scratch, directory / RECORD)

    def load(self, session_id: str) -> SessionRecord:
        path = self.path(session_id) / RECORD
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return SessionRecord.from_json(data)
        except FileNotFoundError as error:
            raise SessionNotFound(
                f"No session {session_id!r}.", "List sessions: workbench session list"
            ) from error
        except (OSError, ValueError, TypeError) as error:
            log.warning("unreadable session record %s: %s", path, error)
            raise SessionNotFound(
                f"Session {session_id!r} is damaged: {error}",
                f"Drop it with: workbench session drop {session_id}",
            ) from error

    def ids(self) -> list[str]:
        """Ids of every session directory that holds a record."""
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        return [n for n in names if _valid_id(n) and (self.root / n / RECORD).exists()]

    def exists(self, session_id: str) -> bool:
        return _valid_id(session_id) and (self.root / session_id / RECORD).exists()

    def orphan_dirs(self, min_age_s: float = 60.0) -> list[Path]:
        """Session directories without a record, older than a start could take."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        now = time.time()
        found = []
        for name in names:
            path = self.root / name
            if not _valid_id(name) or (path / RECORD).exists():
                continue
            try:
                if now - path.stat().st_mtime >= min_age_s:
                    found.append(path)
            except OSError:
                continue
        return found

    def remove(self, session_id: str) -> None:
        """Delete a session directory; the record goes first so a crash leaves none."""
        directory = self.path(session_id)
        try:
            (directory / RECORD).unlink()
        except FileNotFoundError:
            pass
        remove_tree(directory)


def remove_tree(path: Path) -> None:
    """Remove a tree even where the sandbox left read-only directories."""

    def _retry(function: Any, failed: str, _info: Any) -> None:
        parent = os.path.dirname(failed)
        try:
            os.chmod(parent, 0o700)
        except OSError:
            pass
        if function not in (os.unlink, os.rmdir, os.remove):
            # A directory we may not list, like overlay's root-owned work/work
            # (mode 000) under a non-root user, can still go when it is empty.
            function = os.rmdir
        try:
            function(failed)
        except OSError as error:
            log.warning("could not remove %s: %s", failed, error)

    try:
        is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return
    if is_dir:
        shutil.rmtree(path, onerror=_retry)
    else:
        # Whiteouts, fifos and sockets too: opening them could fail or block.
        os.unlink(path)


def _valid_id(session_id: str) -> bool:
    return (
        0 < len(session_id) <= 32
        and session_id.isascii()
        and all(c.isalnum() or c == "-" for c in session_id)
    )
