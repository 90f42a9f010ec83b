"""Tar streams in and out of a copy workspace, with a manifest of what went in."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from workbench.changes.changeset import Entry, file_type
from workbench.sandbox.engine import Engine
from workbench.sandbox.profile import WORKSPACE

log = logging.getLogger(__name__)

ROOT = WORKSPACE.strip("/")
_BULK = 64  # past this many files, one archive of the whole workspace is cheaper


class _Hashing:
    """A file reader that hashes what passes through it."""

    def __init__(self, handle: io.BufferedReader) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _walk(folder: Path, excluded: Callable[[str], bool], only: list[str] | None):
    """Relative paths to copy, parents before children, never following symlinks."""
    starts = only if only is not None else [""]
    for start in starts:
        top = folder / start if start else folder
        if start:
            yield start
        if not top.is_dir() or top.is_symlink():
            continue
        for root, dirs, files in os.walk(top, onerror=lambda e: log.info("%s", e)):
            base = Path(root).relative_to(folder).as_posix()
            prefix = "" if base == "." else base + "/"
            dirs[:] = sorted(d for d in dirs if not excluded(prefix + d))
            for name in dirs:
                yield prefix + name
            for name in sorted(files):
                if not excluded(prefix + name):
                    yield prefix + name


def write_tar(
    folder: Path,
    tar_path: Path,
    uid: int,
    gid: int,
    excluded: Callable[[str], bool],
    only: list[str] | None = None,
) -> tuple[dict[str, Entry], list[str]]:
    """Write the folder (or `only` these paths) as a tar rooted at the workspace."""
    manifest: dict[str, Entry] = {}
    skipped: list[str] = []
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_dir(tar, folder, ROOT, uid, gid)
        for rel in _ancestors(only):
            _add_dir(tar, folder / rel, f"{ROOT}/{rel}", uid, gid)
        for rel in _walk(folder, excluded, only):
            entry = _add(tar, folder / rel, f"{ROOT}/{rel}", uid, gid)
            if entry is None:
                skipped.append(rel)
            else:
                manifest[rel] = entry
    return manifest, skipped


def _ancestors(only: list[str] | None) -> list[str]:
    found: set[str] = set()
    for rel in only or []:
        parts = rel.split("/")[:-1]
        found.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(found)


def _add_dir(tar: tarfile.TarFile, path: Path, arcname: str, uid: int, gid: int):
    info = tar.gettarinfo(str(path), arcname)
    _own(info, uid, gid)
    tar.addfile(info)


def _own(info: tarfile.TarInfo, uid: int, gid: int) -> None:
    info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
    # Whole seconds, so the mtime read back in the container matches the manifest.
    info.mtime = int(info.mtime)


def _add(tar: tarfile.TarFile, path: Path, arcname: str, uid: int, gid: int):
    try:
        st = os.lstat(path)
        if (
            stat.S_ISSOCK(st.st_mode)
            or stat.S_ISCHR(st.st_mode)
            or stat.S_ISBLK(st.st_mode)
        ):
            return None
        info = tar.gettarinfo(str(path), arcname)
        _own(info, uid, gid)
        digest = None
        if info.isreg():
            with open(path, "rb") as handle:
                reader = _Hashing(handle)
                tar.addfile(info, reader)  # type: ignore[arg-type]
                digest = reader.digest.hexdigest()
        else:
            tar.addfile(info)
    except OSError as error:
        log.info("skipped %s: %s", path, error)
        return None
    return Entry(
        type=file_type(st),
        mode=stat.S_IMODE(st.st_mode),
        size=st.st_size,
        mtime_ns=int(st.st_mtime) * 1_000_000_000,
        target=info.linkname if info.issym() else None,
        sha256=digest,
        ino=st.st_ino,
        nlink=st.st_nlink,
    )


class _ChunkReader(io.RawIOBase):
    """A file object over the engine's archive chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def fetch(
    engine: Engine, container: str, rels: list[str], root: Path
) -> dict[str, str]:
    """Extract these workspace files under root; their sha256 by path."""
    wanted = set(rels)
    hashes: dict[str, str] = {}
    if not wanted:
        return hashes
    if len(wanted) > _BULK:
        sources = [(WORKSPACE, ROOT)]
    else:
        sources = [(f"{WORKSPACE}/{rel}", rel) for rel in sorted(wanted)]
    for source, strip in sources:
        chunks, _ = engine.call(engine.api.get_archive, container, source)
        base = strip.rsplit("/", 1)[0] if strip != ROOT else ROOT
        with tarfile.open(
            fileobj=io.BufferedReader(_ChunkReader(chunks)), mode="r|"
        ) as tar:
            for member in tar:
                name = member.name if strip != ROOT else member.name[len(ROOT) + 1 :]
                rel = name if strip == ROOT else _join(base, strip, name)
                if rel not in wanted or not member.isreg():
                    continue
                hashes[rel] = _extract(tar, member, root / rel)
    return hashes


def _join(base: str, strip: str, name: str) -> str:
    # get_archive names a single file by its basename only.
    return f"{base}/{name}" if "/" in strip else name


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    assert source is not None
    with open(target, "wb") as out:
        while chunk := source.read(1 << 16):
            digest.update(chunk)
            out.write(chunk)
    os.chmod(target, member.mode & 0o7777)
    return digest.hexdigest()
