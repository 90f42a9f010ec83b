"""The runner on the real engine: one command, one fresh container, bounded."""

from __future__ import annotations

import threading

import pytest

from tests import docker_helpers
from tests.docker_helpers import container_exists, session_containers
from workbench.sandbox.runner import EXIT_INTERRUPTED, EXIT_TIMED_OUT

# Fixtures on the real engine, shared by the sandbox tests.
engine = docker_helpers.engine
make_runner = docker_helpers.make_runner
sandbox_image = docker_helpers.sandbox_image
session_id = docker_helpers.session_id
workspace = docker_helpers.workspace


def test_exit_code_and_both_streams_come_back(make_runner) -> None:
    runner = make_runner()
    chunks: list[str] = []

    result = runner.run("echo out; echo err >&2; pwd; exit 7", on_output=chunks.append)

    assert result.exit_code == 7
    # stdout and stderr are two pipes: their relative order is not defined.
    assert sorted(result.output.splitlines()) == ["/workspace", "err", "out"]
    assert "".join(chunks) == result.output
    assert result.truncated_bytes == 0 and not result.timed_out


def test_stdin_reaches_the_command_and_the_workspace_keeps_it(
    make_runner, workspace
) -> None:
    runner = make_runner()
    content = "héllo\n" * 50_000  # larger than a pipe buffer

    written = runner.run("cat > notes.txt", stdin=content.encode())
    counted = runner.run("wc -c < notes.txt")

    assert written.exit_code == 0
    assert int(counted.output) == len(content.encode())
    assert (workspace[0] / "notes.txt").read_text() == content


def test_non_utf8_output_is_replaced_not_fatal(make_runner) -> None:
    result = make_runner().run(r"printf 'ok \377\376 done'")

    assert result.exit_code == 0
    assert result.output == "ok \ufffd\ufffd done"


def test_a_flood_is_cut_to_head_and_tail(make_runner) -> None:
    runner = make_runner(output_limit_bytes=10_000)
    streamed: list[str] = []

    result = runner.run(
        "echo FIRST; head -c 20000000 /dev/zero | tr '\\0' x; echo; echo LAST",
        on_output=streamed.append,
    )

    assert result.exit_code == 0
    assert result.output.startswith("FIRST\n") and result.output.endswith("LAST\n")
    assert result.truncated_bytes == 6 + 20_000_000 + 1 + 5 - 10_000
    assert f"[... {result.truncated_bytes} bytes of output cut ...]" in result.output
    assert len(result.output) < 10_100
    assert "".join(streamed) == result.output


def test_two_commands_share_only_the_workspace(make_runner) -> None:
    runner = make_runner()

    first = runner.run(
        "echo kept > /workspace/kept; echo lost > /tmp/lost;"
        " (sleep 300 &) ; nohup sleep 301 >/dev/null 2>&1 & echo started"
    )
    second = runner.run(
        "cat /workspace/kept; ls /tmp; ps -eo args | grep -c '^sleep 30[01]' || true"
    )

    assert first.exit_code == 0
    assert first.container_id != second.container_id
    assert second.output == "kept\n0\n"


def test_timeout_kills_and_removes_the_container(make_runner, engine) -> None:
    runner = make_runner()

    result = runner.run("echo before; sleep 60", timeout=1.5)

    assert result.timed_out and result.exit_code == EXIT_TIMED_OUT
    assert result.output == "before\n"
    assert result.duration_s < 30
    assert not container_exists(engine, result.container_id)


def test_cancel_kills_at_once(make_runner, engine) -> None:
    runner = make_runner()
    cancel = threading.Event()

    def cancel_when_running(text: str) -> None:
        if "running" in text:
            cancel.set()

    result = runner.run(
        "echo running; sleep 60", cancel=cancel, on_output=cancel_when_running
    )

    assert result.interrupted and result.exit_code == EXIT_INTERRUPTED
    assert not container_exists(engine, result.container_id)


def test_interrupt_in_the_caller_still_removes_the_container(
    make_runner, engine, session_id
) -> None:
    runner = make_runner()
    started: list[str] = []

    def interrupt(short_id: str) -> None:
        started.append(short_id)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.run("sleep 60", on_start=interrupt)

    assert started and not container_exists(engine, started[0])
    assert session_containers(engine, session_id) == []


def test_a_failing_output_callback_surfaces_and_cleans_up(make_runner, engine) -> None:
    runner = make_runner()

    def broken(text: str) -> None:
        raise RuntimeError("consumer broke")

    with pytest.raises(RuntimeError, match="consumer broke"):
        runner.run("echo hi", on_output=broken)

    runner.settle()
    assert not container_exists(engine, runner.history[-1])


def test_memory_bomb_is_oom_killed_and_reported(make_runner) -> None:
    runner = make_runner()

    result = runner.run("python3 -c 'x = b\" \" * (2 << 30)'")

    assert result.exit_code == 137 and result.oom_killed
    assert runner.run("echo alive").output == "alive\n"


def test_ordinary_failure_is_not_reported_as_oom(make_runner) -> None:
    result = make_runner().run("kill -9 $$")

    assert result.exit_code == 137 and not result.oom_killed
