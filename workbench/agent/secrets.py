"""Redaction of API keys and configured secret patterns from what is shown or stored."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

MASK = "[redacted]"
SECRET_NAME = re.compile(r"[A-Z0-9_]*(_API_KEY|_TOKEN|_SECRET|_SECRET_KEY)$")
# Assignments such as `OPENAI_API_KEY=...` in text: the value goes, the name stays.
ASSIGNMENT = re.compile(
    r"\b([A-Za-z0-9_]*(?:API_KEY|TOKEN|SECRET)[A-Za-z0-9_]*)(\s*[=:]\s*)"
    r"(['\"]?)([^\s'\"]{4,})\3"
)
# Shapes of well-known keys, redacted even when they came from elsewhere.
KNOWN_SHAPES = (
    r"sk-[A-Za-z0-9_\-]{16,}",
    r"gh[pousr]_[A-Za-z0-9]{20,}",
    r"xox[baprs]-[A-Za-z0-9\-]{10,}",
    r"AKIA[0-9A-Z]{16}",
    r"AIza[0-9A-Za-z_\-]{30,}",
)
MIN_VALUE_LENGTH = 6  # shorter env values would mask ordinary words


class Redactor:
    """Masks secret values: env keys by name, known key shapes, configured patterns."""

    def __init__(
        self,
        patterns: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
        values: Iterable[str] = (),
    ) -> None:
        environ = os.environ if environ is None else environ
        found = [
            value
            for name, value in environ.items()
            if SECRET_NAME.match(name.upper()) and len(value) >= MIN_VALUE_LENGTH
        ]
        found.extend(v for v in values if v and len(v) >= MIN_VALUE_LENGTH)
        # Longest first, so a value containing another is masked whole.
        self.values = sorted(set(found), key=len, reverse=True)
        self.patterns = [re.compile(p) for p in KNOWN_SHAPES]
        for pattern in patterns:
            try:
                self.patterns.append(re.compile(pattern))
            except re.error as error:
                log.warning("ignored secret pattern %r: %s", pattern, error)

    def add(self, value: str) -> None:
        """Mask one more value, such as an API key passed by argument."""
        if len(value) >= MIN_VALUE_LENGTH and value not in self.values:
            self.values = sorted({*self.values, value}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every secret replaced by a mask."""
        if not text:
            return text
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        text = ASSIGNMENT.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{MASK}{m[3]}", text)
        for pattern in self.patterns:
            text = pattern.sub(MASK, text)
        return text

    def redact_data(self, data: Any) -> Any:
        """A copy of JSON-like data with every string redacted."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {key: self.redact_data(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return type(data)(self.redact_data(item) for item in data)
        return data
