"""P1: per-command overhead of a trivial command, session API against `docker run`.

Both sides run `true` in the sandbox image with the same hardening and the same
session workspace volume (the session side through `session.exec` and its warm
pool), N rounds interleaved; the time is from the request to the exit
code. Usage: python bench/p1_command_overhead.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.config import Config, SandboxConfig
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.image import ensure_image
from workbench.sandbox.profile import SANDBOX_ENV
from workbench.sandbox.session import Session, SessionManager

USER = "10001:10001"


def bare_docker_run(
    config: SandboxConfig, image: str, volume: str, labels: dict[str, str]
) -> list[str]:
    """The same hardened profile as the runner's, as docker CLI flags."""
    memory = f"{config.memory_mb}m"
    flags = [
        "docker", "run", "--rm",
        "--user", USER,
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--read-only",
        "--tmpfs", f"/tmp:rw,nosuid,nodev,size={config.tmp_size_mb}m",
        "--network", config.network,
        "--pids-limit", str(config.pids_limit),
        "--memory", memory, "--memory-swap", memory,
        "--cpus", f"{config.cpus:g}",
        "--ulimit", f"nofile={config.nofile}:{config.nofile}",
        "--ulimit", f"nproc={config.nproc}:{config.nproc}",
        "--init", "--ipc", "private", "--cgroupns", "private",
        "--log-driver", "none",
        "--runtime", config.runtime,
        "--hostname", "sandbox",
        "--mount", f"type=volume,src={volume},dst=/workspace,volume-nocopy",
        "-w", "/workspace",
    ]  # fmt: skip
    for key, value in SANDBOX_ENV.items():
        flags += ["--env", f"{key}={value}"]
    for key, value in labels.items():
        flags += ["--label", f"{key}={value}"]
    return flags + [image, "/bin/sh", "-c", "true"]


def make_folder(root: Path) -> Path:
    """A small project folder, owned by the sandbox user, as the workspace."""
    folder = root / "project"
    (folder / "src").mkdir(parents=True)
    for index in range(20):
        (folder / "src" / f"module_{index}.py").write_text(f"VALUE = {index}\n")
    for path in [folder, folder / "src", *(folder / "src").iterdir()]:
        os.chown(path, 10001, 10001)
    return folder


def main(rounds: int) -> None:
    config = SandboxConfig(pool_size=2)
    with tempfile.TemporaryDirectory(prefix="workbench-p1-") as scratch:
        data_root = Path(scratch) / "data"
        manager = SessionManager(Config(sandbox=config), data_root, pool_size=2)
        image = ensure_image(manager.engine, lambda line: print(line, file=sys.stderr))
        session = manager.start(make_folder(Path(scratch)))
        bare = bare_docker_run(
            config,
            image,
            session.workspace.mount()["Source"],
            labels_mod.labels_for(data_root, session.id, "command"),
        )
        try:
            pooled, plain = measure(session, bare, rounds)
        finally:
            session.close()
            manager.drop(session.id)
    report(pooled, plain, rounds)


def measure(
    session: Session, bare: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Interleave the two sides; the session side is timed around `session.exec`."""
    pooled: list[float] = []
    plain: list[float] = []
    runner = session.runner()
    for index in range(rounds + 2):  # two warm-up rounds are dropped
        runner.pool.wait_full(timeout=60)
        runner.settle()
        started = time.perf_counter()
        result = session.exec("true")
        pooled_s = time.perf_counter() - started
        assert result.exit_code == 0, result

        started = time.perf_counter()
        code = subprocess.run(bare, stdout=subprocess.DEVNULL).returncode
        plain_s = time.perf_counter() - started
        assert code == 0, code

        if index >= 2:
            pooled.append(pooled_s * 1000)
            plain.append(plain_s * 1000)
            print(
                f"round {index - 1:3d}: session.exec {pooled[-1]:7.1f} ms, "
                f"docker run {plain[-1]:7.1f} ms"
            )
    return pooled, plain


def report(pooled: list[float], plain: list[float], rounds: int) -> None:
    pooled_median = statistics.median(pooled)
    plain_median = statistics.median(plain)
    print(
        f"pooled p10/p90 {percentile(pooled, 10):.1f}/{percentile(pooled, 90):.1f} ms; "
        f"docker run p10/p90 {percentile(plain, 10):.1f}/{percentile(plain, 90):.1f} ms"
    )
    print(
        f"P1 ratio={pooled_median / plain_median:.2f} "
        f"(pooled median {pooled_median:.1f} ms, "
        f"bare docker run median {plain_median:.1f} ms, n={rounds})"
    )


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
