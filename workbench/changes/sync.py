"""Sync-back: carry out an ApplyPlan as one journaled transaction, and undo it.

Before the folder is touched, every destination is checked again, each path the
plan touches is backed up and every new content is staged in the journal. Then
each step runs atomically (temp file, fsync, rename) with the log recording how
far it got, so an apply cut off at any point is finished or rolled back by
`recover`, and `undo` puts the folder back as it was, deletions included.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from workbench.changes import fsops
from workbench.changes.conflicts import FolderWatcher, find_conflicts, signature
from workbench.changes.journal import Journal, Original, Step, Transaction, checkpoint
from workbench.changes.plan import Action, ApplyPlan, Refusal, build_plan
from workbench.changes.review import Review
from workbench.config import ReviewConfig
from workbench.errors import WorkbenchError

log = logging.getLogger(__name__)

__all__ = [
    "Action",
    "ApplyPlan",
    "Refusal",
    "SyncError",
    "apply_plan",
    "build_plan",
    "recover",
    "undo",
]


class SyncError(WorkbenchError):
    """An apply or undo could not run; the folder is as it was, or recoverable."""


def apply_plan(
    plan: ApplyPlan, journal: Journal, config: ReviewConfig | None = None
) -> Transaction:
    """Write the plan's actions to the folder as one transaction; returns its record."""
    config = config or ReviewConfig()
    if journal.incomplete() is not None:
        raise SyncError(
            "An earlier apply or undo was interrupted and is not settled yet.",
            "Run `workbench session undo ID` to roll it back, or "
            "`workbench session apply ID --finish` to complete it.",
        )
    if plan.empty:
        raise SyncError("Nothing to apply.", "Accept some changes first.")

    txn = journal.begin(plan.folder)
    try:
        _prepare(txn, plan, config)
    except (fsops.UnsafePath, OSError) as error:
        txn.record("abandoned")
        raise SyncError(
            f"Nothing was applied: {error}", "Review the changes again."
        ) from error
    txn.record("prepared")

    try:
        _run_steps(txn, done=set())
    except (fsops.UnsafePath, OSError) as error:
        log.exception("apply %s failed; rolling back", txn.id)
        _restore(txn, "rolled-back")
        raise SyncError(
            f"The apply failed and was rolled back: {error}",
            "Your folder is as it was; check the path and try again.",
        ) from error
    txn.record("committed")
    _settle(txn, journal)
    return txn


def undo(journal: Journal) -> Transaction:
    """Put back every path the newest committed apply touched."""
    if journal.incomplete() is not None:
        raise SyncError(
            "An earlier apply or undo was interrupted and is not settled yet.",
            "Run `workbench session undo ID` again to roll it back first.",
        )
    txn = journal.last_committed()
    if txn is None:
        raise SyncError("Nothing to undo: no apply is recorded for this session.")
    _restore(txn, "undone")
    _settle(txn, journal)
    return txn


def recover(
    journal: Journal, action: Literal["finish", "rollback"] = "rollback"
) -> Transaction | None:
    """Settle an interrupted apply (finish or roll back) or undo; None if none."""
    txn = journal.incomplete()
    if txn is None:
        return None
    state = txn.state
    if state == "preparing":
        txn.record("abandoned")  # nothing in the folder was touched yet
    elif state == "undoing":
        committed = "committed" in txn.entries()
        _restore(txn, "undone" if committed else "rolled-back")
    elif action == "finish":
        _run_steps(txn, done=txn.done_steps())
        txn.record("committed")
    else:
        _restore(txn, "rolled-back")
    _settle(txn, journal)
    return txn


def _prepare(txn: Transaction, plan: ApplyPlan, config: ReviewConfig) -> None:
    """Check every destination again, back up what will change and stage new content."""
    folder = plan.folder
    planned_dirs: set[str] = set()
    originals: dict[str, Original] = {}
    for index, action in enumerate(plan.actions):
        problem = fsops.name_problem(action.path) or fsops.parent_problem(
            folder, action.path, planned_dirs
        )
        if problem:
            raise fsops.UnsafePath(f"{action.path!r}: {problem}")
        if action.path not in originals:
            deep = action.op == "delete"
            originals[action.path] = _snapshot(txn, folder, action.path, index, deep)
        staged = _stage(txn, action, index, config) if action.op == "write" else None
        txn.steps.append(
            Step(index, action.op, action.path, action.mode, staged, action.link_target)
        )
        if action.op == "mkdir":
            planned_dirs.add(action.path)
    txn.originals = list(originals.values())
    txn.settles = sorted({*plan.applied_paths, *plan.rejected_paths})
    txn.save()


def _snapshot(
    txn: Transaction, folder: Path, path: str, index: int, deep: bool
) -> Original:
    entry = folder / path
    try:
        info = os.lstat(entry)
    except (FileNotFoundError, NotADirectoryError):
        return Original(path, "missing")
    mode, mtime = stat.S_IMODE(info.st_mode), info.st_mtime_ns
    backup = f"{index}"
    if stat.S_ISLNK(info.st_mode):
        return Original(path, "symlink", link_target=os.readlink(entry))
    if stat.S_ISDIR(info.st_mode):
        if not deep:
            return Original(path, "dir", mode, mtime)
        special = fsops.special_entries(entry)
        if special:
            raise fsops.UnsafePath(f"{path!r} holds a special file ({special[0]})")
        fsops.backup_tree(entry, txn.backup_dir / backup)
        return Original(path, "dir", mode, mtime, backup=backup)
    if not stat.S_ISREG(info.st_mode):
        raise fsops.UnsafePath(f"{path!r} in your folder is a special file")
    with fsops.open_folder(folder) as folder_fd:
        with fsops.parent_dir(folder_fd, path) as (dir_fd, name):
            fsops.copy_out(dir_fd, name, txn.backup_dir / backup)
    return Original(path, "file", mode, mtime, backup=backup)


def _stage(txn: Transaction, action: Action, index: int, config: ReviewConfig) -> str:
    staged = txn.staged_dir / f"{index}"
    if action.data is not None:
        with open(staged, "wb") as out:
            out.write(action.data)
            out.flush()
            os.fsync(out.fileno())
        return staged.name
    if action.source is None:
        raise fsops.UnsafePath(f"{action.path!r}: the agent's version is missing")
    # The agent's file is read without following links, and only if still regular.
    fd = os.open(action.source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > config.max_file_bytes:
            raise fsops.UnsafePath(f"{action.path!r}: not a regular file within limits")
        with open(staged, "wb") as out:
            while chunk := handle.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    return staged.name


def _run_steps(txn: Transaction, done: set[int]) -> None:
    with fsops.open_folder(txn.folder) as folder_fd:
        for step in txn.steps:
            if step.index in done:
                continue
            txn.record(f"begin {step.index}")
            with fsops.parent_dir(folder_fd, step.path) as (dir_fd, name):
                _do(txn, step, dir_fd, name)
            txn.record(f"done {step.index}")


def _do(txn: Transaction, step: Step, dir_fd: int, name: str) -> None:
    if step.op == "write":
        fsops.write_file_at(
            dir_fd,
            name,
            txn.staged_dir / (step.staged or ""),
            step.mode if step.mode is not None else 0o644,
            txn.temp_name("tmp"),
            before_rename=lambda: checkpoint(f"staged:{step.index}"),
        )
    elif step.op == "symlink":
        fsops.symlink_at(dir_fd, name, step.link_target or "", txn.temp_name("tmp"))
    elif step.op == "mkdir":
        fsops.mkdir_at(dir_fd, name, step.mode if step.mode is not None else 0o755)
    elif step.op == "delete":
        fsops.remove_at(dir_fd, name, txn.temp_name("trash"))
    elif step.op == "chmod":
        fsops.chmod_at(dir_fd, name, step.mode if step.mode is not None else 0o644)
    else:
        raise ValueError(f"unknown step {step.op}")


def _restore(txn: Transaction, marker: str) -> None:
    """Put every touched path back as it was before the transaction."""
    txn.record("undo-begin")
    ordered = sorted(txn.originals, key=lambda o: PurePosixPath(o.path).parts)
    with fsops.open_folder(txn.folder) as folder_fd:
        for original in reversed(ordered):
            _clear(txn, folder_fd, original)
        for original in ordered:
            if original.type != "missing":
                with fsops.parent_dir(folder_fd, original.path) as (dir_fd, name):
                    _put_back(txn, original, dir_fd, name)
        _clean_temps(txn, folder_fd)
    txn.record(marker)


def _clear(txn: Transaction, folder_fd: int, original: Original) -> None:
    """Remove what the transaction left where something else (or nothing) was."""
    try:
        with fsops.parent_dir(folder_fd, original.path) as (dir_fd, name):
            info = fsops.lstat_at(dir_fd, name)
            if info is None:
                return
            kind = _kind(info.st_mode)
            if original.type != "missing" and kind == original.type:
                return
            if kind == "dir":
                if not fsops.rmdir_if_empty(dir_fd, name):
                    log.warning(
                        "kept %s: it holds entries the apply did not make", name
                    )
            else:
                os.unlink(name, dir_fd=dir_fd)
    except (FileNotFoundError, NotADirectoryError, fsops.UnsafePath):
        return  # its parent is gone or replaced: nothing of ours is there


def _put_back(txn: Transaction, original: Original, dir_fd: int, name: str) -> None:
    temp = txn.temp_name("tmp")
    backup = txn.backup_dir / (original.backup or "")
    if original.type == "file":
        mode = original.mode if original.mode is not None else 0o644
        fsops.write_file_at(dir_fd, name, backup, mode, temp, original.mtime_ns)
    elif original.type == "symlink":
        info = fsops.lstat_at(dir_fd, name)
        same = info is not None and stat.S_ISLNK(info.st_mode)
        if not same or os.readlink(name, dir_fd=dir_fd) != original.link_target:
            fsops.symlink_at(dir_fd, name, original.link_target or "", temp)
    elif original.backup:
        fsops.restore_tree(dir_fd, name, backup, temp)
    else:
        fsops.mkdir_at(
            dir_fd, name, original.mode if original.mode is not None else 0o755
        )


def _clean_temps(txn: Transaction, folder_fd: int) -> None:
    parents = {str(PurePosixPath(o.path).parent) for o in txn.originals}
    for parent in parents:
        probe = "x" if parent == "." else f"{parent}/x"
        try:
            with fsops.parent_dir(folder_fd, probe) as (dir_fd, _):
                for kind in ("tmp", "trash"):
                    fsops.remove_at(dir_fd, txn.temp_name(kind), txn.temp_name(kind))
        except (FileNotFoundError, NotADirectoryError, fsops.UnsafePath):
            continue


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "special"


def _settle(txn: Transaction, journal: Journal) -> None:
    """Record what the folder now holds at each touched path; drop staged copies."""
    journal.remember({o.path: signature(txn.folder / o.path) for o in txn.originals})
    if txn.state in ("committed", "undone", "rolled-back", "abandoned"):
        for staged in txn.staged_dir.glob("*"):
            staged.unlink(missing_ok=True)


def touched_paths(txn: Transaction) -> list[str]:
    return [original.path for original in txn.originals]


# The session-level calls the TUI and the CLI use.


def journal_for(session: Any) -> Journal:
    """The journal of a session's applies, in its data dir."""
    return Journal(Path(session.data_dir) / "sync")


def review_session(
    session: Any,
    watcher: FolderWatcher | None = None,
    config: ReviewConfig | None = None,
) -> Review:
    """A fresh review of the session's changes, with conflicts marked."""
    changes = session.changes()
    conflicts = find_conflicts(
        changes,
        session.created_at,
        watched=watcher.changed() if watcher else (),
        written=journal_for(session).written(),
    )
    return Review.build(changes, config, conflicts)


def changes_json(session: Any, watcher: FolderWatcher | None = None) -> list[dict]:
    """Per changed path: kind, flags and conflict, for `session changes --json`."""
    return review_session(session, watcher).to_json()


def apply_to_session(
    session: Any, plan: ApplyPlan, config: ReviewConfig | None = None
) -> Transaction:
    """Apply a plan, then make the sandbox see the folder for every settled path.

    Accepted changes become the new base and rejected ones are discarded;
    pending and refused ones stay in the sandbox for a later review.
    """
    journal = journal_for(session)
    with session.quiesced():
        txn = apply_plan(plan, journal, config)
        _reset(session, txn.settles)
    return txn


def undo_session(session: Any) -> Transaction:
    """Undo the newest apply (or settle an interrupted one by rolling it back)."""
    journal = journal_for(session)
    with session.quiesced():
        txn = recover(journal, "rollback") or undo(journal)
        # A rolled-back apply never reset the sandbox, so its changes stay there.
        if txn.state == "undone":
            _reset(session, touched_paths(txn))
    return txn


def finish_session(session: Any) -> Transaction | None:
    """Complete an interrupted apply; None when there was none."""
    with session.quiesced():
        txn = recover(journal_for(session), "finish")
        if txn is not None and txn.state == "committed":
            _reset(session, txn.settles)
    return txn


def _reset(session: Any, paths: Iterable[str]) -> None:
    unique = sorted(set(paths))
    if unique:
        session.reset_paths(unique)
