"""The review's calls into the core: build, plan, apply, undo (off the UI thread)."""

from __future__ import annotations

from typing import Any

from textual.content import Content

from workbench.config import Config


def load_review(session: Any, config: Config) -> Any:
    """Build the review of a session's changes, conflicts included."""
    from workbench.changes.conflicts import find_conflicts
    from workbench.changes.review import Review

    changes = session.changes()
    conflicts = find_conflicts(changes, session.created_at)
    return Review.build(changes, config.review, conflicts=conflicts)


def plan(review: Any, config: Config) -> Any:
    from workbench.changes.plan import build_plan

    return build_plan(review, config.review)


def describe_plan(plan: Any) -> Content:
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
    return Content("\n\n").join(blocks)


def apply(session: Any, review: Any, plan: Any) -> str:
    """Carry out the plan; returns a sentence for the user."""
    from workbench.changes import sync

    result = sync.apply_plan(session, plan)
    return str(result)


def undo(session: Any) -> str:
    from workbench.changes import sync

    result = sync.undo_last(session)
    return str(result)
