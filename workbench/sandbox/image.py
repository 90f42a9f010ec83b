"""The sandbox image: built locally, hardened the same way on both build paths."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors

import workbench
from workbench.config import data_dir
from workbench.errors import ImageMissing, WorkbenchError
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.profile import IDLE_COMMAND, SANDBOX_ENV

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

REPOSITORY = "workbench-sandbox"
PACKAGES = (
    "bash",
    "coreutils",
    "findutils",
    "grep",
    "sed",
    "diffutils",
    "patch",
    "git",
    "python3",
    "procps",
)
SANDBOX_UID = 10001
SUITE = "bookworm"
ASSETS = Path(__file__).parent
DOCKERFILE = ASSETS / "Dockerfile"
HARDEN_SCRIPT = ASSETS / "harden.sh"


def image_tag() -> str:
    return f"{REPOSITORY}:{workbench.__version__}"


def ensure_image(engine: Engine, progress: Progress) -> str:
    """The sandbox image's tag, building the image first when it is missing."""
    tag = image_tag()
    if not engine.has_image(tag):
        progress(f"The sandbox image {tag} is missing; building it once.")
        build_image(engine, progress)
    return tag


def build_image(engine: Engine, progress: Progress, base: str | None = None) -> str:
    """Build the image: the Dockerfile over `base`, else an mmdebstrap rootfs."""
    if base:
        return _build_from_base(engine, progress, base)
    return _build_from_rootfs(engine, progress)


def mmdebstrap_command(output: Path) -> list[str]:
    """The rootfs build; the mirror comes from the system's apt sources."""
    hook = f'sh {HARDEN_SCRIPT} "$1" {SANDBOX_UID}'
    return [
        "mmdebstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        f"--customize-hook={hook}",
        SUITE,
        str(output),
    ]


def import_changes() -> list[str]:
    """Dockerfile instructions `docker import` applies, matching the Dockerfile's."""
    env = " ".join(f"{key}={value}" for key, value in SANDBOX_ENV.items())
    return [
        f"USER {SANDBOX_UID}:{SANDBOX_UID}",
        "WORKDIR /workspace",
        f"ENV {env}",
        f"CMD {json.dumps(IDLE_COMMAND)}",
    ]


def _build_from_rootfs(engine: Engine, progress: Progress) -> str:
    if shutil.which("mmdebstrap") is None:
        raise WorkbenchError(
            "mmdebstrap is not installed, and no base image was given.",
            "Install mmdebstrap (apt-get install mmdebstrap), or build from a "
            "registry image with `workbench image build --base debian:bookworm-slim`.",
        )
    tag = image_tag()
    with tempfile.TemporaryDirectory(prefix="workbench-rootfs-") as scratch:
        rootfs = Path(scratch) / "rootfs.tar"
        progress(f"Building a Debian {SUITE} rootfs with mmdebstrap...")
        _stream_process(mmdebstrap_command(rootfs), progress)
        progress(f"Importing the rootfs as {tag}...")
        with rootfs.open("rb") as tar:
            engine.call(
                engine.api.import_image,
                src=tar,
                repository=REPOSITORY,
                tag=workbench.__version__,
                changes=import_changes(),
            )
    if not engine.has_image(tag):
        raise WorkbenchError(f"The engine did not keep the imported image {tag}.")
    progress(f"Built {tag}.")
    return tag


def _stream_process(command: list[str], progress: Progress) -> None:
    log.info("running %s", " ".join(command))
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    tail: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-15:]
        progress(line)
    if process.wait() != 0:
        raise WorkbenchError(
            f"mmdebstrap failed (exit {process.returncode}):\n" + "\n".join(tail),
            "Check that apt can reach a package mirror, or build from a registry "
            "image with `workbench image build --base debian:bookworm-slim`.",
        )


def _build_from_base(engine: Engine, progress: Progress, base: str) -> str:
    tag = image_tag()
    with tempfile.TemporaryDirectory(prefix="workbench-build-") as context:
        shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
        shutil.copy(HARDEN_SCRIPT, Path(context) / "harden.sh")
        progress(f"Building {tag} from {base}...")
        try:
            stream = engine.api.build(
                path=context,
                tag=tag,
                buildargs={
                    "BASE": base,
                    "PACKAGES": " ".join(PACKAGES),
                    "SANDBOX_UID": str(SANDBOX_UID),
                },
                rm=True,
                forcerm=True,
                decode=True,
            )
            for chunk in stream:
                if "error" in chunk:
                    raise WorkbenchError(
                        f"Building the sandbox image failed: {chunk['error']}",
                        "Check that the base image can be pulled or is present.",
                    )
                text = str(chunk.get("stream", "")).rstrip()
                if text:
                    progress(text)
        except docker.errors.APIError as error:
            raise WorkbenchError(
                f"Building the sandbox image failed: {error.explanation}",
                "Check that the base image can be pulled or is present.",
            ) from error
    progress(f"Built {tag}.")
    return tag


def check_image(engine: Engine, tag: str | None = None) -> dict[str, Any]:
    """The image's facts: user, size, setuid files (must be none), package count."""
    tag = tag or image_tag()
    try:
        image = engine.call(engine.client.images.get, tag)
    except docker.errors.ImageNotFound as error:
        raise ImageMissing(
            f"The sandbox image {tag} is not built.", "Run `workbench image build`."
        ) from error
    scan = _scan_filesystem(engine, tag)
    config = image.attrs.get("Config") or {}
    user = config.get("User") or "root"
    facts = {
        "tag": tag,
        "id": image.id,
        "user": user,
        "non_root": user.split(":")[0] not in ("", "0", "root"),
        "size_bytes": int(image.attrs.get("Size", 0)),
        "size_mb": round(int(image.attrs.get("Size", 0)) / 1e6, 1),
        "setuid_files": scan["setuid"],
        "sudo_present": scan["sudo"],
        "package_count": scan["packages"],
        "created": image.attrs.get("Created", ""),
    }
    facts["ok"] = facts["non_root"] and not scan["setuid"] and not scan["sudo"]
    return facts


def _scan_filesystem(engine: Engine, tag: str) -> dict[str, Any]:
    """Read the image's files from an export of a never-started container."""
    labels = labels_mod.labels_for(data_dir(), "image-check", "helper")
    container_id = engine.create_container_id(
        image=tag, command=["true"], network_disabled=True, labels=labels
    )
    setuid: list[str] = []
    sudo = False
    packages = 0
    try:
        chunks = engine.call(engine.api.export, container_id)
        with tarfile.open(fileobj=_ChunkReader(chunks), mode="r|") as tar:
            for member in tar:
                name = "/" + member.name.removeprefix("./").lstrip("/")
                if member.isfile() and member.mode & 0o6000:
                    setuid.append(name)
                if name in ("/usr/bin/sudo", "/bin/sudo"):
                    sudo = True
                if name == "/var/lib/dpkg/status":
                    status = tar.extractfile(member)
                    text = status.read().decode("utf-8", "replace") if status else ""
                    packages = text.count("\nStatus: install ok installed")
                    packages += text.startswith("Status: install ok installed")
    finally:
        engine.remove_container(container_id)
    return {"setuid": setuid, "sudo": sudo, "packages": packages}


class _ChunkReader:
    """A file-like view of an iterator of byte chunks, for streaming tarfile."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        parts = []
        wanted = size
        while wanted != 0:
            if self._offset >= len(self._buffer):
                try:
                    self._buffer, self._offset = next(self._chunks), 0
                except StopIteration:
                    break
            end = len(self._buffer) if wanted < 0 else self._offset + wanted
            part = self._buffer[self._offset : end]
            self._offset += len(part)
            parts.append(part)
            if wanted > 0:
                wanted -= len(part)
        return b"".join(parts)
