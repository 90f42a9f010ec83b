"""The review screen on a fixed change set: hunk edits, accept all, flagged files."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static, TextArea
from tui_helpers import SIZE, quiet_app, two_hunk_change

from workbench.changes.review import Review
from workbench.config import Config
from workbench.tui.screens.confirm import Confirm
from workbench.tui.screens.edit_text import EditText
from workbench.tui.screens.review import ReviewScreen
from workbench.tui.widgets.diff_view import DiffView


async def open_review(pilot, review: Review) -> ReviewScreen:
    screen = ReviewScreen(None, Config(), review=review)
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_edited_hunk_is_accepted_with_the_users_text(tmp_path: Path) -> None:
    review = Review.build(two_hunk_change(tmp_path))
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, review)
        await pilot.press("J", "e")  # the modified file, its first hunk
        await pilot.pause()
        assert isinstance(app.screen, EditText)
        app.screen.query_one(TextArea).text = "line 2 (mine)\n"
        await pilot.press("ctrl+s")
        await pilot.pause()

        item = review.file("notes.txt")
        assert item.hunk_decisions == ["accepted", "pending"]
        assert item.edits == {0: "line 2 (mine)\n"}
        assert "line 2 (mine)" in item.merged_text()


async def test_accept_all_asks_again_for_flagged_files(tmp_path: Path) -> None:
    review = Review.build(two_hunk_change(tmp_path))
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, review)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert review.file("notes.txt").decision == "accepted"
        assert review.file(".git/hooks/pre-commit").decision == "pending"
        assert isinstance(app.screen, Confirm)
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert ".git/hooks/pre-commit" in body

        await pilot.press("y")
        await pilot.pause()
        assert review.file(".git/hooks/pre-commit").decision == "accepted"


async def test_flag_reasons_show_when_a_flagged_file_is_selected(
    tmp_path: Path,
) -> None:
    review = Review.build(two_hunk_change(tmp_path))
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, review)
        notices = screen.query_one(DiffView).query(".notice")
        text = " ".join(str(n.render()) for n in notices.results(Static))
        flags = review.file(".git/hooks/pre-commit").flags
        assert flags and all(flag.reason in text for flag in flags)


async def test_reject_file_and_reject_all(tmp_path: Path) -> None:
    review = Review.build(two_hunk_change(tmp_path))
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, review)
        await pilot.press("J", "N")
        assert review.file("notes.txt").decision == "rejected"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert {item.decision for item in review} == {"rejected"}


async def test_a_conflict_must_be_resolved_before_deciding(tmp_path: Path) -> None:
    from workbench.changes.conflicts import Conflict

    changes = two_hunk_change(tmp_path)
    mine = changes.folder / "notes.txt"
    conflict = Conflict("notes.txt", "You changed this path in your folder.", mine)
    review = Review.build(changes, conflicts={"notes.txt": conflict})
    app = quiet_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, review)
        await pilot.press("J", "y", "Y")
        await pilot.pause()
        assert review.file("notes.txt").decision == "pending"
        notices = screen.query_one(DiffView).query(".notice")
        assert "You changed this path" in " ".join(
            str(n.render()) for n in notices.results(Static)
        )

        await pilot.press("o")  # keep mine
        await pilot.pause()
        assert review.file("notes.txt").resolution == "mine"
        assert review.file("notes.txt").decision == "rejected"
