"""Run one command in one fresh hardened container, streamed, capped and bounded."""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import docker.types
from docker.utils.socket import frames_iter

from workbench.config import SandboxConfig
from workbench.errors import EngineUnavailable, ImageMissing
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.output import CappedOutput
from workbench.sandbox.pool import WarmPool
from workbench.sandbox.profile import WORKSPACE, check_runtime, container_kwargs

log = logging.getLogger(__name__)

EXIT_TIMED_OUT = 124  # as coreutils `timeout` reports it
EXIT_INTERRUPTED = 130  # as a shell reports SIGINT
EXIT_UNKNOWN = -1

# bash when the image has it, else sh; the command is one argument, never parsed here.
_SHELL = 'if [ -x /bin/bash ]; then exec /bin/bash -c "$1"; fi; exec /bin/sh -c "$1"'


@dataclass(frozen=True)
class RunnerSpec:
    """What every container of one session shares."""

    image: str
    config: SandboxConfig
    user: str  # "uid:gid", never root
    workspace: docker.types.Mount | None  # mounted at /workspace
    data_root: Path
    session_id: str
    pool_size: int | None = None  # None: config.pool_size; 0: always the cold path

    def labels(self, role: str) -> dict[str, str]:
        return labels_mod.labels_for(self.data_root, self.session_id, role)


@dataclass(frozen=True)
class ExecResult:
    """How one command ended; `output` is head and tail, with a line for the cut."""

    exit_code: int
    output: str
    truncated_bytes: int
    duration_s: float
    container_id: str
    timed_out: bool = False
    interrupted: bool = False
    oom_killed: bool = False


class Runner:
    """Runs each command in a container of its own, from a warm pool when it can."""

    def __init__(self, engine: Engine, spec: RunnerSpec) -> None:
        self.engine = engine
        self.spec = spec
        check_runtime(spec.config, engine.runtimes())
        if not engine.has_image(spec.image):
            raise ImageMissing(
                f"The sandbox image {spec.image} is not built.",
                "Run `workbench image build`.",
            )
        container_kwargs(spec.config, spec.image, spec.user, spec.workspace, {})
        self.history: list[str] = []
        self._removals: queue.Queue[str | None] = queue.Queue()
        self._remover = threading.Thread(
            target=self._remove_loop, name="sandbox-remover", daemon=True
        )
        self._remover.start()
        size = spec.config.pool_size if spec.pool_size is None else spec.pool_size
        self.pool = WarmPool(
            self._new_pool_container, self._remove_now, size, self._unpause
        )

    def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[str], None] | None = None,
        on_start: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        stdin: bytes | None = None,
    ) -> ExecResult:
        """Run `command` under the shell in a container nobody used before; blocking."""
        started = time.monotonic()
        container_id = self.pool.take() or self._new_container("command")
        removed_in_background = False
        try:
            self._record(container_id)
            if on_start is not None:
                on_start(container_id[:12])
            result = self._exec(
                container_id, command, started, timeout, on_output, cancel, stdin
            )
            removed_in_background = True
            return result
        finally:
            if removed_in_background:
                self._removals.put(container_id)
            else:
                self._remove_now(container_id)

    def drain(self) -> None:
        """Remove idle pool containers and settle removals; refills wait for resume."""
        self.pool.drain()
        self.settle()

    def resume(self) -> None:
        self.pool.resume()

    @contextlib.contextmanager
    def quiesced(self) -> Iterator[None]:
        """No container of this runner holds the workspace inside this block."""
        self.drain()
        try:
            yield
        finally:
            self.resume()

    def settle(self) -> None:
        """Wait until every finished command's container is gone."""
        self._removals.join()

    def close(self) -> None:
        """Remove every container this runner still holds."""
        self.pool.close()
        self.settle()
        self._removals.put(None)

    def _record(self, container_id: str) -> None:
        # One container, one command: a reused id is a defect, never tolerated.
        if container_id in self.history:
            raise RuntimeError(f"container {container_id[:12]} served twice")
        self.history.append(container_id)

    def _kwargs(self, role: str) -> dict[str, Any]:
        spec = self.spec
        return container_kwargs(
            spec.config, spec.image, spec.user, spec.workspace, spec.labels(role)
        )

    def _new_container(self, role: str) -> str:
        container_id = self.engine.create_container_id(**self._kwargs(role))
        try:
            self.engine.call(self.engine.api.start, container_id)
        except BaseException:
            self._remove_now(container_id)
            raise
        return container_id

    def _new_pool_container(self) -> str:
        container_id = self._new_container("pool")
        try:
            self.engine.call(self.engine.api.pause, container_id)
        except BaseException:
            self._remove_now(container_id)
            raise
        return container_id

    def _unpause(self, container_id: str) -> None:
        self.engine.call(self.engine.api.unpause, container_id)

    def _remove_now(self, container_id: str) -> None:
        self.engine.remove_container(container_id)

    def _remove_loop(self) -> None:
        while True:
            container_id = self._removals.get()
            try:
                if container_id is None:
                    return
                self._remove_now(container_id)
            except Exception as error:  # keep removing the others
                log.warning("removing %s failed: %s", container_id, error)
            finally:
                self._removals.task_done()

    def _exec(
        self,
        container_id: str,
        command: str,
        started: float,
        timeout: float | None,
        on_output: Callable[[str], None] | None,
        cancel: threading.Event | None,
        stdin: bytes | None,
    ) -> ExecResult:
        api = self.engine.api
        wall_started = time.time()
        limit = self.spec.config.timeout_s if timeout is None else timeout
        exec_id = self.engine.call(
            api.exec_create,
            container_id,
            ["/bin/sh", "-c", _SHELL, "sh", command],
            stdin=stdin is not None,
            workdir=WORKSPACE,
            user=self.spec.user,
        )["Id"]
        sock = self.engine.call(api.exec_start, exec_id, socket=True)
        output = CappedOutput(self.spec.config.output_limit_bytes, on_output)
        stream = _ExecStream(sock, output, stdin)
        timed_out = interrupted = False
        try:
            deadline = started + limit
            while not stream.done.wait(
                min(0.05, max(0.0, deadline - time.monotonic()))
            ):
                if cancel is not None and cancel.is_set():
                    interrupted = True
                elif time.monotonic() >= deadline:
                    timed_out = True
                if timed_out or interrupted:
                    self._remove_now(container_id)
                    stream.done.wait(5)
                    break
        finally:
            stream.close()
        text = output.finish()
        if stream.error is not None and not (timed_out or interrupted):
            if not isinstance(stream.error, OSError):
                raise stream.error  # from on_output: the caller's own failure
            raise EngineUnavailable(
                f"Lost the command's output stream: {stream.error}",
                "Check that the Docker engine is still running.",
            )
        exit_code, oom = self._outcome(
            exec_id, container_id, wall_started, timed_out or interrupted
        )
        if timed_out:
            exit_code = EXIT_TIMED_OUT
        elif interrupted:
            exit_code = EXIT_INTERRUPTED
        return ExecResult(
            exit_code=exit_code,
            output=text,
            truncated_bytes=output.truncated_bytes,
            duration_s=time.monotonic() - started,
            container_id=container_id,
            timed_out=timed_out,
            interrupted=interrupted,
            oom_killed=oom,
        )

    def _outcome(
        self, exec_id: str, container_id: str, wall_started: float, killed: bool
    ) -> tuple[int, bool]:
        if killed:
            return EXIT_UNKNOWN, False
        api = self.engine.api
        for _ in range(100):
            info = self.engine.call(api.exec_inspect, exec_id)
            if not info.get("Running") and info.get("ExitCode") is not None:
                break
            time.sleep(0.01)
        exit_code = info.get("ExitCode")
        exit_code = EXIT_UNKNOWN if exit_code is None else int(exit_code)
        oom = exit_code == 137 and self._oom_since(container_id, wall_started)
        return exit_code, oom

    def _oom_since(self, container_id: str, wall_started: float) -> bool:
        """Whether the engine saw the OOM killer in this container since `start`."""
        # The container outlives its killed command, so State.OOMKilled stays
        # false; the engine's "oom" event is the reliable witness.
        events = self.engine.call(
            self.engine.api.events,
            since=wall_started - 1,
            until=time.time() + 0.1,
            filters={"container": container_id, "event": "oom"},
            decode=True,
        )
        return any(True for _ in events)


class _ExecStream:
    """Reads an exec's multiplexed output on a thread, and feeds its stdin."""

    def __init__(self, sock: Any, output: CappedOutput, stdin: bytes | None) -> None:
        self.sock = sock
        self.raw = getattr(sock, "_sock", sock)
        self.output = output
        self.error: BaseException | None = None
        self.done = threading.Event()
        if stdin is not None:
            threading.Thread(
                target=self._write, args=(stdin,), name="sandbox-stdin", daemon=True
            ).start()
        threading.Thread(target=self._read, name="sandbox-output", daemon=True).start()

    def _write(self, data: bytes) -> None:
        try:
            self.raw.sendall(data)
            self.raw.shutdown(socket.SHUT_WR)
        except OSError as error:  # the command exited without reading it all
            log.debug("stdin not fully written: %s", error)

    def _read(self) -> None:
        try:
            for _stream, data in frames_iter(self.sock, tty=False):
                self.output.feed(data)
        except Exception as error:  # re-raised on the caller's thread
            self.error = error
        finally:
            self.done.set()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


__all__ = ["ExecResult", "Runner", "RunnerSpec"]
