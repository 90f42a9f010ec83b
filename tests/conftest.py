"""Shared fixtures: every test run gets its own data dir, never the user's real one."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from workbench.sandbox.engine import Engine
    from workbench.sandbox.session import Session

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="session", autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point WORKBENCH_DATA_DIR and WORKBENCH_CONFIG at a throwaway place."""
    root = tmp_path_factory.mktemp("workbench-data")
    saved = {k: os.environ.get(k) for k in ("WORKBENCH_DATA_DIR", "WORKBENCH_CONFIG")}
    os.environ["WORKBENCH_DATA_DIR"] = str(root / "data")
    os.environ["WORKBENCH_CONFIG"] = str(root / "config.toml")
    yield root / "data"
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


# --- sandbox fixtures (real engine) -------------------------------------------

FOLDER_UID = 1000  # fixture folders behave like a normal user's folder


def tree_hash(folder: Path) -> str:
    """A hash of every path's name, type, mode, link target and bytes under folder."""
    import hashlib
    import stat

    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(root) / name
            st = os.lstat(path)
            rel = path.relative_to(folder).as_posix()
            digest.update(f"{rel}\0{st.st_mode:o}\0{st.st_uid}\0".encode())
            if stat.S_ISLNK(st.st_mode):
                digest.update(os.readlink(path).encode())
            elif stat.S_ISREG(st.st_mode):
                digest.update(path.read_bytes())
    return digest.hexdigest()


def make_folder(root: Path, files: dict[str, str], uid: int = FOLDER_UID) -> Path:
    """A folder holding `files` (path -> text), owned by uid:uid throughout."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for base, dirs, names in os.walk(root):
        for name in [base, *(os.path.join(base, n) for n in dirs + names)]:
            os.lchown(name, uid, uid)
    return root


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    from workbench.sandbox.engine import Engine

    return Engine()


@pytest.fixture(scope="session")
def sandbox_image(engine) -> str:  # type: ignore[no-untyped-def]
    from workbench.sandbox.image import ensure_image

    return ensure_image(engine, lambda line: None)


@pytest.fixture()
def manager(engine, sandbox_image, isolated_data_dir: Path):  # type: ignore[no-untyped-def]
    """A SessionManager on the test data dir; drops every session it started."""
    from workbench.config import Config, SandboxConfig
    from workbench.sandbox.session import SessionManager

    config = Config(sandbox=SandboxConfig(pool_size=0))
    made = SessionManager(config, isolated_data_dir, engine, pool_size=0)
    before = {info.id for info in made.list()}
    yield made
    for info in made.list():
        if info.id not in before:
            made.drop(info.id)


@contextlib.contextmanager
def real_session(
    engine: Engine, data_dir: Path, folder: Path, files: dict[str, str]
) -> Iterator[Session]:
    """A real session over a new folder holding `files`; closed and dropped after."""
    from workbench.config import Config, SandboxConfig
    from workbench.sandbox.session import SessionManager

    config = Config(sandbox=SandboxConfig(pool_size=0))
    made = SessionManager(config, data_dir, engine, pool_size=0)
    session = made.start(make_folder(folder, files))
    try:
        yield session
    finally:
        session.close()
        made.drop(session.id)


StartSession = Callable[..., "Session"]


@pytest.fixture()
def start_session(
    engine: Engine, sandbox_image: str, isolated_data_dir: Path, tmp_path: Path
) -> Iterator[StartSession]:
    """Starts real sessions over temp folders holding the given files; drops them."""
    with contextlib.ExitStack() as stack:
        folders = (tmp_path / f"project-{n}" for n in itertools.count())

        def start(files: dict[str, str] | None = None) -> Session:
            made = real_session(engine, isolated_data_dir, next(folders), files or {})
            return stack.enter_context(made)

        yield start


def containers_of(engine: Engine, session_id: str) -> list[str]:
    """Ids of every container, running or not, labelled with this session."""
    from workbench.sandbox import labels

    found = engine.client.containers.list(
        all=True, filters={"label": f"{labels.SESSION}={session_id}"}
    )
    return [container.id for container in found]


# --- review fixtures (no engine) ----------------------------------------------


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Any]:
    """A user folder, an upper-like dir of the sandbox's versions, and a journal."""
    from workbench.changes.journal import Journal

    folder, upper = tmp_path / "folder", tmp_path / "upper"
    folder.mkdir()
    upper.mkdir()
    return folder, upper, Journal(tmp_path / "sync")
