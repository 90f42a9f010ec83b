"""Sessions: a folder, its workspace in the sandbox, and the runner that serves it."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.changes.changeset import ChangeSet
from workbench.config import Config, SandboxConfig, data_dir, load_config
from workbench.errors import ImageMissing, WorkbenchError
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.gc import OWNER_LOCK, GcReport, collect, remove_session_objects
from workbench.sandbox.runner import ExecResult, Runner, RunnerSpec
from workbench.sandbox.store import SessionRecord, Store
from workbench.sandbox.workspace import (
    OVERLAY_UNSAFE,
    CopyWorkspace,
    OverlayWorkspace,
    Workspace,
    can_write,
    check_folder,
    sandbox_user,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
STRATEGIES = ("auto", "overlay", "copy")


@dataclass(frozen=True)
class SessionInfo:
    """A session as `session list` shows it."""

    id: str
    folder: str
    strategy: str
    created_at: float
    state: str
    image: str
    runtime: str
    network: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "folder": self.folder,
            "strategy": self.strategy,
            "created_at": self.created_at,
            "state": self.state,
            "image": self.image,
            "runtime": self.runtime,
            "network": self.network,
            "notes": list(self.notes),
        }


class _Gate:
    """Commands share the workspace; `quiesced` holds it alone (re-entrant)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._owner: int | None = None
        self._depth = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            me = threading.get_ident()
            while self._owner is not None and self._owner != me:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            while self._owner not in (None, me) or (
                self._owner is None and self._shared
            ):
                self._cond.wait()
            self._owner = me
            self._depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._owner = None
                self._cond.notify_all()


def hold_owner_lock(session_dir: Path) -> int | None:
    """A shared lock that says "a live process uses this session" until closed."""
    try:
        fd = os.open(session_dir / OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        log.warning("no owner lock for %s: %s", session_dir, error)
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


class Session:
    """One session: run commands, read changes, reset paths."""

    def __init__(
        self,
        manager: SessionManager,
        record: SessionRecord,
        workspace: Workspace,
        pool_size: int | None = None,
    ) -> None:
        self._manager = manager
        self._record = record
        self.workspace = workspace
        self.pool_size = pool_size
        self._runner: Runner | None = None
        self._runner_lock = threading.Lock()
        self._gate = _Gate()
        self._lock_fd = hold_owner_lock(workspace.session_dir)

    id = property(lambda self: self._record.id)
    strategy = property(lambda self: self._record.strategy)
    created_at = property(lambda self: self._record.created_at)
    image = property(lambda self: self._record.image)
    runtime = property(lambda self: self._record.runtime)
    network = property(lambda self: self._record.network)
    notes = property(lambda self: list(self._record.notes))
    uid = property(lambda self: self._record.uid)
    gid = property(lambda self: self._record.gid)

    @property
    def folder(self) -> Path:
        return Path(self._record.folder)

    @property
    def data_dir(self) -> Path:
        return self.workspace.session_dir

    @property
    def config(self) -> SandboxConfig:
        return replace(
            self._manager.config.sandbox,
            network=self._record.network,
            runtime=self._record.runtime,
        )

    def limits_summary(self) -> str:
        config = self.config
        memory = config.memory_mb
        size = f"{memory / 1024:g} GiB" if memory >= 1024 else f"{memory} MiB"
        return (
            f"net {config.network} · {config.cpus:g} cpu · {size} · "
            f"pids {config.pids_limit} · {config.timeout_s:g}s"
        )

    def runner(self) -> Runner:
        """The session's runner, made on first use (its pool then starts warming)."""
        with self._runner_lock:
            if self._runner is None:
                spec = RunnerSpec(
                    image=self.image,
                    config=self.config,
                    user=f"{self.uid}:{self.gid}",
                    workspace=self.workspace.mount(),
                    data_root=self._manager.data_root,
                    session_id=self.id,
                    pool_size=self.pool_size,
                )
                self._runner = Runner(self._manager.engine, spec)
            return self._runner

    def exec(
        self,
        command: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[str], None] | None = None,
        on_start: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        stdin: bytes | None = None,
    ) -> ExecResult:
        """Run one command in a fresh container over the workspace; blocking."""
        with self._gate.shared():
            return self.runner().run(
                command,
                timeout=timeout,
                on_output=on_output,
                on_start=on_start,
                cancel=cancel,
                stdin=stdin,
            )

    def changes(self) -> ChangeSet:
        return self.workspace.changes()

    def changes_dir(self) -> Path | None:
        return self.workspace.changes_dir()

    @contextlib.contextmanager
    def quiesced(self) -> Iterator[None]:
        """No container of this session holds the mount; execs wait meanwhile."""
        with self._gate.exclusive():
            runner = self._runner
            if runner is None:
                yield
            else:
                with runner.quiesced():
                    yield

    def reset_paths(self, paths: list[str]) -> None:
        """Make the sandbox's view of these paths equal the folder again."""
        if not paths:
            return
        with self.quiesced():
            self.workspace.reset_paths(list(paths))
        log.info("session %s: reset %d path(s)", self.id, len(paths))

    def close(self) -> None:
        """Release the warm pool and the owner lock; the session stays on disk."""
        with self._runner_lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class SessionManager:
    """Start, find, list, drop and collect sessions of one data dir."""

    def __init__(
        self,
        config: Config | None = None,
        data_root: Path | None = None,
        engine: Engine | None = None,
        pool_size: int | None = None,
    ) -> None:
        self.config = config or load_config()
        self.data_root = data_root or data_dir()
        self.store = Store(self.data_root)
        self.engine = engine or Engine()
        self.pool_size = pool_size

    def start(
        self,
        folder: Path | str,
        strategy: str | None = None,
        progress: Progress | None = None,
    ) -> Session:
        """Make a new session on `folder`; overlay when it can serve, else a copy."""
        resolved = check_folder(Path(folder))
        config = self.config.sandbox
        wanted = strategy or config.workspace_strategy
        if wanted not in STRATEGIES:
            raise WorkbenchError(
                f"Unknown workspace strategy {wanted!r}.",
                "Use auto, overlay or copy ([sandbox] workspace_strategy).",
            )
        image = self._image(progress)
        uid, gid = sandbox_user(resolved)
        chosen, notes = self._choose(wanted, resolved, image, uid, gid)
        for note in notes:
            log.info("session on %s: %s", resolved, note)
            if progress:
                progress(note)

        session_id = self.store.new_id()
        record = SessionRecord(
            id=session_id,
            folder=str(resolved),
            strategy=chosen,
            created_at=time.time(),
            image=image,
            runtime=config.runtime,
            network=config.network,
            uid=uid,
            gid=gid,
            notes=tuple(notes),
            volume=f"workbench-{labels_mod.store_id(self.data_root)[:8]}-{session_id}",
        )
        self.store.save(record)
        workspace = self._workspace(record)
        try:
            workspace.create(progress)
        except BaseException:
            workspace.destroy()
            self.store.remove(session_id)
            raise
        extra = list(getattr(workspace, "notes", []))
        record = replace(record, state="ready", notes=record.notes + tuple(extra))
        self.store.save(record)
        log.info("session %s started (%s) on %s", session_id, chosen, resolved)
        return Session(self, record, workspace, self.pool_size)

    def get(self, session_id: str) -> Session:
        """Reopen a session from disk; raises SessionNotFound."""
        record = self.store.load(session_id)
        return Session(self, record, self._workspace(record), self.pool_size)

    def list(self) -> list[SessionInfo]:
        infos = []
        for session_id in self.store.ids():
            try:
                r = self.store.load(session_id)
            except WorkbenchError:
                continue
            infos.append(
                SessionInfo(
                    r.id,
                    r.folder,
                    r.strategy,
                    r.created_at,
                    r.state,
                    r.image,
                    r.runtime,
                    r.network,
                    r.notes,
                )
            )
        return sorted(infos, key=lambda info: info.created_at)

    def drop(self, session_id: str) -> None:
        """Remove a session: its containers, its volume and its directory."""
        record = self.store.load(session_id)
        remove_session_objects(self.engine, self.data_root, record.id)
        self._workspace(record).destroy()
        self.store.remove(record.id)
        log.info("session %s dropped", session_id)

    def gc(self, min_age_s: float = 30.0) -> GcReport:
        """Collect objects of sessions that are gone; see workbench.sandbox.gc."""
        return collect(self.engine, self.store, min_age_s)

    def _workspace(self, record: SessionRecord) -> Workspace:
        labels = labels_mod.labels_for(self.data_root, record.id, "workspace")
        args = (
            self.engine,
            Path(record.folder),
            self.store.path(record.id),
            labels,
            record.uid,
            record.gid,
            record.volume,
        )
        kind = OverlayWorkspace if record.strategy == "overlay" else CopyWorkspace
        return kind(*args, config=self.config.sandbox, image=record.image)

    def _image(self, progress: Progress | None) -> str:
        """The configured image, or the sandbox image built on first use."""
        from workbench.sandbox import image as image_mod

        configured = self.config.sandbox.image
        if not configured:
            return image_mod.ensure_image(self.engine, progress or log.info)
        if not self.engine.has_image(configured):
            raise ImageMissing(
                f"The configured sandbox image {configured} is not on the engine.",
                "Build it, or remove [sandbox] image from the config.",
            )
        return configured

    def _choose(
        self, wanted: str, folder: Path, image: str, uid: int, gid: int
    ) -> tuple[str, list[str]]:
        """The strategy to use and the notes a user should read about it."""
        if wanted == "copy":
            return "copy", []
        reason = self._overlay_obstacle(folder, image)
        if wanted == "overlay":
            if reason:
                raise WorkbenchError(
                    f"The overlay workspace cannot serve: {reason}.",
                    "Use the copy strategy: --strategy copy.",
                )
            return "overlay", []
        if not reason and not can_write(folder, uid, gid):
            reason = (
                f"the sandbox user {uid}:{gid} cannot write the folder "
                f"(owned by {folder.stat().st_uid})"
            )
        if reason:
            return "copy", [f"Copied the folder into the sandbox: {reason}."]
        return "overlay", []

    def _overlay_obstacle(self, folder: Path, image: str) -> str:
        if not self.engine.is_local():
            return "the Docker engine is not on this machine"
        root = self.data_root.resolve() if self.data_root.exists() else self.data_root
        if root.is_relative_to(folder) or folder.is_relative_to(root):
            return "the folder and the data dir overlap"
        if OVERLAY_UNSAFE.intersection(str(self.store.root)):
            return "the data dir's path has characters overlay options cannot carry"
        if not self.engine.overlay_volumes_work(image, self.data_root):
            return "overlay mounts do not work on this engine"
        return ""
