"""Collect what crashed sessions left behind: only this store's, only if unowned.

An object is collectable when it carries this data dir's store label and

- its session no longer exists in the store (any role), or
- its session exists but no live process holds the session's owner lock
  (`owner.lock`, a shared flock every open Session keeps until it closes) and
  its role is `command`, `pool` or `helper`: those only ever serve a process
  that is running, so after a `kill -9` they are garbage.

The workspace volume of an existing session is never collected. Objects of a
session that is gone are left alone for `min_age_s` seconds so a session being
started by another process is never raced.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import docker.errors

from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.store import Store, remove_tree

log = logging.getLogger(__name__)

TRANSIENT_ROLES = ("command", "pool", "helper")
OWNER_LOCK = "owner.lock"


@dataclass
class GcReport:
    """What one collection removed."""

    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "containers": list(self.containers),
            "volumes": list(self.volumes),
            "dirs": list(self.dirs),
        }

    def __len__(self) -> int:
        return len(self.containers) + len(self.volumes) + len(self.dirs)


def _filters(data_root: Path, session_id: str | None = None) -> dict[str, Any]:
    wanted = [
        f"{labels_mod.APP}=workbench",
        f"{labels_mod.STORE}={labels_mod.store_id(data_root)}",
    ]
    if session_id is not None:
        wanted.append(f"{labels_mod.SESSION}={session_id}")
    return {"label": wanted}


@contextlib.contextmanager
def unowned(session_dir: Path) -> Iterator[bool]:
    """True inside the block when no live process holds the session open."""
    try:
        fd = os.open(session_dir / OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def remove_session_objects(
    engine: Engine, data_root: Path, session_id: str
) -> list[str]:
    """Remove every container of one session of this store; their ids."""
    found = engine.call(
        engine.api.containers, all=True, filters=_filters(data_root, session_id)
    )
    for container in found:
        engine.remove_container(container["Id"])
    return [c["Id"] for c in found]


def collect(engine: Engine, store: Store, min_age_s: float = 30.0) -> GcReport:
    """Remove this store's containers, volumes and dirs whose session is gone."""
    report = GcReport()
    now = time.time()
    containers = engine.call(
        engine.api.containers, all=True, filters=_filters(store.data_root)
    )
    by_session: dict[str, list[dict[str, Any]]] = {}
    for container in containers:
        session_id = (container.get("Labels") or {}).get(labels_mod.SESSION, "")
        by_session.setdefault(session_id, []).append(container)

    for session_id, found in sorted(by_session.items()):
        if store.exists(session_id):
            _collect_transient(engine, store, session_id, report)
            continue
        for container in found:
            if now - container.get("Created", now) >= min_age_s:
                engine.remove_container(container["Id"])
                report.containers.append(container["Id"])

    _collect_volumes(engine, store, now, min_age_s, report)
    for path in store.orphan_dirs(min_age_s):
        remove_tree(path)
        report.dirs.append(str(path))
    log.info(
        "gc removed %d container(s), %d volume(s), %d dir(s)",
        len(report.containers),
        len(report.volumes),
        len(report.dirs),
    )
    return report


def _collect_transient(
    engine: Engine, store: Store, session_id: str, report: GcReport
) -> None:
    with unowned(store.path(session_id)) as free:
        if not free:
            return
        # Listed again under the lock: nothing new can appear while we hold it.
        found = engine.call(
            engine.api.containers,
            all=True,
            filters=_filters(store.data_root, session_id),
        )
        for container in found:
            role = (container.get("Labels") or {}).get(labels_mod.ROLE)
            if role in TRANSIENT_ROLES:
                engine.remove_container(container["Id"])
                report.containers.append(container["Id"])


def _collect_volumes(
    engine: Engine, store: Store, now: float, min_age_s: float, report: GcReport
) -> None:
    answer = engine.call(engine.api.volumes, filters=_filters(store.data_root))
    for volume in answer.get("Volumes") or []:
        session_id = (volume.get("Labels") or {}).get(labels_mod.SESSION, "")
        if store.exists(session_id) or now - _created(volume) < min_age_s:
            continue
        try:
            engine.call(engine.api.remove_volume, volume["Name"], force=True)
            report.volumes.append(volume["Name"])
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            log.warning("could not remove volume %s: %s", volume["Name"], error)


def _created(volume: dict[str, Any]) -> float:
    text = volume.get("CreatedAt") or ""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
