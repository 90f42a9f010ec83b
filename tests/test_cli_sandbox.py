"""The sandbox CLI as a user runs it: a real process, the real engine."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import make_folder

from workbench.sandbox import labels

WORKBENCH = shutil.which("workbench") or "workbench"


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [WORKBENCH, *args], capture_output=True, text=True, timeout=timeout
    )


def _session_containers(engine, data_root: Path, session_id: str) -> list[str]:
    wanted = [
        f"{labels.STORE}={labels.store_id(data_root)}",
        f"{labels.SESSION}={session_id}",
    ]
    found = engine.api.containers(all=True, filters={"label": wanted})
    return [c["Id"] for c in found]


def test_start_exec_changes_list_and_drop(sandbox_image, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})

    session_id = _cli("session", "start", str(folder)).stdout.strip()
    ran = _cli("session", "exec", session_id, "--", "sh", "-c", "echo hi > b; exit 7")
    changes = json.loads(_cli("session", "changes", session_id, "--json").stdout)
    listed = json.loads(_cli("session", "list", "--json").stdout)
    dropped = _cli("session", "drop", session_id)

    assert ran.returncode == 7
    assert changes["counts"] == {"added": 1, "modified": 0, "deleted": 0}
    assert changes["changes"][0]["path"] == "b"
    assert session_id in [s["id"] for s in listed]
    assert dropped.returncode == 0
    assert session_id not in _cli("session", "list").stdout


def test_changes_json_carries_review_flags(sandbox_image, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"run.sh": "echo hi\n"})
    session_id = _cli("session", "start", str(folder)).stdout.strip()

    _cli(
        "session", "exec", session_id, "--", "sh", "-c",
        "chmod +x run.sh; mkdir -p .git/hooks; echo x > .git/hooks/pre-commit",
    )  # fmt: skip
    changes = json.loads(_cli("session", "changes", session_id, "--json").stdout)
    _cli("session", "drop", session_id)

    flags = {c["path"]: {f["code"] for f in c["flags"]} for c in changes["changes"]}
    assert "exec-added" in flags["run.sh"]
    assert "git-internals" in flags[".git/hooks/pre-commit"]
    assert all(c["conflict"] is None for c in changes["changes"])


def test_exec_streams_output_and_bounds_a_timeout(sandbox_image, tmp_path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session_id = _cli("session", "start", str(folder)).stdout.strip()

    shown = _cli("session", "exec", session_id, "--", "cat", "a.txt")
    slow = _cli("session", "exec", session_id, "--timeout", "1", "--", "sleep", "30")

    assert shown.stdout == "a\n" and shown.returncode == 0
    assert slow.returncode == 124 and "timed out" in slow.stderr
    _cli("session", "drop", session_id)


def test_bad_input_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    missing = _cli("session", "start", str(tmp_path / "nowhere"))
    unknown = _cli("session", "exec", "nosuchid", "--", "true")

    for result in (missing, unknown):
        assert result.returncode == 2
        assert result.stderr.startswith("error: ")
        assert "Traceback" not in result.stderr


def test_kill_9_of_the_cli_then_gc_leaves_no_container(
    engine, sandbox_image, isolated_data_dir: Path, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session_id = _cli("session", "start", str(folder)).stdout.strip()
    process = subprocess.Popen(
        [WORKBENCH, "session", "exec", session_id, "--", "sleep", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        if _session_containers(engine, isolated_data_dir, session_id):
            break
        time.sleep(0.1)
    assert _session_containers(engine, isolated_data_dir, session_id)

    process.send_signal(signal.SIGKILL)
    process.wait(10)
    collected = _cli("gc", "--json")

    assert collected.returncode == 0
    assert _session_containers(engine, isolated_data_dir, session_id) == []
    assert session_id in _cli("session", "list").stdout
    _cli("session", "drop", session_id)
