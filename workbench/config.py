"""Configuration: safe defaults, overridden only by an explicit TOML file."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from workbench.errors import ConfigError

log = logging.getLogger(__name__)

APP_NAME = "workbench"


def data_dir() -> Path:
    """Where sessions, transcripts and backups live (WORKBENCH_DATA_DIR overrides)."""
    override = os.environ.get("WORKBENCH_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    """The user's config file (WORKBENCH_CONFIG overrides)."""
    override = os.environ.get("WORKBENCH_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


@dataclass(frozen=True)
class SandboxConfig:
    """The hardening every sandbox container gets; loosening is explicit."""

    image: str = ""  # empty: workbench-sandbox:<version>
    runtime: str = "runc"  # or "runsc" (gVisor), "kata-runtime" when registered
    network: str = "none"  # anything else is a loosened control
    memory_mb: int = 1024
    cpus: float = 1.0
    pids_limit: int = 256
    tmp_size_mb: int = 64
    nofile: int = 1024
    nproc: int = 512
    timeout_s: float = 120.0
    output_limit_bytes: int = 1_000_000
    workspace_strategy: str = "auto"  # "auto", "overlay" or "copy"
    excludes: tuple[str, ...] = (".venv", "node_modules", "__pycache__")
    pool_size: int = 2

    def loosened(self) -> list[str]:
        """Controls weaker than the defaults, for the UI to show at all times."""
        base = SandboxConfig()
        notes = []
        if self.network != base.network:
            notes.append(f"network {self.network}")
        if self.memory_mb > base.memory_mb:
            notes.append(f"memory {self.memory_mb} MiB")
        if self.pids_limit > base.pids_limit:
            notes.append(f"pids {self.pids_limit}")
        if self.cpus > base.cpus:
            notes.append(f"cpus {self.cpus}")
        if self.timeout_s > base.timeout_s:
            notes.append(f"timeout {self.timeout_s:g}s")
        return notes


@dataclass(frozen=True)
class AgentConfig:
    """Model, approval policy and budgets for the agent loop."""

    model: str = ""
    # An OpenAI-compatible server for local models; empty: litellm's default.
    api_base: str = ""
    approval: str = "ask"  # "ask", "auto" or "rules"
    max_steps: int = 40
    max_cost_usd: float = 2.0
    max_wall_s: float = 1800.0
    tool_output_limit: int = 8000
    rules: tuple[dict[str, str], ...] = ()
    secret_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewConfig:
    """Limits applied when changes are synced back to the folder."""

    max_file_bytes: int = 10_000_000
    large_file_bytes: int = 1_000_000


@dataclass(frozen=True)
class Config:
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    theme: str = "workbench-dark"


def _merge(section: Any, values: dict[str, Any], name: str) -> Any:
    known = {f.name: f for f in fields(section)}
    updates = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(
                f"Unknown setting [{name}] {key} in the config file.",
                f"Remove it or check the spelling; known: {', '.join(sorted(known))}.",
            )
        current = getattr(section, key)
        if isinstance(current, tuple):
            value = tuple(value)
        elif isinstance(current, float) and isinstance(value, int):
            value = float(value)
        if not isinstance(value, type(current)):
            raise ConfigError(
                f"[{name}] {key} should be {type(current).__name__}, got {value!r}.",
                "Fix the value in the config file.",
            )
        updates[key] = value
    return replace(section, **updates)


def load_config(path: Path | None = None) -> Config:
    """Read the TOML config if it exists; a missing file means the defaults."""
    path = path or config_path()
    if not path.exists():
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(
            f"Cannot read the config file {path}: {error}",
            "Fix or remove it.",
        ) from error
    config = Config()
    for name in ("sandbox", "agent", "review"):
        if name in raw:
            merged = _merge(getattr(config, name), raw.pop(name), name)
            config = replace(config, **{name: merged})
    if "theme" in raw:
        config = replace(config, theme=str(raw.pop("theme")))
    if raw:
        raise ConfigError(
            f"Unknown section(s) in {path}: {', '.join(raw)}.",
            "Known sections: [sandbox], [agent], [review], and theme.",
        )
    return config
