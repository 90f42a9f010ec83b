"""File operations inside the user's folder that never follow a symlink on the way.

Every operation walks from the folder's own descriptor with O_NOFOLLOW, one
component at a time, so a directory swapped for a symlink between the check and
the write makes the write fail instead of landing outside the folder.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CHUNK = 1 << 20


class UnsafePath(Exception):
    """A destination that would leave the folder or pass through a symlink."""


def name_problem(rel: str) -> str:
    """Why a relative path cannot be written as named, or "" when it can."""
    if not rel or rel.startswith("/"):
        return "An absolute or empty name."
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "A name with '..', '.' or an empty component."
    for char in rel:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            return f"A name with a control character ({ord(char):#x})."
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in parts):
        return "A name component longer than 255 bytes."
    return ""


def parent_problem(folder: Path, rel: str, planned_dirs: set[str]) -> str:
    """Why a parent of `rel` in the folder is unsafe (lstat of each), or ""."""
    parts = PurePosixPath(rel).parts[:-1]
    current = folder
    for depth in range(len(parts)):
        prefix = "/".join(parts[: depth + 1])
        current = current / parts[depth]
        if prefix in planned_dirs:
            continue
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return ""  # the rest is created by the apply
        except OSError as error:
            return f"Cannot check {prefix}: {error.strerror}."
        if stat.S_ISLNK(info.st_mode):
            return f"{prefix} in your folder is a symbolic link."
        if not stat.S_ISDIR(info.st_mode):
            return f"{prefix} in your folder is not a directory."
    return ""


@contextmanager
def open_folder(folder: Path) -> Iterator[int]:
    fd = os.open(os.path.realpath(folder), _DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def parent_dir(folder_fd: int, rel: str) -> Iterator[tuple[int, str]]:
    """The parent of `rel` as a descriptor reached without following links, and name."""
    parts = rel.split("/")
    fd = os.dup(folder_fd)
    try:
        for part in parts[:-1]:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePath(
                        f"{rel}: a parent is not a plain directory"
                    ) from None
                raise
            os.close(fd)
            fd = child
        yield fd, parts[-1]
    finally:
        os.close(fd)


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def write_file_at(
    dir_fd: int,
    name: str,
    source: Path,
    mode: int,
    temp: str,
    mtime_ns: int | None = None,
    before_rename: Callable[[], None] | None = None,
) -> None:
    """Copy `source` to a temp file beside `name`, fsync it, then rename it over."""
    _remove_stale(dir_fd, temp)
    out = os.open(
        temp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
        dir_fd=dir_fd,
    )
    try:
        with open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                os.write(out, chunk)
        os.fchmod(out, mode)
        if mtime_ns is not None:
            os.utime(out, ns=(mtime_ns, mtime_ns))
        os.fsync(out)
    finally:
        os.close(out)
    if before_rename is not None:
        before_rename()
    os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    os.fsync(dir_fd)


def symlink_at(dir_fd: int, name: str, target: str, temp: str) -> None:
    _remove_stale(dir_fd, temp)
    os.symlink(target, temp, dir_fd=dir_fd)
    os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    os.fsync(dir_fd)


def mkdir_at(dir_fd: int, name: str, mode: int) -> None:
    info = lstat_at(dir_fd, name)
    if info is None:
        os.mkdir(name, mode, dir_fd=dir_fd)
    elif not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(f"{name} exists and is not a directory")
    chmod_at(dir_fd, name, mode)
    os.fsync(dir_fd)


def chmod_at(dir_fd: int, name: str, mode: int) -> None:
    """chmod without following a symlink: open the entry itself, then fchmod."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def remove_at(dir_fd: int, name: str, trash: str) -> None:
    """Remove an entry; a directory is first renamed aside so the swap is atomic."""
    info = lstat_at(dir_fd, name)
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            _remove_stale(dir_fd, trash)
            os.rename(name, trash, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)
        os.fsync(dir_fd)
    _remove_stale(dir_fd, trash)


def rmdir_if_empty(dir_fd: int, name: str) -> bool:
    try:
        os.rmdir(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return True
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise
    return True


def _remove_stale(dir_fd: int, name: str) -> None:
    info = lstat_at(dir_fd, name)
    if info is None:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def copy_out(dir_fd: int, name: str, destination: Path) -> None:
    """Copy a regular file from the folder (no symlink followed) to `destination`."""
    src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    with os.fdopen(src, "rb") as handle, open(destination, "wb") as out:
        shutil.copyfileobj(handle, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())


def special_entries(root: Path) -> list[str]:
    """Entries under a directory that are neither files, dirs nor symlinks."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in dirnames + filenames:
            mode = os.lstat(os.path.join(dirpath, entry)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                found.append(os.path.relpath(os.path.join(dirpath, entry), root))
    return found


def backup_tree(source: Path, destination: Path) -> None:
    """Copy a directory tree with modes, mtimes and symlinks kept as links."""
    shutil.copytree(source, destination, symlinks=True, copy_function=_copy_file)


def _copy_file(src: str, dst: str) -> None:
    shutil.copy2(src, dst, follow_symlinks=False)
    with open(dst, "rb") as handle:
        os.fsync(handle.fileno())


def restore_tree(dir_fd: int, name: str, backup: Path, temp: str) -> None:
    """Recreate a directory tree from its backup, each file written atomically."""
    info = os.lstat(backup)
    mkdir_at(dir_fd, name, stat.S_IMODE(info.st_mode))
    child_fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    try:
        for entry in sorted(os.listdir(backup)):
            source = backup / entry
            entry_info = os.lstat(source)
            if stat.S_ISDIR(entry_info.st_mode):
                restore_tree(child_fd, entry, source, temp)
            elif stat.S_ISLNK(entry_info.st_mode):
                symlink_at(child_fd, entry, os.readlink(source), temp)
            else:
                write_file_at(
                    child_fd,
                    entry,
                    source,
                    stat.S_IMODE(entry_info.st_mode),
                    temp,
                    mtime_ns=entry_info.st_mtime_ns,
                )
    finally:
        os.close(child_fd)
    os.utime(name, ns=(info.st_mtime_ns, info.st_mtime_ns), dir_fd=dir_fd)
