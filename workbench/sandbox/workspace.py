"""The agent's copy-on-write view of the user's folder, mounted at /workspace.

Two strategies share one interface: `overlay` (the folder is the read-only
lower layer of an overlayfs volume; the session's upper dir is the change set)
and `copy` (the folder is copied into a session volume through the engine's
API; changes are read back by comparing with a manifest of what was copied).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import shutil
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import docker.errors
import docker.types

from workbench.changes.changeset import (
    OPAQUE_XATTRS,
    ChangeSet,
    Entry,
    changes_from_manifests,
    changes_from_upper,
    is_opaque,
    mode_type,
)
from workbench.config import SandboxConfig
from workbench.errors import FolderError, WorkbenchError
from workbench.sandbox import labels as labels_mod
from workbench.sandbox import profile
from workbench.sandbox.engine import Engine
from workbench.sandbox.store import remove_tree

log = logging.getLogger(__name__)

FALLBACK_UID = 10001
OVERLAY_UNSAFE = set(",:\\=\"' \t\n")
Progress = Callable[[str], None]


def sandbox_user(folder: Path) -> tuple[int, int]:
    """The folder owner's uid:gid, else the invoking user's, else 10001; never 0."""
    st = folder.stat()
    if st.st_uid != 0:
        return st.st_uid, st.st_gid or st.st_uid
    uid, gid = os.getuid(), os.getgid()
    if uid != 0:
        return uid, gid or uid
    return FALLBACK_UID, FALLBACK_UID


def check_folder(folder: Path) -> Path:
    """The folder, resolved; a FolderError when it is missing or unreadable."""
    hint = "Pass a folder that exists and that you can read."
    try:
        resolved = folder.expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise FolderError(f"The folder {folder} does not exist.", hint) from error
    if not resolved.is_dir():
        raise FolderError(f"{folder} is not a folder.", hint)
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise FolderError(f"The folder {folder} cannot be read.", hint)
    return resolved


def can_write(folder: Path, uid: int, gid: int) -> bool:
    """Whether uid:gid may create files in the folder (its root is checked only)."""
    st = folder.stat()
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid == gid:
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def workspace_mount(volume: str) -> docker.types.Mount:
    return docker.types.Mount(target=profile.WORKSPACE, source=volume, type="volume")


class Workspace(ABC):
    """One session's view of the folder; `strategy` says how it is made."""

    strategy = ""

    def __init__(
        self,
        engine: Engine,
        folder: Path,
        session_dir: Path,
        labels: dict[str, str],
        uid: int,
        gid: int,
        volume: str,
        *,
        config: SandboxConfig,
        image: str,
    ) -> None:
        self.engine = engine
        self.folder = folder
        self.session_dir = session_dir
        self.labels = dict(labels)
        self.uid = uid
        self.gid = gid
        self.volume = volume
        self.config = config  # for the helper containers, hardened the same way
        self.image = image

    def mount(self) -> docker.types.Mount:
        """The mount every sandbox container of the session gets."""
        return workspace_mount(self.volume)

    @abstractmethod
    def create(self, progress: Progress | None = None) -> None:
        """Make the volume (and host dirs) for a new session."""

    @abstractmethod
    def changes(self) -> ChangeSet:
        """What differs between the folder and the sandbox's view."""

    def changes_dir(self) -> Path | None:
        """A host dir that changes as the sandbox writes, when there is one."""
        return None

    @abstractmethod
    def reset_paths(self, paths: list[str]) -> None:
        """Make the sandbox's view of these paths equal the folder again."""

    def destroy(self) -> None:
        """Remove the workspace volume; the session dir is the store's."""
        try:
            self.engine.call(self.engine.api.remove_volume, self.volume, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            log.warning("could not remove volume %s: %s", self.volume, error)


def _rel_parts(path: str) -> str:
    """A path relative to the workspace, refusing anything that climbs out."""
    rel = Path(path.lstrip("/"))
    if not rel.parts or ".." in rel.parts:
        raise ValueError(f"not a workspace path: {path!r}")
    return rel.as_posix()


# --- overlay ------------------------------------------------------------------


class OverlayWorkspace(Workspace):
    """The folder as the read-only lower layer; writes land in the upper dir."""

    strategy = "overlay"

    @property
    def upper(self) -> Path:
        return self.session_dir / "upper"

    @property
    def work(self) -> Path:
        return self.session_dir / "work"

    def lowerdir(self) -> str:
        """The folder, or a symlink with a safe name when its path has unsafe chars."""
        if not OVERLAY_UNSAFE.intersection(str(self.folder)):
            return str(self.folder)
        link = self.session_dir / "lower"
        if not os.path.lexists(link):
            link.symlink_to(self.folder)
        return str(link)

    def options(self) -> str:
        opts = f"lowerdir={self.lowerdir()},upperdir={self.upper},workdir={self.work}"
        # Renames of directories copy instead of leaving redirects, and chmod
        # copies data up, so the upper dir alone reads as plain files. With
        # userxattr, redirects are never created and the opaque marks are
        # user.* xattrs a non-root host user can read and write.
        params = Path("/sys/module/overlay/parameters")
        if _userxattr_supported():
            opts += ",userxattr"
            names: tuple[str, ...] = ("metacopy",)
        else:
            names = ("redirect_dir", "metacopy")
        for name in names:
            if (params / name).exists():
                opts += f",{name}=off"
        return opts

    def create(self, progress: Progress | None = None) -> None:
        for path in (self.upper, self.work):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, self.uid, self.gid)
        # The upper dir's root is the merged root: it carries the folder's mode.
        os.chmod(self.upper, stat.S_IMODE(self.folder.stat().st_mode))
        self.engine.create_volume(
            self.labels,
            name=self.volume,
            driver_opts={"type": "overlay", "device": "overlay", "o": self.options()},
        )

    def destroy(self) -> None:
        """Remove the volume, after a last mount has emptied overlay's work dir.

        Overlay may leave root-owned whiteouts in work/work, which a non-root
        host user cannot delete; mounting the volume once more has the kernel
        clear them, so the session dir can then be removed.
        """
        if os.geteuid() != 0 and (self.work / "work").exists():
            self._mount_once()
        super().destroy()

    def _mount_once(self) -> None:
        labels = {**self.labels, labels_mod.ROLE: "helper"}
        kwargs = profile.container_kwargs(
            self.config, self.image, f"{self.uid}:{self.gid}", self.mount(), labels
        )
        container = self.engine.create_container(**{**kwargs, "command": ["true"]})
        try:
            self.engine.call(container.start)
            self.engine.call(container.wait, timeout=60)
        except (docker.errors.APIError, OSError) as error:
            log.warning("could not remount %s to clean it: %s", self.volume, error)
        finally:
            self.engine.remove_container(container.id)

    def changes(self) -> ChangeSet:
        return changes_from_upper(self.folder, self.upper)

    def changes_dir(self) -> Path | None:
        return self.upper

    def reset_paths(self, paths: list[str]) -> None:
        """Drop upper entries; call only while no container holds the mount."""
        for path in paths:
            rel = _rel_parts(path)
            if self._in_upper_dirs(rel):
                remove_tree(self.upper / rel)
            if os.path.lexists(self.folder / rel) and not self._lower_visible(rel):
                self._copy_in(rel)

    def _in_upper_dirs(self, rel: str) -> bool:
        """Whether every ancestor of `rel` in upper is a real directory.

        The agent may have turned an ancestor into a symlink to anywhere on the
        host; under a link or a file the path is not in upper, so nothing goes.
        """
        here = self.upper
        for part in Path(rel).parts[:-1]:
            here = here / part
            try:
                if not stat.S_ISDIR(os.lstat(here).st_mode):
                    return False
            except FileNotFoundError:
                return False
        return True

    def _lower_visible(self, rel: str) -> bool:
        """Whether the view shows the lower path: no ancestor in upper hides it."""
        here = self.upper
        for part in Path(rel).parts[:-1]:
            here = here / part
            try:
                st = os.lstat(here)
            except FileNotFoundError:
                return True
            if not stat.S_ISDIR(st.st_mode) or is_opaque(here):
                return False
        return True

    def _copy_in(self, rel: str) -> None:
        """Copy one folder path into upper, turning hiding ancestors into dirs."""
        here, lower = self.upper, self.folder
        for part in Path(rel).parts[:-1]:
            here, lower = here / part, lower / part
            st = os.lstat(here) if os.path.lexists(here) else None
            if st is not None and not stat.S_ISDIR(st.st_mode):
                os.unlink(here)
                st = None
            if st is None:
                here.mkdir(mode=0o700)
                os.setxattr(here, opaque_xattr(), b"y")
                os.chmod(here, stat.S_IMODE(lower.stat().st_mode))
                os.chown(here, self.uid, self.gid)
        source, target = self.folder / rel, self.upper / rel
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target, follow_symlinks=False)
        for root, dirs, files in os.walk(target):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, self.uid, self.gid)


def _userxattr_supported() -> bool:
    """Overlay's `userxattr` mount option exists from Linux 5.11 on."""
    release = os.uname().release.split("-")[0].split(".")
    try:
        major, minor = int(release[0]), int(release[1])
    except (IndexError, ValueError):
        return False
    return (major, minor) >= (5, 11)


def opaque_xattr() -> str:
    """The xattr that marks an opaque directory in this host's overlay mounts."""
    return OPAQUE_XATTRS[0] if _userxattr_supported() else OPAQUE_XATTRS[1]


# --- copy ---------------------------------------------------------------------

MANIFEST = "manifest.json"

# Runs in the image's python3: one JSON line per path under /workspace.
_LIST_SCRIPT = r"""
import json, os, stat, sys
root = "/workspace"
def walk(path, rel):
    for e in os.scandir(path):
        r = rel + e.name
        s = e.stat(follow_symlinks=False)
        t = os.readlink(e.path) if stat.S_ISLNK(s.st_mode) else None
        print(json.dumps([r, s.st_mode, s.st_size, s.st_mtime_ns, t, s.st_ino,
                          s.st_nlink]))
        if stat.S_ISDIR(s.st_mode):
            try:
                walk(e.path, r + "/")
            except OSError as err:
                print(json.dumps(["!error", str(err)]), file=sys.stderr)
walk(root, "")
"""


class CopyWorkspace(Workspace):
    """A copy of the folder in a session volume, for engines that cannot see it."""

    strategy = "copy"

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.notes: list[str] = []

    @property
    def changes_root(self) -> Path:
        return self.session_dir / "changes"

    def excluded(self, rel: str) -> bool:
        parts = rel.split("/")
        return any(
            fnmatch.fnmatchcase(part, pattern) or fnmatch.fnmatchcase(rel, pattern)
            for pattern in self.config.excludes
            for part in parts
        )

    def create(self, progress: Progress | None = None) -> None:
        self.engine.create_volume(self.labels, name=self.volume)
        manifest = self._put(None, progress)
        self._save_manifest(manifest)

    def _put(self, only: list[str] | None, progress: Progress | None) -> dict:
        """Copy the folder (or some of its paths) in; the manifest of what went."""
        from workbench.sandbox.copytar import write_tar

        tar_path = self.session_dir / "copy.tar"
        try:
            manifest, skipped = write_tar(
                self.folder, tar_path, self.uid, self.gid, self.excluded, only
            )
            if skipped:
                self.notes.append(
                    f"{len(skipped)} path(s) could not be copied, e.g. {skipped[0]}."
                )
            if progress:
                progress(f"copying {len(manifest)} paths into the session volume")
            with self._helper(start=False) as container, open(tar_path, "rb") as data:
                self.engine.call(self.engine.api.put_archive, container, "/", data)
        finally:
            tar_path.unlink(missing_ok=True)
        return manifest

    @contextmanager
    def _helper(self, start: bool) -> Iterator[str]:
        """A short-lived container with the hardened profile and the volume."""
        labels = {**self.labels, labels_mod.ROLE: "helper"}
        kwargs = profile.container_kwargs(
            self.config, self.image, f"{self.uid}:{self.gid}", self.mount(), labels
        )
        # The copy-in container is never started, and the engine only lets an
        # archive set the owner of /workspace itself through a writable rootfs.
        kwargs["read_only"] = start
        container = self.engine.create_container(**kwargs)
        try:
            if start:
                self.engine.call(container.start)
            yield container.id
        finally:
            self.engine.remove_container(container.id)

    def _save_manifest(self, manifest: dict[str, Entry]) -> None:
        data = {rel: asdict(entry) for rel, entry in manifest.items()}
        scratch = self.session_dir / f".{MANIFEST}.tmp"
        scratch.write_text(json.dumps(data), encoding="utf-8")
        os.replace(scratch, self.session_dir / MANIFEST)

    def _load_manifest(self) -> dict[str, Entry]:
        data = json.loads((self.session_dir / MANIFEST).read_text(encoding="utf-8"))
        return {rel: Entry(**fields) for rel, fields in data.items()}

    def _current(self, container: str) -> dict[str, Entry]:
        """List the volume as it is now, from inside a helper container."""
        exec_id = self.engine.call(
            self.engine.api.exec_create,
            container,
            # Isolated and from /: a module the agent left in /workspace must
            # never be imported in place of the standard library's.
            ["python3", "-I", "-c", _LIST_SCRIPT],
            stdout=True,
            stderr=False,
            workdir="/",
        )
        stream = self.engine.call(self.engine.api.exec_start, exec_id, stream=True)
        current: dict[str, Entry] = {}
        pending = b""
        for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                rel, mode, size, mtime, target, ino, nlink = json.loads(line)
                if self.excluded(rel):
                    continue
                current[rel] = Entry(
                    mode_type(mode),
                    stat.S_IMODE(mode),
                    size,
                    mtime,
                    target,
                    None,
                    ino,
                    nlink,
                )
        status = self.engine.call(self.engine.api.exec_inspect, exec_id)
        if status.get("ExitCode") not in (0, None):
            raise WorkbenchError(
                "Could not list the session's workspace.",
                "Check the sandbox image has python3: workbench image check",
            )
        return current

    def changes(self) -> ChangeSet:
        """Fetch the paths that changed into changes/ and compare with the manifest."""
        from workbench.sandbox.copytar import fetch

        before = self._load_manifest()
        remove_tree(self.changes_root)
        self.changes_root.mkdir(parents=True)
        with self._helper(start=True) as container:
            after = self._current(container)
            wanted = [
                rel
                for rel, new in after.items()
                if new.type == "file"
                and (rel not in before or _maybe_changed(before[rel], new))
            ]
            hashes = fetch(self.engine, container, wanted, self.changes_root)
        _mirror_others(self.changes_root, before, after)
        return changes_from_manifests(
            self.folder, before, after, self.changes_root, hashes
        )

    def changes_dir(self) -> Path | None:
        return self.changes_root

    def reset_paths(self, paths: list[str]) -> None:
        """Remove these paths in the volume and copy the folder's versions again."""
        rels = [_rel_parts(path) for path in paths]
        with self._helper(start=True) as container:
            script = 'chmod -R u+w -- "$@" 2>/dev/null; rm -rf -- "$@"'
            targets = [f"{profile.WORKSPACE}/{rel}" for rel in rels]
            exec_id = self.engine.call(
                self.engine.api.exec_create,
                container,
                ["sh", "-c", script, "sh"] + targets,
            )
            self.engine.call(self.engine.api.exec_start, exec_id)
        present = [rel for rel in rels if os.path.lexists(self.folder / rel)]
        copied = self._put(present, None) if present else {}
        manifest = {
            rel: entry
            for rel, entry in self._load_manifest().items()
            if not any(rel == r or rel.startswith(r + "/") for r in rels)
        }
        manifest.update(copied)
        self._save_manifest(manifest)


def _maybe_changed(before: Entry, after: Entry) -> bool:
    return (
        before.type != after.type
        or before.size != after.size
        or before.mtime_ns != after.mtime_ns
        or before.mode != after.mode
    )


def _mirror_others(root: Path, before: dict, after: dict[str, Entry]) -> None:
    """Make changed dirs, symlinks and fifos exist under changes/ like an upper dir."""
    for rel, new in after.items():
        old = before.get(rel)
        if old is not None and old == new:
            continue
        target = root / rel
        try:
            if new.type == "dir":
                target.mkdir(parents=True, exist_ok=True)
            elif new.type == "symlink" and new.target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                if not os.path.lexists(target):
                    target.symlink_to(new.target)
            elif new.type == "fifo":
                target.parent.mkdir(parents=True, exist_ok=True)
                if not os.path.lexists(target):
                    os.mkfifo(target)
        except OSError as error:
            log.info("could not mirror %s: %s", rel, error)
