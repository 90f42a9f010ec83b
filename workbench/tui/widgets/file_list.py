"""The review's list of changed files with decision, kind, flag and conflict marks."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

_DECISIONS = {
    "accepted": ("✓", "$success"),
    "rejected": ("✗", "$error"),
    "partial": ("◐", "$accent"),
    "pending": ("?", "$text-muted"),
}
_KINDS = {"added": "A", "modified": "M", "deleted": "D"}


def file_row(item: Any) -> Content:
    """'✓ M ⚑ shop/price.py  2/2': decision, kind, flag or conflict, hunks accepted."""
    mark, style = _DECISIONS.get(item.decision, ("?", "$text-muted"))
    if item.conflicted:
        badge: tuple[str, str] = ("≠", "bold $error")
    elif item.flagged:
        badge = ("⚑", "bold $warning")
    else:
        badge = (" ", "")
    parts = item.hunk_decisions
    count = f"  {parts.count('accepted')}/{len(parts)}" if parts else ""
    kind = _KINDS.get(item.kind, "?")
    return Content.assemble(
        (mark, f"bold {style}"),
        f" {kind} ",
        badge,
        f" {item.path}",
        (count, "$text-muted"),
    )


class FileList(OptionList):
    """One option per file, its id the path; refreshed in place after each decision."""

    DEFAULT_CSS = """
    FileList, FileList:focus {
        height: 1fr; border: none; padding: 0; background: $surface;
    }
    """

    def show(self, items: list[Any]) -> None:
        """Fill the list, keeping the highlighted path when it is still there."""
        highlighted = self.highlighted
        self.clear_options()
        self.add_options([Option(file_row(item), id=item.path) for item in items])
        if items:
            self.highlighted = min(highlighted or 0, len(items) - 1)

    def update_item(self, item: Any) -> None:
        self.replace_option_prompt(item.path, file_row(item))

    @property
    def selected_path(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
