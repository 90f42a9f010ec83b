"""The engine wrapper on the real Docker engine."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import docker_helpers
from workbench.errors import EngineUnavailable
from workbench.sandbox.engine import Engine

# Fixtures on the real engine, shared by the sandbox tests.
engine = docker_helpers.engine
sandbox_image = docker_helpers.sandbox_image


def test_facts_name_the_version_and_runc(engine: Engine) -> None:
    facts = engine.facts()

    assert facts.version and facts.api_version
    assert "runc" in facts.runtimes
    assert facts.local is True
    assert facts.to_json()["runtimes"] == list(facts.runtimes)


def test_refused_connection_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{port}")

    engine = Engine()

    assert engine.is_local() is False
    with pytest.raises(EngineUnavailable) as raised:
        engine.facts()
    assert "DOCKER_HOST" in raised.value.hint
    assert f"127.0.0.1:{port}" in raised.value.message


def test_missing_socket_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no.sock'}")

    with pytest.raises(EngineUnavailable):
        Engine().client  # noqa: B018


def test_overlay_probe_works_here_and_is_cached(
    engine: Engine, sandbox_image: str, tmp_path: Path
) -> None:
    assert engine.overlay_volumes_work(sandbox_image, tmp_path) is True
    assert list(tmp_path.iterdir()) == []  # the probe cleaned up after itself

    assert engine.overlay_volumes_work(sandbox_image, tmp_path / "unused") is True
    assert not (tmp_path / "unused").exists()


def test_unlabelled_objects_are_refused(engine: Engine, sandbox_image: str) -> None:
    with pytest.raises(AssertionError):
        engine.create_container_id(image=sandbox_image, labels={})
    with pytest.raises(AssertionError):
        engine.create_volume(labels={})
