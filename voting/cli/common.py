"""What every command shares: the --election option, refusals as one-line errors, files
written completely or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from voting.db import current_revision, database, get_session
from voting.errors import VotingError

COMMAND_LINE = "command line"  # the actor named in the activity log for commands

election_option = click.option(
    "--election",
    "election_slug",
    metavar="SLUG",
    help="The election to act on; may be left out while there is only one.",
)


def fail_lines(summary: str, lines: Iterable[str]) -> click.ClickException:
    """Print one line per problem to stderr; the exception carries the summary."""
    for line in lines:
        click.echo(line, err=True)
    return click.ClickException(summary)


def operation(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command against a migrated database and turn refusals into one-line errors."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            revision = current_revision(database().read_engine)
        except OperationalError as exc:
            raise click.ClickException(
                f"cannot open the database ({exc.orig}); run `voting init` first"
            ) from None
        if revision is None:
            raise click.ClickException("the database is not set up; run `voting init` first")
        try:
            return func(*args, **kwargs)
        except VotingError as exc:
            get_session().rollback()
            raise click.ClickException(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None

    return wrapper


def write_atomically(path: Path, lines: Iterable[bytes]) -> None:
    """Write a file completely or not at all: a temporary file renamed into place."""
    path = path.resolve()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            for line in lines:
                handle.write(line)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
