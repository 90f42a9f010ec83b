"""P4: time to the first frame of the workbench app against a bare Textual app.

Both apps start in fresh interpreters, interleaved, headless; each child writes
to a pipe when Textual reports its first frame (the Ready event) and exits at
once. The workbench app opens no session here: opening one starts only after
the first frame, so leaving it out changes nothing before that point.
Last line: `P4 ratio=R (...)`; the goal is R <= 1.5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
import os, sys
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_ready(self):
        os.write(int(sys.argv[1]), b"ready")
        os._exit(0)

Bare().run(headless=True, size=(160, 45))
"""

WORKBENCH = """
import os, sys
from pathlib import Path
from workbench.tui.app import Launch, WorkbenchApp

class Probe(WorkbenchApp):
    def on_ready(self):
        os.write(int(sys.argv[1]), b"ready")
        os._exit(0)

launch = Launch(folder=Path.cwd(), model="scripted/demo", open_session=False)
Probe(launch).run(headless=True, size=(160, 45))
"""


def first_frame(code: str, env: dict[str, str]) -> float:
    """Seconds from spawning the interpreter to its first frame."""
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(write_end)],
        pass_fds=(write_end,),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    data = os.read(read_end, 16)
    elapsed = time.perf_counter() - start
    os.close(read_end)
    child.wait(timeout=60)
    if data != b"ready":
        raise RuntimeError("the child exited before its first frame")
    return elapsed


def main(rounds: int = 9) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, WORKBENCH_DATA_DIR=scratch, TERM="xterm-256color")
        env["WORKBENCH_CONFIG"] = os.path.join(scratch, "none.toml")
        # Installed packages ship bytecode; let the warm-up runs write ours too.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        first_frame(BARE, env)  # warm the file cache for both
        first_frame(WORKBENCH, env)
        bare, workbench = [], []
        for _ in range(rounds):
            bare.append(first_frame(BARE, env))
            workbench.append(first_frame(WORKBENCH, env))
    b, w = statistics.median(bare), statistics.median(workbench)
    print(f"bare Textual app:  median {b * 1000:.0f} ms  {_ms(bare)}")
    print(f"workbench app:     median {w * 1000:.0f} ms  {_ms(workbench)}")
    print(
        f"P4 ratio={w / b:.2f} (workbench {w * 1000:.0f} ms / bare {b * 1000:.0f} ms, "
        f"medians of {rounds} interleaved runs; goal <= 1.5)"
    )


def _ms(values: list[float]) -> str:
    return "[" + " ".join(f"{v * 1000:.0f}" for v in values) + "]"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
