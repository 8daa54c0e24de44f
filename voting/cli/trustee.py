"""`voting trustee key|share|open|status`: the jury's key to the ballots, from the command
line (the console and the jury pages do the same through the web)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from voting import verify, workflows
from voting.cli.common import COMMAND_LINE, election_option, operation
from voting.db import get_session
from voting.operations import trustee_key, trustee_shares
from voting.operations.elections import find_election


@click.group("trustee", cls=AppGroup)
def trustee_group() -> None:
    """The jury's trustee key: its public key before opening, its shares after close."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


@trustee_group.command("key")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def trustee_key_command(file: Path, election_slug: str | None) -> None:
    """Upload the trustee's public key (trustee-ELECTION.json from `verify.py trustee
    keygen`), before opening: every ballot will be encrypted to it."""
    session = get_session()
    election = find_election(session, election_slug)
    key_id = workflows.upload_trustee_key(session, COMMAND_LINE, election, _read(file))
    click.echo(f"{election.slug}: ballots will be encrypted to the trustee key {key_id}")


@trustee_group.command("share")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def trustee_share_command(files: tuple[Path, ...], election_slug: str | None) -> None:
    """Bring jurors' key shares after the close; the K-th opens the ballots and seals the
    tally. (Each juror may instead upload their own on the jury page.)"""
    session = get_session()
    election = find_election(session, election_slug)
    for file in files:
        count, sealed = workflows.bring_trustee_share(session, COMMAND_LINE, election, _read(file))
        click.echo(f"{file}: {count.brought} of the {count.threshold} shares needed")
        if sealed is not None:
            _opened(election.slug, sealed)
            return


@trustee_group.command("open")
@click.option(
    "--private-key",
    "private_key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file `verify.py trustee decrypt` wrote from K shares on a juror's laptop.",
)
@election_option
@operation
def trustee_open_command(private_key: Path, election_slug: str | None) -> None:
    """Open the ballots with the private key the jury rebuilt on its own laptop."""
    session = get_session()
    election = find_election(session, election_slug)
    _tally, sealed = workflows.open_ballots(session, COMMAND_LINE, election, _read(private_key))
    _opened(election.slug, sealed)


def _opened(slug: str, sealed: verify.Checkpoint) -> None:
    click.echo(f"{slug}: the ballots are decrypted and the tally is sealed")
    click.echo(verify.fingerprint_line("sealed", sealed))


@trustee_group.command("status")
@election_option
@operation
def trustee_status_command(election_slug: str | None) -> None:
    """Say whether the election has a trustee key and how many shares have been brought."""
    session = get_session()
    election = find_election(session, election_slug)
    key = trustee_key.public_key(election)
    if not trustee_key.has_trustee(election):
        click.echo(f"{election.slug} has no trustee")
    elif key is None:
        click.echo(f"{election.slug}: the trustee's public key is not uploaded yet")
    else:
        click.echo(
            f"{election.slug}: trustee key {key.id}, any {key.threshold} of {key.shares} shares"
        )
        if trustee_key.awaiting_shares(session, election):
            count = trustee_shares.share_count(session, election)
            assert count is not None
            click.echo(f"voting is closed: {count.brought} of {count.threshold} shares brought")
