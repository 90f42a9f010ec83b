"""Errors a user can read: what happened, and what to do about it."""

from __future__ import annotations


class WorkbenchError(Exception):
    """A failure the user should see as a message, never as a traceback."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  {self.hint}" if self.hint else self.message


class EngineUnavailable(WorkbenchError):
    """The Docker engine cannot be reached or refused a request."""


class ImageMissing(WorkbenchError):
    """The sandbox image is not built yet."""


class FolderError(WorkbenchError):
    """The user's folder does not exist or cannot be read."""


class SessionNotFound(WorkbenchError):
    """No session has the id the user gave."""


class ConfigError(WorkbenchError):
    """The configuration file cannot be read or holds a bad value."""
