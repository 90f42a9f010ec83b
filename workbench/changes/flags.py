"""Flags on changes that deserve a second look before they reach the folder."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import PurePosixPath

from workbench.changes.changeset import Change
from workbench.config import ReviewConfig


@dataclass(frozen=True)
class Flag:
    """Why a change is flagged: a stable code and a sentence for the user."""

    code: str
    reason: str


_CI_DIRS = (".github/workflows/", ".circleci/", ".gitlab/", ".buildkite/")
_CI_FILES = {
    ".gitlab-ci.yml",
    "Jenkinsfile",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    ".pre-commit-config.yaml",
}
_BUILD_FILES = {
    "Makefile",
    "GNUmakefile",
    "makefile",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "package.json",
    "CMakeLists.txt",
    "build.gradle",
    "build.gradle.kts",
    "pom.xml",
    "Cargo.toml",
    "build.rs",
    "conftest.py",
    "noxfile.py",
    "tox.ini",
    "Dockerfile",
    "docker-compose.yml",
    "justfile",
    "Rakefile",
}
_EDITOR_DIRS = (".vscode/", ".idea/", ".claude/", ".cursor/", ".devcontainer/", ".zed/")
_AGENT_FILES = {
    ".envrc",
    "AGENTS.md",
    "CLAUDE.md",
    "GEMINI.md",
    ".cursorrules",
    ".windsurfrules",
    ".aider.conf.yml",
    ".mcp.json",
    ".editorconfig",
    ".gitattributes",
    ".gitmodules",
    ".npmrc",
    ".pypirc",
}


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path.startswith(p) or f"/{p}" in f"/{path}" for p in prefixes)


def path_flags(path: str) -> list[Flag]:
    """Flags that follow from where a path lives, whatever its content."""
    name = PurePosixPath(path).name
    flags = []
    if path == ".git" or _under(path, (".git/",)):
        flags.append(
            Flag("git-internals", "Inside .git: hooks and config run code on git use.")
        )
    if _under(path, _CI_DIRS) or name in _CI_FILES:
        flags.append(Flag("ci-config", "CI configuration: runs code on every push."))
    elif name in _BUILD_FILES:
        flags.append(
            Flag("build-config", "Build configuration: runs code on build or install.")
        )
    if _under(path, _EDITOR_DIRS) or name in _AGENT_FILES:
        flags.append(
            Flag(
                "tool-config",
                "Editor or agent settings: can change what tools run or are allowed.",
            )
        )
    return flags


def change_flags(change: Change, config: ReviewConfig) -> list[Flag]:
    """Every flag of one change: its place, its mode bits, its kind and its size."""
    flags = path_flags(change.path)
    if change.kind == "deleted":
        return flags
    mode = change.new_mode or 0
    old_mode = change.old_mode if change.kind == "modified" else 0
    exec_bits = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if (
        change.new_type == "file"
        and mode & exec_bits
        and not (old_mode or 0) & exec_bits
    ):
        flags.append(Flag("exec-added", "Becomes executable."))
    if mode & (stat.S_ISUID | stat.S_ISGID):
        flags.append(
            Flag("setuid", "Has a setuid/setgid bit; it is stripped when applied.")
        )
    if change.new_type == "symlink":
        flags.append(
            Flag(
                "symlink",
                f"A symbolic link to {change.link_target!r}; needs a separate accept.",
            )
        )
    if change.nlink > 1 or change.hardlink_of:
        flags.append(
            Flag("hardlink", "A hard link; applied only as an independent copy.")
        )
    if change.new_type in ("fifo", "socket", "char", "block"):
        flags.append(
            Flag("special-file", f"A {change.new_type}: never written to your folder.")
        )
    if change.new_type == "file" and (change.size or 0) > config.large_file_bytes:
        flags.append(Flag("large-file", f"A large file ({_size(change.size or 0)})."))
    return flags


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"
