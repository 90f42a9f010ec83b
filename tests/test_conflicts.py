"""Paths both the user and the agent changed: found, shown, never overwritten."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.reviewkit import changes, numbered, put
from workbench.changes.conflicts import FolderWatcher, find_conflicts
from workbench.changes.review import Review
from workbench.changes.sync import apply_plan, build_plan


def _age(path: Path, seconds: float = 3600) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_file_the_user_edited_after_the_start_is_a_conflict(dirs) -> None:
    folder, upper, journal = dirs
    _age(put(folder, "a.txt", numbered(10)))
    _age(put(folder, "calm.txt", numbered(10)))
    started = time.time()
    put(upper, "a.txt", numbered(10, {2: "agent\n"}))
    put(upper, "calm.txt", numbered(10, {2: "agent\n"}))
    put(folder, "a.txt", numbered(10, {8: "mine\n"}))  # the user's edit, now

    found = find_conflicts(changes(folder, upper), started)
    assert set(found) == {"a.txt"}
    review = Review.build(changes(folder, upper), conflicts=found)
    item = review.file("a.txt")
    assert item.conflicted and "after the session started" in item.conflict.reason
    # Both sides are shown: the user's current text against the agent's.
    diff = "\n".join(item.diff_lines())
    assert "-line 2" in diff and "+agent" in diff and "-mine" in diff

    assert review.accept_all(include_flagged=True) == ["a.txt"]
    review.accept_file("a.txt")  # accepting is not resolving
    plan = build_plan(review)
    assert [r.path for r in plan.refused] == ["a.txt"]
    apply_plan(plan, journal)
    assert (folder / "a.txt").read_text() == numbered(10, {8: "mine\n"})


def test_resolving_keeps_mine_or_takes_the_agents_version(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "a.txt", "mine\n")
    put(folder, "b.txt", "mine\n")
    put(upper, "a.txt", "agent\n")
    put(upper, "b.txt", "agent\n")
    found = find_conflicts(changes(folder, upper), time.time() - 60)
    review = Review.build(changes(folder, upper), conflicts=found)

    review.resolve("a.txt", "agent")
    review.resolve("b.txt", "mine")
    plan = build_plan(review)
    apply_plan(plan, journal)

    assert (folder / "a.txt").read_text() == "agent\n"
    assert (folder / "b.txt").read_text() == "mine\n"
    assert plan.rejected_paths == ("b.txt",)


def test_deleting_or_creating_the_same_path_is_a_conflict(dirs) -> None:
    folder, upper, _ = dirs
    put(upper, "gone.txt", "agent kept editing\n")
    put(upper, "both.txt", "agent\n")
    watched = ["gone.txt"]
    put(folder, "both.txt", "user\n")
    change_set = changes(folder, upper)
    both = change_set.get("both.txt")
    assert both is not None

    found = find_conflicts(change_set, time.time() - 60, watched=watched)
    assert "gone.txt" in found and "deleted" in found["gone.txt"].reason
    assert "both.txt" in found


def test_what_workbench_wrote_itself_is_not_the_users_change(dirs) -> None:
    folder, upper, journal = dirs
    _age(put(folder, "a.txt", "one\n"))
    started = time.time()
    put(upper, "a.txt", "two\n")
    review = Review.build(changes(folder, upper))
    review.accept_all()
    apply_plan(build_plan(review), journal)

    put(upper, "a.txt", "three\n")  # the agent goes on after the apply
    found = find_conflicts(changes(folder, upper), started, written=journal.written())
    assert found == {}


def test_the_watcher_records_edits_even_under_dot_git(dirs) -> None:
    folder, upper, _ = dirs
    put(folder, "a.txt", "one\n")
    put(folder, ".git/config", "[core]\n")
    put(upper, "a.txt", "agent\n")

    with FolderWatcher(folder) as watcher:
        put(folder, "a.txt", "user\n")
        assert watcher.wait_for("a.txt")
        put(folder, ".git/config", "[core]\n\tbare = true\n")
        assert watcher.wait_for(".git/config")

    # A start time in the future: only the watcher can tell.
    later = time.time() + 3600
    assert find_conflicts(changes(folder, upper), later) == {}
    found = find_conflicts(changes(folder, upper), later, watched=watcher.changed())
    assert set(found) == {"a.txt"}
