"""The apply plan's refusals, and applies that are undone or cut off midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.reviewkit import changes, numbered, put, snapshot, whiteout
from workbench.changes.journal import KILL_ENV, Journal
from workbench.changes.review import Review
from workbench.changes.sync import SyncError, apply_plan, build_plan, recover, undo
from workbench.config import ReviewConfig


def _plan_all(folder: Path, upper: Path, config: ReviewConfig | None = None):
    review = Review.build(changes(folder, upper), config)
    review.accept_all(include_flagged=True)
    return build_plan(review, config)


def _refused(plan) -> dict[str, str]:
    return {refusal.path: refusal.reason for refusal in plan.refused}


def test_links_outside_the_folder_are_refused_and_inside_ones_allowed(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "real.txt", "r\n")
    os.symlink("/etc/passwd", upper / "abs")
    os.symlink("../..", upper / "up")
    os.symlink("sub/../../x", upper / "sneaky")
    os.symlink("real.txt", upper / "inside")
    os.symlink("abs/x", upper / "chained")
    plan = _plan_all(folder, upper)

    refused = _refused(plan)
    assert set(refused) == {"abs", "up", "sneaky", "chained"}
    apply_plan(plan, journal)
    assert os.readlink(folder / "inside") == "real.txt"
    assert not os.path.lexists(folder / "abs")


def test_special_files_bad_names_and_big_files_are_refused(dirs) -> None:
    folder, upper, _ = dirs
    os.mkfifo(upper / "pipe")
    put(upper, "new\nline.txt", "x\n")
    put(upper, "bidi\u202etxt.exe", "x\n")
    put(upper, "big.bin", b"\0" * 5000)
    put(upper, "fine.txt", "ok\n")
    refused = _refused(_plan_all(folder, upper, ReviewConfig(max_file_bytes=4096)))
    assert set(refused) == {"pipe", "new\nline.txt", "bidi\u202etxt.exe", "big.bin"}
    assert "special" in refused["pipe"] and "control" in refused["new\nline.txt"]


def test_names_that_collide_ignoring_case_are_refused(dirs) -> None:
    folder, upper, _ = dirs
    put(folder, "README.md", "r\n")
    put(upper, "readme.md", "other\n")
    put(upper, "Notes.txt", "1\n")
    put(upper, "notes.TXT", "2\n")
    refused = _refused(_plan_all(folder, upper))
    assert "readme.md" in refused
    assert len({"Notes.txt", "notes.TXT"} & set(refused)) == 1


def test_setuid_bits_are_stripped_and_hardlinks_become_copies(dirs) -> None:
    folder, upper, journal = dirs
    put(upper, "su", "#!/bin/sh\n", 0o6755)
    put(upper, "one", "shared\n")
    os.link(upper / "one", upper / "two")
    plan = _plan_all(folder, upper)
    apply_plan(plan, journal)

    assert os.stat(folder / "su").st_mode & 0o7777 == 0o755
    assert os.stat(folder / "one").st_ino != os.stat(folder / "two").st_ino
    assert (folder / "two").read_text() == "shared\n"
    assert any("copy" in action.note for action in plan.actions)


def test_a_parent_swapped_for_a_symlink_before_apply_writes_nothing(
    dirs, tmp_path: Path
) -> None:
    folder, upper, journal = dirs
    outside = tmp_path / "outside"
    outside.mkdir()
    put(folder, "d/keep.txt", "k\n")
    put(upper, "d/new.txt", "n\n")
    plan = _plan_all(folder, upper)
    assert not plan.refused

    (folder / "d/keep.txt").unlink()
    (folder / "d").rmdir()
    os.symlink(outside, folder / "d")
    with pytest.raises(SyncError, match="symbolic link"):
        apply_plan(plan, journal)

    assert list(outside.iterdir()) == []
    assert journal.incomplete() is None


def test_a_file_replaced_by_a_directory_and_back_round_trips(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "thing", "was a file\n")
    put(folder, "box/inner.txt", "was in a dir\n")
    before = snapshot(folder)
    put(upper, "thing/now.txt", "now a dir\n")
    put(upper, "box", "now a file\n")
    whiteout(upper, "box_placeholder")  # an unrelated whiteout must not matter
    (upper / "box_placeholder").unlink()
    review = Review.build(changes(folder, upper))
    review.accept_all(include_flagged=True)
    apply_plan(build_plan(review), journal)

    assert (folder / "thing/now.txt").read_text() == "now a dir\n"
    assert (folder / "box").read_text() == "now a file\n"
    undo(journal)
    assert snapshot(folder) == before


def test_rejected_and_pending_files_are_not_written(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "a.txt", numbered(10))
    put(upper, "a.txt", numbered(10, {3: "x\n"}))
    put(upper, "b.txt", "b\n")
    put(upper, "c.txt", "c\n")
    review = Review.build(changes(folder, upper))
    review.reject_file("a.txt")
    review.accept_file("b.txt")
    plan = build_plan(review)

    assert [a.path for a in plan.actions] == ["b.txt"]
    assert plan.applied_paths == ("b.txt",) and plan.rejected_paths == ("a.txt",)
    with pytest.raises(SyncError):
        undo(journal)


_APPLY_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from tests.reviewkit import changes
    from workbench.changes.journal import Journal
    from workbench.changes.review import Review
    from workbench.changes.sync import apply_plan, build_plan
    review = Review.build(changes(Path(sys.argv[2]), Path(sys.argv[3])))
    review.accept_all(include_flagged=True)
    apply_plan(build_plan(review), Journal(Path(sys.argv[4])))
    """
)


def _scenario(folder: Path, upper: Path) -> None:
    put(folder, "a.txt", numbered(50))
    put(folder, "b.txt", numbered(5))
    put(folder, "gone/c.txt", "c\n")
    put(upper, "a.txt", numbered(50, {0: "A\n", 40: "B\n"}))
    put(upper, "b.txt", numbered(5, {4: "tail\n"}))
    put(upper, "new/d.txt", "d\n")
    whiteout(upper, "gone")


def _killed_apply(folder: Path, upper: Path, journal: Journal, at: str) -> None:
    env = {**os.environ, KILL_ENV: at}
    tests = str(Path(__file__).parents[1])
    args = [sys.executable, "-c", _APPLY_SCRIPT, tests, str(folder), str(upper)]
    result = subprocess.run([*args, str(journal.root)], env=env, capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


@pytest.mark.parametrize("at", ["prepared", "begin:1", "staged:1", "done:2", "begin:4"])
def test_an_apply_killed_midway_rolls_back_to_the_old_folder(dirs, at: str) -> None:
    folder, upper, journal = dirs
    _scenario(folder, upper)
    before = snapshot(folder)
    old = {p: v for p, v in before.items() if v[0] == "file"}
    _killed_apply(folder, upper, journal, at)

    for path, value in snapshot(folder).items():
        if path in old and (upper / path).is_file():  # never torn: old or new
            assert value[2] in (old[path][2], (upper / path).read_bytes())
    assert journal.incomplete() is not None
    with pytest.raises(SyncError, match="interrupted"):
        apply_plan(_plan_all(folder, upper), journal)

    recover(journal, "rollback")
    assert snapshot(folder) == before
    assert journal.incomplete() is None


@pytest.mark.parametrize("at", ["begin:0", "staged:1", "done:3"])
def test_an_apply_killed_midway_can_be_finished(dirs, tmp_path: Path, at: str) -> None:
    folder, upper, journal = dirs
    _scenario(folder, upper)
    twin, twin_journal = tmp_path / "twin", Journal(tmp_path / "twin-sync")
    twin.mkdir()
    _scenario(twin, tmp_path / "twin-upper")
    apply_plan(_plan_all(twin, upper), twin_journal)
    _killed_apply(folder, upper, journal, at)

    recover(journal, "finish")
    done = {p: v[:3] for p, v in snapshot(folder).items()}
    assert done == {p: v[:3] for p, v in snapshot(twin).items()}
    undo(journal)
    assert (folder / "gone/c.txt").read_text() == "c\n"
