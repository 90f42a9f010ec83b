"""gc removes only this store's leftovers, and only when nobody owns them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_folder

from workbench.sandbox import labels


def _container(engine, image: str, data_root: Path, session_id: str, role: str) -> str:
    return engine.create_container_id(
        image=image,
        command=["true"],
        network_mode="none",
        labels=labels.labels_for(data_root, session_id, role),
    )


def _exists(engine, container_id: str) -> bool:
    return bool(engine.api.containers(all=True, filters={"id": container_id}))


@pytest.fixture()
def leftovers(engine, sandbox_image, tmp_path: Path):
    """Remove, after the test, whatever the test made and gc left."""
    made: dict[str, list[str]] = {"containers": [], "volumes": []}
    yield made
    for container_id in made["containers"]:
        engine.remove_container(container_id)
    for name in made["volumes"]:
        try:
            engine.api.remove_volume(name, force=True)
        except Exception:  # noqa: BLE001 - already collected
            pass


def test_gc_collects_a_gone_session_and_spares_another_store(
    manager, engine, sandbox_image, leftovers, tmp_path: Path
) -> None:
    other_store = tmp_path / "other-data"
    ours = _container(engine, sandbox_image, manager.data_root, "gone1", "command")
    theirs = _container(engine, sandbox_image, other_store, "gone1", "command")
    our_volume = engine.create_volume(
        labels.labels_for(manager.data_root, "gone1", "workspace")
    ).name
    their_volume = engine.create_volume(
        labels.labels_for(other_store, "gone1", "workspace")
    ).name
    leftovers["containers"] += [ours, theirs]
    leftovers["volumes"] += [our_volume, their_volume]

    report = manager.gc(min_age_s=0)

    assert ours in report.containers and not _exists(engine, ours)
    assert our_volume in report.volumes
    assert _exists(engine, theirs)
    assert theirs not in report.containers and their_volume not in report.volumes
    assert their_volume in [v["Name"] for v in engine.api.volumes()["Volumes"]]


def test_gc_spares_a_live_session_and_collects_it_once_unowned(
    manager, engine, sandbox_image, leftovers, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    session = manager.start(folder)
    stray = _container(engine, sandbox_image, manager.data_root, session.id, "pool")
    leftovers["containers"].append(stray)

    while_open = manager.gc(min_age_s=0)
    session.close()
    after_close = manager.gc(min_age_s=0)

    assert stray not in while_open.containers
    assert stray in after_close.containers and not _exists(engine, stray)
    assert session.workspace.volume not in after_close.volumes
    assert manager.get(session.id).id == session.id


_HOLD_A_WARM_POOL = """
import sys, time
from pathlib import Path
from workbench.config import Config, SandboxConfig
from workbench.sandbox.session import SessionManager

manager = SessionManager(Config(sandbox=SandboxConfig(pool_size=2)), Path(sys.argv[1]))
session = manager.get(sys.argv[2])
session.exec("true")
session.runner().pool.wait_full(timeout=120)
print("warm", flush=True)
time.sleep(600)
"""


def test_killing_the_app_leaves_its_warm_pool_collectable(
    manager, engine, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    folder = make_folder(tmp_path / "project", {"a.txt": "a\n"})
    with manager.start(folder) as session:
        session_id = session.id
    app = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_WARM_POOL, str(manager.data_root), session_id],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert app.stdout is not None and app.stdout.readline().strip() == "warm"
    wanted = [f"{labels.SESSION}={session_id}", f"{labels.ROLE}=pool"]
    pooled = engine.api.containers(all=True, filters={"label": wanted})

    app.send_signal(signal.SIGKILL)
    app.wait(timeout=30)
    report = manager.gc(min_age_s=0)

    assert len(pooled) == 2 and all(c["State"] == "paused" for c in pooled)
    assert {c["Id"] for c in pooled} <= set(report.containers)
    assert not engine.api.containers(all=True, filters={"label": wanted})
