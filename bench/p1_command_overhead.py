"""P1: per-command overhead of a trivial command, warm pool against bare `docker run`.

Both sides run `true` in the sandbox image with the same hardening and the same
workspace volume, N rounds interleaved; the time is from the request to the exit
code. Usage: python bench/p1_command_overhead.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import docker.types

from workbench.config import SandboxConfig
from workbench.sandbox import labels as labels_mod
from workbench.sandbox.engine import Engine
from workbench.sandbox.image import ensure_image
from workbench.sandbox.profile import SANDBOX_ENV
from workbench.sandbox.runner import Runner, RunnerSpec

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
    engine = Engine()
    image = ensure_image(engine, lambda line: print(line, file=sys.stderr))
    config = SandboxConfig(pool_size=2)
    session_id = f"bench-p1-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="workbench-p1-") as scratch:
        data_root = Path(scratch) / "data"
        folder = make_folder(Path(scratch))
        volume = engine.create_volume(
            labels_mod.labels_for(data_root, session_id, "workspace"),
            driver_opts={"type": "none", "o": "bind", "device": str(folder)},
        )
        spec = RunnerSpec(
            image=image,
            config=config,
            user=USER,
            workspace=docker.types.Mount("/workspace", volume.name, type="volume"),
            data_root=data_root,
            session_id=session_id,
        )
        runner = Runner(engine, spec)
        bare = bare_docker_run(
            config,
            image,
            volume.name,
            labels_mod.labels_for(data_root, session_id, "command"),
        )
        try:
            pooled, plain = measure(runner, bare, rounds)
        finally:
            runner.close()
            volume.remove(force=True)
    report(pooled, plain, rounds)


def measure(
    runner: Runner, bare: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    pooled: list[float] = []
    plain: list[float] = []
    for index in range(rounds + 2):  # two warm-up rounds are dropped
        runner.pool.wait_full(timeout=60)
        runner.settle()
        started = time.perf_counter()
        result = runner.run("true")
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
                f"round {index - 1:3d}: pooled {pooled[-1]:7.1f} ms, "
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
