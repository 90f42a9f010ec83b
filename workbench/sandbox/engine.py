"""The Docker engine: a lazily connected client and the facts the sandbox needs."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container, _create_container_args
from docker.models.volumes import Volume

from workbench.errors import EngineUnavailable
from workbench.sandbox import labels as labels_mod

log = logging.getLogger(__name__)

ENGINE_HINT = (
    "Start the Docker engine (e.g. `sudo systemctl start docker` or `dockerd`) "
    "and check DOCKER_HOST."
)


@dataclass(frozen=True)
class EngineFacts:
    """What the engine is and can do, as `workbench doctor` reports it."""

    version: str
    api_version: str
    runtimes: tuple[str, ...]
    default_runtime: str
    local: bool
    storage_driver: str
    cgroup_version: str
    host: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "api_version": self.api_version,
            "runtimes": list(self.runtimes),
            "default_runtime": self.default_runtime,
            "local": self.local,
            "storage_driver": self.storage_driver,
            "cgroup_version": self.cgroup_version,
            "host": self.host,
        }


class Engine:
    """The docker SDK client from the environment, connected on first use."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._facts: EngineFacts | None = None
        self._overlay: dict[str, bool] = {}

    @property
    def client(self) -> docker.DockerClient:
        """The connected client; raises EngineUnavailable when there is no engine."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    def _connect(self) -> docker.DockerClient:
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        try:
            client = docker.from_env(timeout=60)
            client.ping()
        except docker.errors.DockerException as error:
            log.warning("engine unavailable at %s: %s", where, error)
            raise EngineUnavailable(
                f"Cannot reach the Docker engine at {where}.", ENGINE_HINT
            ) from error
        except Exception as error:  # requests/urllib3 errors surface untyped
            log.warning("engine refused at %s: %s", where, error)
            raise EngineUnavailable(
                f"The Docker engine at {where} refused the connection.", ENGINE_HINT
            ) from error
        log.info("connected to the engine at %s", where)
        return client

    def facts(self) -> EngineFacts:
        """Version, runtimes and locality, asked once and cached."""
        if self._facts is None:
            info = self.call(self.client.info)
            version = self.call(self.client.version)
            runtimes = tuple(sorted((info.get("Runtimes") or {}).keys()))
            self._facts = EngineFacts(
                version=str(version.get("Version", "?")),
                api_version=str(version.get("ApiVersion", "?")),
                runtimes=runtimes or ("runc",),
                default_runtime=str(info.get("DefaultRuntime", "runc")),
                local=self.is_local(),
                storage_driver=str(info.get("Driver", "?")),
                cgroup_version=str(info.get("CgroupVersion", "?")),
                host=os.environ.get("DOCKER_HOST", ""),
            )
        return self._facts

    def is_local(self) -> bool:
        """True when the engine listens on a unix socket of this host."""
        host = os.environ.get("DOCKER_HOST", "")
        if host and not host.startswith("unix://"):
            return False
        socket_path = host[len("unix://") :] if host else "/var/run/docker.sock"
        return Path(socket_path).exists()

    def runtimes(self) -> tuple[str, ...]:
        return self.facts().runtimes

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the SDK, turning a lost connection into EngineUnavailable."""
        try:
            return fn(*args, **kwargs)
        except docker.errors.APIError:
            raise
        except docker.errors.DockerException as error:
            raise EngineUnavailable(
                f"The Docker engine failed: {error}", ENGINE_HINT
            ) from error
        except (ConnectionError, OSError) as error:
            raise EngineUnavailable(
                f"Lost the connection to the Docker engine: {error}", ENGINE_HINT
            ) from error

    def has_image(self, tag: str) -> bool:
        try:
            self.call(self.client.images.get, tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    def create_container(self, **kwargs: Any) -> Container:
        """Create a container; kwargs must carry our labels (see labels.py)."""
        assert labels_mod.APP in kwargs.get("labels", {}), "unlabelled container"
        return self.call(self.client.containers.create, **kwargs)

    def create_container_id(self, **kwargs: Any) -> str:
        """Create a container and return its id, sparing the inspect `create` does."""
        assert labels_mod.APP in kwargs.get("labels", {}), "unlabelled container"
        args = _create_container_args({**kwargs, "version": self.client.api._version})
        return self.call(self.client.api.create_container, **args)["Id"]

    def create_volume(
        self,
        labels: dict[str, str],
        name: str | None = None,
        driver_opts: dict[str, str] | None = None,
    ) -> Volume:
        """Create a local-driver volume carrying our labels."""
        assert labels_mod.APP in labels, "unlabelled volume"
        return self.call(
            self.client.volumes.create,
            name=name or f"workbench-{uuid.uuid4().hex[:12]}",
            driver="local",
            driver_opts=driver_opts or {},
            labels=labels,
        )

    def remove_container(self, container_id: str) -> None:
        """Force-remove a container we created; gone already is fine."""
        try:
            self.client.api.remove_container(container_id, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            if "already in progress" not in str(error):
                log.warning("could not remove container %s: %s", container_id, error)
        except Exception as error:  # a lost engine: gc collects it by label later
            log.warning(
                "could not reach the engine to remove %s: %s", container_id, error
            )

    def overlay_volumes_work(self, image: str, data_root: Path) -> bool:
        """Probe once whether a local overlay volume mounts in a container."""
        if image in self._overlay:
            return self._overlay[image]
        works = self.is_local() and self._probe_overlay(image, data_root)
        self._overlay[image] = works
        log.info("overlay volume mounts %s", "work" if works else "do not work")
        return works

    def _probe_overlay(self, image: str, data_root: Path) -> bool:
        data_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="overlay-probe-", dir=data_root))
        dirs = {name: scratch / name for name in ("lower", "upper", "work")}
        for path in dirs.values():
            path.mkdir()
        (dirs["lower"] / "probe").write_text("lower\n")
        # The probe writes as a capability-less root; the dirs may belong to a
        # non-root host user, so let anyone write the (throwaway) upper dir.
        dirs["upper"].chmod(0o777)
        labels = labels_mod.labels_for(data_root, "probe", "helper")
        options = (
            f"lowerdir={dirs['lower']},upperdir={dirs['upper']},workdir={dirs['work']}"
        )
        volume = None
        container = None
        try:
            volume = self.create_volume(
                labels,
                driver_opts={"type": "overlay", "device": "overlay", "o": options},
            )
            container = self.create_container(
                image=image,
                command=["/bin/sh", "-c", "cat /probe/probe && echo up > /probe/up"],
                volumes={volume.name: {"bind": "/probe", "mode": "rw"}},
                network_mode="none",
                user="0:0",
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                read_only=True,
                labels=labels,
            )
            container.start()
            status = container.wait(timeout=30).get("StatusCode", 1)
            return status == 0 and (dirs["upper"] / "up").exists()
        except Exception as error:  # any failure means: do not use overlay
            log.info("overlay probe failed: %s", error)
            return False
        finally:
            if container is not None:
                self.remove_container(container.id)
            if volume is not None:
                try:
                    volume.remove(force=True)
                except docker.errors.APIError as error:
                    log.warning("could not remove probe volume: %s", error)
            shutil.rmtree(scratch, ignore_errors=True)
