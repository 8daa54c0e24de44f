"""`voting attendees import|edit|withdraw`: the attendee list from a registration export, and
one attendee corrected or withdrawn."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from voting import services, workflows
from voting.cli.common import COMMAND_LINE, election_option, fail_lines, operation
from voting.db import get_session, writing
from voting.domain.import_plan import ImportPlan
from voting.domain.roster import RosterError
from voting.errors import KeyMissing
from voting.operations.attendee_changes import edit_attendee, find_attendee, withdraw_attendee
from voting.operations.elections import find_election

SHOWN = 20  # names listed per group of the report; the rest are counted


@click.group("attendees", cls=AppGroup)
def attendees_group() -> None:
    """Manage the attendee list."""


def plan_lines(plan: ImportPlan, *, withdraw_missing: bool) -> list[str]:
    """The details of an import (or of what it would do), a line each."""
    lines = []
    for change in plan.updated[:SHOWN]:
        lines.append(f"  updated: {change.row.name} ({', '.join(change.fields)})")
    for change in plan.returning[:SHOWN]:
        lines.append(f"  back on the list: {change.row.name}")
    if plan.missing:
        fate = "withdrawn" if withdraw_missing else "kept (--withdraw-missing withdraws them)"
        lines.append(f"{len(plan.missing)} on the list but not in the file, or cancelled: {fate}")
        for missing in plan.missing[:SHOWN]:
            person = missing.attendee
            where = person.ref or person.email or f"#{person.id}"
            lines.append(f"  {person.name} ({where}): {missing.reason or 'not in the file'}")
    if plan.skipped:
        lines.append(f"{len(plan.skipped)} row(s) skipped:")
        for row in plan.skipped[:SHOWN]:
            lines.append(f"  line {row.line}: {row.status} {row.name}".rstrip())
    return lines


def _counts(plan: ImportPlan, withdrawn: int) -> str:
    kept = len(plan.missing) - withdrawn
    text = (
        f"{len(plan.added)} added, {len(plan.updated)} updated, {plan.unchanged} unchanged, "
        f"{kept} kept from before"
    )
    text += f", {len(plan.returning)} back on the list" if plan.returning else ""
    return text + (f", {withdrawn} withdrawn" if withdrawn else "")


@attendees_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--withdraw-missing",
    is_flag=True,
    help="Withdraw attendees on the list who are missing from the file or cancelled in it.",
)
@election_option
@operation
def attendees_import(
    file: Path, dry_run: bool, withdraw_missing: bool, election_slug: str | None
) -> None:
    """Import attendees from a CSV export, all or nothing; known registrations are updated."""
    session = get_session()
    election = find_election(session, election_slug)
    data = file.read_bytes()
    try:
        if dry_run:
            plan = workflows.check_attendees(session, election, data).plan
        else:
            result = workflows.import_attendees(
                session, COMMAND_LINE, election, data, file.name, withdraw_missing=withdraw_missing
            )
            plan = result.plan
    except RosterError as exc:
        raise fail_lines(
            f"{file}: {len(exc.errors)} bad line(s), nothing imported", exc.errors
        ) from None
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    if dry_run:
        withdrawn = len(plan.missing) if withdraw_missing else 0
        click.echo(f"dry run, nothing written; the import would give: {_counts(plan, withdrawn)}")
    else:
        click.echo(
            f"{_counts(plan, result.withdrawn)}; {result.total} attendees"
            + (
                f"; {result.tokens_added} ballots added to the open election"
                if result.tokens_added
                else ""
            )
            + (f"; {result.tokens_revoked} ballots revoked" if result.tokens_revoked else "")
        )
    for line in plan_lines(plan, withdraw_missing=withdraw_missing):
        click.echo(line)


@attendees_group.command("edit")
@click.argument("who", metavar="REF|EMAIL")
@click.option("--name")
@click.option("--email")
@click.option("--organisation")
@click.option("--language", metavar="CODE", help="Two letters: en, de, fr ...")
@election_option
@operation
def attendees_edit(who: str, election_slug: str | None, **values: str | None) -> None:
    """Correct an attendee's name, email, organisation or language."""
    changes = {name: value for name, value in values.items() if value is not None}
    if not changes:
        raise click.UsageError("give at least one of --name, --email, --organisation, --language")
    session = get_session()
    election = find_election(session, election_slug)
    attendee = find_attendee(session, election, who)
    with writing(session):
        changed = edit_attendee(session, COMMAND_LINE, election, attendee, changes, services.now())
    click.echo(f"{attendee.name}: " + (", ".join(changed) + " changed" if changed else "no change"))


@attendees_group.command("withdraw")
@click.argument("who", metavar="REF|EMAIL")
@election_option
@operation
def attendees_withdraw(who: str, election_slug: str | None) -> None:
    """Withdraw an attendee: their unused ballot stops working (a cast one stays counted)."""
    session = get_session()
    election = find_election(session, election_slug)
    attendee = find_attendee(session, election, who)
    try:
        key = services.keys().delivery_key(election.slug)
    except KeyMissing:
        key = None
    with writing(session):
        outcome = withdraw_attendee(session, COMMAND_LINE, election, attendee, key, services.now())
    click.echo(
        {
            "revoked": f"{attendee.name} is withdrawn; their ballot no longer works",
            "cast": f"{attendee.name} is withdrawn; the ballot they cast stays counted",
            "none": f"{attendee.name} is withdrawn",
        }[outcome]
    )
