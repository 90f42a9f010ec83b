"""A warm pool: hardened containers created, started and paused ahead of need."""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable

import docker.errors

log = logging.getLogger(__name__)

_MAX_BACKOFF_S = 30.0


class WarmPool:
    """Keeps `size` paused, never-used containers; each one is handed out once."""

    def __init__(
        self,
        create: Callable[[], str],
        remove: Callable[[str], None],
        size: int,
        unpause: Callable[[str], None] | None = None,
    ) -> None:
        self.size = max(0, size)
        self._create = create
        self._remove = remove
        self._unpause = unpause
        self._idle: collections.deque[str] = collections.deque()
        self._cond = threading.Condition()
        self._creating = 0
        self._suspended = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        if self.size:
            self._thread = threading.Thread(
                target=self._refill_loop, name="sandbox-pool", daemon=True
            )
            self._thread.start()

    def idle(self) -> list[str]:
        with self._cond:
            return list(self._idle)

    def take(self) -> str | None:
        """An unpaused container nobody used, or None when the pool is empty."""
        with self._cond:
            if not self._idle or self._suspended or self._closed:
                return None
            container_id = self._idle.popleft()
            self._cond.notify_all()
        try:
            if self._unpause is not None:
                self._unpause(container_id)
        except (docker.errors.APIError, OSError) as error:
            log.warning("pool container %s did not unpause: %s", container_id, error)
            self._remove(container_id)
            return None
        return container_id

    def wait_full(self, timeout: float = 30.0) -> bool:
        """Block until the pool holds `size` containers (tests and benchmarks)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: len(self._idle) >= self.size or self._closed, timeout
            )

    def drain(self) -> None:
        """Remove the idle containers and make refills wait until `resume`."""
        with self._cond:
            self._suspended += 1
            self._cond.wait_for(lambda: self._creating == 0)
            doomed = list(self._idle)
            self._idle.clear()
        for container_id in doomed:
            self._remove(container_id)

    def resume(self) -> None:
        with self._cond:
            self._suspended = max(0, self._suspended - 1)
            self._cond.notify_all()

    def close(self) -> None:
        """Stop refilling and remove every idle container."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._creating == 0)
            doomed = list(self._idle)
            self._idle.clear()
        for container_id in doomed:
            self._remove(container_id)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _wanted(self) -> bool:
        return (
            not self._closed
            and not self._suspended
            and len(self._idle) + self._creating < self.size
        )

    def _refill_loop(self) -> None:
        backoff = 0.0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._wanted())
                if self._closed:
                    return
                self._creating += 1
            container_id = None
            try:
                container_id = self._create()
                backoff = 0.0
            except Exception as error:  # the cold path still serves; retry later
                backoff = min(_MAX_BACKOFF_S, max(1.0, backoff * 2))
                log.warning("pool refill failed (retry in %.0fs): %s", backoff, error)
            keep = False
            if container_id is not None:
                with self._cond:
                    keep = not (self._closed or self._suspended)
                    if keep:
                        self._idle.append(container_id)
                if not keep:
                    self._remove(container_id)
            # Only now may drain() and close() go on: nothing is left in flight.
            with self._cond:
                self._creating -= 1
                self._cond.notify_all()
            if backoff:
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, backoff)
