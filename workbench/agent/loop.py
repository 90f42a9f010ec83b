"""The agent loop: model turns, approvals and sandbox commands, reported as events.

The loop is UI-free and runs on one asyncio thread; `emit` is always called on
that thread (runner output is marshalled back first). `interrupt()` may be called
from any thread: it kills the running container and ends the loop "interrupted".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from workbench.agent import prompts
from workbench.agent.approval import ApprovalPolicy, Decision, Verdict
from workbench.agent.events import (
    BudgetExceeded,
    ChangesUpdated,
    CommandApproved,
    CommandDenied,
    CommandEdited,
    CommandFinished,
    CommandProposed,
    CommandStarted,
    Event,
    ModelFailed,
    ModelReplied,
    OutputReceived,
    TaskFinished,
    TaskStarted,
    ToolCallFailed,
)
from workbench.agent.models import ModelClient, ModelError, ModelReply, RetryPolicy
from workbench.agent.secrets import Redactor
from workbench.agent.tools import READ_ONLY, ToolCall, cut_middle, describe
from workbench.agent.tools import sandbox_command as tool_command
from workbench.agent.transcript import Transcript, close_dangling_calls
from workbench.config import AgentConfig
from workbench.errors import WorkbenchError

log = logging.getLogger(__name__)

Approver = Callable[[CommandProposed], Awaitable[Decision]]
CONTINUE_PROMPT = "Continue where you stopped."

__all__ = ["AgentLoop", "Approver", "Decision"]


class _Stopped(Exception):
    """The user interrupted the loop."""


class _OutOfTime(Exception):
    """The wall-clock budget ran out."""


class _SandboxFailed(Exception):
    """The sandbox could not run a command at all (engine gone, session closed)."""


class AgentLoop:
    """Runs one agent conversation against one sandbox session."""

    def __init__(
        self,
        session: Any,
        model: str = "",
        config: AgentConfig | None = None,
        approver: Approver | None = None,
        emit: Callable[[Event], None] | None = None,
        transcript: Transcript | None = None,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        messages: list[dict[str, Any]] | None = None,
    ) -> None:
        self.session = session
        self.config = config or AgentConfig()
        self.model = model or self.config.model
        if not self.model:
            raise WorkbenchError(
                "No model chosen.",
                "Pass --model (e.g. scripted/fix-failing-test) or set [agent] model.",
            )
        self.policy = ApprovalPolicy(self.config.approval, self.config.rules)
        self.approver = approver
        self._emit_to = emit
        self.transcript = transcript
        self.redactor = (
            transcript.redactor if transcript else Redactor(self.config.secret_patterns)
        )
        if api_key:  # a key given by argument is not in the environment to be found
            self.redactor.add(api_key)
        # The caller (a CLI flag) beats WORKBENCH_API_BASE, which beats the file.
        api_base = (
            api_base
            or os.environ.get("WORKBENCH_API_BASE")
            or self.config.api_base
            or None
        )
        self.client = ModelClient(
            self.model, api_base, api_key, timeout_s, retry or RetryPolicy()
        )
        self.messages: list[dict[str, Any]] = close_dangling_calls(messages or [])
        self.steps = 0
        self.total_tokens = 0
        self.total_cost_usd = 0.0

        self._stop = threading.Event()
        self._cancel: threading.Event | None = None
        self._aio: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._deadline = 0.0
        self._last_failure = ""

    @classmethod
    def resume(
        cls, session: Any, model: str, transcript: Transcript, **kwargs: Any
    ) -> AgentLoop:
        """A loop that continues the conversation stored in a transcript."""
        return cls(
            session,
            model,
            transcript=transcript,
            messages=transcript.messages(),
            **kwargs,
        )

    def interrupt(self) -> None:
        """Stop the loop from any thread: the running container is killed at once."""
        self._stop.set()
        cancel = self._cancel
        if cancel is not None:
            cancel.set()
        aio, wake = self._aio, self._wake
        if aio is not None and wake is not None and not aio.is_closed():
            with contextlib.suppress(RuntimeError):
                aio.call_soon_threadsafe(wake.set)

    async def run(self, prompt: str = "") -> TaskFinished:
        """Work on a prompt (or continue a resumed conversation) until it ends."""
        self._aio = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stop.clear()
        self._deadline = time.monotonic() + self.config.max_wall_s
        self.steps = 0

        self._emit(
            TaskStarted(
                session_id=str(getattr(self.session, "id", "")),
                prompt=prompt,
                model=self.model,
                approval=self.policy.mode,
            )
        )
        if prompt or not self.messages:
            self._add_message({"role": "user", "content": prompt or CONTINUE_PROMPT})
        elif self.messages[-1].get("role") == "assistant":
            self._add_message({"role": "user", "content": CONTINUE_PROMPT})

        try:
            outcome, summary = await self._work()
        except _Stopped:
            outcome, summary = "interrupted", "Stopped by the user."
        except _OutOfTime:
            outcome, summary = "budget_exceeded", self._over_budget("time")
        except _SandboxFailed as error:
            outcome, summary = "failed", str(error)
        finally:
            self._answer_dangling()
            self._cancel = None

        finished = TaskFinished(
            outcome=outcome,
            summary=summary,
            steps=self.steps,
            total_tokens=self.total_tokens,
            total_cost_usd=self.total_cost_usd,
        )
        self._emit(finished)
        return finished

    async def _work(self) -> tuple[str, str]:
        while True:
            if self._stop.is_set():
                raise _Stopped
            if self.steps >= self.config.max_steps:
                return "budget_exceeded", self._over_budget("steps")

            reply = await self._ask_model()
            if reply is None:
                return "failed", self._last_failure
            if self._over_cost():
                return "budget_exceeded", self._over_budget("cost")
            if not reply.tool_calls:
                return "finished", reply.text

            summary = await self._run_calls(reply.tool_calls)
            if summary is not None:
                return "finished", summary

    async def _ask_model(self) -> ModelReply | None:
        def on_retry(message: str, attempt: int) -> None:
            self._emit(ModelFailed(message=message, retrying=True, attempt=attempt))

        network = str(getattr(self.session, "network", "none") or "none")
        try:
            reply = await self._race(
                self.client.complete(
                    self.messages,
                    lambda native: prompts.system_prompt(network, native),
                    on_retry,
                )
            )
        except ModelError as error:
            self._last_failure = error.message
            self._emit(ModelFailed(message=error.message, retrying=False))
            return None

        self.steps += 1
        tokens = reply.prompt_tokens + reply.completion_tokens
        self.total_tokens += tokens
        self.total_cost_usd += reply.cost_usd
        self._add_message(reply.message)
        if self.transcript is not None:
            self.transcript.record_call(
                model=self.model,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                cost_usd=reply.cost_usd,
                duration_s=round(reply.duration_s, 3),
                attempts=reply.attempts,
                native_tools=reply.native,
            )
        self._emit(
            ModelReplied(
                text=reply.text,
                tool_calls=len(reply.tool_calls),
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                cost_usd=reply.cost_usd,
                total_tokens=self.total_tokens,
                total_cost_usd=self.total_cost_usd,
            )
        )
        return reply

    async def _run_calls(self, calls: list[ToolCall]) -> str | None:
        """Carry out a reply's tool calls in order; the summary if one finished."""
        summary: str | None = None
        for call in calls:
            if summary is not None:
                self._answer(call, "Not run: finish was already called.")
            elif call.name == "finish" and not call.error:
                summary = call.arguments["summary"]
                self._answer(call, "Finished.")
            else:
                self._answer(call, await self._carry_out(call))
        return summary

    async def _carry_out(self, call: ToolCall) -> str:
        if call.error:
            self._emit(
                ToolCallFailed(call_id=call.id, tool=call.name, message=call.error)
            )
            return f"Error: {call.error}"

        verdict = self.policy.evaluate(call)
        proposed = CommandProposed(
            call_id=call.id,
            tool=call.name,
            command=describe(call),
            risks=verdict.risks,
            needs_approval=verdict.action == "ask",
            rule=verdict.rule,
        )
        self._emit(proposed)
        refusal = await self._decide(call, verdict, proposed)
        if refusal is not None:
            return refusal

        command, stdin = tool_command(call)
        exit_code, output = await self._exec(call.id, command, stdin)
        if call.name not in READ_ONLY:
            await self._report_changes()
        return self._result_text(call, exit_code, output)

    async def _decide(
        self, call: ToolCall, verdict: Verdict, proposed: CommandProposed
    ) -> str | None:
        """Apply the policy and the user's decision; the refusal text if not run."""
        if verdict.action == "deny":
            message = f"Refused by the rule '{verdict.rule}'."
            self._record_decision(call.id, "deny", by="rule", message=message)
            self._emit(CommandDenied(call_id=call.id, message=message, by="rule"))
            return f"{message} Do not retry it; try another way."
        if verdict.action == "allow":
            self._record_decision(call.id, "approve", by=verdict.by)
            self._emit(CommandApproved(call_id=call.id, by=verdict.by))
            return None

        decision = await self._race(self._ask_user(proposed))
        self._record_decision(
            call.id, decision.kind, by="user", message=decision.message,
            command=decision.command,
        )  # fmt: skip
        if decision.kind == "deny":
            self._emit(CommandDenied(call_id=call.id, message=decision.message))
            reason = f": {decision.message}" if decision.message else "."
            return f"The user denied this command{reason}"
        if decision.kind == "edit" and decision.command.strip():
            # An edited call becomes the shell command the user wrote.
            call.name, call.arguments = "run", {"command": decision.command}
            self._emit(CommandEdited(call_id=call.id, command=decision.command))
        else:
            self._emit(CommandApproved(call_id=call.id, by="user"))
        return None

    async def _ask_user(self, proposed: CommandProposed) -> Decision:
        if self.approver is None:
            return Decision("deny", "Nobody is there to approve commands.")
        try:
            return await self.approver(self._redacted(proposed))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a broken prompt must not run the command
            log.exception("the approver failed on %s", proposed.call_id)
            return Decision(
                "deny", "The approval prompt failed; the command was not run."
            )

    async def _exec(
        self, call_id: str, command: str, stdin: bytes | None
    ) -> tuple[int, str]:
        """Run one command in the sandbox, streaming its output as events."""
        aio = asyncio.get_running_loop()
        cancel = threading.Event()
        self._cancel = cancel
        if self._stop.is_set():
            raise _Stopped
        started: list[str] = []

        def announce(container_id: str) -> None:
            if not started:
                started.append(container_id)
                self._emit(
                    CommandStarted(
                        call_id=call_id,
                        command=command,
                        container_id=container_id,
                        image=str(getattr(self.session, "image", "")),
                        runtime=str(getattr(self.session, "runtime", "")),
                        network=str(getattr(self.session, "network", "none")),
                    )
                )

        def on_start(container_id: str) -> None:
            aio.call_soon_threadsafe(announce, container_id)

        def on_output(text: str) -> None:
            aio.call_soon_threadsafe(
                self._emit, OutputReceived(call_id=call_id, text=text)
            )

        work = asyncio.ensure_future(
            asyncio.to_thread(
                self.session.exec, command, on_output=on_output, on_start=on_start,
                cancel=cancel, stdin=stdin,
            )
        )  # fmt: skip
        done, _ = await asyncio.wait({work}, timeout=self._time_left())
        out_of_time = not done
        if out_of_time:
            cancel.set()
        try:
            result = await work
        except WorkbenchError as error:
            raise _SandboxFailed(error.message) from error
        except Exception as error:  # noqa: BLE001 - the task still ends with its events
            log.exception("the sandbox failed to run %s", call_id)
            raise _SandboxFailed(f"The sandbox failed: {error}") from error
        finally:
            self._cancel = None

        announce(str(getattr(result, "container_id", "") or ""))
        self._emit(
            CommandFinished(
                call_id=call_id,
                exit_code=result.exit_code,
                duration_s=result.duration_s,
                timed_out=result.timed_out,
                interrupted=result.interrupted,
                output_truncated_bytes=result.truncated_bytes,
            )
        )
        if self._stop.is_set():
            raise _Stopped
        if out_of_time:
            raise _OutOfTime
        notes = [note for flag, note in (
            (result.timed_out, "[timed out]"),
            (result.oom_killed, "[killed: out of memory]"),
            (result.interrupted, "[interrupted]"),
        ) if flag]  # fmt: skip
        if notes:
            return result.exit_code, "\n".join([result.output.rstrip("\n"), *notes])
        return result.exit_code, result.output

    def _result_text(self, call: ToolCall, exit_code: int, output: str) -> str:
        limit = self.config.tool_output_limit
        output = cut_middle(output, limit)
        if call.name == "read_file" and exit_code == 0:
            return output
        if call.name == "write_file" and exit_code == 0:
            return f"Wrote {call.arguments['path']}."
        return f"exit code {exit_code}\n{output}".rstrip("\n")

    async def _report_changes(self) -> None:
        try:
            changes = await asyncio.to_thread(self.session.changes)
        except Exception as error:  # noqa: BLE001 - a stale count must not stop the agent
            log.warning("could not read the session's changes: %s", error)
            return
        counts = changes.counts()
        self._emit(
            ChangesUpdated(
                added=counts["added"],
                modified=counts["modified"],
                deleted=counts["deleted"],
                paths=tuple(change.path for change in changes),
            )
        )

    async def _race(self, awaitable: Awaitable[Any]) -> Any:
        """Await something unless the user interrupts or the wall clock runs out."""
        assert self._wake is not None
        task = asyncio.ensure_future(awaitable)
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {task, waker},
                timeout=self._time_left(),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waker.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if task.done() and not task.cancelled():
            return task.result()
        if self._stop.is_set():
            raise _Stopped
        raise _OutOfTime

    def _time_left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def _over_cost(self) -> bool:
        limit = self.config.max_cost_usd
        return limit > 0 and self.total_cost_usd >= limit

    def _over_budget(self, limit: str) -> str:
        message = {
            "steps": f"Stopped after {self.config.max_steps} model steps (max_steps).",
            "cost": (
                f"Stopped at ${self.total_cost_usd:.4f}, over the budget of "
                f"${self.config.max_cost_usd:.2f} (max_cost_usd)."
            ),
            "time": f"Stopped after {self.config.max_wall_s:g}s (max_wall_s).",
        }[limit]
        self._emit(BudgetExceeded(limit=limit, message=message))
        return message

    def _answer(self, call: ToolCall, text: str) -> None:
        if call.native:
            message = {"role": "tool", "tool_call_id": call.id, "content": text}
        else:
            result = prompts.tool_result_text("Result of your command:", text)
            message = {"role": "user", "content": result}
        self._add_message(message)

    def _answer_dangling(self) -> None:
        fixed = close_dangling_calls(self.messages)
        for message in fixed[len(self.messages) :]:
            self._record_message(message)
        # Inserted answers may sit mid-list; the whole list is replaced.
        if len(fixed) != len(self.messages):
            self.messages = fixed

    def _add_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._record_message(message)

    def _record_message(self, message: dict[str, Any]) -> None:
        if self.transcript is not None:
            self.transcript.record_message(message)

    def _record_decision(self, call_id: str, kind: str, **details: Any) -> None:
        if self.transcript is not None:
            self.transcript.record_decision(call_id, kind, **details)

    def _redacted(self, event: Event) -> Event:
        updates = {
            f.name: self.redactor.redact_data(getattr(event, f.name))
            for f in dataclasses.fields(event)
            if isinstance(getattr(event, f.name), str | tuple)
        }
        return dataclasses.replace(event, **updates)

    def _emit(self, event: Event) -> None:
        event = self._redacted(event)
        if self.transcript is not None:
            self.transcript.record_event(event)
        if self._emit_to is not None:
            try:
                self._emit_to(event)
            except Exception:  # noqa: BLE001 - a front end's bug must not kill the agent
                log.exception("the emit callback failed on %s", event.type)
