"""Load the TOML themes in themes/ (and the user's own) into Textual themes."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

import platformdirs
from textual.theme import Theme

log = logging.getLogger(__name__)

DEFAULT_THEME = "workbench-dark"
_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "luminosity_spread",
    "text_alpha",
)


def theme_dirs() -> list[Path]:
    """Where themes come from: the project's, then the user's (later ones win)."""
    dirs = [Path(__file__).resolve().parents[2] / "themes"]
    dirs.append(Path(platformdirs.user_config_dir("workbench")) / "themes")
    extra = os.environ.get("WORKBENCH_THEMES_DIR")
    if extra:
        dirs.append(Path(extra))
    return dirs


def load_theme(path: Path) -> Theme:
    """Build one Theme from a TOML file; `name` and `primary` are required."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    values = {key: raw[key] for key in _FIELDS if key in raw}
    variables = {str(k): str(v) for k, v in raw.get("variables", {}).items()}
    return Theme(name=str(raw["name"]), variables=variables, **values)


def load_themes(dirs: list[Path] | None = None) -> list[Theme]:
    """Every readable theme; a broken file is logged and skipped, never fatal."""
    themes: dict[str, Theme] = {}
    for folder in dirs if dirs is not None else theme_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                theme = load_theme(path)
            except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
                log.warning("skipping theme %s: %s", path, error)
                continue
            themes[theme.name] = theme
    return list(themes.values())
