"""Placeholder until its owner lands it."""

from workbench.cli import main  # noqa: F401
