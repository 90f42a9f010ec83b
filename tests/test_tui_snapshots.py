"""Snapshots of the main screen, an approval card, the review screen, every theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import SIZE, quiet_app, show_session, two_hunk_change

from workbench.changes.review import Review
from workbench.config import Config
from workbench.tui.screens.review import ReviewScreen

THEMES = ["workbench-dark", "workbench-light", "workbench-high-contrast"]


def test_main_screen_snapshot(snap_compare) -> None:
    async def prepare(pilot) -> None:
        show_session(pilot.app, pending=False)
        await pilot.pause()

    assert snap_compare(quiet_app(), terminal_size=SIZE, run_before=prepare)


def test_approval_card_snapshot(snap_compare) -> None:
    async def prepare(pilot) -> None:
        show_session(pilot.app, pending=True)
        await pilot.pause()

    assert snap_compare(quiet_app(), terminal_size=SIZE, run_before=prepare)


def test_review_screen_snapshot(snap_compare, tmp_path: Path) -> None:
    review = Review.build(two_hunk_change(tmp_path))

    async def prepare(pilot) -> None:
        await pilot.app.push_screen(ReviewScreen(None, Config(), review=review))
        await pilot.pause()
        await pilot.press("J", "y")  # the modified file: accept its first hunk
        await pilot.pause()

    assert snap_compare(quiet_app(), terminal_size=SIZE, run_before=prepare)


def test_flagged_file_shows_its_reasons_snapshot(snap_compare, tmp_path: Path) -> None:
    review = Review.build(two_hunk_change(tmp_path))

    async def prepare(pilot) -> None:
        await pilot.app.push_screen(ReviewScreen(None, Config(), review=review))
        await pilot.pause()

    assert snap_compare(quiet_app(), terminal_size=SIZE, run_before=prepare)


@pytest.mark.parametrize("theme", THEMES)
def test_theme_snapshot(snap_compare, theme: str) -> None:
    async def prepare(pilot) -> None:
        show_session(pilot.app, pending=True)
        await pilot.pause()

    assert snap_compare(quiet_app(theme), terminal_size=SIZE, run_before=prepare)
