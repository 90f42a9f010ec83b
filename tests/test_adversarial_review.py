"""Hostile changes made by real commands in the sandbox, refused or flagged on sync."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.conftest import make_folder
from tests.reviewkit import snapshot
from workbench.changes.sync import (
    apply_to_session,
    build_plan,
    review_session,
    undo_session,
)

pytestmark = pytest.mark.docker

_NASTY = r"""
set -e
ln -s /etc/passwd passwd_link
ln -s ../.. up
ln -s src/main.py inside_link
echo shared > hl_a && ln hl_a hl_b
mkfifo pipe
echo x > suid && chmod u+s,g+s suid
truncate -s 2G sparse.bin
touch "$(printf 'new\nline')" '..a' '...' '.. '
mkdir -p "deep/$(seq -s/ 1 60)" && echo leaf > "deep/$(seq -s/ 1 60)/leaf.txt"
mkdir -p .git/hooks && printf '#!/bin/sh\nexit 0\n' > .git/hooks/pre-commit
chmod +x .git/hooks/pre-commit
rm -rf tree
rm was_file && mkdir was_file && echo in > was_file/in.txt
rm -r was_dir && echo now > was_dir
"""


def _outside_state(root: Path) -> tuple[list[str], str]:
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    return sorted(os.listdir(root)), passwd


def test_hostile_changes_are_refused_or_flagged_and_stay_inside(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(
        tmp_path / "project",
        {
            "src/main.py": "print('hi')\n",
            "tree/a/b.txt": "b\n",
            "tree/c.txt": "c\n",
            "was_file": "file\n",
            "was_dir/inner.txt": "inner\n",
        },
    )
    before_outside = _outside_state(tmp_path)
    session = manager.start(folder)
    result = session.exec(_NASTY)
    assert result.exit_code == 0, result.output

    review = review_session(session)
    skipped = set(review.accept_all())
    assert {".git/hooks/pre-commit", "passwd_link", "inside_link", "suid"} <= skipped
    assert {"hl_a", "pipe", "sparse.bin"} <= skipped
    assert "git-internals" in [
        f.code for f in review.file(".git/hooks/pre-commit").flags
    ]

    review.accept_all(include_flagged=True)
    plan = build_plan(review)
    refused = {r.path: r.reason for r in plan.refused}
    assert {"passwd_link", "up", "pipe", "sparse.bin", "new\nline"} <= set(refused)
    apply_to_session(session, plan)

    assert not os.path.lexists(folder / "passwd_link")
    assert not os.path.lexists(folder / "up")
    assert not os.path.lexists(folder / "pipe")
    assert not os.path.lexists(folder / "sparse.bin")
    assert os.readlink(folder / "inside_link") == "src/main.py"
    assert os.stat(folder / "hl_a").st_ino != os.stat(folder / "hl_b").st_ino
    assert os.stat(folder / "suid").st_mode & 0o6000 == 0
    assert (folder / "..a").exists() and (folder / "...").exists()
    assert (folder / "deep" / "/".join(map(str, range(1, 61))) / "leaf.txt").exists()
    assert os.access(folder / ".git/hooks/pre-commit", os.X_OK)
    assert not (folder / "tree").exists()
    assert (folder / "was_file/in.txt").read_text() == "in\n"
    assert (folder / "was_dir").read_text() == "now\n"
    assert _outside_state(tmp_path) == before_outside
    for path, entry in snapshot(folder).items():
        if entry[0] == "link":
            resolved = os.path.realpath(folder / path)
            assert resolved.startswith(str(folder) + "/"), path

    # What was refused is still in the sandbox for another look; the rest settled.
    left = {c.path for c in session.changes()}
    assert {"passwd_link", "pipe", "sparse.bin"} <= left
    assert "tree" not in left and "src/main.py" not in left
    session.close()


def test_deleting_the_whole_tree_applies_and_undoes_byte_for_byte(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(
        tmp_path / "project",
        {"a.txt": "a\n", "d/e/f.txt": "f\n", ".hidden": "h\n", "src/x.py": "x = 1\n"},
    )
    before = snapshot(folder)
    session = manager.start(folder)
    assert session.exec("rm -rf ./* ./.[!.]*").exit_code == 0

    review = review_session(session)
    review.accept_all(include_flagged=True)
    apply_to_session(session, build_plan(review))
    assert os.listdir(folder) == []

    undo_session(session)
    assert snapshot(folder) == before
    assert session.exec("cat d/e/f.txt").output == "f\n"
    session.close()
