"""`voting election load`, `voting open`, `voting close` and `voting tally`: an election from
its definition to its result."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from voting import services, verify, workflows
from voting.cli.common import COMMAND_LINE, election_option, fail_lines, operation
from voting.db import get_session, writing
from voting.domain.definition import DefinitionError, parse_definition
from voting.mail.sending import work_election
from voting.operations.elections import find_election, load_election, open_election
from voting.operations.results import eligible_count, tally, turnout


@click.group("election", cls=AppGroup)
def election_group() -> None:
    """Define elections."""


@election_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@operation
def election_load(file: Path) -> None:
    """Create or update a draft election from a TOML file; print its slug."""
    try:
        definition = parse_definition(file.read_bytes())
    except DefinitionError as exc:
        raise fail_lines(
            f"{file}: {len(exc.errors)} problem(s), nothing loaded",
            (f"{file}: {e}" for e in exc.errors),
        ) from None
    session = get_session()
    with writing(session):
        result = load_election(
            session,
            COMMAND_LINE,
            definition,
            services.now(),
            ensure_delivery_key=services.keys().ensure_delivery_key,
            origin_base=services.board_origin_base(),
            source=file.name,
        )
    click.echo(f"{result.election.slug} ({result.outcome})", err=True)
    click.echo(result.election.slug)


@click.command("open")
@with_appcontext
@election_option
@operation
def open_command(election_slug: str | None) -> None:
    """Freeze the ballot set and open voting."""
    session = get_session()
    election = find_election(session, election_slug)
    with writing(session):
        opened = open_election(
            session,
            COMMAND_LINE,
            election,
            services.keys().delivery_key(election.slug),
            services.signer(),
            services.now(),
        )
    eligible = eligible_count(session, election)
    click.echo(f"{election.slug} is open: {eligible} eligible ballots committed to the log")
    click.echo(verify.fingerprint_line("opened", opened))


@click.command("close")
@with_appcontext
@election_option
@click.option(
    "--keep-delivery-key",
    is_flag=True,
    help="Do not destroy the delivery key (it can then still link ballots to attendees).",
)
@click.option(
    "--notify",
    is_flag=True,
    help="Email every attendee whether a ballot was cast with their credential, before the "
    "delivery key is destroyed.",
)
@operation
def close_command(election_slug: str | None, keep_delivery_key: bool, notify: bool) -> None:
    """Close voting and seal the tally: it joins the board when the reveal ends."""
    session = get_session()
    election = find_election(session, election_slug)
    result = workflows.close_voting(
        session, COMMAND_LINE, election, keep_delivery_key=keep_delivery_key, notify=notify
    )
    tally, closed = result.tally, result.checkpoint
    cast = turnout(session, election)
    click.echo(
        f"{election.slug} is closed: {cast.ballots} ballots cast of {cast.eligible} "
        f"eligible attendees ({eligible_count(session, election)} ballots could be cast)"
    )
    if tally is None:
        click.echo(
            "the ballots stay encrypted until the jury's shares open them: "
            "`voting trustee share FILE...` or the jury page"
        )
        click.echo(f"fingerprint at the close: {closed.fingerprint} (size {closed.size})")
    else:
        click.echo(verify.fingerprint_line("sealed", closed))
    if result.notices is not None:
        sent = work_election(current_app._get_current_object(), session, election)  # type: ignore[attr-defined]
        click.echo(f"participation notices: {result.notices} queued; {sent}")
    if keep_delivery_key:
        click.echo("the delivery key was kept, as asked", err=True)
    elif result.delivery_key_destroyed:
        click.echo("the delivery key was destroyed: no one can link ballots to attendees now")


@click.command("tally")
@with_appcontext
@election_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@operation
def tally_command(election_slug: str | None, as_json: bool) -> None:
    """Print the result of a closed election."""
    election = find_election(get_session(), election_slug)
    result = tally(get_session(), election)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{election.title}: {result['ballots']} ballots cast of {result['attendees']} "
        "eligible attendees"
    )
    for category in result["categories"]:
        click.echo(f"\n{category['title']}")
        for row in category["results"]:
            mark = "*" if row["nominee"] in category["winners"] else " "
            click.echo(f" {mark} {row['votes']:>6}  {row['name']}")
        click.echo(f"   {category['abstentions']:>6}  (abstentions)")
        if category["tie"]:
            click.echo("   tie for first place: settled by the election's tie rule")
