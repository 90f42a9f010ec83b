"""The review screen: every change, file by file and hunk by hunk, before it syncs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, OptionList, Static

from workbench.config import Config
from workbench.errors import WorkbenchError
from workbench.tui import review_ops
from workbench.tui.messages import ReviewReady, SyncFinished
from workbench.tui.widgets.diff_view import DiffView
from workbench.tui.widgets.file_list import FileList

log = logging.getLogger(__name__)


class ReviewScreen(Screen[None]):
    """Decisions live in the core's Review; this screen shows and changes them."""

    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("y", "decide(True)", "accept", tooltip="accept this hunk"),
        Binding("n", "decide(False)", "reject", tooltip="reject this hunk"),
        Binding(
            "e", "edit_hunk", "edit", tooltip="edit the hunk's new text, then accept it"
        ),
        Binding(
            "Y",
            "decide_file(True)",
            "file ✓",
            key_display="Y",
            tooltip="accept the whole file",
        ),
        Binding(
            "N",
            "decide_file(False)",
            "file ✗",
            key_display="N",
            tooltip="reject the whole file",
        ),
        Binding(
            "ctrl+y",
            "decide_all(True)",
            "all ✓",
            tooltip="accept every file; flagged ones are asked again",
        ),
        Binding("ctrl+n", "decide_all(False)", "all ✗", tooltip="reject every file"),
        Binding("o", "resolve('mine')", "keep mine"),
        Binding("t", "resolve('agent')", "take agent's"),
        Binding("j,down", "move(1)", "next hunk", show=False),
        Binding("k,up", "move(-1)", "previous hunk", show=False),
        Binding("J,pagedown", "next_file(1)", "next file", show=False),
        Binding("K,pageup", "next_file(-1)", "previous file", show=False),
        Binding(
            "A",
            "apply",
            "apply…",
            key_display="A",
            tooltip="list what will be written, then apply",
        ),
        Binding("u", "undo", "undo", tooltip="undo the last apply"),
        Binding("escape", "back", "back"),
    ]

    def __init__(
        self, session: Any, config: Config, review: Any = None, watcher: Any = None
    ) -> None:
        super().__init__()
        self.session = session
        self.watcher = watcher
        self.config = config
        self.review = review
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("Review · reading the changes…", id="review-summary")
        with Horizontal(id="review-panes"):
            with Vertical(id="files-side") as files:
                files.border_title = "Files"
                yield FileList(id="file-list")
            with Vertical(id="diff-side") as diff:
                diff.border_title = "Diff"
                yield LoadingIndicator(id="review-loading")
                yield DiffView(id="diff")
        yield Footer()

    def on_mount(self) -> None:
        if self.review is None:
            self._load()
        else:
            self._show_review()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def _load(self) -> None:
        try:
            review = review_ops.load_review(self.session, self.config, self.watcher)
        except WorkbenchError as error:
            self.app.call_from_thread(self._failed, error.message, error.hint)
            return
        except Exception as error:  # shown as a notification, details in the log
            log.exception("reading the changes failed")
            self.app.call_from_thread(self._failed, f"Cannot read the changes: {error}")
            return
        self.app.call_from_thread(self._loaded, review)

    def _failed(self, message: str, hint: str = "") -> None:
        self.notify(f"{message} {hint}".strip(), severity="error", timeout=8)
        self.query_one("#review-loading").display = False

    def _loaded(self, review: Any) -> None:
        self.review = review
        self._show_review()

    def _show_review(self) -> None:
        self.query_one("#review-loading").display = False
        files = self.query_one(FileList)
        files.show(list(self.review))
        files.focus()
        self._show_file()
        self._update_summary()
        self.post_message(ReviewReady())

    # -- what is shown -------------------------------------------------------------

    @property
    def item(self) -> Any:
        path = self.query_one(FileList).selected_path
        return self.review.file(path) if self.review and path else None

    def _show_file(self, part: int = 0) -> None:
        diff = self.query_one(DiffView)
        item = self.item
        diff.show(item, part)
        self._update_titles()
        self.refresh_bindings()

    def _update_titles(self) -> None:
        diff = self.query_one(DiffView)
        side = self.query_one("#diff-side")
        side.border_title = Content(diff.item.path) if diff.item else Content("Diff")
        side.border_subtitle = diff.position

    def _update_summary(self) -> None:
        s = self.review.summary()
        counts = " · ".join(
            review_ops.plural(n, noun)
            for n, noun in (
                (s.files, "file"),
                (s.hunks, "hunk"),
                (s.conflicts, "conflict"),
            )
        )
        text = (
            f"Review · {counts} · {s.flagged} flagged  │  ✓ {s.accepted} accepted · "
            f"◐ {s.partial} partly · ✗ {s.rejected} rejected · ? {s.pending} undecided"
        )
        self.query_one("#review-summary", Static).update(Content(text))

    def _redraw(self) -> None:
        diff = self.query_one(DiffView)
        self.query_one(FileList).update_item(diff.item)
        diff.refresh_part()
        self._update_summary()
        self._update_titles()

    def on_option_list_option_highlighted(
        self, event: OptionList.OptionHighlighted
    ) -> None:
        if self.review is not None:
            self._show_file()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back",):
            return True
        if self.review is None or self.busy:
            return None if action != "undo" else True
        item = self.item
        if action in ("decide", "decide_file", "move", "next_file"):
            return item is not None
        if action == "edit_hunk":
            diff = self.query_one(DiffView)
            return isinstance(diff.current_part, int)
        if action == "resolve":
            return bool(item is not None and item.conflict is not None)
        return True

    # -- decisions -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        diff = self.query_one(DiffView)
        diff.move(step)
        self._update_titles()
        self.refresh_bindings()

    def action_next_file(self, step: int) -> None:
        files = self.query_one(FileList)
        if files.option_count:
            files.highlighted = ((files.highlighted or 0) + step) % files.option_count

    def action_decide(self, accept: bool) -> None:
        diff = self.query_one(DiffView)
        item, part = diff.item, diff.current_part
        if item is None or part is None:
            return
        if item.conflicted:
            self.notify(
                "Resolve the conflict first: o keeps yours, t takes the agent's."
            )
            return
        decision = "accepted" if accept else "rejected"
        if part == "whole":
            item.whole = decision
        elif accept:
            self.review.accept_hunk(item.path, part)
        else:
            self.review.reject_hunk(item.path, part)
        self._redraw()
        if diff.current < len(diff.parts) - 1:
            self.action_move(1)

    def action_decide_file(self, accept: bool) -> None:
        item = self.item
        if item is None:
            return
        if item.conflicted:
            self.notify(
                "Resolve the conflict first: o keeps yours, t takes the agent's."
            )
            return
        if accept:
            self.review.accept_file(item.path)
        else:
            self.review.reject_file(item.path)
        self._show_file(self.query_one(DiffView).current)
        self._redraw()

    def action_decide_all(self, accept: bool) -> None:
        if not accept:
            self.review.reject_all()
            self._show_review()
            return
        skipped = self.review.accept_all(include_flagged=False)
        self._show_review()
        flagged = [p for p in skipped if not self.review.file(p).conflicted]
        if flagged:
            self._confirm_flagged(flagged)
        elif skipped:
            self.notify(f"{len(skipped)} conflicted file(s) left for you to resolve.")

    def _confirm_flagged(self, flagged: list[str]) -> None:
        from workbench.tui.screens.confirm import Confirm

        lines = []
        for path in flagged:
            reasons = " ".join(flag.reason for flag in self.review.file(path).flags)
            lines.append(f"⚑ {path}\n    {reasons}")
        dialog = Confirm(
            f"Also accept {len(flagged)} flagged file(s)?",
            "\n".join(lines),
            yes="Accept flagged too",
            warning="Everything else is accepted. These were left undecided:",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                for path in flagged:
                    self.review.accept_file(path)
                self._show_review()

        self.app.push_screen(dialog, answered)

    def action_resolve(self, keep: str) -> None:
        item = self.item
        if item is None or item.conflict is None:
            return
        self.review.resolve(item.path, keep)
        self._show_file()
        self._redraw()

    def action_edit_hunk(self) -> None:
        from workbench.tui.screens.edit_text import EditText

        diff = self.query_one(DiffView)
        item, part = diff.item, diff.current_part
        if item is None or not isinstance(part, int):
            return
        text = item.edits.get(part, item.hunks[part].new_text)
        title = f"Edit hunk {part + 1} of {item.path} (its new lines), ctrl+s accepts"

        def edited(new_text: str | None) -> None:
            if new_text is not None:
                self.review.edit_hunk(item.path, part, new_text)
                diff.show(item, diff.current)
                self._redraw()

        self.app.push_screen(EditText(title, text), edited)

    # -- apply and undo ------------------------------------------------------------

    def action_apply(self) -> None:
        from workbench.tui.screens.confirm import Confirm

        try:
            plan = review_ops.plan(self.review, self.config)
        except WorkbenchError as error:
            self.notify(f"{error.message} {error.hint}".strip(), severity="error")
            return
        if plan.empty and not plan.rejected_paths:
            self.notify("Nothing accepted yet: y accepts a hunk, Y a whole file.")
            return
        body = review_ops.describe_plan(plan, self.review)
        dialog = Confirm(
            f"Apply to {self.review.folder}?", body, yes="Apply", warning=""
        )
        apply = partial(review_ops.apply, self.session, plan, self.config)
        self.app.push_screen(
            dialog, lambda yes: yes and self._start_sync(apply, "Apply failed")
        )

    def action_undo(self) -> None:
        from workbench.tui.screens.confirm import Confirm

        dialog = Confirm(
            "Undo the last apply?",
            "Your folder goes back to how it was before the last apply.",
            yes="Undo",
        )
        undo = partial(review_ops.undo, self.session)
        self.app.push_screen(
            dialog, lambda yes: yes and self._start_sync(undo, "Undo failed")
        )

    def _start_sync(self, job: Callable[[], str], failure: str) -> None:
        # Busy is set here, on the UI thread, before the worker can be scheduled.
        self.busy = True
        self._sync(job, failure)

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def _sync(self, job: Callable[[], str], failure: str) -> None:
        try:
            text = job()
        except WorkbenchError as error:
            self.app.call_from_thread(
                self._after_sync, f"{error.message} {error.hint}", True
            )
        except Exception as error:  # the journal keeps the backup; say so
            log.exception("%s", failure)
            self.app.call_from_thread(self._after_sync, f"{failure}: {error}", True)
        else:
            self.app.call_from_thread(self._after_sync, text, False)

    def _after_sync(self, text: str, failed: bool) -> None:
        self.busy = False
        self.post_message(SyncFinished(text, failed))
        self.notify(
            text.strip(), severity="error" if failed else "information", timeout=8
        )
        self.app.refresh_changes()  # type: ignore[attr-defined]
        self.review = None
        self.query_one("#review-loading").display = True
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)
