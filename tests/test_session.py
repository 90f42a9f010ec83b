"""Sessions persist on disk, reopen, and reset paths to the folder's version."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import make_folder

from workbench.errors import SessionNotFound
from workbench.sandbox.session import SessionManager


def test_a_session_survives_reopening_from_disk(manager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder)
    session.exec("echo b > b.txt")
    session.close()

    again = SessionManager(manager.config, manager.data_root, pool_size=0)
    reopened = again.get(session.id)
    result = reopened.exec("cat b.txt")

    assert result.output == "b\n"
    assert [c.path for c in reopened.changes()] == ["b.txt"]
    assert reopened.strategy == session.strategy
    assert session.id in [info.id for info in again.list()]
    reopened.close()


@pytest.mark.parametrize("strategy", ["overlay", "copy"])
def test_reset_paths_makes_the_view_equal_the_folder(
    manager, tmp_path: Path, strategy: str
) -> None:
    folder = make_folder(
        tmp_path / "project", {"a.txt": "a\n", "d/x.txt": "x\n", "d/y.txt": "y\n"}
    )
    session = manager.start(folder, strategy=strategy)
    session.exec("echo changed > a.txt && echo new > n.txt && rm -r d")

    (folder / "a.txt").write_text("applied\n")
    session.reset_paths(["a.txt", "n.txt", "d/x.txt"])
    result = session.exec("cat a.txt; ls n.txt 2>&1; cat d/x.txt; ls d")

    assert result.output.splitlines() == [
        "applied",
        "ls: cannot access 'n.txt': No such file or directory",
        "x",
        "x.txt",
    ]
    assert {c.path: c.kind for c in session.changes()} == {"d/y.txt": "deleted"}
    session.close()


def test_quiesced_makes_commands_wait(manager, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder)
    finished = threading.Event()

    def run() -> None:
        session.exec("true")
        finished.set()

    with session.quiesced():
        worker = threading.Thread(target=run)
        worker.start()
        waited = not finished.wait(0.5)
    worker.join(30)

    assert waited and finished.is_set()
    session.close()


def test_drop_removes_the_session_and_its_volume(
    manager, engine, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder, strategy="copy")
    volume = session.workspace.volume
    session.close()

    manager.drop(session.id)

    with pytest.raises(SessionNotFound):
        manager.get(session.id)
    assert not session.data_dir.exists()
    assert volume not in [v["Name"] for v in engine.api.volumes()["Volumes"] or []]


def test_a_missing_folder_is_a_clear_error(manager, tmp_path: Path) -> None:
    from workbench.errors import FolderError

    with pytest.raises(FolderError, match="does not exist"):
        manager.start(tmp_path / "nowhere")


def test_remove_tree_unlinks_whiteouts_and_fifos_without_blocking(tmp_path) -> None:
    import os
    import stat

    from workbench.sandbox.store import remove_tree

    whiteout = tmp_path / "whiteout"
    os.mknod(whiteout, stat.S_IFCHR | 0o600, os.makedev(0, 0))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    nested = tmp_path / "dir" / "sub"
    nested.mkdir(parents=True)
    os.mknod(nested / "wh", stat.S_IFCHR | 0o600, os.makedev(0, 0))

    for path in (whiteout, fifo, tmp_path / "dir"):
        remove_tree(path)
        assert not os.path.lexists(path)


def test_reset_under_a_symlinked_dir_leaves_its_target_alone(
    manager, tmp_path: Path
) -> None:
    outside = make_folder(tmp_path / "outside", {"b": "precious\n"})
    folder = make_folder(tmp_path / "project", {"a/b": "b\n"})
    session = manager.start(folder, strategy="overlay")
    session.exec(f"rm -r a && ln -s {outside} a")

    session.reset_paths(["a/b"])

    assert (outside / "b").read_text() == "precious\n"
    assert session.exec("cat a/b").output == "b\n"
    session.close()
