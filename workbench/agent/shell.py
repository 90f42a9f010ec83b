"""Shell commands read as syntax (tree-sitter-bash): the commands inside, and risks.

Rules and risk flags look at every simple command a line would run, wherever it
hides: pipelines, lists, subshells, substitutions, heredocs, function bodies,
wrappers such as `sudo`/`env`/`xargs`/`find -exec`, and `bash -c` bodies parsed
again. Anything that cannot be seen statically marks the analysis `opaque`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 6

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"}
INTERPRETERS = SHELLS | {"python", "python3", "perl", "ruby", "node", "php"}
DOWNLOADERS = {"curl", "wget", "fetch", "aria2c"}
NETWORK = DOWNLOADERS | {
    "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "ftp",
    "rsync", "ping", "dig", "nslookup", "host",
}  # fmt: skip
GIT_NETWORK = {"clone", "fetch", "push", "pull", "ls-remote", "submodule", "remote"}
INSTALLERS: dict[str, set[str]] = {
    "apt": {"install"}, "apt-get": {"install"}, "apk": {"add"}, "yum": {"install"},
    "dnf": {"install"}, "pip": {"install"}, "pip3": {"install"},
    "npm": {"install", "i", "ci", "add"}, "yarn": {"add", "install"},
    "pnpm": {"add", "install", "i"}, "gem": {"install"}, "cargo": {"install"},
    "go": {"install", "get"}, "brew": {"install"}, "conda": {"install"},
    "uv": {"add", "pip", "tool"}, "poetry": {"add", "install"},
}  # fmt: skip
WRITERS = {"tee", "cp", "mv", "ln", "install", "touch", "rm", "chmod", "chown",
           "truncate", "dd", "sed", "perl", "rsync", "unzip", "tar"}  # fmt: skip
PRIVILEGE = {"sudo", "su", "doas"}
# Wrappers that run their arguments as another command; the value is how many
# leading non-option arguments belong to the wrapper itself.
WRAPPERS = {"sudo": 0, "doas": 0, "env": 0, "nice": 0, "nohup": 0, "timeout": 1,
            "xargs": 0, "exec": 0, "command": 0, "builtin": 0, "time": 0,
            "stdbuf": 0, "ionice": 0, "setsid": 0, "watch": 0, "chroot": 1,
            "flock": 1, "strace": 0}  # fmt: skip
OPTION_VALUES = {"sudo": {"-u", "-g", "-C", "-h", "-p", "-U"}, "xargs": {"-I", "-n",
                 "-P", "-d", "-L", "-s", "-a", "-E"}, "timeout": {"-s", "-k"},
                 "nice": {"-n"}, "env": {"-u", "-C", "-S"}, "stdbuf": {"-i", "-o",
                 "-e"}, "watch": {"-n", "-d"}}  # fmt: skip

RISK_RECURSIVE_DELETE = "deletes recursively"
RISK_NETWORK = "network"
RISK_PIPE_TO_SHELL = "pipes a download to a shell"
RISK_GIT_WRITE = "writes into .git"
RISK_SETUID = "setuid/setgid"
RISK_INSTALL = "installs packages"
RISK_FORK_BOMB = "fork bomb"
RISK_PRIVILEGE = "sudo/su"
RISK_UNPARSED = "not fully parsed"


@dataclass(frozen=True)
class SimpleCommand:
    """One command that would run: its words with quotes removed, best effort."""

    words: tuple[str, ...]
    dynamic: bool = False  # the command name comes from an expansion

    @property
    def name(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]


@dataclass
class Analysis:
    """What a command line would run, write and pipe, as far as syntax shows."""

    commands: list[SimpleCommand] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # redirect targets
    pipelines: list[list[set[str]]] = field(default_factory=list)  # names per stage
    functions: dict[str, list[SimpleCommand]] = field(default_factory=dict)
    fed_to_shell: list[SimpleCommand] = field(default_factory=list)
    opaque: bool = False


@functools.cache
def _parser() -> Any:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def analyze(command: str) -> Analysis:
    """Parse a shell command line and collect every simple command inside it."""
    analysis = Analysis()
    _analyze_into(command, analysis, 0)
    return analysis


def _analyze_into(command: str, analysis: Analysis, depth: int) -> None:
    if depth > MAX_DEPTH:
        analysis.opaque = True
        return
    tree = _parser().parse(command.encode("utf-8", "surrogateescape"))
    if tree.root_node.has_error:
        analysis.opaque = True
    _Walker(analysis, depth).visit(tree.root_node)


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _unquote(node: Any) -> tuple[str, bool]:
    """The value of a word node and whether it depends on an expansion."""
    kind = node.type
    if kind == "word":
        return re.sub(r"\\(.)", r"\1", _text(node)), False
    if kind == "raw_string":
        return _text(node)[1:-1], False
    if kind == "number":
        return _text(node), False
    if kind == "string":
        parts = [child for child in node.named_children]
        if all(child.type == "string_content" for child in parts):
            return "".join(_text(child) for child in parts), False
        return _text(node)[1:-1], True
    if kind == "concatenation":
        values = [_unquote(child) for child in node.named_children]
        return "".join(v for v, _ in values), any(d for _, d in values)
    return _text(node), True


class _Walker:
    def __init__(self, analysis: Analysis, depth: int) -> None:
        self.analysis = analysis
        self.depth = depth

    def visit(self, node: Any) -> list[SimpleCommand]:
        """Record everything under `node`; return the simple commands at its top."""
        handler = getattr(self, f"visit_{node.type}", None)
        if handler is not None:
            return handler(node)
        found: list[SimpleCommand] = []
        for child in node.named_children:
            found.extend(self.visit(child))
        return found

    def visit_pipeline(self, node: Any) -> list[SimpleCommand]:
        stages = [self.visit(child) for child in node.named_children]
        self.analysis.pipelines.append([{c.name for c in stage} for stage in stages])
        return [cmd for stage in stages for cmd in stage]

    def visit_function_definition(self, node: Any) -> list[SimpleCommand]:
        name = _text(node.child_by_field_name("name"))
        body = node.child_by_field_name("body")
        self.analysis.functions[name] = self.visit(body) if body else []
        return []

    def visit_redirected_statement(self, node: Any) -> list[SimpleCommand]:
        body = node.child_by_field_name("body")
        top = self.visit(body) if body is not None else []
        for child in node.named_children:
            if child == body:
                continue
            self.visit(child)
            script = _fed_script(child)
            if script is not None and top and top[-1].name in SHELLS:
                # A heredoc or here-string fed to a shell is a script in its own right.
                _analyze_into(script, self.analysis, self.depth + 1)
        return top

    def visit_file_redirect(self, node: Any) -> list[SimpleCommand]:
        destination = node.child_by_field_name("destination")
        operator = "".join(_text(c) for c in node.children if not c.is_named)
        for child in node.named_children:
            self.visit(child)
        if destination is not None and ">" in operator and "&" not in operator[1:]:
            target, _ = _unquote(destination)
            if target not in ("/dev/null", "/dev/stdout", "/dev/stderr"):
                self.analysis.writes.append(target)
        elif destination is not None and operator.startswith("&>"):
            self.analysis.writes.append(_unquote(destination)[0])
        return []

    def visit_command(self, node: Any) -> list[SimpleCommand]:
        words: list[str] = []
        dynamic_name = False
        for child in node.named_children:
            if child.type == "command_name":
                value, dynamic_name = _unquote(child.named_children[0])
                words.append(value)
                self.visit(child)
            elif child.type in ("variable_assignment", "file_redirect"):
                self.visit(child)
            elif child.type == "herestring_redirect":
                self.visit(child)
                script = _fed_script(child)
                if script is not None and words and words[0] in SHELLS:
                    _analyze_into(script, self.analysis, self.depth + 1)
            elif words:
                words.append(_unquote(child)[0])
                self.visit(child)
        if not words:
            return []
        command = SimpleCommand(tuple(words), dynamic=dynamic_name)
        if dynamic_name:
            self.analysis.opaque = True
        return self._record(command)

    def _record(self, command: SimpleCommand) -> list[SimpleCommand]:
        """Record a command and what it wraps; return them all."""
        self.analysis.commands.append(command)
        name, args = command.name, list(command.args)

        if name in SHELLS:
            body = _shell_c_body(args)
            if body is not None:
                _analyze_into(body, self.analysis, self.depth + 1)
        elif name == "eval":
            _analyze_into(" ".join(args), self.analysis, self.depth + 1)
        elif name in ("su",) and "-c" in args[:-1]:
            _analyze_into(args[args.index("-c") + 1], self.analysis, self.depth + 1)

        recorded = [command]
        inner = _unwrap(name, args)
        if inner:
            recorded.extend(self._record(SimpleCommand(tuple(inner))))
        if name == "find":
            for words in _find_exec(args):
                recorded.extend(self._record(SimpleCommand(tuple(words))))
        return recorded

    def visit_command_substitution(self, node: Any) -> list[SimpleCommand]:
        return self._substitution(node)

    def visit_process_substitution(self, node: Any) -> list[SimpleCommand]:
        return self._substitution(node)

    def _substitution(self, node: Any) -> list[SimpleCommand]:
        # The substitution's commands run, and do not belong to the enclosing
        # pipeline stage; its text may also be fed to a shell by the caller.
        inner: list[SimpleCommand] = []
        for child in node.named_children:
            inner.extend(self.visit(child))
        self.analysis.fed_to_shell.extend(inner)
        return []


def _fed_script(redirect: Any) -> str | None:
    if redirect.type == "heredoc_redirect":
        bodies = [c for c in redirect.named_children if c.type == "heredoc_body"]
        return _text(bodies[0]) if bodies else ""
    if redirect.type == "herestring_redirect" and redirect.named_children:
        return _unquote(redirect.named_children[-1])[0]
    return None


def _shell_c_body(args: list[str]) -> str | None:
    for index, arg in enumerate(args):
        if arg == "--":
            return None
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            rest = [a for a in args[index + 1 :] if not a.startswith("-")]
            return rest[0] if rest else None
        if not arg.startswith("-"):
            return None
    return None


def _unwrap(name: str, args: list[str]) -> list[str]:
    """The command a wrapper like `sudo` or `xargs` runs, if any."""
    if name not in WRAPPERS:
        return []
    skip = WRAPPERS[name]
    takes_value = OPTION_VALUES.get(name, set())
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if arg.startswith("-"):
            index += 2 if arg in takes_value else 1
        elif name == "env" and "=" in arg:
            index += 1
        elif skip:
            skip -= 1
            index += 1
        else:
            break
    return args[index:]


def _find_exec(args: list[str]) -> list[list[str]]:
    found = []
    for index, arg in enumerate(args):
        if arg in ("-exec", "-execdir", "-ok", "-okdir"):
            tail = args[index + 1 :]
            end = next((i for i, a in enumerate(tail) if a in (";", "+")), len(tail))
            if tail[:end]:
                found.append(tail[:end])
    return found


def _in_git_dir(path: str) -> bool:
    return ".git" in path.replace("\\", "/").split("/")


def _is_recursive_delete(command: SimpleCommand) -> bool:
    if command.name == "rm":
        for arg in command.args:
            if arg in ("--recursive", "-r", "-R"):
                return True
            if re.fullmatch(r"-[a-zA-Z]*[rR][a-zA-Z]*", arg):
                return True
    if command.name == "find" and "-delete" in command.args:
        return True
    return command.name == "git" and _git_subcommand(command.args) == "clean"


def _is_setuid(command: SimpleCommand) -> bool:
    if command.name != "chmod":
        return False
    for arg in command.args:
        if re.fullmatch(r"[ugoa]*[+=][rwxXtst]*s[rwxXts]*", arg):
            return True
        if re.fullmatch(r"[0-7]{4}", arg) and int(arg[0]) & 6:
            return True
    return False


def _installs(command: SimpleCommand) -> bool:
    args = [a for a in command.args if not a.startswith("-")]
    if command.name in INSTALLERS:
        return bool(args) and args[0] in INSTALLERS[command.name]
    if command.name.startswith("python") and "-m" in command.args:
        after = command.args[command.args.index("-m") + 1 :]
        return after[:2] == ("pip", "install")
    return False


def _network(command: SimpleCommand) -> bool:
    if command.name in NETWORK:
        return True
    return command.name == "git" and _git_subcommand(command.args) in GIT_NETWORK


def _git_subcommand(args: tuple[str, ...]) -> str:
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-C", "-c", "--git-dir", "--work-tree", "--namespace"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return ""


def _pipes_to_shell(analysis: Analysis) -> bool:
    for stages in analysis.pipelines:
        for index, names in enumerate(stages):
            later = set().union(*stages[index + 1 :])
            if names & DOWNLOADERS and later & INTERPRETERS:
                return True
    downloaded = any(c.name in DOWNLOADERS for c in analysis.fed_to_shell)
    shell_ran = any(c.name in SHELLS or c.name == "eval" for c in analysis.commands)
    return downloaded and shell_ran


def _writes_git(analysis: Analysis) -> bool:
    if any(_in_git_dir(path) for path in analysis.writes):
        return True
    for command in analysis.commands:
        if command.name in WRITERS and any(_in_git_dir(a) for a in command.args):
            return True
    return False


def _fork_bomb(analysis: Analysis) -> bool:
    return any(
        any(command.name == name for command in body)
        for name, body in analysis.functions.items()
    )


def risk_flags(analysis: Analysis) -> tuple[str, ...]:
    """Short phrases the user sees on a proposed command, in a stable order."""
    commands = analysis.commands
    checks = [
        (RISK_RECURSIVE_DELETE, any(_is_recursive_delete(c) for c in commands)),
        (RISK_PIPE_TO_SHELL, _pipes_to_shell(analysis)),
        (RISK_NETWORK, any(_network(c) or _installs(c) for c in commands)),
        (RISK_INSTALL, any(_installs(c) for c in commands)),
        (RISK_GIT_WRITE, _writes_git(analysis)),
        (RISK_SETUID, any(_is_setuid(c) for c in commands)),
        (RISK_FORK_BOMB, _fork_bomb(analysis)),
        (RISK_PRIVILEGE, any(c.name in PRIVILEGE for c in commands)),
        (RISK_UNPARSED, analysis.opaque),
    ]
    return tuple(name for name, hit in checks if hit)


def command_risks(command: str) -> tuple[str, ...]:
    """Risk flags of one shell command line."""
    return risk_flags(analyze(command))


def path_risks(path: str) -> tuple[str, ...]:
    """Risk flags of writing one file (the write_file tool)."""
    return (RISK_GIT_WRITE,) if _in_git_dir(path) else ()
