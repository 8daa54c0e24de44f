"""`voting tokens links|cards|send`: ballots into attendees' hands."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from voting import services, workflows
from voting.cards import LAYOUTS
from voting.cli.common import COMMAND_LINE, election_option, operation, write_atomically
from voting.db import get_session
from voting.domain.spreadsheet import CsvLines
from voting.mail.sending import queue_links, queue_reminders, work_election
from voting.mail.worker import WorkSummary
from voting.operations import delivery
from voting.operations.elections import find_election
from voting.operations.tokens import MAX_CARDS, personal_links
from voting.paper_ballots import PAPER


@click.group("tokens", cls=AppGroup)
def tokens_group() -> None:
    """Hand out ballot tokens."""


@tokens_group.command("links")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def tokens_links(out: Path, election_slug: str | None) -> None:
    """Write every attendee's personal ballot link to a CSV file (name,email,url)."""
    session = get_session()
    election = find_election(session, election_slug)
    links = personal_links(
        session,
        election,
        services.codec(),
        services.keys().delivery_key(election.slug),
        services.ballot_base_url(),
    )

    def rows() -> Iterable[bytes]:
        csv = CsvLines()
        yield csv.line(["name", "email", "url"])
        for link in links:
            yield csv.line([link.name, link.email, link.url])

    write_atomically(out, rows())
    click.echo(f"wrote {len(links)} links to {out}")


@tokens_group.command("cards")
@click.option("--count", type=click.IntRange(1, MAX_CARDS), help="Anonymous cards to make.")
@click.option("--personal", is_flag=True, help="One card per attendee instead (name, QR, code).")
@click.option(
    "--paper", is_flag=True, help="Paper ballots (A4, every award to mark) instead of cards."
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--layout",
    type=click.Choice(sorted(LAYOUTS)),
    default="a4",
    show_default=True,
    help="a4: eight cards a sheet; badge: one 102 x 76 mm insert a page.",
)
@election_option
@operation
def tokens_cards(
    count: int | None,
    personal: bool,
    paper: bool,
    out: Path,
    layout: str,
    election_slug: str | None,
) -> None:
    """Print ballot cards as a PDF: anonymous (--count N) or one per attendee (--personal);
    with --paper, paper ballots to mark by hand, one A4 page each."""
    if personal == bool(count):
        raise click.UsageError("give either --count N (anonymous cards) or --personal")
    layout = PAPER if paper else layout
    session = get_session()
    election = find_election(session, election_slug)
    printed = workflows.print_cards(
        session, COMMAND_LINE, election, layout=layout, count=None if personal else count
    )
    write_atomically(out, [printed.pdf])
    click.echo(f"wrote {printed.count} cards to {out}")


@tokens_group.command("send")
@click.option("--failed-only", is_flag=True, help="Retry only the messages that failed.")
@election_option
@operation
def tokens_send(failed_only: bool, election_slug: str | None) -> None:
    """Email every attendee their ballot link (resumable: sends only what is not sent yet).

    The links are queued, then sent from here with progress; a running `voting worker` (or
    the app's own) shares the queue and may send some of them."""
    session = get_session()
    election = find_election(session, election_slug)
    queued = queue_links(session, COMMAND_LINE, election, failed_only=failed_only)
    summary = _work_with_progress(session, election, queued.count, "Sending ballot links")
    counts = delivery.counts(session, election)
    click.echo(
        f"{queued.count} queued; {summary} now; in all {counts['sent']} sent, "
        f"{counts['failed']} failed, {counts['queued']} queued, {counts['pending']} pending"
    )
    if counts["uncertain"]:
        click.echo(
            f"{counts['uncertain']} uncertain (the sender stopped while the mail server "
            "answered): resend them from the desk if they did not arrive",
            err=True,
        )
    if summary.failed or summary.retrying:
        for email, detail in delivery.failures(session, election):
            click.echo(f"failed: {email}: {detail}", err=True)
        raise click.ClickException(
            f"{counts['failed']} message(s) failed, {summary.retrying} deferred; run "
            "`voting tokens send` again to retry them now (a worker retries the deferred later)"
        )


def _work_with_progress(session, election, total: int, label: str) -> WorkSummary:  # type: ignore[no-untyped-def]
    """Work the election's queue from the command line, with a progress bar on stderr."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        return work_election(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            session,
            election,
            on_message=lambda _state: bar.update(1),
        )


@tokens_group.command("remind")
@click.option(
    "--every",
    "hours",
    type=click.FloatRange(min=0.5),
    default=24.0,
    show_default=True,
    help="Remind nobody more than once in this many hours.",
)
@election_option
@operation
def tokens_remind(hours: float, election_slug: str | None) -> None:
    """Email a reminder to attendees whose personal ballot is still unused (while open)."""
    session = get_session()
    election = find_election(session, election_slug)
    queued = queue_reminders(session, COMMAND_LINE, election, every=timedelta(hours=hours))
    summary = _work_with_progress(session, election, queued.count, "Sending reminders")
    click.echo(f"reminders: {queued.count} queued; {summary}")
    if summary.failed:
        raise click.ClickException(f"{summary.failed} reminder(s) failed; run it again to retry")
