"""Change sets read from a hand-made overlay upper dir and from copy manifests."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workbench.changes.changeset import (
    Entry,
    changes_from_manifests,
    changes_from_upper,
)

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="whiteouts and trusted xattrs need root"
)


def _whiteout(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


@pytest.fixture()
def layers(tmp_path: Path) -> tuple[Path, Path]:
    lower = tmp_path / "lower"
    upper = tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    (lower / "keep.txt").write_text("same\n")
    (lower / "edit.txt").write_text("before\n")
    (lower / "gone.txt").write_text("bye\n")
    (lower / "mode.sh").write_text("echo\n")
    (lower / "link").symlink_to("keep.txt")
    (lower / "src").mkdir()
    (lower / "src" / "a.py").write_text("a\n")
    (lower / "src" / "b.py").write_text("b\n")
    (lower / "old").mkdir()
    (lower / "old" / "x").write_text("x\n")
    return lower, upper


def test_an_empty_upper_dir_is_no_change(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    assert len(changes_from_upper(lower, upper)) == 0


@needs_root
def test_each_kind_of_change_is_read_from_the_upper_dir(
    layers: tuple[Path, Path],
) -> None:
    lower, upper = layers
    (upper / "edit.txt").write_text("after!\n")
    (upper / "keep.txt").write_text("same\n")  # copied up, unchanged
    _whiteout(upper / "gone.txt")
    (upper / "mode.sh").write_text("echo\n")
    os.chmod(upper / "mode.sh", 0o755)
    os.chmod(lower / "mode.sh", 0o644)
    (upper / "link").symlink_to("edit.txt")
    (upper / "new").mkdir()
    (upper / "new" / "n.txt").write_text("n\n")
    (upper / "src").mkdir()  # copied up only because a child changed
    os.chmod(upper / "src", os.stat(lower / "src").st_mode & 0o7777)
    (upper / "src" / "c.py").write_text("c\n")
    os.mkfifo(upper / "pipe")

    found = {c.path: c for c in changes_from_upper(lower, upper)}

    assert set(found) == {
        "edit.txt",
        "gone.txt",
        "mode.sh",
        "link",
        "new",
        "new/n.txt",
        "src/c.py",
        "pipe",
    }
    assert found["edit.txt"].kind == "modified" and found["edit.txt"].size == 7
    assert found["gone.txt"].kind == "deleted" and found["gone.txt"].new_path is None
    assert found["mode.sh"].mode_changed and found["mode.sh"].new_mode == 0o755
    assert found["link"].link_target == "edit.txt"
    assert found["link"].old_link_target == "keep.txt"
    assert found["new"].kind == "added" and found["new"].new_type == "dir"
    assert found["new/n.txt"].kind == "added"
    assert found["pipe"].new_type == "fifo"


@needs_root
def test_an_opaque_directory_deletes_every_lower_child(
    layers: tuple[Path, Path],
) -> None:
    lower, upper = layers
    (upper / "src").mkdir()
    os.chmod(upper / "src", os.stat(lower / "src").st_mode & 0o7777)
    os.setxattr(upper / "src", "trusted.overlay.opaque", b"y")
    (upper / "src" / "a.py").write_text("a\n")  # re-created with the same content

    found = {c.path: c.kind for c in changes_from_upper(lower, upper)}

    assert found == {"src/b.py": "deleted"}


@needs_root
def test_a_deleted_directory_lists_its_contents(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    _whiteout(upper / "old")

    found = {c.path: (c.kind, c.old_type) for c in changes_from_upper(lower, upper)}

    assert found == {"old": ("deleted", "dir"), "old/x": ("deleted", "file")}


def test_a_file_replacing_a_directory_is_a_type_change(
    layers: tuple[Path, Path],
) -> None:
    lower, upper = layers
    (upper / "old").write_text("now a file\n")

    found = {c.path: c for c in changes_from_upper(lower, upper)}

    assert found["old"].type_changed and found["old"].new_type == "file"
    assert found["old/x"].kind == "deleted"


def test_hardlinks_name_each_other(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "one").write_text("1\n")
    os.link(upper / "one", upper / "two")

    found = {c.path: c for c in changes_from_upper(lower, upper)}

    assert found["one"].nlink == 2 and found["one"].hardlink_of == "two"
    assert found["two"].hardlink_of == "one"


def test_manifests_yield_the_same_kinds(tmp_path: Path) -> None:
    before = {
        "a": Entry("file", 0o644, 2, 1, sha256="x"),
        "b": Entry("file", 0o644, 2, 1, sha256="y"),
        "c": Entry("file", 0o644, 2, 1, sha256="z"),
        "d": Entry("dir", 0o755),
        "l": Entry("symlink", 0o777, 1, 1, target="a"),
    }
    after = {
        "a": Entry("file", 0o644, 2, 5),  # touched, same bytes
        "b": Entry("file", 0o755, 2, 1),
        "d": Entry("dir", 0o755),
        "e": Entry("file", 0o644, 3, 5),
        "l": Entry("symlink", 0o777, 1, 1, target="b"),
    }

    found = changes_from_manifests(tmp_path, before, after, tmp_path, {"a": "x"})

    kinds = {c.path: c.kind for c in found}
    assert kinds == {"b": "modified", "c": "deleted", "e": "added", "l": "modified"}
    assert found.get("b").mode_changed
