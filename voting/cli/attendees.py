"""`voting attendees import`: the attendee list from a registration export."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from voting import workflows
from voting.cli.common import COMMAND_LINE, election_option, fail_lines, operation
from voting.db import get_session
from voting.domain.roster import RosterError
from voting.operations.elections import find_election


@click.group("attendees", cls=AppGroup)
def attendees_group() -> None:
    """Manage the attendee list."""


@attendees_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@election_option
@operation
def attendees_import(file: Path, election_slug: str | None) -> None:
    """Import attendees from CSV, all or nothing; known emails are updated."""
    session = get_session()
    election = find_election(session, election_slug)
    try:
        result = workflows.import_attendees(
            session, COMMAND_LINE, election, file.read_bytes(), file.name
        )
    except RosterError as exc:
        raise fail_lines(
            f"{file}: {len(exc.errors)} bad line(s), nothing imported", exc.errors
        ) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.kept} kept from before; {result.total} attendees"
        + (
            f"; {result.tokens_added} ballots added to the open election"
            if result.tokens_added
            else ""
        )
    )
