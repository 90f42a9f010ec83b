"""The apply plan: exactly what syncing the accepted decisions would do.

`build_plan` lists what will be written, created, deleted, chmod'ed and
refused (with the reason), checking names, types, link targets, sizes and every
parent in the folder with lstat. `workbench.changes.sync` carries it out.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from workbench.changes import fsops
from workbench.changes.review import FileReview, Review
from workbench.config import ReviewConfig

log = logging.getLogger(__name__)

Category = Literal["write", "create", "delete", "chmod"]
_SPECIAL = ("fifo", "socket", "char", "block")


@dataclass(frozen=True)
class Action:
    """One step the apply will take on the folder."""

    category: Category
    op: str  # "write", "symlink", "mkdir", "delete", "chmod"
    path: str
    mode: int | None = None
    data: bytes | None = None  # new content held in memory (merged text)
    source: Path | None = None  # or a file holding the new content
    link_target: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Refusal:
    path: str
    reason: str


@dataclass(frozen=True)
class ApplyPlan:
    """Exactly what an apply does; show it, then pass it to `apply_plan`."""

    folder: Path
    actions: tuple[Action, ...] = ()
    refused: tuple[Refusal, ...] = ()
    applied_paths: tuple[str, ...] = ()  # change-set paths the apply settles
    rejected_paths: tuple[str, ...] = ()  # change-set paths the user rejected

    def of(self, category: Category) -> list[Action]:
        return [action for action in self.actions if action.category == category]

    @property
    def empty(self) -> bool:
        return not self.actions

    def describe(self) -> list[str]:
        """The plan as lines for a terminal or a confirmation dialog."""
        verbs = {
            "write": "write",
            "create": "create",
            "delete": "delete",
            "chmod": "chmod",
        }
        lines = []
        for action in self.actions:
            detail = f" ({action.note})" if action.note else ""
            mode = (
                f" {action.mode:o}"
                if action.category == "chmod" and action.mode
                else ""
            )
            lines.append(f"{verbs[action.category]:<7}{mode} {action.path!r}{detail}")
        for refusal in self.refused:
            lines.append(f"refuse  {refusal.path!r}: {refusal.reason}")
        return lines


@dataclass
class _Planner:
    review: Review
    config: ReviewConfig
    folder: Path
    actions: list[Action] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    planned_dirs: set[str] = field(default_factory=set)
    removed_trees: set[str] = field(default_factory=set)
    created: dict[str, set[str]] = field(default_factory=dict)  # parent -> casefolded

    def refuse(self, path: str, reason: str) -> None:
        self.refused.append(Refusal(path, reason))


def build_plan(review: Review, config: ReviewConfig | None = None) -> ApplyPlan:
    """What applying the review's accepted parts would do, refusals included."""
    planner = _Planner(
        review, config or review.config, Path(os.path.realpath(review.folder))
    )
    applied, rejected = [], []
    for item in sorted(review.files, key=lambda f: PurePosixPath(f.path).parts):
        if item.kind == "deleted" and _under_removed(planner, item.path):
            applied.append(item.path)  # gone with the directory above it
            continue
        if not item.accepted_any:
            if item.decision == "rejected":
                rejected.append(item.path)
            continue
        before = len(planner.actions)
        reason = _item_problem(planner, item)
        if reason:
            planner.refuse(item.path, reason)
            continue
        _plan_item(planner, item)
        if len(planner.actions) > before or item.decision == "rejected":
            applied.append(item.path)
    return ApplyPlan(
        folder=planner.folder,
        actions=tuple(planner.actions),
        refused=tuple(planner.refused),
        applied_paths=tuple(applied),
        rejected_paths=tuple(rejected),
    )


def _item_problem(planner: _Planner, item: FileReview) -> str:
    change = item.change
    problem = fsops.name_problem(change.path)
    if problem:
        return problem
    if item.conflict is not None and item.resolution is None:
        return f"Conflict: {item.conflict.reason} Resolve it first."
    if change.kind != "deleted" and change.new_type in _SPECIAL:
        return f"A {change.new_type}: special files are never written to your folder."
    if change.kind != "deleted" and change.new_type == "symlink":
        problem = _link_problem(planner, change.path, change.link_target or "")
        if problem:
            return problem
    if change.new_type == "file" and (change.size or 0) > planner.config.max_file_bytes:
        return (
            f"Larger than the {planner.config.max_file_bytes} byte limit "
            "([review] max_file_bytes)."
        )
    problem = fsops.parent_problem(planner.folder, change.path, planner.planned_dirs)
    if problem:
        return problem
    if change.kind == "deleted" or change.type_changed:
        problem = _tree_problem(planner, item)
        if problem:
            return problem
    return _collision(planner, change.path)


def _tree_problem(planner: _Planner, item: FileReview) -> str:
    """Why a directory cannot go as a whole, "" when it can (or is no directory)."""
    entry = planner.folder / item.path
    if not entry.is_dir() or entry.is_symlink():
        return ""
    special = fsops.special_entries(entry)
    if special:
        return f"The directory holds special files ({special[0]}) to keep."
    prefix = item.path + "/"
    for other in planner.review.files:
        if other.path.startswith(prefix) and other.decision != "accepted":
            return f"Removing it would also remove {other.path!r}, not accepted."
    planner.removed_trees.add(item.path)
    return ""


def _under_removed(planner: _Planner, path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(
        "/".join(parts[:depth]) in planner.removed_trees
        for depth in range(1, len(parts))
    )


def _link_problem(planner: _Planner, path: str, target: str) -> str:
    if not target or target.startswith("/"):
        return f"A symbolic link to the absolute path {target!r}: outside your folder."
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if joined == ".." or joined.startswith("../"):
        return f"A symbolic link to {target!r}, which is outside your folder."
    # Only a chain of plain names is checked; a link through a link is refused.
    parts = PurePosixPath(joined).parts
    links = {f.path for f in planner.review.files if f.change.new_type == "symlink"}
    for depth in range(len(parts)):
        prefix = "/".join(parts[: depth + 1])
        if prefix in links or (planner.folder / prefix).is_symlink():
            return f"A symbolic link to {target!r} through another link."
    return ""


def _collision(planner: _Planner, path: str) -> str:
    parent, _, name = path.rpartition("/")
    taken = planner.created.setdefault(parent, set())
    folded = name.casefold()
    directory = planner.folder / parent if parent else planner.folder
    if folded in taken:
        return "Collides with another new name on a case-insensitive filesystem."
    if directory.is_dir() and not os.path.lexists(directory / name):
        for sibling in os.listdir(directory):
            if sibling.casefold() == folded:
                return f"Collides with {sibling!r} on a case-insensitive filesystem."
    taken.add(folded)
    return ""


def _plan_item(planner: _Planner, item: FileReview) -> None:
    change = item.change
    entry = planner.folder / change.path
    exists = os.path.lexists(entry)
    if change.kind == "deleted":
        if item.whole == "accepted" and exists:
            planner.actions.append(Action("delete", "delete", change.path))
        return
    _plan_parents(planner, change.path)
    replacing = change.kind == "modified" and change.type_changed
    whole = item.whole == "accepted"
    if replacing and not whole:
        return
    if replacing and exists:
        planner.actions.append(Action("delete", "delete", change.path, note="replaced"))
        exists = False
    category: Category = "write" if exists else "create"
    mode, note = _safe_mode(change.new_mode, change.new_type)
    if change.kind == "modified" and not replacing and item.mode_change and not whole:
        mode = stat.S_IMODE(change.old_mode or 0)
    if change.new_type == "dir":
        planner.planned_dirs.add(change.path)
        if not exists:
            planner.actions.append(
                Action("create", "mkdir", change.path, mode, note=note)
            )
        elif whole and item.mode_change:
            planner.actions.append(
                Action("chmod", "chmod", change.path, mode, note=note)
            )
        return
    if change.new_type == "symlink":
        planner.actions.append(
            Action(category, "symlink", change.path, link_target=change.link_target)
        )
        return
    if change.nlink > 1 or change.hardlink_of:
        note = ", ".join(filter(None, [note, "hard link written as a copy"]))
    _plan_file(planner, item, category, mode, note, exists)


def _plan_file(
    planner: _Planner,
    item: FileReview,
    category: Category,
    mode: int,
    note: str,
    exists: bool,
) -> None:
    change = item.change
    if item.hunks:
        if "accepted" not in item.hunk_decisions:
            if exists and item.whole == "accepted" and item.mode_change:
                planner.actions.append(
                    Action("chmod", "chmod", change.path, mode, note=note)
                )
            return
        text = item.merged_text() or ""
        if exists and text == "".join(item.old_lines) and not item.mode_change:
            return
        if len(item.edits):
            note = ", ".join(filter(None, [note, "edited"]))
        planner.actions.append(
            Action(
                category,
                "write",
                change.path,
                mode,
                data=text.encode("utf-8"),
                note=note,
            )
        )
        return
    if item.whole != "accepted":
        return
    same_content = (
        change.kind == "modified"
        and not change.type_changed
        and (not item.binary and item.old_lines == item.new_lines)
    )
    if same_content and exists:
        planner.actions.append(Action("chmod", "chmod", change.path, mode, note=note))
        return
    planner.actions.append(
        Action(category, "write", change.path, mode, source=change.new_path, note=note)
    )


def _plan_parents(planner: _Planner, path: str) -> None:
    parts = PurePosixPath(path).parts[:-1]
    for depth in range(len(parts)):
        prefix = "/".join(parts[: depth + 1])
        if prefix in planner.planned_dirs or os.path.isdir(planner.folder / prefix):
            continue
        change = planner.review.changes.get(prefix)
        mode, note = _safe_mode(change.new_mode if change else 0o755, "dir")
        planner.planned_dirs.add(prefix)
        planner.actions.append(Action("create", "mkdir", prefix, mode, note="parent"))


def _safe_mode(mode: int | None, kind: str | None) -> tuple[int, str]:
    """Permission bits to write: setuid and setgid always dropped (and said so)."""
    default = 0o755 if kind == "dir" else 0o644
    bits = stat.S_IMODE(mode) if mode is not None else default
    note = "setuid/setgid stripped" if bits & (stat.S_ISUID | stat.S_ISGID) else ""
    bits &= ~(stat.S_ISUID | stat.S_ISGID)
    if kind != "dir":
        bits &= ~stat.S_ISVTX
    return bits, note
