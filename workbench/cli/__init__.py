"""The `workbench` command: the TUI by default, and scriptable subcommands.

Subcommands live in sibling modules, each registering onto `main`; every one
turns a WorkbenchError into one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from workbench.errors import WorkbenchError

EXIT_ERROR = 2


class WorkbenchGroup(click.Group):
    """A click group that shows every error as a message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkbenchError as error:
            click.echo(f"error: {error.message}", err=True)
            if error.hint:
                click.echo(f"  {error.hint}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:  # a defect still reaches the user as one line
            logging.getLogger(__name__).exception("the command failed")
            click.echo(f"error: unexpected failure: {error}", err=True)
            click.echo("  The details are in workbench.log in the data dir.", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=WorkbenchGroup, invoke_without_command=True)
@click.option("--theme", default=None, help="Theme name (see themes/).")
@click.option("--resume", "resume_id", default=None, help="Reopen a session by id.")
@click.option("--model", default=None, help="litellm model name, e.g. openai/gpt-4o.")
@click.option(
    "--approve",
    type=click.Choice(["ask", "auto", "rules"]),
    default=None,
    help="Approval policy for proposed commands.",
)
@click.version_option(package_name="workbench")
@click.pass_context
def main(
    ctx: click.Context,
    theme: str | None,
    resume_id: str | None,
    model: str | None,
    approve: str | None,
) -> None:
    """Supervise an LLM coding agent in throwaway, hardened containers.

    With no subcommand, opens the workbench on the current folder.
    """
    from workbench.logs import setup_logging

    setup_logging()
    if ctx.invoked_subcommand is None:
        from workbench.cli.tui_cmd import open_tui

        open_tui(theme=theme, resume_id=resume_id, model=model, approve=approve)


def _register() -> None:
    # Each module adds its commands to `main`; a missing one is a packaging bug.
    from workbench.cli import (  # noqa: F401
        review_cmds,
        run_cmd,
        sandbox_cmds,
        tui_cmd,
    )


_register()

__all__ = ["main"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
