"""Fixtures for tests on the real engine: the image, a workspace volume, runners."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import docker.types
import pytest

from workbench.config import SandboxConfig
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.image import ensure_image
from workbench.sandbox.runner import Runner, RunnerSpec

log = logging.getLogger(__name__)

SANDBOX_USER = "10001:10001"
# Small limits keep the bombs quick; the profile is the same as the defaults'.
TEST_CONFIG = SandboxConfig(memory_mb=256, timeout_s=30.0, output_limit_bytes=64_000)


@pytest.fixture(scope="session")
def engine() -> Engine:
    engine = Engine()
    engine.facts()
    return engine


@pytest.fixture(scope="session")
def sandbox_image(engine: Engine) -> str:
    """The sandbox image, built once per test session when it is missing."""
    return ensure_image(engine, log.info)


@pytest.fixture
def session_id() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workspace(
    engine: Engine, tmp_path: Path, isolated_data_dir: Path, session_id: str
) -> Iterator[tuple[Path, docker.types.Mount]]:
    """A host folder owned by the sandbox user, bind-mounted through a volume."""
    folder = tmp_path / "workspace"
    folder.mkdir()
    uid, gid = (int(part) for part in SANDBOX_USER.split(":"))
    os.chown(folder, uid, gid)
    labels = labels_mod.labels_for(isolated_data_dir, session_id, "workspace")
    volume = engine.create_volume(
        labels, driver_opts={"type": "none", "o": "bind", "device": str(folder)}
    )
    yield folder, docker.types.Mount("/workspace", volume.name, type="volume")
    volume.remove(force=True)


RunnerFactory = Callable[..., Runner]


@pytest.fixture
def make_runner(
    engine: Engine,
    sandbox_image: str,
    workspace: tuple[Path, docker.types.Mount],
    isolated_data_dir: Path,
    session_id: str,
) -> Iterator[RunnerFactory]:
    """Builds runners over the test workspace; every one is closed afterwards."""
    runners: list[Runner] = []

    def build(pool_size: int = 0, **overrides: object) -> Runner:
        config = replace(TEST_CONFIG, pool_size=pool_size, **overrides)
        spec = RunnerSpec(
            image=sandbox_image,
            config=config,
            user=SANDBOX_USER,
            workspace=workspace[1],
            data_root=isolated_data_dir,
            session_id=session_id,
        )
        runner = Runner(engine, spec)
        runners.append(runner)
        if pool_size:
            assert runner.pool.wait_full(timeout=60)
        return runner

    yield build
    for runner in runners:
        runner.close()
    assert session_containers(engine, session_id) == []


def session_containers(engine: Engine, session_id: str) -> list[str]:
    """Ids of every container, running or not, that carries this session's label."""
    found = engine.client.containers.list(
        all=True, filters={"label": f"{labels_mod.SESSION}={session_id}"}
    )
    return [container.id for container in found]


def container_exists(engine: Engine, container_id: str) -> bool:
    try:
        engine.client.containers.get(container_id)
    except docker.errors.NotFound:
        return False
    return True
