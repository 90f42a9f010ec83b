"""Runs the agent loop on its own asyncio thread and talks to the UI only by messages.

The loop and litellm, which is slow to load, are imported here, on the bridge's
thread, never on the app's start-up path.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.message import Message

from workbench.config import AgentConfig
from workbench.errors import WorkbenchError
from workbench.tui.messages import (
    AgentEventReceived,
    AgentStopped,
    ApprovalRequested,
    ModelReady,
)

if TYPE_CHECKING:
    from workbench.agent.events import CommandProposed, Event

log = logging.getLogger(__name__)


class AgentBridge:
    """One agent loop per session, run task by task on a private event loop."""

    def __init__(self, post: Callable[[Message], Any]) -> None:
        self._post = post
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="workbench-agent", daemon=True
        )
        self._thread.start()
        self._agent: Any = None
        self._agent_key: tuple[str, str] | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._task: Future[Any] | None = None
        self._fresh = False
        self._stop_asked = threading.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def preload(self) -> None:
        """Import the loop and litellm in the background so the first task is quick."""
        asyncio.run_coroutine_threadsafe(self._preload(), self._loop)

    async def _preload(self) -> None:
        try:
            await asyncio.to_thread(_import_loop)
        except Exception:  # a broken install shows up when a task starts
            log.exception("preloading the agent loop failed")
            return
        self._post(ModelReady())

    def start(self, session: Any, prompt: str, model: str, config: AgentConfig) -> None:
        """Run one task; events and approval requests arrive as messages."""
        if self.running:
            raise WorkbenchError("The agent is still working.", "Wait, or stop it.")
        self._stop_asked.clear()
        self._task = asyncio.run_coroutine_threadsafe(
            self._run(session, prompt, model, config), self._loop
        )

    async def _run(self, session: Any, prompt: str, model: str, config: Any) -> None:
        error = ""
        agent: Any = None
        try:
            loop_module = await asyncio.to_thread(_import_loop)
            agent = self._agent_for(loop_module, session, model, config)
            # run() clears the loop's stop flag as it begins, so a stop asked while
            # litellm was still loading is passed on just after that.
            self._loop.call_soon(self._pass_on_stop, agent)
            await agent.run(prompt)
        except WorkbenchError as failure:
            error = str(failure)
        except Exception as failure:  # the UI must survive any bug in the loop
            log.exception("the agent loop crashed")
            error = f"The agent stopped unexpectedly: {failure}"
        finally:
            self._cancel_pending("the agent stopped")
        if error and agent is not None:
            # An exception's text may quote a key; mask it as events are masked.
            error = agent.redactor.redact(error)
        self._post(AgentStopped(error))

    def _pass_on_stop(self, agent: Any) -> None:
        if self._stop_asked.is_set():
            agent.interrupt()

    def _agent_for(self, module: Any, session: Any, model: str, config: Any) -> Any:
        # A new model or approval mode takes a new loop; otherwise it keeps its history.
        key = (model, config.approval)
        if self._agent is not None and self._agent_key == key:
            return self._agent
        from workbench.agent.transcript import Transcript

        transcript = Transcript.for_session(session, config.secret_patterns)
        # A resumed session continues its conversation from the transcript.
        if self._fresh:
            history: list[Any] = []
        elif self._agent is not None:
            history = self._agent.messages
        else:
            history = transcript.messages()
        self._fresh = False
        self._agent = module.AgentLoop(
            session,
            model=model,
            config=replace(config, model=model),
            approver=self._approve,
            emit=self._emit,
            transcript=transcript,
            messages=history,
        )
        self._agent_key = key
        return self._agent

    def _emit(self, event: Event) -> None:
        self._post(AgentEventReceived(event))

    async def _approve(self, proposal: CommandProposed) -> Any:
        from workbench.agent.loop import Decision

        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending[proposal.call_id] = future

        def resolve(kind: str, message: str = "", command: str = "") -> None:
            decision = Decision(kind=kind, message=message, command=command)
            self._loop.call_soon_threadsafe(_settle, future, decision)

        self._post(ApprovalRequested(proposal, resolve))
        try:
            return await future
        finally:
            self._pending.pop(proposal.call_id, None)

    def forget(self) -> None:
        """Start the next task with an empty conversation (the transcript keeps all)."""
        if not self.running:
            self._agent, self._agent_key, self._fresh = None, None, True

    def interrupt(self) -> None:
        """Stop the running task: kill its container and unblock a pending approval."""
        self._stop_asked.set()
        if self._agent is not None:
            self._agent.interrupt()
        self._loop.call_soon_threadsafe(self._cancel_pending, "stopped by the user")

    def _cancel_pending(self, reason: str) -> None:
        if not self._pending:
            return
        from workbench.agent.loop import Decision

        for future in list(self._pending.values()):
            _settle(future, Decision(kind="deny", message=reason))

    def close(self) -> None:
        """Stop the private loop; call after interrupt when the app quits."""
        self._loop.call_soon_threadsafe(self._shutdown)

    def _shutdown(self) -> None:
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        # One more turn lets the cancelled tasks finish before the loop stops.
        self._loop.call_soon(self._loop.stop)


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _import_loop() -> Any:
    import workbench.agent.loop as loop_module
    from workbench.agent.models import import_litellm

    import_litellm()
    return loop_module
