"""Open the Textual app on the current folder, on a sample task, or on a replay."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workbench.cli import main
from workbench.errors import WorkbenchError

DEFAULT_DEMO = "fix-failing-test"


def open_tui(
    theme: str | None,
    resume_id: str | None,
    model: str | None,
    approve: str | None,
    folder: Path | None = None,
    prompt: str = "",
) -> None:
    """Run the app until the user quits; the current folder unless resuming."""
    from workbench.tui.app import Launch, WorkbenchApp

    if resume_id is None:
        folder = (folder or Path.cwd()).resolve()
    launch = Launch(
        folder=None if resume_id else folder,
        resume_id=resume_id,
        model=model,
        approval=approve,
        theme=theme,
        prompt=prompt,
    )
    app = WorkbenchApp(launch)
    app.run()
    if app.session is not None and app.pending_changes:
        session_id = app.session.id
        click.echo(
            f"{app.pending_changes} change(s) not yet applied stay in session "
            f"{session_id}; review them with: workbench --resume {session_id}",
            err=True,
        )
    if app.return_code:
        sys.exit(app.return_code)


@main.command()
@click.argument("task", default=DEFAULT_DEMO)
@click.option("--theme", default=None, help="Theme name (see themes/).")
@click.option(
    "--approve",
    type=click.Choice(["ask", "auto", "rules"]),
    default=None,
    help="Approval policy (default: ask).",
)
@click.option("--model", default=None, help="Use a real model instead of the script.")
def demo(task: str, theme: str | None, approve: str | None, model: str | None) -> None:
    """Open a fresh copy of a sample task with its scripted model.

    TASK is a name under sample_tasks/ (default: fix-failing-test) or a task folder.
    """
    from workbench.tasks import find_task

    sample = find_task(task)
    folder = sample.copy_workspace()
    click.echo(f"workbench demo: {sample.title} in {folder}", err=True)
    open_tui(
        theme=theme,
        resume_id=None,
        model=model or sample.model,
        approve=approve,
        folder=folder,
        prompt=sample.prompt,
    )


@main.command()
@click.argument("session_id")
@click.option(
    "--speed", default=1.0, type=float, show_default=True, help="Playback speed."
)
@click.option("--theme", default=None, help="Theme name (see themes/).")
def replay(session_id: str, speed: float, theme: str | None) -> None:
    """Play a session's transcript back in the app, read-only."""
    from workbench.agent.transcript import FILE_NAME, iter_events
    from workbench.config import data_dir
    from workbench.sandbox.store import Store
    from workbench.tui.app import Launch, WorkbenchApp

    if speed <= 0:
        raise WorkbenchError(
            "--speed must be above 0.", "Try --speed 2 for twice as fast."
        )
    store = Store(data_dir())
    record = store.load(session_id)
    path = store.path(session_id) / FILE_NAME
    if not path.is_file():
        raise WorkbenchError(
            f"Session {session_id} has no transcript yet.",
            "Run a task in it first (workbench --resume ID).",
        )
    launch = Launch(
        folder=Path(record.folder),
        theme=theme,
        replay=lambda: iter_events(path),
        replay_speed=speed,
        open_session=False,
    )
    WorkbenchApp(launch).run()
