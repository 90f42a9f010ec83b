"""Shared by the sandbox benchmarks: a throwaway data dir and folders of N files."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.config import Config, SandboxConfig
from workbench.sandbox.session import SessionManager


def make_tree(root: Path, count: int, uid: int = 1000) -> Path:
    """`count` small files spread over directories of 100, owned by uid."""
    root.mkdir(parents=True)
    for index in range(count):
        directory = root / f"d{index // 100:04d}"
        if index % 100 == 0:
            directory.mkdir()
            os.chown(directory, uid, uid)
        path = directory / f"f{index % 100:02d}.txt"
        path.write_text(f"line {index}\n")
        os.chown(path, uid, uid)
    os.chown(root, uid, uid)
    return root


@contextmanager
def scratch() -> Iterator[tuple[Path, SessionManager]]:
    """A temp dir and a manager on a data dir inside it; all removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
    manager = SessionManager(
        Config(sandbox=SandboxConfig(pool_size=0)), base / "data", pool_size=0
    )
    try:
        yield base, manager
    finally:
        for info in manager.list():
            manager.drop(info.id)
        shutil.rmtree(base, ignore_errors=True)


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
