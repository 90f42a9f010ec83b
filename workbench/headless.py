"""Headless runs: one task through the agent loop, then an optional sync, no UI.

`workbench run` is a thin click layer over `run_headless`; the events it prints
are the loop's own, so a headless run and a TUI run of the same task emit the
same stream.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.agent.events import CommandProposed, Event, TaskFinished
from workbench.config import Config, load_config
from workbench.errors import WorkbenchError

log = logging.getLogger(__name__)

# How a run ended, as a process exit code (documented in docs/cli.md).
EXIT_CODES = {"finished": 0, "failed": 1, "budget_exceeded": 3, "interrupted": 130}

SYNC_MODES = ("none", "review", "all")

Approver = Callable[[CommandProposed], Awaitable[Any]]


@dataclass(frozen=True)
class RunRequest:
    """Everything a headless run needs to know before it starts."""

    folder: Path
    prompt: str
    model: str
    approval: str = "auto"  # "ask", "auto" or "rules"
    sync: str = "review"  # "none", "review" or "all"
    command_timeout_s: float | None = None


@dataclass(frozen=True)
class SyncReport:
    """What happened to the session's changes after the agent stopped."""

    mode: str
    pending: tuple[str, ...] = ()  # still waiting for review in the session
    applied: tuple[str, ...] = ()  # written to the folder
    flagged: tuple[str, ...] = ()  # flagged by the review model; never auto-applied
    refused: tuple[str, ...] = ()  # refused by the sync (too large, unsafe type)
    conflicts: tuple[str, ...] = ()  # the folder changed under the session


@dataclass(frozen=True)
class RunResult:
    """The end of a headless run, as `run_finished` reports it."""

    session_id: str
    outcome: str
    folder: Path
    summary: str
    counts: dict[str, int]  # what the agent changed, before any sync
    sync: SyncReport
    transcript: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.outcome, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "run_finished",
            "session_id": self.session_id,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "folder": str(self.folder),
            "summary": self.summary,
            "changes": dict(self.counts),
            "sync": self.sync.mode,
            "pending": list(self.sync.pending),
            "applied": list(self.sync.applied),
            "flagged": list(self.sync.flagged),
            "refused": list(self.sync.refused),
            "conflicts": list(self.sync.conflicts),
            "transcript": str(self.transcript) if self.transcript else None,
        }


def run_config(request: RunRequest, base: Config | None = None) -> Config:
    """The user's config with this run's model, approval and timeout applied."""
    config = base or load_config()
    agent = replace(config.agent, model=request.model, approval=request.approval)
    sandbox = config.sandbox
    if request.command_timeout_s is not None:
        sandbox = replace(sandbox, timeout_s=float(request.command_timeout_s))
    return replace(config, agent=agent, sandbox=sandbox)


def run_headless(
    request: RunRequest,
    emit: Callable[[Event], None],
    approver: Approver,
    *,
    on_session: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    config: Config | None = None,
    data_root: Path | None = None,
) -> RunResult:
    """Start a session on the folder, run the agent to the end, then sync as asked."""
    if request.sync not in SYNC_MODES:
        raise WorkbenchError(
            f"Unknown sync mode {request.sync!r}.", f"Use one of {SYNC_MODES}."
        )
    from workbench.sandbox.session import SessionManager

    config = run_config(request, config)
    manager = SessionManager(config=config, data_root=data_root)
    session = manager.start(request.folder, progress=progress)
    if on_session is not None:
        on_session(session.id)
    try:
        finished, transcript = asyncio.run(
            _drive(session, request, config, emit, approver)
        )
        counts = session.changes().counts()
        report = sync_changes(session, request.sync, config)
    finally:
        session.close()
    return RunResult(
        session_id=session.id,
        outcome=finished.outcome,
        folder=Path(session.folder),
        summary=finished.summary,
        counts=counts,
        sync=report,
        transcript=transcript,
    )


async def _drive(
    session: Any,
    request: RunRequest,
    config: Config,
    emit: Callable[[Event], None],
    approver: Approver,
) -> tuple[TaskFinished, Path | None]:
    from workbench.agent.loop import AgentLoop
    from workbench.agent.transcript import Transcript

    transcript = Transcript.for_session(session, config.agent.secret_patterns)
    loop = AgentLoop(
        session,
        model=request.model,
        config=config.agent,
        approver=approver,
        emit=emit,
        transcript=transcript,
    )

    # Ctrl-C stops the agent the way the TUI's stop key does: the running
    # container is killed and the loop ends "interrupted" with its events.
    running = asyncio.get_running_loop()
    try:
        running.add_signal_handler(signal.SIGINT, loop.interrupt)
    except (NotImplementedError, RuntimeError):
        log.debug("no SIGINT handler; Ctrl-C will raise KeyboardInterrupt")
    try:
        finished = await loop.run(request.prompt)
    finally:
        try:
            running.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass
    return finished, getattr(transcript, "path", None)


def sync_changes(session: Any, mode: str, config: Config) -> SyncReport:
    """Leave the session's changes pending, or apply every unflagged one ("all")."""
    from workbench.changes.sync import apply_to_session, build_plan, review_session

    review = review_session(session, config=config.review)
    paths = tuple(item.path for item in review)
    flagged = tuple(item.path for item in review if item.flagged)
    conflicts = tuple(item.path for item in review if item.conflict is not None)
    if mode != "all" or not paths:
        return SyncReport(mode, pending=paths, flagged=flagged, conflicts=conflicts)

    # Flagged and conflicted paths are never accepted wholesale: they need a
    # person looking at them, in the TUI or with `workbench session ...`.
    review.accept_all(include_flagged=False)
    plan = build_plan(review, config.review)
    if not plan.empty:
        apply_to_session(session, plan, config.review)
    applied = tuple(plan.applied_paths)
    return SyncReport(
        mode,
        pending=tuple(p for p in paths if p not in applied),
        applied=applied,
        flagged=flagged,
        refused=tuple(refusal.path for refusal in plan.refused),
        conflicts=conflicts,
    )
