"""The top line: folder, model, tokens, cost and budget, approval, loosening."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static


def short_tokens(count: int) -> str:
    """12400 -> '12.4k', so the header stays one line."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 1000:
        return f"{count / 1000:.1f}k"
    return str(count)


class StatusHeader(Static):
    """Always visible: what runs, what it costs, and which controls are loosened."""

    DEFAULT_CSS = """
    StatusHeader {
        height: auto;
        max-height: 2;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    folder: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    tokens: reactive[int] = reactive(0)
    cost: reactive[float] = reactive(0.0)
    budget: reactive[float] = reactive(0.0)
    approval: reactive[str] = reactive("ask")
    loosened: reactive[tuple[str, ...]] = reactive(())
    state: reactive[str] = reactive("")

    def render(self) -> Content:
        # Safety first: on a narrow terminal the end of the line is what wraps away.
        parts = [Content.from_markup("[b]workbench[/b]")]
        parts.append(Content.from_markup("[b]$a[/b]", a=self.approval.upper()))
        if self.loosened:
            loose = "⚠ loosened: " + ", ".join(self.loosened)
            parts.append(Content(loose).stylize("bold $warning"))
        parts.append(Content.from_markup("model [b]$m[/b]", m=self.model or "—"))
        parts.append(Content(f"{short_tokens(self.tokens)} tok"))
        spent = Content(f"${self.cost:.3f} / ${self.budget:.2f}")
        if self.budget and self.cost >= 0.8 * self.budget:
            spent = spent.stylize("$warning")
        parts.append(spent)
        if self.state:
            parts.append(Content(self.state))
        if self.folder:
            parts.append(Content(self.folder))
        return Content(" · ").join(parts)
