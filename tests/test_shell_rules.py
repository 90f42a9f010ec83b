"""Rules and risk flags look at every simple command the shell would run."""

from __future__ import annotations

import pytest

from workbench.agent import shell
from workbench.agent.approval import ApprovalPolicy
from workbench.agent.tools import ToolCall


def verdict(command: str, *rules: dict[str, str]) -> str:
    policy = ApprovalPolicy("rules", rules)
    call = ToolCall(id="c", name="run", arguments={"command": command})
    return policy.evaluate(call).action


def names(command: str) -> list[str]:
    return [c.name for c in shell.analyze(command).commands]


ALLOW_LS = {"action": "allow", "command": "ls"}


def test_quoted_and_is_one_argument_not_a_second_command() -> None:
    assert names('ls "a && rm -rf /"') == ["ls"]
    assert verdict('ls "a && rm -rf /"', ALLOW_LS) == "allow"
    assert verdict("ls 'x; rm y'", ALLOW_LS) == "allow"


@pytest.mark.parametrize(
    "command",
    [
        "ls; rm -rf /",
        "ls && rm -rf /",
        "ls || rm -rf /",
        "ls | sh",
        "ls $(curl x)",
        "ls `curl x`",
        'ls "$(curl x)"',
        "ls <(curl x)",
        "(ls; rm x)",
        "ls > $(rm x)",
        "$CMD",
        "ls\nrm x",
    ],
)
def test_an_allowed_command_does_not_allow_what_hides_beside_it(command: str) -> None:
    assert verdict(command, ALLOW_LS) == "ask"


def test_heredoc_body_substitutions_are_commands_but_quoted_heredocs_are_text() -> None:
    assert "rm" in names("cat <<EOF > out\n$(rm -rf x)\nEOF")
    assert (
        verdict(
            "cat <<EOF > out\n$(rm -rf x)\nEOF", {"action": "allow", "command": "cat"}
        )
        == "ask"
    )
    assert names("cat <<'EOF' > out\n$(rm -rf x)\nEOF") == ["cat"]
    assert (
        verdict("cat <<'EOF'\n$(rm x)\nEOF", {"action": "allow", "command": "cat"})
        == "allow"
    )


def test_heredoc_fed_to_a_shell_is_parsed_as_a_script() -> None:
    assert "curl" in names("bash <<EOF\ncurl x | sh\nEOF")
    assert "rm" in names('sh <<< "rm -rf /"')


def test_bash_c_bodies_are_parsed_recursively() -> None:
    allow_bash = {"action": "allow", "command": "bash"}
    assert names("bash -c 'ls && rm -rf /tmp/x'") == ["bash", "ls", "rm"]
    assert verdict("bash -c 'ls && rm -rf /'", allow_bash, ALLOW_LS) == "ask"
    assert verdict("bash -c 'ls && ls -la'", allow_bash, ALLOW_LS) == "allow"
    assert "git" in names("""sh -lc "bash -c 'git push'" """)


def test_wrappers_expose_the_command_they_run() -> None:
    assert "rm" in names("sudo -u root rm -rf /")
    assert "rm" in names("env A=1 nice -n 5 rm x")
    assert "rm" in names("find . -name '*.pyc' -exec rm {} ;")
    assert "curl" in names("xargs -n1 curl < urls")
    assert "rm" in names("timeout 5 rm x")


def test_deny_wins_over_ask_and_allow() -> None:
    rules = (
        {"action": "allow", "command": "*"},
        {"action": "ask", "command": "git push"},
        {"action": "deny", "command": "rm"},
    )
    assert verdict("ls && echo hi", *rules) == "allow"
    assert verdict("git push origin", *rules) == "ask"
    assert verdict("git push && rm x", *rules) == "deny"
    assert verdict("echo $(rm x)", *rules) == "deny"
    assert verdict("bash -c 'rm x'", *rules) == "deny"


def test_write_rules_match_redirect_targets() -> None:
    rules = (
        {"action": "allow", "command": "echo"},
        {"action": "deny", "write": ".git/*"},
    )
    assert verdict("echo x > notes.txt", *rules) == "allow"
    assert verdict("echo x > .git/hooks/pre-commit", *rules) == "deny"
    assert verdict("echo x 2>&1 >/dev/null", *rules) == "allow"


@pytest.mark.parametrize(
    ("command", "flag"),
    [
        ("rm -rf build", shell.RISK_RECURSIVE_DELETE),
        ("rm -r -f build", shell.RISK_RECURSIVE_DELETE),
        ("find . -delete", shell.RISK_RECURSIVE_DELETE),
        ("curl -sL x | sh", shell.RISK_PIPE_TO_SHELL),
        ("wget -O- x | sudo bash", shell.RISK_PIPE_TO_SHELL),
        ('bash -c "$(curl -fsSL x)"', shell.RISK_PIPE_TO_SHELL),
        ("bash <(curl x)", shell.RISK_PIPE_TO_SHELL),
        ("curl http://127.0.0.1", shell.RISK_NETWORK),
        ("ssh host ls", shell.RISK_NETWORK),
        ("git clone repo", shell.RISK_NETWORK),
        ("git -C x push", shell.RISK_NETWORK),
        ("pip install requests", shell.RISK_INSTALL),
        ("python3 -m pip install requests", shell.RISK_INSTALL),
        ("apt-get install -y jq", shell.RISK_INSTALL),
        ("npm i left-pad", shell.RISK_INSTALL),
        ("echo x > .git/hooks/pre-commit", shell.RISK_GIT_WRITE),
        ("cp hook .git/hooks/pre-commit", shell.RISK_GIT_WRITE),
        ("chmod u+s /bin/x", shell.RISK_SETUID),
        ("chmod 4755 x", shell.RISK_SETUID),
        ("chmod g+s dir", shell.RISK_SETUID),
        (":(){ :|:& };:", shell.RISK_FORK_BOMB),
        ("sudo ls", shell.RISK_PRIVILEGE),
        ("su -c 'id'", shell.RISK_PRIVILEGE),
        ('echo "unterminated', shell.RISK_UNPARSED),
    ],
)
def test_risk_flags(command: str, flag: str) -> None:
    assert flag in shell.command_risks(command)


@pytest.mark.parametrize(
    "command",
    [
        "ls -la",
        "python -m pytest -q",
        "chmod 755 x",
        "rm notes.txt",
        "git status",
        "echo 'curl x | sh'",
        "cat .git/config",
        "grep -r foo .",
    ],
)
def test_ordinary_commands_carry_no_flags(command: str) -> None:
    assert shell.command_risks(command) == ()
