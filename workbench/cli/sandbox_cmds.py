"""Scriptable sandbox commands: doctor, image, session and gc (see docs/cli.md)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from workbench.cli import main
from workbench.errors import WorkbenchError

# A process exit code can only carry 0-255; these stand for what has no code.
EXIT_NO_CODE = 125


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _progress(line: str) -> None:
    click.echo(line, err=True)


def _manager(pool_size: int | None = 0) -> Any:
    from workbench.sandbox.session import SessionManager

    # Each CLI call serves one command at most, so a warm pool would be waste.
    return SessionManager(pool_size=pool_size)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
def doctor(as_json: bool) -> None:
    """Check the engine, runtimes, overlay support, image, data dir and config."""
    from workbench.config import config_path, data_dir, load_config
    from workbench.sandbox.engine import Engine
    from workbench.sandbox.image import image_tag

    config = load_config()
    engine = Engine()
    report: dict[str, Any] = {
        "data_dir": str(data_dir()),
        "config": str(config_path()),
        "config_exists": config_path().exists(),
        "loosened": config.sandbox.loosened(),
        "image": config.sandbox.image or image_tag(),
    }
    try:
        report["engine"] = engine.facts().to_json()
        report["image_present"] = engine.has_image(report["image"])
        report["runtime"] = config.sandbox.runtime
        report["runtime_available"] = config.sandbox.runtime in engine.runtimes()
        report["overlay"] = (
            engine.overlay_volumes_work(report["image"], data_dir())
            if report["image_present"]
            else None
        )
        report["ok"] = bool(report["image_present"] and report["runtime_available"])
    except WorkbenchError as error:
        report.update(engine=None, ok=False, error=error.message, hint=error.hint)
    if as_json:
        _echo_json(report)
    else:
        _print_doctor(report)
    if report.get("engine") is None:
        sys.exit(2)


def _print_doctor(report: dict[str, Any]) -> None:
    engine = report.get("engine")
    if engine is None:
        click.echo(f"engine      unavailable: {report['error']}")
        click.echo(f"            {report['hint']}")
    else:
        where = "local" if engine["local"] else f"remote {engine['host']}"
        click.echo(f"engine      docker {engine['version']} ({where})")
        click.echo(f"runtimes    {', '.join(engine['runtimes'])}")
        click.echo(
            f"runtime     {report['runtime']}"
            + ("" if report["runtime_available"] else " (NOT registered)")
        )
        overlay = {True: "works", False: "unavailable (copy)", None: "unknown"}
        click.echo(f"overlay     {overlay[report['overlay']]}")
        present = "present" if report["image_present"] else "missing (built on use)"
        click.echo(f"image       {report['image']} {present}")
    click.echo(f"data dir    {report['data_dir']}")
    exists = "" if report["config_exists"] else " (absent: defaults)"
    click.echo(f"config      {report['config']}{exists}")
    loosened = ", ".join(report["loosened"]) or "none"
    click.echo(f"loosened    {loosened}")


@main.group()
def image() -> None:
    """Build or inspect the sandbox image."""


@image.command("build")
@click.option("--base", default=None, help="Build FROM this local base image.")
def image_build(base: str | None) -> None:
    """Build the sandbox image (from a Debian rootfs when no base is given)."""
    from workbench.sandbox.engine import Engine
    from workbench.sandbox.image import build_image

    click.echo(build_image(Engine(), _progress, base))


@image.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
def image_check(as_json: bool) -> None:
    """Print the image's user, size, setuid files and package count."""
    from workbench.sandbox.engine import Engine
    from workbench.sandbox.image import check_image

    facts = check_image(Engine())
    if as_json:
        _echo_json(facts)
    else:
        for key in ("tag", "user", "size_mb", "package_count", "setuid_files", "ok"):
            click.echo(f"{key:14}{facts.get(key)}")
    if not facts.get("ok"):
        sys.exit(1)


@main.group("session")
def session_group() -> None:
    """Start sessions, run commands in them, read their changes."""


@session_group.command("start")
@click.argument("folder", default=".", type=click.Path(path_type=Path))
@click.option(
    "--strategy", type=click.Choice(["auto", "overlay", "copy"]), default=None
)
@click.option("--json", "as_json", is_flag=True, help="Print the session as JSON.")
def session_start(folder: Path, strategy: str | None, as_json: bool) -> None:
    """Start a session on FOLDER (default: here) and print its id."""
    session = _manager().start(folder, strategy=strategy, progress=_progress)
    try:
        for note in session.notes:
            click.echo(f"note: {note}", err=True)
        if as_json:
            _echo_json(_session_json(session))
        else:
            click.echo(session.id)
    finally:
        session.close()


def _session_json(session: Any) -> dict[str, Any]:
    return {
        "id": session.id,
        "folder": str(session.folder),
        "strategy": session.strategy,
        "created_at": session.created_at,
        "image": session.image,
        "runtime": session.runtime,
        "network": session.network,
        "notes": session.notes,
        "data_dir": str(session.data_dir),
    }


@session_group.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("session_id")
@click.option("--timeout", type=float, default=None, help="Seconds before the kill.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def session_exec(session_id: str, timeout: float | None, command: tuple[str, ...]):
    """Run COMMAND in a fresh container; exits with the command's exit code."""
    import shlex

    session = _manager().get(session_id)
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = session.exec(
                shlex.join(command) if len(command) > 1 else command[0],
                timeout=timeout,
                on_output=_write_out,
                cancel=cancel,
            )
        except BaseException as error:  # re-raised on the main thread
            outcome["error"] = error

    previous = signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    worker = threading.Thread(target=work, name="session-exec", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            try:
                worker.join(0.2)
            except KeyboardInterrupt:
                cancel.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.close()
    if "error" in outcome:
        raise outcome["error"]
    sys.exit(_exit_code(outcome["result"]))


def _write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _exit_code(result: Any) -> int:
    if result.timed_out:
        click.echo(
            f"error: the command timed out after {result.duration_s:.0f}s "
            "and its container was removed",
            err=True,
        )
        return 124
    if result.interrupted:
        click.echo("interrupted: the command's container was removed", err=True)
        return 130
    if result.oom_killed:
        click.echo("error: the command ran out of memory", err=True)
    code = result.exit_code
    return code if 0 <= code <= 255 else EXIT_NO_CODE


@session_group.command("changes")
@click.argument("session_id")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def session_changes(session_id: str, as_json: bool) -> None:
    """List what the session changed compared with its folder."""
    from workbench.changes.review import file_json
    from workbench.changes.sync import review_session

    with _manager().get(session_id) as session:
        review = review_session(session)
    changes = review.changes
    if as_json:
        facts = {item.path: file_json(item) for item in review.files}
        _echo_json(
            {
                "session": session_id,
                "folder": str(changes.folder),
                "counts": changes.counts(),
                "changes": [
                    {**change_json(c), **_review_facts(facts.get(c.path))}
                    for c in changes
                ],
            }
        )
        return
    letters = {"added": "A", "modified": "M", "deleted": "D"}
    for change in changes:
        extra = f" -> {change.link_target}" if change.link_target else ""
        if change.mode_changed:
            extra += f" (mode {change.old_mode:o} -> {change.new_mode:o})"
        click.echo(f"{letters[change.kind]} {change.path}{extra}")


def _review_facts(facts: dict[str, Any] | None) -> dict[str, Any]:
    """What the review adds to a change: its flags, conflict and hunk count."""
    facts = facts or {}
    return {
        "flags": facts.get("flags", []),
        "conflict": facts.get("conflict"),
        "binary": facts.get("binary", False),
        "hunks": facts.get("hunks", 0),
    }


def change_json(change: Any) -> dict[str, Any]:
    """One Change as the stable JSON shape documented in docs/cli.md."""
    return {
        "path": change.path,
        "kind": change.kind,
        "new_type": change.new_type,
        "old_type": change.old_type,
        "new_mode": change.new_mode,
        "old_mode": change.old_mode,
        "mode_changed": change.mode_changed,
        "size": change.size,
        "link_target": change.link_target,
        "old_link_target": change.old_link_target,
        "nlink": change.nlink,
        "hardlink_of": change.hardlink_of,
    }


@session_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the sessions as JSON.")
def session_list(as_json: bool) -> None:
    """List the sessions of this data dir."""
    infos = _manager().list()
    if as_json:
        _echo_json([info.to_json() for info in infos])
        return
    for info in infos:
        click.echo(f"{info.id}  {info.strategy:7}  {info.state:8}  {info.folder}")


@session_group.command("drop")
@click.argument("session_id")
def session_drop(session_id: str) -> None:
    """Remove a session: its containers, volume and directory (not the folder)."""
    _manager().drop(session_id)
    click.echo(f"dropped {session_id}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was removed.")
def gc(as_json: bool) -> None:
    """Remove containers, volumes and dirs of sessions that are gone or unowned."""
    report = _manager().gc()
    if as_json:
        _echo_json(report.to_json())
        return
    click.echo(
        f"removed {len(report.containers)} container(s), "
        f"{len(report.volumes)} volume(s), {len(report.dirs)} dir(s)"
    )


__all__ = ["change_json", "session_group"]
