"""A stand-in for a sandbox session that runs commands with bash in a temp dir.

Agent tests that are about the loop, not the sandbox, use it so they run without
Docker; it honours the `session.exec` contract (streaming, cancel, stdin, changes).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.changes.changeset import Change, ChangeSet


@dataclass
class Result:
    exit_code: int
    output: str
    truncated_bytes: int
    duration_s: float
    container_id: str
    timed_out: bool = False
    interrupted: bool = False
    oom_killed: bool = False


class LocalSession:
    """Runs each command as `bash -c` in `workspace`, with an empty environment."""

    network = "none"
    image = "local-bash"
    runtime = "none"

    def __init__(self, root: Path, files: dict[str, str] | None = None) -> None:
        self.id = "local0001"
        self.data_dir = root / "data"
        self.folder = root / "folder"
        self.workspace = root / "workspace"
        for path in (self.data_dir, self.folder):
            path.mkdir(parents=True)
        for name, text in (files or {}).items():
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_text(text)
        shutil.copytree(self.folder, self.workspace)
        self.commands: list[str] = []
        self.started = threading.Event()

    def exec(
        self,
        command: str,
        *,
        timeout: float | None = None,
        on_output=None,
        on_start=None,
        cancel: threading.Event | None = None,
        stdin: bytes | None = None,
    ) -> Result:
        self.commands.append(command)
        began = time.monotonic()
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=self.workspace,
            env={"PATH": os.environ["PATH"], "HOME": str(self.workspace)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if on_start:
            on_start(f"pid{process.pid}")
        self.started.set()
        process.stdin.write(stdin or b"")
        process.stdin.close()
        watcher = threading.Thread(
            target=self._watch, args=(process, cancel), daemon=True
        )
        watcher.start()
        chunks = []
        for line in iter(process.stdout.readline, b""):
            text = line.decode(errors="replace")
            chunks.append(text)
            if on_output:
                on_output(text)
        process.wait()
        interrupted = bool(cancel and cancel.is_set())
        return Result(
            exit_code=process.returncode,
            output="".join(chunks),
            truncated_bytes=0,
            duration_s=time.monotonic() - began,
            container_id=f"pid{process.pid}",
            interrupted=interrupted,
        )

    @staticmethod
    def _watch(process: subprocess.Popen, cancel: threading.Event | None) -> None:
        while process.poll() is None:
            if cancel is not None and cancel.wait(0.05):
                os.killpg(process.pid, 9)
                return

    def changes(self) -> ChangeSet:
        found = []
        old = {p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*")}
        new = {
            p.relative_to(self.workspace).as_posix() for p in self.workspace.rglob("*")
        }
        for path in sorted(old | new):
            if path not in old:
                found.append(Change(path=path, kind="added"))
            elif path not in new:
                found.append(Change(path=path, kind="deleted"))
            elif (self.folder / path).is_file() and not filecmp.cmp(
                self.folder / path, self.workspace / path, shallow=False
            ):
                found.append(Change(path=path, kind="modified"))
        return ChangeSet(folder=self.folder, changes=tuple(found))


def script_model(directory: Path, *turns: dict) -> str:
    """Write a script.json of these turns and return its scripted model name."""
    import json

    path = directory / "script.json"
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"scripted/{path}"


def run_turn(command: str, text: str = "") -> dict:
    return {
        "text": text,
        "tool_calls": [{"name": "run", "arguments": {"command": command}}],
    }


def finish_turn(summary: str = "Done.") -> dict:
    return {
        "text": "",
        "tool_calls": [{"name": "finish", "arguments": {"summary": summary}}],
    }
