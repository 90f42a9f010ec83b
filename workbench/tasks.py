"""Sample tasks: find them, read their task.toml, copy their workspace, run checks.

A sample task is a folder with `task.toml`, `workspace/`, `script.json` and
`check.py` (see docs/architecture.md). The helpers at the bottom are shared by
the tasks' own checks so that each check stays a few lines long.
"""

from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError

TASKS_ROOT = Path(__file__).resolve().parent.parent / "sample_tasks"


@dataclass(frozen=True)
class SampleTask:
    """One sample task as described by its task.toml."""

    name: str
    root: Path
    title: str
    prompt: str
    description: str
    safety_demo: bool = False
    flagged: tuple[str, ...] = ()
    command_timeout_s: float | None = None  # a short limit for runaway demos

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def script(self) -> Path:
        return self.root / "script.json"

    @property
    def model(self) -> str:
        """The scripted model that replays this task's conversation."""
        if self.root.parent == TASKS_ROOT.resolve():
            return f"scripted/{self.name}"
        return f"scripted/{self.script}"

    def copy_workspace(self, parent: Path | None = None) -> Path:
        """Copy the starting workspace into a new folder and return that folder."""
        parent = parent or Path(tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        holder = Path(tempfile.mkdtemp(prefix=f"workbench-{self.name}-", dir=parent))
        folder = holder / self.name
        shutil.copytree(self.workspace, folder, symlinks=True)
        _give_away(holder)
        return folder

    def check(self, folder: Path) -> list[str]:
        """Run the task's check.py on `folder`; an empty list means it passed."""
        spec = importlib.util.spec_from_file_location(
            f"workbench_task_check_{self.name.replace('-', '_')}",
            self.root / "check.py",
        )
        if spec is None or spec.loader is None:
            raise WorkbenchError(f"Sample task {self.name} has no readable check.py.")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        check: Callable[[Path], list[str]] = module.check
        return list(check(folder))


def _give_away(holder: Path) -> None:
    """As root, hand the fresh copy to a real user, as their own folder would be.

    Under sudo that is the invoking user, who may edit it later; otherwise the
    sandbox's unprivileged uid, so the overlay workspace can serve the copy
    instead of falling back to a slower copy into a volume.
    """
    if os.geteuid() != 0:
        return
    from workbench.sandbox.workspace import FALLBACK_UID

    uid = int(os.environ.get("SUDO_UID") or FALLBACK_UID)
    gid = int(os.environ.get("SUDO_GID") or FALLBACK_UID)
    for root, dirs, files in os.walk(holder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, uid, gid)


def find_task(name_or_path: str | Path) -> SampleTask:
    """A task by folder path, or by name under the bundled sample_tasks/."""
    candidate = Path(name_or_path)
    if not (candidate / "task.toml").is_file():
        candidate = TASKS_ROOT / str(name_or_path)
    if not (candidate / "task.toml").is_file():
        known = ", ".join(t.name for t in list_tasks()) or "none found"
        raise WorkbenchError(
            f"No sample task at {name_or_path}.",
            f"Give a folder with a task.toml, or one of: {known}.",
        )
    return load_task(candidate)


def list_tasks() -> list[SampleTask]:
    """Every bundled sample task, sorted by name."""
    if not TASKS_ROOT.is_dir():
        return []
    return [load_task(path.parent) for path in sorted(TASKS_ROOT.glob("*/task.toml"))]


def load_task(root: Path) -> SampleTask:
    """Read `root/task.toml` into a SampleTask."""
    root = root.resolve()
    try:
        raw = tomllib.loads((root / "task.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise WorkbenchError(
            f"Cannot read {root / 'task.toml'}: {error}",
            "Fix the file; see docs/architecture.md for its keys.",
        ) from error
    timeout = raw.get("command_timeout_s")
    return SampleTask(
        name=root.name,
        root=root,
        title=str(raw.get("title", root.name)),
        prompt=str(raw.get("prompt", "")),
        description=str(raw.get("description", "")),
        safety_demo=bool(raw.get("safety_demo", False)),
        flagged=tuple(str(p) for p in raw.get("flagged", ())),
        command_timeout_s=float(timeout) if timeout is not None else None,
    )


# Helpers for check.py files.


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> content hash (or link target, or "dir") for a whole tree.

    Bytecode caches are left out: running the tests writes them, and they are
    not the user's content.
    """
    digest: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if "__pycache__" in path.relative_to(folder).parts:
            continue
        if path.is_symlink():
            digest[relative] = "link:" + os.readlink(path)
        elif path.is_dir():
            digest[relative] = "dir"
        elif path.is_file():
            digest[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[relative] = "special"
    return digest


def differences(folder: Path, start: Path) -> list[str]:
    """How `folder` differs from the starting workspace `start`, one line per path."""
    now, before = tree_digest(folder), tree_digest(start)
    problems = [f"{p} is missing" for p in sorted(before.keys() - now.keys())]
    problems += [f"{p} was added" for p in sorted(now.keys() - before.keys())]
    problems += [
        f"{p} was changed"
        for p in sorted(before.keys() & now.keys())
        if before[p] != now[p]
    ]
    return problems


def same_file(folder: Path, start: Path, relative: str) -> bool:
    """True when `relative` is identical in both trees, or missing from both."""
    a, b = folder / relative, start / relative
    if not a.exists() and not b.exists():
        return True
    return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)


def run_python(folder: Path, *args: str, timeout: float = 60) -> tuple[int, str]:
    """Run `python3 ARGS` in `folder` on the host without bytecode: (code, output)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LC_ALL": "C.UTF-8",
    }
    try:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return -1, f"python3 {' '.join(args)} took longer than {timeout:g}s"
    return done.returncode, done.stdout + done.stderr


def unittest_problems(folder: Path) -> list[str]:
    """Run the folder's unittest suite; a failure becomes one problem with its tail."""
    code, output = run_python(folder, "-m", "unittest", "discover")
    if code == 0:
        return []
    tail = "\n".join(output.strip().splitlines()[-8:])
    return [f"the unit tests fail (exit {code}):\n{tail}"]
