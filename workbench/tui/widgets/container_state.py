"""The sandbox container's state: image, runtime, short id, network, limits, elapsed."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

_MARKS = {
    "starting": ("◌", "$text-muted"),
    "idle": ("○", "$text-muted"),
    "running": ("●", "$success"),
    "finished": ("✓", "$success"),
    "failed": ("✗", "$error"),
    "stopped": ("■", "$warning"),
    "unavailable": ("✗", "$error"),
}


class ContainerState(Static):
    """Two lines that follow the running command; the clock ticks only meanwhile."""

    DEFAULT_CSS = """
    ContainerState { height: auto; padding: 0 1; color: $text; }
    """

    state: reactive[str] = reactive("starting")
    detail: reactive[str] = reactive("opening the sandbox…")
    image: reactive[str] = reactive("")
    runtime: reactive[str] = reactive("")
    container_id: reactive[str] = reactive("")
    network: reactive[str] = reactive("none")
    limits: reactive[str] = reactive("")
    elapsed: reactive[float | None] = reactive(None)

    def __init__(self, clock: Callable[[], float] = time.monotonic, **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self._started: float | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(0.5, self._tick, pause=True)

    def start(self, container_id: str, image: str, runtime: str, network: str) -> None:
        """A command started in a new container."""
        self.container_id = container_id[:12]
        self.image = image or self.image
        self.runtime = runtime or self.runtime
        self.network = network or self.network
        self.state, self.detail = "running", ""
        self._started = self._clock()
        self.elapsed = 0.0
        self._ticker.resume()

    def stop(self, state: str, duration_s: float, detail: str = "") -> None:
        """The command ended; show its real duration instead of the clock."""
        self._ticker.pause()
        self._started = None
        self.state, self.detail, self.elapsed = state, detail, duration_s

    def _tick(self) -> None:
        if self._started is not None:
            self.elapsed = self._clock() - self._started

    def render(self) -> Content:
        mark, style = _MARKS.get(self.state, ("?", "$text-muted"))
        first = [Content.assemble((f"{mark} {self.state}", f"bold {style}"))]
        for value in (self.image, self.runtime, self.detail):
            if value:
                first.append(Content(value))
        network = Content(f"net {self.network}")
        if self.network != "none":
            network = network.stylize("bold $warning")
        second = [Content(self.container_id or "no container"), network]
        if self.limits:
            second.append(Content(self.limits))
        if self.elapsed is not None:
            second.append(Content(f"{self.elapsed:.1f}s"))
        return Content.assemble(
            Content("  ").join(first), "\n  ", Content(" · ").join(second)
        )
