"""Approval policy: which proposed commands run, wait for the user, or are refused.

The policy comes from the user's configuration only. The model has no tool that
reaches it, so nothing the agent says can change the mode or the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from workbench.agent import shell
from workbench.agent.tools import READ_ONLY, ToolCall
from workbench.errors import ConfigError

MODES = ("ask", "auto", "rules")
ACTIONS = ("allow", "ask", "deny")
Action = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class Decision:
    """The user's answer to a proposed command."""

    kind: Literal["approve", "deny", "edit"]
    message: str = ""  # for deny: the reason, sent back to the agent
    command: str = ""  # for edit: the command to run instead


@dataclass(frozen=True)
class Verdict:
    """What the policy says about one tool call before anyone is asked."""

    action: Action
    risks: tuple[str, ...] = ()
    rule: str = ""  # the rule that decided, shown to the user
    by: str = "auto"  # "auto" or "rule", for CommandApproved/CommandDenied


@dataclass(frozen=True)
class Rule:
    """One rule: {"action": "allow", "command": "git status"} or a "write" glob."""

    action: Action
    command: tuple[str, ...] = ()
    write: str = ""

    @property
    def text(self) -> str:
        target = " ".join(self.command) if self.command else f"write {self.write}"
        return f"{self.action} {target}"

    def matches_command(self, command: shell.SimpleCommand) -> bool:
        if not self.command or (command.dynamic and self.action == "allow"):
            return False
        if self.command == ("*",):
            return True
        words = (command.name, *command.args)
        if len(words) < len(self.command):
            return False
        return all(fnmatchcase(w, p) for w, p in zip(words, self.command, strict=False))

    def matches_write(self, path: str) -> bool:
        return bool(self.write) and fnmatchcase(path.removeprefix("./"), self.write)


def parse_rules(raw: tuple[dict[str, str], ...] | list[dict[str, str]]) -> list[Rule]:
    """Rules from the config; a bad one is a ConfigError the user can fix."""
    rules = []
    for item in raw:
        action = str(item.get("action", ""))
        command = str(item.get("command", "")).split()
        write = str(item.get("write", ""))
        unknown = set(item) - {"action", "command", "write"}
        if action not in ACTIONS or bool(command) == bool(write) or unknown:
            raise ConfigError(
                f"Bad approval rule {dict(item)!r}.",
                'Write rules as {action = "allow"|"ask"|"deny", command = "git '
                'status"} or {action = ..., write = ".git/*"}.',
            )
        rules.append(Rule(action, tuple(command), write))  # type: ignore[arg-type]
    return rules


def _strongest(found: list[tuple[Action, str]]) -> tuple[Action, str]:
    for action in ("deny", "ask", "allow"):
        for candidate, text in found:
            if candidate == action:
                return candidate, text
    return "ask", ""


class ApprovalPolicy:
    """Decides per tool call from the mode and, for rules, the parsed shell syntax."""

    def __init__(self, mode: str = "ask", rules: tuple | list = ()) -> None:
        if mode not in MODES:
            raise ConfigError(
                f"Unknown approval mode {mode!r}.", f"Use one of: {', '.join(MODES)}."
            )
        self.mode = mode
        self.rules = parse_rules(rules)

    def evaluate(self, call: ToolCall) -> Verdict:
        """The policy's verdict and the risk flags for one tool call."""
        analysis = None
        if call.name == "run":
            analysis = shell.analyze(call.arguments.get("command", ""))
            risks = shell.risk_flags(analysis)
        elif call.name == "write_file":
            risks = shell.path_risks(call.arguments.get("path", ""))
        else:
            risks = ()

        if call.name in READ_ONLY or self.mode == "auto":
            return Verdict("allow", risks)
        if self.mode == "ask":
            return Verdict("ask", risks)
        if analysis is not None:
            action, rule = self._judge_command(analysis)
        else:
            action, rule = self._judge_writes([call.arguments.get("path", "")])
        return Verdict(action, risks, rule, by="rule")

    def _judge_command(self, analysis: shell.Analysis) -> tuple[Action, str]:
        # Every simple command needs its own allow; deny beats ask beats allow.
        verdicts: list[tuple[Action, str]] = []
        for command in analysis.commands:
            matched = [
                (r.action, r.text) for r in self.rules if r.matches_command(command)
            ]
            verdicts.append(_strongest(matched))
        if analysis.writes:
            verdicts.append(self._judge_writes(analysis.writes, default="allow"))
        if analysis.opaque or not analysis.commands:
            verdicts.append(("ask", ""))
        return _strongest(verdicts)

    def _judge_writes(
        self, paths: list[str], default: Action = "ask"
    ) -> tuple[Action, str]:
        verdicts: list[tuple[Action, str]] = []
        for path in paths:
            matched = [(r.action, r.text) for r in self.rules if r.matches_write(path)]
            verdicts.append(_strongest(matched) if matched else (default, ""))
        return _strongest(verdicts)
