"""The review model over real change sets, and applying its decisions."""

from __future__ import annotations

import os

import pytest

from tests.reviewkit import changes, numbered, put, snapshot, whiteout
from workbench.changes.review import Review
from workbench.changes.sync import apply_plan, build_plan, undo
from workbench.config import ReviewConfig


def test_a_modified_file_splits_into_hunks_and_each_decision_counts(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "a.txt", numbered(20))
    put(upper, "a.txt", numbered(20, {1: "first\n", 15: "second\n"}))
    review = Review.build(changes(folder, upper))
    item = review.file("a.txt")
    assert item.kind == "modified" and len(item.hunks) == 2 and item.whole is None

    review.accept_hunk("a.txt", 0)
    review.reject_hunk("a.txt", 1)
    assert item.decision == "partial"
    apply_plan(build_plan(review), journal)

    assert (folder / "a.txt").read_text() == numbered(20, {1: "first\n"})


def test_an_edited_hunk_is_written_as_edited(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "a.txt", numbered(20))
    put(upper, "a.txt", numbered(20, {1: "agent\n", 15: "agent too\n"}))
    review = Review.build(changes(folder, upper))

    review.edit_hunk("a.txt", 1, "mine instead")
    review.reject_hunk("a.txt", 0)
    plan = build_plan(review)
    assert [a.note for a in plan.actions] == ["edited"]
    apply_plan(plan, journal)

    assert (folder / "a.txt").read_text() == numbered(20, {15: "mine instead\n"})


def test_kinds_binary_modes_links_and_sizes_are_described(dirs) -> None:
    folder, upper, _ = dirs
    put(folder, "run.sh", "echo hi\n", 0o644)
    put(upper, "run.sh", "echo hi\n", 0o755)
    put(folder, "blob.bin", b"\x00\x01")
    put(upper, "blob.bin", b"\x00\x02\x03")
    put(upper, "latin.txt", "caf\xe9".encode("latin-1"))
    put(folder, "old.txt", "bye\n")
    whiteout(upper, "old.txt")
    os.symlink("run.sh", upper / "link")
    review = Review.build(changes(folder, upper))

    run = review.file("run.sh")
    assert (
        run.mode_change == (0o644, 0o755) and run.hunks == [] and run.whole == "pending"
    )
    assert [f.code for f in run.flags] == ["exec-added"]
    assert review.file("blob.bin").binary and review.file("latin.txt").binary
    assert review.file("blob.bin").change.size == 3
    assert review.file("old.txt").kind == "deleted"
    assert review.file("link").change.link_target == "run.sh"
    assert "symlink" in [f.code for f in review.file("link").flags]
    diff = list(review.file("old.txt").diff_lines())
    assert diff[:3] == ["--- a/old.txt", "+++ /dev/null", "@@ -1 +0,0 @@"]
    assert "mode 644 -> 755" in list(run.diff_lines())


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (".git/hooks/pre-commit", "git-internals"),
        (".git/config", "git-internals"),
        (".github/workflows/ci.yml", "ci-config"),
        (".gitlab-ci.yml", "ci-config"),
        ("Makefile", "build-config"),
        ("pyproject.toml", "build-config"),
        ("web/package.json", "build-config"),
        (".vscode/settings.json", "tool-config"),
        (".idea/workspace.xml", "tool-config"),
        (".envrc", "tool-config"),
        (".claude/settings.json", "tool-config"),
        ("AGENTS.md", "tool-config"),
    ],
)
def test_sensitive_places_are_flagged_with_a_reason(dirs, path: str, code: str) -> None:
    folder, upper, _ = dirs
    put(upper, path, "x\n")
    item = Review.build(changes(folder, upper)).file(path)
    assert code in [flag.code for flag in item.flags]
    assert all(flag.reason for flag in item.flags)


def test_large_and_setuid_files_are_flagged(dirs) -> None:
    folder, upper, _ = dirs
    put(upper, "big.txt", "x" * 2000)
    put(upper, "su", "#!/bin/sh\n", 0o4755)
    review = Review.build(changes(folder, upper), ReviewConfig(large_file_bytes=1000))
    assert [f.code for f in review.file("big.txt").flags] == ["large-file"]
    assert review.file("big.txt").binary  # too large to show as text
    assert {"setuid", "exec-added"} <= {f.code for f in review.file("su").flags}


def test_accept_all_leaves_flagged_files_unless_asked(dirs) -> None:
    folder, upper, _ = dirs
    put(upper, "ok.txt", "fine\n")
    put(upper, ".git/hooks/pre-commit", "#!/bin/sh\ncurl evil\n", 0o755)
    review = Review.build(changes(folder, upper))

    skipped = review.accept_all()
    assert ".git/hooks/pre-commit" in skipped
    assert review.file(".git/hooks/pre-commit").decision == "pending"
    assert review.file("ok.txt").decision == "accepted"
    assert ".git/hooks/pre-commit" not in [a.path for a in build_plan(review).actions]

    review.accept_all(include_flagged=True)
    assert review.file(".git/hooks/pre-commit").decision == "accepted"


def test_applying_everything_then_undo_restores_the_folder_byte_for_byte(dirs) -> None:
    folder, upper, journal = dirs
    put(folder, "a.txt", numbered(30))
    put(folder, "keep/b.txt", "b\n")
    put(folder, "doomed/c.txt", "c\n", 0o600)
    put(folder, "doomed/deeper/d.txt", "d\n")
    put(folder, "mode.sh", "echo\n", 0o644)
    before = snapshot(folder)
    put(upper, "a.txt", numbered(30, {2: "two\n", 20: "twenty\n"}))
    put(upper, "new/sub/e.txt", "e\n")
    put(upper, "mode.sh", "echo\n", 0o755)
    whiteout(upper, "doomed")
    review = Review.build(changes(folder, upper))
    review.accept_all(include_flagged=True)
    plan = build_plan(review)
    assert {a.category for a in plan.actions} == {"write", "create", "delete", "chmod"}

    apply_plan(plan, journal)
    assert (folder / "new/sub/e.txt").read_text() == "e\n"
    assert not (folder / "doomed").exists()
    assert os.stat(folder / "mode.sh").st_mode & 0o777 == 0o755

    undo(journal)
    assert snapshot(folder) == before
    assert journal.last_committed() is None


def test_the_summary_and_json_count_what_the_screen_shows(dirs) -> None:
    folder, upper, _ = dirs
    put(folder, "a.txt", numbered(20))
    put(upper, "a.txt", numbered(20, {1: "x\n", 15: "y\n"}))
    put(upper, "Makefile", "all:\n")
    review = Review.build(changes(folder, upper))
    review.accept_file("a.txt")

    summary = review.summary()
    assert (summary.files, summary.hunks, summary.flagged) == (2, 3, 1)
    assert (summary.accepted, summary.pending) == (1, 1)
    by_path = {entry["path"]: entry for entry in review.to_json()}
    assert by_path["Makefile"]["flags"][0]["code"] == "build-config"
    assert by_path["a.txt"]["decision"] == "accepted"
