"""The hardened profile: the exact container settings every sandbox gets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import docker.types

from workbench.config import SandboxConfig
from workbench.errors import ConfigError

WORKSPACE = "/workspace"
IDLE_COMMAND = ["sleep", "infinity"]  # the placeholder main process, under init

# The only environment a sandbox sees; the host's environment never enters.
SANDBOX_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}


@dataclass(frozen=True)
class Control:
    """One hardening control as the UI lists it."""

    name: str
    value: str
    loosened: bool


def parse_user(user: str) -> tuple[int, int]:
    """Split "uid:gid" and refuse root, since the sandbox never runs as uid 0."""
    try:
        uid_text, gid_text = user.split(":")
        uid, gid = int(uid_text), int(gid_text)
    except ValueError as error:
        raise ValueError(f"sandbox user must be 'uid:gid', got {user!r}") from error
    if uid == 0 or gid == 0:
        raise ValueError("the sandbox never runs as root (uid or gid 0)")
    return uid, gid


def check_runtime(config: SandboxConfig, runtimes: Iterable[str]) -> None:
    """Refuse a runtime the engine has not registered."""
    available = sorted(runtimes)
    if config.runtime not in available:
        raise ConfigError(
            f"The container runtime {config.runtime!r} is not registered "
            "with the Docker engine.",
            f"Use one of: {', '.join(available)} ([sandbox] runtime in the config).",
        )


def container_kwargs(
    config: SandboxConfig,
    image: str,
    user: str,
    workspace: docker.types.Mount | None,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Keyword arguments for `containers.create` of one sandbox container."""
    uid, gid = parse_user(user)
    if workspace is not None and workspace["Target"] != WORKSPACE:
        raise ValueError(f"the workspace must be mounted at {WORKSPACE}")
    if workspace is not None and workspace["Type"] == "volume":
        # Never let the engine copy the image's /workspace (and its root
        # ownership) into an empty workspace volume.
        workspace = docker.types.Mount(
            WORKSPACE,
            workspace["Source"],
            type="volume",
            read_only=bool(workspace.get("ReadOnly")),
            no_copy=True,
            labels=(workspace.get("VolumeOptions") or {}).get("Labels"),
            driver_config=(workspace.get("VolumeOptions") or {}).get("DriverConfig"),
        )
    memory = f"{config.memory_mb}m"
    return {
        "image": image,
        "command": list(IDLE_COMMAND),
        "user": f"{uid}:{gid}",
        "working_dir": WORKSPACE,
        "environment": dict(SANDBOX_ENV),
        "labels": dict(labels),
        "hostname": "sandbox",
        "init": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={config.tmp_size_mb}m"},
        "network_mode": config.network,
        "pids_limit": config.pids_limit,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(config.cpus * 1_000_000_000),
        "ulimits": [
            docker.types.Ulimit(name="nofile", soft=config.nofile, hard=config.nofile),
            docker.types.Ulimit(name="nproc", soft=config.nproc, hard=config.nproc),
        ],
        "ipc_mode": "private",
        "cgroupns": "private",
        "devices": [],
        "mounts": [workspace] if workspace is not None else [],
        "runtime": config.runtime,
        "log_config": docker.types.LogConfig(type="none"),
        "stdin_open": False,
        "tty": False,
    }


def describe_controls(config: SandboxConfig) -> list[Control]:
    """Every control with its value; loosened ones are flagged for the UI."""
    loosened = " ".join(config.loosened())
    base = SandboxConfig()
    return [
        Control("user", "non-root", False),
        Control("capabilities", "all dropped", False),
        Control("no-new-privileges", "on", False),
        Control("root filesystem", "read-only", False),
        Control("/tmp", f"tmpfs {config.tmp_size_mb} MiB nosuid,nodev", False),
        Control("network", config.network, "network" in loosened),
        Control(
            "memory",
            f"{config.memory_mb} MiB, no swap",
            config.memory_mb > base.memory_mb,
        ),
        Control("cpus", f"{config.cpus:g}", config.cpus > base.cpus),
        Control("pids", str(config.pids_limit), config.pids_limit > base.pids_limit),
        Control("ulimits", f"nofile {config.nofile}, nproc {config.nproc}", False),
        Control("seccomp", "engine default", False),
        Control("runtime", config.runtime, False),
        Control(
            "timeout", f"{config.timeout_s:g} s", config.timeout_s > base.timeout_s
        ),
        Control("mounts", f"{WORKSPACE} only", False),
    ]
