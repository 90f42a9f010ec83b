"""Labels on every engine object workbench creates: ours, which store, which session."""

from __future__ import annotations

import hashlib
from pathlib import Path

APP = "io.workbench.app"  # always "workbench"
STORE = "io.workbench.store"  # hash of the data dir that owns the object
SESSION = "io.workbench.session"  # session id
ROLE = "io.workbench.role"  # "command", "pool", "workspace", "helper"


def store_id(data_root: Path) -> str:
    """A short stable id of a data dir; no store collects another's objects."""
    digest = hashlib.sha256(str(data_root.resolve()).encode()).hexdigest()
    return digest[:16]


def labels_for(data_root: Path, session_id: str, role: str) -> dict[str, str]:
    return {
        APP: "workbench",
        STORE: store_id(data_root),
        SESSION: session_id,
        ROLE: role,
    }
