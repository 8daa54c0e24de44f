"""The `voting` command line (also `flask --app voting ...`).

Each command parses its arguments, calls one operation, commits once and prints a short
result. Failures exit non-zero with a one-line reason (and, for files, one line per problem).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from voting import context, verify
from voting.backup import BackupError, backup_database
from voting.cards import LAYOUTS, render_cards
from voting.certificate import make_certificate
from voting.db import current_revision, database, get_session, migrate
from voting.domain.definition import DefinitionError, parse_definition
from voting.domain.roster import RosterError, parse_roster
from voting.errors import VotingError
from voting.instance import KeyMissing, write_default_config
from voting.models import ROLES, Attendee
from voting.operations import activity, audit, delivery
from voting.operations.attendees import import_roster
from voting.operations.elections import (
    close_election,
    find_election,
    load_categories,
    load_election,
    open_election,
)
from voting.operations.results import count_election
from voting.operations.results import eligible_count as count_eligible
from voting.operations.reveal import final_results
from voting.operations.tokens import MAX_CARDS, anonymous_cards, personal_cards, personal_links
from voting.operations.users import add_user
from voting.sending import entry_address, send_links
from voting.web.texts import card_howto

COMMAND_LINE = "command line"  # the actor named in the activity log for commands

election_option = click.option(
    "--election",
    "election_slug",
    metavar="SLUG",
    help="The election to act on; may be left out while there is only one.",
)


def _fail_lines(summary: str, lines: Iterable[str]) -> click.ClickException:
    for line in lines:
        click.echo(line, err=True)
    return click.ClickException(summary)


def operation(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command against a migrated database and turn refusals into one-line errors."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            revision = current_revision(database().engine)
        except OperationalError as exc:
            raise click.ClickException(
                f"cannot open the database ({exc.orig}); run `voting init` first"
            ) from None
        if revision is None:
            raise click.ClickException("the database is not set up; run `voting init` first")
        try:
            return func(*args, **kwargs)
        except (VotingError, KeyMissing, context.NotInitialised) as exc:
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


# --- init -----------------------------------------------------------------------------------


def initialise_instance(app: Flask) -> list[str]:
    """Create what is missing in the instance folder and migrate; return what was done."""
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    done = []
    if write_default_config(instance):
        done.append(f"wrote {instance / 'config.toml'} with fresh secrets")
    if context.keys().ensure_signing_key():
        done.append(f"made the signing key pair in {context.keys().directory}")
    engine = database().engine
    before = current_revision(engine)
    migrate(engine)
    after = current_revision(engine)
    if before != after:
        done.append(f"migrated the database to {after}")
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        # Attendee data lives here: owner only, like the secrets (SQLite gives its WAL
        # and shared-memory files the same mode).
        Path(engine.url.database).chmod(0o600)
    return done


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance config, secrets and keys if missing; migrate the database."""
    try:
        done = initialise_instance(current_app)
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig}") from None
    for line in done or ["nothing to do: the instance is set up and the database current"]:
        click.echo(line)


# --- election -------------------------------------------------------------------------------


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
        raise _fail_lines(
            f"{file}: {len(exc.errors)} problem(s), nothing loaded",
            (f"{file}: {e}" for e in exc.errors),
        ) from None
    session = get_session()
    result = load_election(
        session,
        definition,
        ensure_delivery_key=context.keys().ensure_delivery_key,
        origin_base=context.board_origin_base(),
    )
    if result.outcome != "unchanged":
        activity.record(
            session,
            result.election,
            COMMAND_LINE,
            f"election {result.outcome}",
            context.now(),
            detail=file.name,
        )
    session.commit()
    click.echo(f"{result.election.slug} ({result.outcome})", err=True)
    click.echo(result.election.slug)


# --- attendees ------------------------------------------------------------------------------


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
        roster = parse_roster(file.read_bytes())
    except RosterError as exc:
        raise _fail_lines(
            f"{file}: {len(exc.errors)} bad line(s), nothing imported", exc.errors
        ) from None
    result = import_roster(
        session, election, roster, delivery_key=lambda: context.keys().delivery_key(election.slug)
    )
    activity.record(
        session,
        election,
        COMMAND_LINE,
        "attendees imported",
        context.now(),
        detail=f"{file.name}: {result.added} added, {result.updated} updated",
    )
    session.commit()
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


# --- tokens ---------------------------------------------------------------------------------


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
        context.codec(),
        context.keys().delivery_key(election.slug),
        context.public_url(),
    )

    def rows() -> Iterable[bytes]:
        buffer = _CsvLine()
        yield buffer.line(["name", "email", "url"])
        for link in links:
            yield buffer.line([link.name, link.email, link.url])

    write_atomically(out, rows())
    click.echo(f"wrote {len(links)} links to {out}")


@tokens_group.command("cards")
@click.option("--count", type=click.IntRange(1, MAX_CARDS), help="Anonymous cards to make.")
@click.option("--personal", is_flag=True, help="One card per attendee instead (name, QR, code).")
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
    count: int | None, personal: bool, out: Path, layout: str, election_slug: str | None
) -> None:
    """Print ballot cards as a PDF: anonymous (--count N) or one per attendee (--personal)."""
    if personal == bool(count):
        raise click.UsageError("give either --count N (anonymous cards) or --personal")
    session = get_session()
    election = find_election(session, election_slug)
    if personal:
        cards = personal_cards(
            session,
            election,
            context.codec(),
            context.keys().delivery_key(election.slug),
            context.public_url(),
        )
        action = f"{len(cards)} personal cards printed"
    else:
        assert count is not None
        cards = anonymous_cards(session, election, context.codec(), context.public_url(), count)
        action = f"{count} anonymous cards printed"
    pdf = render_cards(
        cards,
        title=election.title,
        entry_url=entry_address(),
        howto=card_howto,
        layout=layout,
    )
    write_atomically(out, [pdf])
    activity.record(session, election, COMMAND_LINE, action, context.now())
    session.commit()
    click.echo(f"wrote {len(cards)} cards to {out}")


@tokens_group.command("send")
@click.option("--failed-only", is_flag=True, help="Retry only the messages that failed.")
@election_option
@operation
def tokens_send(failed_only: bool, election_slug: str | None) -> None:
    """Email every attendee their ballot link (resumable: sends only what is not sent yet)."""
    election = find_election(get_session(), election_slug)
    context.keys().delivery_key(election.slug)  # fail early, before any message
    election_id = election.id
    # The sender commits message by message in its own session: hold no lock meanwhile.
    get_session().rollback()
    bar: list = []

    def start(total: int) -> None:
        bar.append(click.progressbar(length=total, label="Sending ballot links", file=sys.stderr))
        bar[0].__enter__()

    try:
        summary = send_links(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            election_id,
            actor=COMMAND_LINE,
            failed_only=failed_only,
            on_start=start,
            on_message=lambda: bar[0].update(1),
        )
    finally:
        if bar:
            bar[0].__exit__(None, None, None)
    counts = delivery.counts(get_session(), election)
    click.echo(
        f"{summary.sent} sent, {summary.failed} failed now; "
        f"in all {counts['sent']} sent, {counts['failed']} failed, {counts['pending']} pending"
    )
    if summary.failed:
        failures = get_session().execute(
            select(Attendee.email, Attendee.delivery_detail).where(
                Attendee.election_id == election.id, Attendee.delivery_status == "failed"
            )
        )
        for email, detail in list(failures)[:10]:
            click.echo(f"failed: {email}: {detail}", err=True)
        raise click.ClickException(
            f"{counts['failed']} message(s) failed; run `voting tokens send` again to retry them"
        )


class _CsvLine:
    """Formats one CSV row at a time (the csv module's quoting, UTF-8)."""

    def __init__(self) -> None:
        import io

        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def line(self, values: list[str]) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(values)
        return self._buffer.getvalue().encode("utf-8")


# --- lifecycle ------------------------------------------------------------------------------


@click.command("open")
@with_appcontext
@election_option
@operation
def open_command(election_slug: str | None) -> None:
    """Freeze the ballot set and open voting."""
    session = get_session()
    election = find_election(session, election_slug)
    opened = open_election(
        session,
        election,
        context.keys().delivery_key(election.slug),
        context.signer(),
        context.now(),
    )
    activity.record(session, election, COMMAND_LINE, "voting opened", context.now())
    session.commit()
    eligible = count_eligible(session, election)
    click.echo(f"{election.slug} is open: {eligible} eligible ballots committed to the log")
    click.echo(f"checkpoint at opening: size {opened.size}, fingerprint {opened.fingerprint}")


@click.command("close")
@with_appcontext
@election_option
@click.option(
    "--keep-delivery-key",
    is_flag=True,
    help="Do not destroy the delivery key (it can then still link ballots to attendees).",
)
@operation
def close_command(election_slug: str | None, keep_delivery_key: bool) -> None:
    """Close voting, unseal the ballots on the log and seal the tally."""
    session = get_session()
    election = find_election(session, election_slug)
    result = close_election(session, election, context.signer(), context.now())
    activity.record(session, election, COMMAND_LINE, "voting closed", context.now())
    session.commit()
    tally, closed = result.tally, result.checkpoint
    click.echo(f"{election.slug} is closed: {tally['ballots']} of {tally['eligible']} ballots cast")
    click.echo(f"checkpoint at closing: size {closed.size}, fingerprint {closed.fingerprint}")
    if keep_delivery_key:
        click.echo("the delivery key was kept, as asked", err=True)
    elif context.keys().destroy_delivery_key(election.slug):
        click.echo("the delivery key was destroyed: no one can link ballots to attendees now")


@click.command("tally")
@with_appcontext
@election_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@operation
def tally_command(election_slug: str | None, as_json: bool) -> None:
    """Print the result of a closed election."""
    session = get_session()
    election = find_election(session, election_slug)
    if election.state in ("draft", "open"):
        raise click.ClickException(
            f"{election.slug} is {election.state}: the tally exists only once voting has closed"
        )
    result = {
        "election": election.slug,
        "state": election.state,
        **count_election(session, election, load_categories(session, election)),
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{election.title}: {result['ballots']} of {result['eligible']} ballots cast")
    for category in result["categories"]:
        click.echo(f"\n{category['title']}")
        for row in category["results"]:
            mark = "*" if row["nominee"] in category["winners"] else " "
            click.echo(f" {mark} {row['votes']:>6}  {row['name']}")
        click.echo(f"   {category['abstentions']:>6}  (abstentions)")
        if category["tie"]:
            click.echo("   tie for first place: settled by the election's tie rule")


# --- board ----------------------------------------------------------------------------------


@click.group("board", cls=AppGroup)
def board_group() -> None:
    """Export and verify the public audit board."""


@board_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def board_export(file: Path, election_slug: str | None) -> None:
    """Write the public board (key, entries, signed checkpoints) as JSON Lines."""
    session = get_session()
    election = find_election(session, election_slug)
    write_atomically(file, audit.export_board(session, election, context.signer()))
    final = audit.current_checkpoint(session, election, context.signer())
    click.echo(f"wrote {final.size} entries to {file}; fingerprint {final.fingerprint}")


@board_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Public key to pin.")
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint saved earlier: the board must extend it.",
)
@click.option("--partial", is_flag=True, help="Accept a board exported while voting is open.")
def board_verify(file: str, key: str | None, checkpoint: str | None, partial: bool) -> None:
    """Check a board file offline: signatures, chain, roots, eligibility, lifecycle, tally.

    The same code as `python -m voting.verify` (voting/verify.py, which a juror can copy).
    """
    argv = [file]
    argv += ["--key", key] if key else []
    argv += ["--checkpoint", checkpoint] if checkpoint else []
    argv += ["--partial"] if partial else []
    sys.exit(verify.main(argv))


# --- backup --------------------------------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Copy the database consistently while the app serves (SQLite backup API, or pg_dump)."""
    engine = database().engine
    try:
        made = backup_database(engine.url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {made} to {file}; keep it with a copy of the instance folder's keys")


# --- results -------------------------------------------------------------------------------


@click.group("results", cls=AppGroup)
def results_group() -> None:
    """Signed results once the reveal is over."""


@results_group.command("certificate")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def results_certificate(out: Path, election_slug: str | None) -> None:
    """Write the signed certificate of results (PDF)."""
    session = get_session()
    election = find_election(session, election_slug)
    results = final_results(session, election)
    final = audit.current_checkpoint(session, election, context.signer())
    write_atomically(out, [make_certificate(results, final, context.signer())])
    click.echo(f"wrote the certificate to {out}")


@results_group.command("verify-certificate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False),
    help="The election's public key (from /board/key); default: this instance's key.",
)
@with_appcontext
def results_verify_certificate(file: str, key: str | None) -> None:
    """Check a certificate of results: the signature over every byte, and its checkpoint."""
    if key:
        sys.exit(verify.main(["--certificate", file, "--key", key]))
    data = Path(file).read_bytes()
    try:
        name = verify.certificate_signer(data)
        own = context.signer().verifier_key(name).vkey
        lines = verify.verify_certificate_with(data, own, name)
    except (ValueError, KeyMissing) as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)
    click.echo("OK: the certificate is signed by this instance's key and unchanged")


# --- users ---------------------------------------------------------------------------------


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Staff accounts (organiser, desk, jury)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@operation
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; asks for the password unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = get_session()
    add_user(session, name, role, password)
    session.commit()
    click.echo(f"added {role} {name}")


def register_commands(app: Flask) -> None:
    from voting.demo import demo_command

    for command in (
        init_command,
        election_group,
        attendees_group,
        tokens_group,
        open_command,
        close_command,
        tally_command,
        board_group,
        backup_command,
        results_group,
        users_group,
        demo_command,
    ):
        app.cli.add_command(command)


def _create_app() -> Flask:
    # Commands skip the production safety checks: `voting init` is how they get fixed.
    from voting import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Audience award voting: run `voting demo` for a first look."""
