"""The on-disk record of apply transactions: steps, originals, backups and a log.

One transaction is a directory under the session's `sync/` dir holding
`txn.json` (what it does and what each touched path was before), `backup/`,
`staged/` (the new contents) and `log`, an append-only, fsynced list of the
steps taken. The log alone says how far an interrupted apply or undo got.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from workbench.changes.conflicts import Signature

log = logging.getLogger(__name__)

State = Literal[
    "preparing",
    "applying",
    "committed",
    "undoing",
    "undone",
    "rolled-back",
    "abandoned",
]
KILL_ENV = "WORKBENCH_SYNC_KILL_AT"


@dataclass(frozen=True)
class Step:
    """One operation on the folder: write, symlink, mkdir, delete or chmod."""

    index: int
    op: str
    path: str
    mode: int | None = None
    staged: str | None = None  # file name under staged/ with the new content
    link_target: str | None = None


@dataclass(frozen=True)
class Original:
    """What a touched path was before the transaction, to put it back on undo."""

    path: str
    type: str  # "missing", "file", "dir", "symlink"
    mode: int | None = None
    mtime_ns: int | None = None
    link_target: str | None = None
    backup: str | None = None  # name under backup/ (a file or a whole tree)


@dataclass
class Transaction:
    root: Path
    folder: Path
    steps: list[Step] = field(default_factory=list)
    originals: list[Original] = field(default_factory=list)
    settles: list[str] = field(default_factory=list)  # change-set paths it settles

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def backup_dir(self) -> Path:
        return self.root / "backup"

    @property
    def staged_dir(self) -> Path:
        return self.root / "staged"

    def temp_name(self, kind: str) -> str:
        """A name for temporary entries beside their destination, unique to us."""
        return f".workbench-{kind}-{self.id}"

    def save(self) -> None:
        data = {
            "folder": str(self.folder),
            "steps": [asdict(step) for step in self.steps],
            "originals": [asdict(original) for original in self.originals],
            "settles": self.settles,
        }
        temp = self.root / "txn.json.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.root / "txn.json")

    @classmethod
    def load(cls, root: Path) -> Transaction:
        try:
            data = json.loads((root / "txn.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(root=root, folder=Path())
        return cls(
            root=root,
            folder=Path(data["folder"]),
            steps=[Step(**step) for step in data["steps"]],
            originals=[Original(**original) for original in data["originals"]],
            settles=list(data.get("settles", [])),
        )

    def record(self, entry: str) -> None:
        """Append one line to the log and make it durable before going on."""
        with open(self.root / "log", "a", encoding="utf-8") as handle:
            handle.write(entry + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        checkpoint(entry.replace(" ", ":"))

    def entries(self) -> list[str]:
        try:
            text = (self.root / "log").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        # A line cut by a crash has no newline yet: it never happened.
        return text.split("\n")[:-1]

    @property
    def state(self) -> State:
        markers = {
            "prepared": "applying",
            "committed": "committed",
            "undo-begin": "undoing",
            "undone": "undone",
            "rolled-back": "rolled-back",
            "abandoned": "abandoned",
        }
        for entry in reversed(self.entries()):
            if entry in markers:
                return markers[entry]  # type: ignore[return-value]
        return "preparing"

    def done_steps(self) -> set[int]:
        return {int(e.split()[1]) for e in self.entries() if e.startswith("done ")}


def checkpoint(name: str) -> None:
    """Die here when the test hook names this step, to prove recovery works."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class Journal:
    """All apply transactions of one session, oldest first."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def begin(self, folder: Path) -> Transaction:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}"
        root = self.root / name
        root.mkdir()
        (root / "backup").mkdir()
        (root / "staged").mkdir()
        txn = Transaction(root=root, folder=folder)
        txn.save()
        return txn

    def transactions(self) -> list[Transaction]:
        if not self.root.is_dir():
            return []
        return [
            Transaction.load(path)
            for path in sorted(self.root.iterdir())
            if path.is_dir() and path.name.isdigit()
        ]

    def incomplete(self) -> Transaction | None:
        """An apply or undo that was cut off midway, if any."""
        for txn in reversed(self.transactions()):
            if txn.state in ("preparing", "applying", "undoing"):
                return txn
        return None

    def last_committed(self) -> Transaction | None:
        """The newest apply that has not been undone."""
        for txn in reversed(self.transactions()):
            if txn.state == "committed":
                return txn
        return None

    def written(self) -> dict[str, Signature | None]:
        """Signatures of the entries workbench itself last left in the folder."""
        try:
            raw = json.loads((self.root / "written.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {path: tuple(sig) if sig else None for path, sig in raw.items()}  # type: ignore[misc]

    def remember(self, signatures: dict[str, Signature | None]) -> None:
        merged = {**self.written(), **signatures}
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / "written.json.tmp"
        temp.write_text(json.dumps(merged), encoding="utf-8")
        os.replace(temp, self.root / "written.json")
