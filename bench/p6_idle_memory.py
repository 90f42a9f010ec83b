"""P6: resident memory of the workbench app, idle, after litellm has loaded.

Runs the real app headless in a child on a small folder with its own data dir:
it opens a session (so the engine client, the watchers and the warm pool are
live), waits until the model library is imported, lets the app idle for two
seconds, reads VmRSS from /proc, quits (which closes the session) and the
session is dropped. Last line: `P6 rss_mb=X (...)`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, os, sys
from pathlib import Path
from workbench.tui.app import Launch, WorkbenchApp

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

class Probe(WorkbenchApp):
    seen = set()

    def on_session_opened(self, message):
        self._mark("session")

    def on_model_ready(self, message):
        self._mark("model")

    def _mark(self, what):
        self.seen.add(what)
        if self.seen == {"session", "model"}:
            self.set_timer(2.0, self._measure)

    def _measure(self):
        report = {"rss_mb": rss_mb(), "session": self.session.id}
        os.write(int(sys.argv[1]), json.dumps(report).encode())
        self.action_quit_app()

launch = Launch(folder=Path(sys.argv[2]), model="scripted/fix-failing-test")
Probe(launch).run(headless=True, size=(160, 45))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "folder"
        folder.mkdir()
        (folder / "hello.py").write_text("print('hello')\n")
        data = Path(scratch) / "data"
        env = dict(os.environ, WORKBENCH_DATA_DIR=str(data), TERM="xterm-256color")
        env["WORKBENCH_CONFIG"] = str(Path(scratch) / "none.toml")
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        read_end, write_end = os.pipe()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(write_end), str(folder)],
            pass_fds=(write_end,),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        raw = os.read(read_end, 4096)
        os.close(read_end)
        child.wait(timeout=120)
        if not raw:
            raise SystemExit("P6 failed: the app quit before it was idle (see the log)")
        report = json.loads(raw)
        os.environ.update(WORKBENCH_DATA_DIR=str(data))
        from workbench.sandbox.session import SessionManager

        SessionManager(data_root=data).drop(report["session"])
    print(
        f"P6 rss_mb={report['rss_mb']:.0f} (VmRSS of the app idle 2 s after the "
        "session opened and litellm loaded; headless, 160x45)"
    )


if __name__ == "__main__":
    main()
