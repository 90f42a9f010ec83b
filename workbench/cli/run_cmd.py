"""`workbench run` (a headless agent run) and `workbench sessions` (what is open)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from workbench.cli import main
from workbench.errors import WorkbenchError

SYNC_HELP = (
    "What to do with the changes when the agent stops: none (keep them in the "
    "session), review (keep them and print how to review them), all (apply every "
    "change that is neither flagged nor refused; flagged ones always wait)."
)


@main.command("run")
@click.argument("task_dir", required=False)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Work on this folder (in place of a copy of the task's workspace).",
)
@click.option("--prompt", help="The task for the agent (default: the task's prompt).")
@click.option(
    "--model",
    help="Any litellm model name (default: the task's scripted model, else "
    "[agent] model).",
)
@click.option(
    "--approve",
    type=click.Choice(["ask", "auto", "rules"]),
    default=None,
    help="Approval policy (default: [agent] approval). ask needs a terminal.",
)
@click.option(
    "--sync",
    type=click.Choice(["none", "review", "all"]),
    default="review",
    show_default=True,
    help=SYNC_HELP,
)
@click.option("--json", "as_json", is_flag=True, help="Events as JSON lines on stdout.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Per-command timeout in seconds (default: the task's, else [sandbox] "
    "timeout_s).",
)
@click.pass_context
def run_command(
    ctx: click.Context,
    task_dir: str | None,
    folder: Path | None,
    prompt: str | None,
    model: str | None,
    approve: str | None,
    sync: str,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Run the agent without the TUI on TASK_DIR (a sample task) or on --dir.

    Exit status: 0 finished, 1 failed, 3 budget exceeded, 130 interrupted,
    2 could not start.
    """
    from workbench.config import load_config
    from workbench.headless import run_headless

    config = load_config()
    request = _request(task_dir, folder, prompt, model, approve, sync, timeout, config)
    out = _JsonOutput() if as_json else _TextOutput()
    approver = _approver()
    result = run_headless(
        request,
        out.emit,
        approver,
        on_session=out.started,
        progress=lambda line: click.echo(line, err=True),
        config=config,
    )
    out.finished(result)
    ctx.exit(result.exit_code)


def _request(
    task_dir: str | None,
    folder: Path | None,
    prompt: str | None,
    model: str | None,
    approve: str | None,
    sync: str,
    timeout: float | None,
    config: Any,
) -> Any:
    from workbench.headless import RunRequest
    from workbench.tasks import find_task

    task = find_task(task_dir) if task_dir else None
    if task is None and (folder is None or not prompt):
        raise WorkbenchError(
            "Nothing to run: give a task folder, or --dir DIR with --prompt TEXT.",
            "Example: workbench run sample_tasks/fix-failing-test --approve auto",
        )
    prompt = prompt or (task.prompt if task else "")
    model = model or (task.model if task else "") or config.agent.model
    if not model:
        raise WorkbenchError(
            "No model chosen.",
            "Pass --model (any litellm name, e.g. openai/gpt-4o or "
            "ollama_chat/qwen2.5-coder) or set [agent] model in the config file.",
        )
    approval = approve or config.agent.approval
    if approval == "ask" and not sys.stdin.isatty():
        raise WorkbenchError(
            "--approve ask needs a terminal to ask you about each command, and "
            "stdin is not one.",
            "Use --approve auto (every command still runs in the sandbox and "
            "nothing reaches your folder unsynced) or --approve rules.",
        )
    if folder is None and task is not None:
        folder = task.copy_workspace()
        click.echo(f"workspace: copied {task.name} to {folder} (kept)", err=True)
    if timeout is None and task is not None:
        timeout = task.command_timeout_s
    return RunRequest(
        folder=Path(folder or "."),
        prompt=prompt,
        model=model,
        approval=approval,
        sync=sync,
        command_timeout_s=timeout,
    )


# Approval from a terminal.


def _approver() -> Any:
    """Ask on the terminal when there is one; headless rules mode denies 'ask'."""
    if sys.stdin.isatty():
        return _ask_terminal
    return _deny_unattended


async def _deny_unattended(event: Any) -> Any:
    from workbench.agent.loop import Decision

    return Decision(
        kind="deny",
        message="Nobody is at the terminal to approve this command in a headless "
        "run, so it was not run. Try a command the rules allow.",
    )


async def _ask_terminal(event: Any) -> Any:
    from workbench.agent.loop import Decision

    # The command itself was just printed with the command_proposed event.
    if event.risks:
        click.echo(f"  ⚠ {', '.join(event.risks)}", err=True)
    while True:
        answer = (await _read_line("  run it? [y]es / [n]o / [e]dit: ")).lower()
        if answer in ("y", "yes"):
            return Decision(kind="approve")
        if answer in ("n", "no"):
            reason = await _read_line("  why (sent to the agent, optional): ")
            return Decision(kind="deny", message=reason)
        if answer in ("e", "edit"):
            command = await _read_line("  command to run instead: ")
            if command:
                return Decision(kind="edit", command=command)


async def _read_line(prompt: str) -> str:
    """One line from stdin without blocking the event loop, so Ctrl-C still stops."""
    click.echo(prompt, err=True, nl=False)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[str] = loop.create_future()

    def _on_readable() -> None:
        if not ready.done():
            ready.set_result(sys.stdin.readline())

    fd = sys.stdin.fileno()
    loop.add_reader(fd, _on_readable)
    try:
        line = await ready
    finally:
        loop.remove_reader(fd)
    if not line:
        raise WorkbenchError("stdin closed while waiting for an answer.")
    return line.strip()


# Output.


class _JsonOutput:
    """Every event as one JSON object per line, then a `run_finished` object."""

    def started(self, session_id: str) -> None:
        pass

    def emit(self, event: Any) -> None:
        self._write(event.to_json())

    def finished(self, result: Any) -> None:
        self._write(result.to_json())

    @staticmethod
    def _write(data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class _TextOutput:
    """Readable progress lines: what the agent said, ran, and how it ended."""

    def __init__(self) -> None:
        self._partial: dict[str, str] = {}

    def started(self, session_id: str) -> None:
        click.echo(f"session {session_id} started")

    def emit(self, event: Any) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)

    def _on_task_started(self, event: Any) -> None:
        click.echo(f"model {event.model} · approve {event.approval}")
        click.echo(f"you: {event.prompt}")

    def _on_model_replied(self, event: Any) -> None:
        if event.text.strip():
            click.echo(f"\nagent: {event.text.strip()}")

    def _on_command_proposed(self, event: Any) -> None:
        risks = f"   ⚠ {', '.join(event.risks)}" if event.risks else ""
        prefix = "$" if event.tool == "run" else "·"
        lines = event.command.splitlines() or [""]
        click.echo(f"{prefix} {lines[0]}{risks}")
        for line in lines[1:]:
            click.echo(f"  {line}")

    def _on_command_denied(self, event: Any) -> None:
        reason = f": {event.message}" if event.message else ""
        click.echo(f"  denied by {event.by}{reason}")

    def _on_command_edited(self, event: Any) -> None:
        click.echo(f"  edited to: {event.command}")

    def _on_output_received(self, event: Any) -> None:
        text = self._partial.pop(event.call_id, "") + event.text
        *lines, rest = text.split("\n")
        for line in lines:
            click.echo(f"  │ {line}")
        if rest:
            self._partial[event.call_id] = rest

    def _on_command_finished(self, event: Any) -> None:
        rest = self._partial.pop(event.call_id, "")
        if rest:
            click.echo(f"  │ {rest}")
        notes = []
        if event.timed_out:
            notes.append("timed out")
        if event.interrupted:
            notes.append("interrupted")
        if event.output_truncated_bytes:
            notes.append(f"{event.output_truncated_bytes} bytes of output cut")
        extra = f" · {', '.join(notes)}" if notes else ""
        click.echo(f"  └ exit {event.exit_code} · {event.duration_s:.1f}s{extra}")

    def _on_tool_call_failed(self, event: Any) -> None:
        click.echo(f"  {event.tool} failed: {event.message}")

    def _on_changes_updated(self, event: Any) -> None:
        click.echo(
            f"  changes: {event.added} added, {event.modified} modified, "
            f"{event.deleted} deleted"
        )

    def _on_model_failed(self, event: Any) -> None:
        retry = f" (retrying, attempt {event.attempt})" if event.retrying else ""
        click.echo(f"model error{retry}: {event.message}", err=True)

    def _on_budget_exceeded(self, event: Any) -> None:
        click.echo(f"budget exceeded ({event.limit}): {event.message}", err=True)

    def _on_task_finished(self, event: Any) -> None:
        click.echo(f"\n{event.outcome}: {event.summary}".rstrip(": "))
        click.echo(
            f"{event.steps} steps · {event.total_tokens} tokens · "
            f"${event.total_cost_usd:.4f}"
        )

    def finished(self, result: Any) -> None:
        counts = result.counts
        click.echo(
            f"folder {result.folder} · changes: {counts.get('added', 0)} added, "
            f"{counts.get('modified', 0)} modified, {counts.get('deleted', 0)} deleted"
        )
        for line in _sync_lines(result):
            click.echo(line)


def _sync_lines(result: Any) -> list[str]:
    sync, sid = result.sync, result.session_id
    lines = []
    if sync.applied:
        lines.append(f"applied {len(sync.applied)} path(s) to {result.folder}:")
        lines += [f"  {path}" for path in sync.applied]
    if sync.mode == "all" and sync.flagged:
        lines.append(
            "flagged paths are never applied by --sync all; review them yourself:"
        )
        lines += [f"  ⚑ {path}" for path in sync.flagged]
    if sync.refused:
        lines.append("refused by the sync: " + ", ".join(sync.refused))
    if sync.conflicts:
        lines.append("changed in your folder meanwhile: " + ", ".join(sync.conflicts))
    if sync.pending:
        lines.append(f"{len(sync.pending)} change(s) wait in session {sid}:")
        lines.append(f"  workbench session diff {sid}     # see them")
        lines.append(f"  workbench session apply {sid}    # apply after review")
        lines.append(f"  workbench --resume {sid}         # review in the TUI")
    elif not sync.applied:
        lines.append("nothing to sync")
    return lines


# Sessions.


@main.command("sessions")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of sessions.")
def sessions_command(as_json: bool) -> None:
    """List sessions with their folder, state, age and pending changes."""
    from workbench.sandbox.session import SessionManager

    manager = SessionManager()
    rows = [_session_row(manager, info) for info in manager.list()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no sessions")
        return
    click.echo(f"{'ID':<12}{'STATE':<9}{'CREATED':<18}{'PENDING':<14}FOLDER")
    for row in rows:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created_at"]))
        pending = row["pending"]
        counts = (
            f"+{pending['added']} ~{pending['modified']} -{pending['deleted']}"
            if pending
            else "?"
        )
        folder = _home_short(row["folder"])
        click.echo(f"{row['id']:<12}{row['state']:<9}{created:<18}{counts:<14}{folder}")


def _session_row(manager: Any, info: Any) -> dict[str, Any]:
    row = info.to_json()
    try:
        session = manager.get(info.id)
        try:
            row["pending"] = session.changes().counts()
        finally:
            session.close()
    except (WorkbenchError, OSError) as error:
        row["pending"] = None
        row["error"] = getattr(error, "message", str(error))
    return row


def _home_short(folder: str) -> str:
    home = os.path.expanduser("~")
    return "~" + folder[len(home) :] if folder.startswith(home + os.sep) else folder
