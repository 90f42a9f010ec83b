"""Both workspace strategies on the real engine: the folder never changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FOLDER_UID, make_folder, tree_hash

from workbench.sandbox.workspace import FALLBACK_UID, sandbox_user

FILES = {
    "edit.txt": "before\n",
    "gone.txt": "bye\n",
    "run.sh": "echo run\n",
    "old.txt": "moving\n",
    "olddir/x.txt": "x\n",
    "keep/deep/k.txt": "untouched\n",
}

EDITS = (
    "echo new > added.txt && echo more >> edit.txt && rm gone.txt"
    " && chmod 755 run.sh && mv old.txt renamed.txt && ln -s edit.txt link"
    " && mkdir newdir && echo n > newdir/n.txt && rm -r olddir"
)

EXPECTED = {
    "added.txt": ("added", "file"),
    "edit.txt": ("modified", "file"),
    "gone.txt": ("deleted", None),
    "run.sh": ("modified", "file"),
    "old.txt": ("deleted", None),
    "renamed.txt": ("added", "file"),
    "link": ("added", "symlink"),
    "newdir": ("added", "dir"),
    "newdir/n.txt": ("added", "file"),
    "olddir": ("deleted", None),
    "olddir/x.txt": ("deleted", None),
}


@pytest.mark.parametrize("strategy", ["overlay", "copy"])
def test_the_change_set_is_exact_and_the_folder_untouched(
    manager, tmp_path: Path, strategy: str
) -> None:
    folder = make_folder(tmp_path / "project", FILES)
    before = tree_hash(folder)
    session = manager.start(folder, strategy=strategy)

    result = session.exec(EDITS)
    changes = session.changes()

    assert result.exit_code == 0, result.output
    assert tree_hash(folder) == before
    assert {c.path: (c.kind, c.new_type) for c in changes} == EXPECTED
    run = changes.get("run.sh")
    assert run.mode_changed and (run.old_mode, run.new_mode) == (0o644, 0o755)
    assert changes.get("link").link_target == "edit.txt"
    assert changes.get("edit.txt").new_path.read_text() == "before\nmore\n"
    assert changes.get("renamed.txt").size == len("moving\n")
    session.close()


@pytest.mark.parametrize("strategy", ["overlay", "copy"])
def test_hardlinks_and_fifos_are_reported(
    manager, tmp_path: Path, strategy: str
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder, strategy=strategy)

    session.exec("echo one > one && ln one two && mkfifo pipe")
    changes = session.changes()

    assert changes.get("one").nlink == 2
    assert changes.get("two").hardlink_of == "one"
    assert changes.get("pipe").new_type == "fifo"
    session.close()


def test_overlay_mounts_the_folder_only_as_lower_layer(
    manager, engine, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder, strategy="overlay")
    seen: list[dict] = []

    def inspect(short_id: str) -> None:
        seen.append(engine.api.inspect_container(short_id))

    session.exec("true", on_start=inspect)
    volume = engine.api.inspect_volume(session.workspace.volume)

    mounts = seen[0]["Mounts"]
    assert [m["Type"] for m in mounts] == ["volume"]
    assert all(m.get("Source") != str(folder) for m in mounts)
    options = dict(
        item.split("=", 1) for item in volume["Options"]["o"].split(",") if "=" in item
    )
    assert options["lowerdir"] == str(folder)
    assert str(folder) not in (options["upperdir"], options["workdir"])
    assert volume["Labels"]["io.workbench.role"] == "workspace"
    session.close()


def test_a_folder_name_overlay_cannot_carry_goes_through_a_symlink(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "odd,name:here", {"a.txt": "a\n"})
    session = manager.start(folder, strategy="overlay")

    result = session.exec("cat a.txt && echo b > b.txt")

    assert result.output == "a\n"
    assert [c.path for c in session.changes()] == ["b.txt"]
    session.close()


def test_a_root_owned_folder_falls_back_to_a_copy_and_says_so(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "rootowned", {"a.txt": "a\n"}, uid=0)
    if os.getuid() != 0:
        pytest.skip("only root can make a root-owned folder")

    session = manager.start(folder)
    result = session.exec("echo more >> a.txt && id -u")

    assert sandbox_user(folder) == (FALLBACK_UID, FALLBACK_UID)
    assert session.strategy == "copy"
    assert any("cannot write" in note for note in session.notes)
    assert result.output.strip() == str(FALLBACK_UID)
    assert (folder / "a.txt").read_text() == "a\n"
    session.close()


def test_a_user_folder_runs_as_its_owner(manager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "mine", {"a.txt": "a\n"})
    session = manager.start(folder)

    result = session.exec("id -u")

    assert session.strategy == "overlay"
    assert result.output.strip() == str(FOLDER_UID)
    session.close()


def test_the_copy_leaves_out_excluded_names(manager, tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "project",
        {"a.txt": "a\n", "node_modules/big.js": "x\n", "src/__pycache__/c.pyc": "c"},
    )
    session = manager.start(folder, strategy="copy")

    result = session.exec("find . | sort")

    assert result.output.split() == [".", "./a.txt", "./src"]
    assert len(session.changes()) == 0
    session.close()


def test_a_module_in_the_copy_never_runs_in_the_listing(
    manager, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder, strategy="copy")
    session.exec("printf 'raise SystemExit(3)\\n' > json.py")

    changes = session.changes()

    assert [(c.path, c.kind) for c in changes] == [("json.py", "added")]
    session.close()
