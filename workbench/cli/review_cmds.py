"""`workbench session diff|apply|undo`: review and sync-back from the command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from workbench.cli.sandbox_cmds import _manager, session_group
from workbench.errors import WorkbenchError

_STYLES = {"+": "green", "-": "red", "@": "cyan", "f": "yellow", "c": "magenta"}


def _open(session_id: str) -> Any:
    return _manager().get(session_id)


def _selected(review: Any, paths: tuple[str, ...]) -> list[Any]:
    """The files named, a directory naming everything below it."""
    if not paths:
        return list(review.files)
    chosen = []
    for raw in paths:
        name = raw.strip("/")
        hits = [
            f for f in review.files if f.path == name or f.path.startswith(name + "/")
        ]
        if not hits:
            raise WorkbenchError(
                f"{raw!r} has no changes in this session.",
                "See `workbench session changes ID` for the changed paths.",
            )
        chosen += [hit for hit in hits if hit not in chosen]
    return chosen


@session_group.command("diff")
@click.argument("session_id")
@click.argument("paths", nargs=-1)
def session_diff(session_id: str, paths: tuple[str, ...]) -> None:
    """Show the session's changes as a unified diff (all, or the PATHs given)."""
    from workbench.changes.sync import review_session
    from workbench.config import load_config

    with _open(session_id) as session:
        review = review_session(session, config=load_config().review)
    for item in _selected(review, paths):
        for line in item.diff_lines():
            style = (
                _STYLES.get(line[:1]) if not line.startswith(("---", "+++")) else None
            )
            if line.startswith(("flag ", "conflict")):
                style = _STYLES[line[0]]
            click.echo(click.style(line, fg=style) if style else line)


@session_group.command("apply")
@click.argument("session_id")
@click.argument("paths", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Apply every change.")
@click.option(
    "--include-flagged", is_flag=True, help="With --all, include flagged changes too."
)
@click.option(
    "--resolve",
    type=click.Choice(["agent", "mine"]),
    default=None,
    help="For conflicted PATHs: take the agent's version, or keep yours.",
)
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option("--finish", is_flag=True, help="Complete an interrupted apply.")
def session_apply(
    session_id: str,
    paths: tuple[str, ...],
    everything: bool,
    include_flagged: bool,
    resolve: str | None,
    yes: bool,
    finish: bool,
) -> None:
    """Write accepted changes into your folder, after showing exactly what changes."""
    from workbench.changes.sync import (
        apply_to_session,
        build_plan,
        finish_session,
        review_session,
    )
    from workbench.config import load_config

    config = load_config().review
    with _open(session_id) as session:
        if finish:
            txn = finish_session(session)
            click.echo(
                "Finished the interrupted apply." if txn else "Nothing to finish."
            )
            return
        if everything == bool(paths):
            raise WorkbenchError(
                "Name the paths to apply, or pass --all (not both).",
                "e.g. `workbench session apply ID --all` or `... apply ID src/a.py`.",
            )
        review = review_session(session, config=config)
        skipped = _decide(review, paths, everything, include_flagged, resolve)
        plan = build_plan(review, config)

        click.echo(f"Folder: {plan.folder}")
        for line in plan.describe():
            click.echo(f"  {line}")
        for path in skipped:
            item = review.file(path)
            why = item.conflict.reason if item.conflicted else item.flags[0].reason
            click.echo(f"  skip    {path!r}: {why} Name it to include it.")
        if plan.empty:
            click.echo("Nothing to apply.")
            return
        if not yes:
            _confirm(plan)
        txn = apply_to_session(session, plan, config)
    click.echo(
        f"Applied {len(plan.actions)} change(s). "
        f"Undo with: workbench session undo {session_id}  (record {txn.id})"
    )


def _decide(
    review: Any,
    paths: tuple[str, ...],
    everything: bool,
    include_flagged: bool,
    resolve: str | None,
) -> list[str]:
    """Accept what the user asked for; returns what --all left out, and why."""
    if everything:
        return review.accept_all(include_flagged=include_flagged)
    skipped = []
    for item in _selected(review, paths):
        if item.conflict is not None and resolve is not None:
            review.resolve(item.path, resolve)
        elif item.conflicted:
            skipped.append(item.path)
        else:
            review.accept_file(item.path)
    return skipped


def _confirm(plan: Any) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise WorkbenchError(
            "Not applying: there is no terminal to confirm on.",
            "Check the plan above and pass --yes to apply it.",
        )
    if not click.confirm(f"Apply these changes to {plan.folder}?", default=False):
        raise WorkbenchError("Nothing was applied.", "")


@session_group.command("undo")
@click.argument("session_id")
def session_undo(session_id: str) -> None:
    """Restore your folder to how it was before the last apply."""
    from workbench.changes.sync import undo_session

    with _open(session_id) as session:
        txn = undo_session(session)
    what = "Rolled back the interrupted" if txn.state == "rolled-back" else "Undid the"
    click.echo(f"{what} apply {txn.id}: {len(txn.originals)} path(s) restored.")
