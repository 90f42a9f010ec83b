"""The overlay workspace as a non-root host user sees it, on the real engine.

Developers run workbench as themselves, not as root: the change set must still
see opaque directories, and dropping a session must leave no directory behind.
The test forks, and the child becomes an unprivileged uid in the docker group.
"""

from __future__ import annotations

import grp
import json
import os
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_folder

from workbench.config import Config, SandboxConfig
from workbench.sandbox.session import SessionManager

UID = 1500


def _as_user(manager: SessionManager, folder: Path) -> dict[str, object]:
    """Start, change, inspect and drop a session as UID; return what was seen."""
    data_root = manager.data_root
    with manager.start(folder) as session:
        result = session.exec("rm -rf d && mkdir d && echo new > d/new.txt")
        seen = {
            "strategy": session.strategy,
            "exit": result.exit_code,
            "changes": sorted(f"{c.kind} {c.path}" for c in session.changes()),
        }
        session_id = session.id
    manager.drop(session_id)
    seen["left"] = sorted(os.listdir(data_root / "sessions"))
    return seen


def _run_forked(data_root: Path, folder: Path) -> dict[str, object]:
    docker_gid = os.stat("/var/run/docker.sock").st_gid
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to UID, keep only the docker group
        code = 0
        try:
            # Load and connect while still root: the interpreter's own files may
            # sit where the unprivileged uid cannot read (root's home, say).
            config = Config(sandbox=SandboxConfig(pool_size=0))
            manager = SessionManager(config, data_root)
            manager.engine.facts()
            os.setgroups([docker_gid])
            os.setgid(UID)
            os.setuid(UID)
            os.environ["HOME"] = str(data_root.parent)
            payload = json.dumps(_as_user(manager, folder))
        except BaseException:  # noqa: BLE001 - reported to the parent
            payload = json.dumps({"error": traceback.format_exc()})
            code = 1
        os.write(write, payload.encode())
        os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


@pytest.fixture()
def home() -> Iterator[Path]:
    """A home the unprivileged uid can reach (pytest's tmp dirs are root-only)."""
    base = Path(tempfile.mkdtemp(prefix="workbench-nonroot-"))
    base.chmod(0o755)
    yield make_folder(base / "home", {}, uid=UID)
    shutil.rmtree(base)


def test_a_non_root_user_sees_opaque_dirs_and_drops_cleanly(
    sandbox_image, home: Path
) -> None:
    assert grp.getgrgid(os.stat("/var/run/docker.sock").st_gid)
    folder = make_folder(home / "project", {"d/old.txt": "old\n"}, uid=UID)
    data_root = home / "data"
    data_root.mkdir()
    os.chown(data_root, UID, UID)

    seen = _run_forked(data_root, folder)

    assert "error" not in seen, seen.get("error")
    assert seen["strategy"] == "overlay" and seen["exit"] == 0
    assert seen["changes"] == ["added d/new.txt", "deleted d/old.txt"]
    assert seen["left"] == []
    assert (folder / "d" / "old.txt").read_text() == "old\n"
