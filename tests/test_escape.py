"""An escape battery: each attempt fails, and the host and engine stay healthy.

Every attempt prints ESCAPED only if it got through. Network attempts only ever
aim at loopback: the test's own server on the host's 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docker.types
import pytest

from tests import docker_helpers
from tests.docker_helpers import SANDBOX_USER, TEST_CONFIG, container_exists
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.runner import Runner, RunnerSpec

engine = docker_helpers.engine
sandbox_image = docker_helpers.sandbox_image

MARKER_NAME = f"host-secret-{uuid.uuid4().hex[:8]}"
MARKER_TEXT = uuid.uuid4().hex

# ctypes one-liners: print ESCAPED when a privileged syscall succeeds.
_SYSCALL = (
    'python3 -c "import ctypes; l = ctypes.CDLL(None, use_errno=True); '
    "r = l.syscall({nr}, {args}); print('ESCAPED' if r >= 0 else 'denied')\""
)

ATTEMPTS: dict[str, str] = {
    "read_host_file_by_name": f"find / -xdev -name '{MARKER_NAME}*' | grep -q . "
    "&& echo ESCAPED",
    "read_host_file_by_content": f"grep -rqs {MARKER_TEXT} /etc /usr/local /opt "
    "/root /home /tmp /run /var && echo ESCAPED",
    "read_shadow": "cat /etc/shadow && echo ESCAPED",
    "read_kcore": "head -c 16 /proc/kcore >/dev/null && echo ESCAPED",
    "read_dev_mem": "head -c 16 /dev/mem >/dev/null && echo ESCAPED",
    "see_block_devices": "ls /dev | grep -E '^(sd|vd|nvme|xvd|loop|dm-)' "
    "&& echo ESCAPED",
    "write_root": "touch /escaped && echo ESCAPED",
    "write_etc_passwd": "echo 'x::0:0::/:/bin/sh' >> /etc/passwd && echo ESCAPED",
    "write_usr_bin": "cp /bin/sh /usr/bin/evil && echo ESCAPED",
    "write_above_workspace": "touch /workspace/../escaped && echo ESCAPED",
    "write_proc_sys": "echo 1 > /proc/sys/kernel/sysrq && echo ESCAPED",
    "sysctl": "sysctl -w net.ipv4.ip_forward=1 && echo ESCAPED",
    "sysrq_trigger": "echo h > /proc/sysrq-trigger && echo ESCAPED",
    "write_sys": "echo 1 > /sys/kernel/mm/ksm/run && echo ESCAPED",
    "raise_memory_limit": "echo -1 > /sys/fs/cgroup/memory/memory.limit_in_bytes "
    "&& echo ESCAPED",
    "find_docker_socket": "ls /var/run/docker.sock /run/docker.sock 2>/dev/null "
    "&& echo ESCAPED; find / -xdev -type s 2>/dev/null | grep -q . && echo ESCAPED",
    "docker_api_on_loopback": 'python3 -c "import socket; '
    "socket.create_connection(('127.0.0.1', 2375), 1)\" && echo ESCAPED",
    "mount_tmpfs": "mount -t tmpfs none /mnt && echo ESCAPED",
    "user_namespace": "unshare -r id && echo ESCAPED",
    "nsenter_init": "nsenter -t 1 -m -u -n -i true && echo ESCAPED",
    "chroot": "chroot / true && echo ESCAPED",
    "load_module": _SYSCALL.format(nr=175, args="b'\\\\0' * 64, 64, b''"),
    "finit_module": "exec 3</bin/sh; " + _SYSCALL.format(nr=313, args="3, b'', 0"),
    "bpf": _SYSCALL.format(nr=321, args="5, 0, 0"),
    "setuid_root": "python3 -c 'import os; os.setuid(0)' && echo ESCAPED",
    "setuid_files_present": "find / -xdev -perm /6000 -type f | grep -q . "
    "&& echo ESCAPED",
    "su_root": "su -c id root </dev/null && echo ESCAPED",
    "setuid_copy_in_workspace": "cp /bin/bash ./rootsh && chmod u+s ./rootsh && "
    "./rootsh -p -c 'id -u' | grep -qx 0 && echo ESCAPED",
    "raw_socket": "python3 -c 'import socket; socket.socket(socket.AF_INET, "
    "socket.SOCK_RAW, 1)' && echo ESCAPED",
    "mknod_disk": "mknod /tmp/disk b 8 0 && echo ESCAPED",
    "sethostname": "hostname evil && echo ESCAPED",
    "raise_nofile": "ulimit -n 100000 && echo ESCAPED",
    "fill_tmp": "dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>&1 | tail -1; "
    "test $(du -m /tmp/fill | cut -f1) -gt 64 && echo ESCAPED",
    "fill_dev_shm": "dd if=/dev/zero of=/dev/shm/fill bs=1M count=200 2>&1 | tail -1;"
    " test $(du -m /dev/shm/fill | cut -f1) -gt 64 && echo ESCAPED",
    "signal_host_processes": "pkill -9 dockerd && echo ESCAPED; "
    "pkill -9 containerd && echo ESCAPED",
}


@pytest.fixture(scope="module")
def host_marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file on the host, outside the workspace, that no command may read."""
    path = tmp_path_factory.mktemp("host") / MARKER_NAME
    path.write_text(MARKER_TEXT)
    return path


@pytest.fixture(scope="module")
def battery_runner(
    engine: Engine,
    sandbox_image: str,
    tmp_path_factory: pytest.TempPathFactory,
    isolated_data_dir: Path,
    host_marker: Path,
) -> Iterator[Runner]:
    """One warm runner for the whole battery, over a throwaway workspace."""
    session_id = f"test-escape-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("escape") / "workspace"
    folder.mkdir()
    os.chown(folder, *(int(part) for part in SANDBOX_USER.split(":")))
    labels = labels_mod.labels_for(isolated_data_dir, session_id, "workspace")
    volume = engine.create_volume(
        labels, driver_opts={"type": "none", "o": "bind", "device": str(folder)}
    )
    spec = RunnerSpec(
        image=sandbox_image,
        config=replace(TEST_CONFIG, pool_size=2, timeout_s=20.0),
        user=SANDBOX_USER,
        workspace=docker.types.Mount("/workspace", volume.name, type="volume"),
        data_root=isolated_data_dir,
        session_id=session_id,
    )
    runner = Runner(engine, spec)
    yield runner
    runner.close()
    assert docker_helpers.session_containers(engine, session_id) == []
    volume.remove(force=True)
    assert host_marker.read_text() == MARKER_TEXT


@pytest.mark.parametrize("command", list(ATTEMPTS.values()), ids=list(ATTEMPTS))
def test_attempt_fails(battery_runner: Runner, command: str) -> None:
    result = battery_runner.run(command)

    assert "ESCAPED" not in result.output, result.output
    assert not result.timed_out


def test_no_interface_but_loopback(battery_runner: Runner) -> None:
    result = battery_runner.run("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")

    assert result.output.split() == ["lo"]


def test_the_tests_loopback_server_is_unreachable(battery_runner: Runner) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]

        result = battery_runner.run(
            'python3 -c "import socket; '
            f"socket.create_connection(('127.0.0.1', {port}), 2)\" && echo ESCAPED"
        )

        assert "ESCAPED" not in result.output
        assert "Connection refused" in result.output
        with pytest.raises(TimeoutError):
            server.accept()


def test_ptrace_finds_no_process_but_its_own(battery_runner: Runner) -> None:
    dockerd = subprocess.run(
        ["pgrep", "-o", "dockerd"], capture_output=True, text=True
    ).stdout.strip()
    target = dockerd or "99999"
    command = (
        'ps -eo user= | sort -u; python3 -c "import ctypes; '
        "l = ctypes.CDLL(None, use_errno=True); "
        f"print('ESCAPED' if l.ptrace(16, {target}, 0, 0) == 0 else 'denied')\""
    )

    result = battery_runner.run(command)

    assert result.output == "sandbox\ndenied\n"


def test_fork_bomb_hits_the_pids_limit(battery_runner: Runner) -> None:
    bomb = (
        "import os, time\n"
        "count = 0\n"
        "try:\n"
        "    while True:\n"
        "        if os.fork() == 0:\n"
        "            os.closerange(0, 3)\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        count += 1\n"
        "except OSError:\n"
        '    print("blocked", count)\n'
    )

    result = battery_runner.run(f"python3 -c '{bomb}'", timeout=15)

    verdict, count = result.output.split()[-2:]
    assert verdict == "blocked" and int(count) < TEST_CONFIG.pids_limit, result.output
    assert not result.timed_out
    assert battery_runner.run("echo alive").output == "alive\n"


def test_memory_bomb_is_killed(battery_runner: Runner) -> None:
    result = battery_runner.run("python3 -c 'x = b\"x\" * (4 << 30)'")

    assert result.exit_code == 137 and result.oom_killed


def test_output_flood_stays_bounded(battery_runner: Runner) -> None:
    result = battery_runner.run("yes escape", timeout=3)

    assert result.timed_out and result.truncated_bytes > 0
    assert len(result.output) < TEST_CONFIG.output_limit_bytes + 100


def test_outliving_the_timeout_fails(battery_runner: Runner, engine: Engine) -> None:
    result = battery_runner.run(
        "setsid nohup sleep 600 >/dev/null 2>&1 & sleep 600", timeout=1
    )

    assert result.timed_out
    assert not container_exists(engine, result.container_id)


def test_host_and_engine_are_healthy_after_the_battery(
    battery_runner: Runner, engine: Engine, host_marker: Path
) -> None:
    assert engine.client.ping()
    assert host_marker.read_text() == MARKER_TEXT
    assert battery_runner.run("echo fine").output == "fine\n"
    assert len(set(battery_runner.history)) == len(battery_runner.history)
