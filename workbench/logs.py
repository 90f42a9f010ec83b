"""Logging to a file in the data dir; library code never prints."""

from __future__ import annotations

import logging
import os

from workbench.config import data_dir


def setup_logging() -> None:
    """Send `workbench.*` records to workbench.log (level: WORKBENCH_LOG_LEVEL)."""
    logger = logging.getLogger("workbench")
    if logger.handlers:
        return
    try:
        path = data_dir()
        path.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path / "workbench.log")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    level = os.environ.get("WORKBENCH_LOG_LEVEL", "INFO").upper()
    try:
        logger.setLevel(level)
    except ValueError:  # a typo in the variable must not stop every command
        logger.setLevel(logging.INFO)
        logger.warning("unknown WORKBENCH_LOG_LEVEL %r; logging at INFO", level)
