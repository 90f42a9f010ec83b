"""The review's calls into the core: build, plan, apply, undo (off the UI thread)."""

from __future__ import annotations

import logging
from typing import Any

from textual.content import Content

from workbench.config import Config

log = logging.getLogger(__name__)


def load_review(session: Any, config: Config, watcher: Any = None) -> Any:
    """Build the review of a session's changes, conflicts included."""
    from workbench.changes.sync import review_session

    return review_session(session, watcher, config.review)


def plan(review: Any, config: Config) -> Any:
    from workbench.changes.plan import build_plan

    return build_plan(review, config.review)


def describe_plan(plan: Any, review: Any = None) -> Content:
    """Every write, creation, deletion and refusal, grouped, for the confirmation."""
    groups = [
        ("write", "Will write (overwrite)", "$primary"),
        ("create", "Will create", "$success"),
        ("delete", "Will delete", "$error"),
        ("chmod", "Will change the mode of", "$accent"),
    ]
    blocks: list[Content] = []
    for category, title, style in groups:
        actions = plan.of(category)
        if actions:
            lines = [
                Content(f"  {a.path}" + (f"  ({a.note})" if a.note else ""))
                for a in actions
            ]
            blocks.append(
                Content("\n").join(
                    [
                        Content(f"{title} ({len(actions)}):").stylize(f"bold {style}"),
                        *lines,
                    ]
                )
            )
    if plan.refused:
        lines = [Content(f"  {r.path}: {r.reason}") for r in plan.refused]
        head = Content(f"Will refuse ({len(plan.refused)}):").stylize("bold $warning")
        blocks.append(Content("\n").join([head, *lines]))
    if plan.rejected_paths:
        head = Content(
            f"Rejected, discarded from the sandbox ({len(plan.rejected_paths)}):"
        )
        lines = [Content(f"  {path}") for path in plan.rejected_paths]
        blocks.append(Content("\n").join([head.stylize("bold $text-muted"), *lines]))
    pending = [item.path for item in review or () if item.decision == "pending"]
    if pending:
        head = Content(f"Undecided, left in the sandbox ({len(pending)}):")
        lines = [Content(f"  {path}") for path in pending]
        blocks.append(Content("\n").join([head.stylize("bold $text-muted"), *lines]))
    return Content("\n\n").join(blocks)


def apply(session: Any, plan: Any, config: Config) -> str:
    """Carry out the plan; returns a sentence for the user."""
    from workbench.changes.sync import apply_to_session

    txn = apply_to_session(session, plan, config.review)
    counts = {c: len(plan.of(c)) for c in ("write", "create", "delete", "chmod")}
    done = ", ".join(f"{n} {c}" for c, n in counts.items() if n) or "nothing written"
    refused = f"; {len(plan.refused)} refused" if plan.refused else ""
    log.info("apply %s settled %d path(s)", txn.id, len(txn.settles))
    return f"Applied to your folder: {done}{refused}. u undoes it."


def undo(session: Any) -> str:
    """Undo the newest apply; returns a sentence for the user."""
    from workbench.changes.sync import touched_paths, undo_session

    txn = undo_session(session)
    paths = touched_paths(txn)
    if txn.state == "undone":
        return f"Undone: {plural(len(paths), 'path')} back as they were."
    return f"The last apply was {txn.state}: {plural(len(paths), 'path')} restored."


def plural(number: int, noun: str) -> str:
    """A count with its noun: 1 path, 2 paths."""
    return f"{number} {noun}" + ("" if number == 1 else "s")
