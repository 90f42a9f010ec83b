"""Every hardening control, read back from `docker inspect` of a live sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests import docker_helpers
from tests.docker_helpers import SANDBOX_USER, TEST_CONFIG
from workbench.config import SandboxConfig
from workbench.errors import ConfigError
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.profile import (
    SANDBOX_ENV,
    check_runtime,
    container_kwargs,
    describe_controls,
)

# Fixtures on the real engine, shared by the sandbox tests.
engine = docker_helpers.engine
make_runner = docker_helpers.make_runner
sandbox_image = docker_helpers.sandbox_image
session_id = docker_helpers.session_id
workspace = docker_helpers.workspace


def test_profile_refuses_root() -> None:
    for user in ("0:0", "0:1000", "1000:0"):
        with pytest.raises(ValueError):
            container_kwargs(SandboxConfig(), "img", user, None, {})


def test_profile_never_unconfines_seccomp_nor_passes_the_host_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "do-not-leak")
    kwargs = container_kwargs(SandboxConfig(), "img", "1000:1000", None, {})
    assert kwargs["environment"] == SANDBOX_ENV
    assert not any("seccomp" in option for option in kwargs["security_opt"])
    assert kwargs["privileged"] is False and kwargs["mounts"] == []


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(ConfigError, match="not registered"):
        check_runtime(SandboxConfig(runtime="runsc"), ["runc"])
    check_runtime(SandboxConfig(runtime="runc"), ["runc", "runsc"])


def test_describe_controls_flags_only_what_was_loosened() -> None:
    strict = describe_controls(SandboxConfig())
    assert not any(control.loosened for control in strict)
    loose = {c.name: c for c in describe_controls(SandboxConfig(network="bridge"))}
    assert loose["network"].loosened and loose["network"].value == "bridge"
    assert [c.name for c in describe_controls(SandboxConfig()) if c.loosened] == []


def assert_hardened(attrs: dict[str, Any], session: str) -> None:
    """The checks issue 2 lists, against one container's inspect output."""
    host = attrs["HostConfig"]
    config = attrs["Config"]
    assert attrs["State"]["Running"] and not attrs["State"]["Paused"]

    assert config["User"] == SANDBOX_USER
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["ReadonlyRootfs"] is True
    assert host["Tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=64m"}
    assert host["NetworkMode"] == "none"
    assert list(attrs["NetworkSettings"]["Networks"]) == ["none"]

    memory = TEST_CONFIG.memory_mb * 1024 * 1024
    assert host["Memory"] == memory and host["MemorySwap"] == memory
    assert host["PidsLimit"] == TEST_CONFIG.pids_limit
    assert host["NanoCpus"] == int(TEST_CONFIG.cpus * 1e9)
    limits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert limits == {
        "nofile": (TEST_CONFIG.nofile, TEST_CONFIG.nofile),
        "nproc": (TEST_CONFIG.nproc, TEST_CONFIG.nproc),
    }
    assert host["Init"] is True

    assert host["Privileged"] is False
    assert not host["Devices"] and not host.get("DeviceCgroupRules")
    assert host["PidMode"] == "" and host["UTSMode"] == ""
    assert host["UsernsMode"] == "" and host["IpcMode"] == "private"
    assert host["CgroupnsMode"] == "private"
    assert host["MaskedPaths"] and host["ReadonlyPaths"]  # default masks kept

    assert not host["Binds"]
    assert [(m["Type"], m["Destination"]) for m in attrs["Mounts"]] == [
        ("volume", "/workspace")
    ]
    assert not any("docker.sock" in str(m) for m in attrs["Mounts"])
    assert config["WorkingDir"] == "/workspace"
    assert sorted(config["Env"]) == sorted(f"{k}={v}" for k, v in SANDBOX_ENV.items())
    assert host["Runtime"] == "runc"
    assert config["Labels"][labels_mod.SESSION] == session
    assert config["Labels"][labels_mod.APP] == "workbench"


@pytest.mark.parametrize("pool_size", [0, 1], ids=["cold", "pooled"])
def test_live_container_has_every_control(
    make_runner, engine, session_id, pool_size: int
) -> None:
    runner = make_runner(pool_size=pool_size)
    seen: dict[str, Any] = {}

    def inspect_live(short_id: str) -> None:
        seen.update(engine.client.api.inspect_container(short_id))

    result = runner.run("sleep 0.2; echo ok", on_start=inspect_live)

    assert result.exit_code == 0 and result.output == "ok\n"
    assert_hardened(seen, session_id)
    role = seen["Config"]["Labels"][labels_mod.ROLE]
    assert role == ("pool" if pool_size else "command")


@pytest.mark.parametrize("pool_size", [0, 1], ids=["cold", "pooled"])
def test_process_view_inside_matches_the_profile(make_runner, pool_size: int) -> None:
    runner = make_runner(pool_size=pool_size)

    result = runner.run(
        "grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status;"
        " id -u; ulimit -n; ulimit -u; cat /sys/fs/cgroup/pids/pids.max;"
        " env | sort"
    )

    lines = result.output.split("\n")
    assert lines[:5] == [
        "CapPrm:\t0000000000000000",
        "CapEff:\t0000000000000000",
        "CapBnd:\t0000000000000000",
        "NoNewPrivs:\t1",
        "Seccomp:\t2",
    ]
    assert lines[5:9] == ["10001", "1024", "512", "256"]
    env = {line.split("=", 1)[0] for line in lines[9:] if "=" in line}
    assert env <= set(SANDBOX_ENV) | {"PWD", "SHLVL", "_", "HOSTNAME", "OLDPWD"}
