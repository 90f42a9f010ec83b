"""Command palette entries: model, approval mode, theme, review, new task, resume."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

APPROVAL_MODES = {
    "ask": "ask before every command",
    "rules": "config rules decide, ask otherwise",
    "auto": "run every command without asking",
}


class WorkbenchCommands(Provider):
    """Static entries plus the themes the app has loaded."""

    def _entries(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        entries: list[tuple[str, Callable[[], Any], str]] = [
            ("Review changes", app.action_open_review, "open the review screen"),
            ("New task", app.action_new_task, "give the agent a new task"),
            ("Switch model…", self._ask_model, f"now {app.model or 'none'}"),
            ("Resume session…", self._pick_session, "reopen an earlier session"),
            ("Help: keys", app.action_help, "every key binding"),
        ]
        for mode, help_text in APPROVAL_MODES.items():
            entries.append(
                (f"Approval mode: {mode}", partial(app.set_approval, mode), help_text)
            )
        for name in sorted(app.available_themes):
            if name.startswith("workbench"):
                entries.append(
                    (f"Theme: {name}", partial(setattr, app, "theme", name), "")
                )
        return entries

    async def discover(self) -> Hits:
        for name, command, help_text in self._entries():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)
        # "model openai/gpt-4o" switches straight to the typed name.
        words = query.strip().split(maxsplit=1)
        if len(words) == 2 and words[0].lower() == "model":
            app: Any = self.app
            yield Hit(
                1.0, f"Switch model to {words[1]}", partial(app.set_model, words[1])
            )

    def _ask_model(self) -> None:
        from workbench.tui.screens.text_prompt import TextPrompt

        app: Any = self.app
        prompt = TextPrompt(
            "Switch model",
            "Any litellm model name, e.g. openai/gpt-4o or ollama/qwen2.5-coder:",
            value=app.model,
        )
        app.push_screen(prompt, lambda model: model and app.set_model(model))

    def _pick_session(self) -> None:
        from textual.command import CommandPalette

        self.app.push_screen(
            CommandPalette(
                providers=[SessionCommands], placeholder="Resume which session?"
            )
        )


class SessionCommands(Provider):
    """Sessions of this data dir, newest first; listed in a thread."""

    async def startup(self) -> None:
        import asyncio

        self._sessions = await asyncio.to_thread(_list_sessions)

    def _entries(self) -> list[tuple[str, str, str]]:
        return [(f"{s.id}  {s.folder}", s.id, _describe(s)) for s in self._sessions]

    async def discover(self) -> Hits:
        app: Any = self.app
        for name, session_id, help_text in self._entries():
            yield DiscoveryHit(name, partial(app.resume, session_id), help=help_text)

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        matcher = self.matcher(query)
        for name, session_id, help_text in self._entries():
            score = matcher.match(name)
            if score > 0:
                command = partial(app.resume, session_id)
                yield Hit(score, matcher.highlight(name), command, help=help_text)


def _list_sessions() -> list[Any]:
    try:
        from workbench.sandbox.session import SessionManager

        return sorted(SessionManager().list(), key=_created, reverse=True)
    except Exception:  # an empty list tells the user enough; the log has why
        import logging

        logging.getLogger(__name__).exception("listing sessions failed")
        return []


def _created(info: Any) -> float:
    return float(getattr(info, "created_at", 0) or 0)


def _describe(info: Any) -> str:
    parts = [
        str(getattr(info, name)) for name in ("state", "pending") if hasattr(info, name)
    ]
    return " · ".join(parts)
