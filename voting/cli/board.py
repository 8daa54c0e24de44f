"""`voting board export|verify`: the public audit board as a file, and its offline check."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from voting import services, verify
from voting.cli.common import election_option, operation, write_atomically
from voting.db import get_session
from voting.operations import audit
from voting.operations.elections import find_election


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
    write_atomically(file, audit.export_board(session, election, services.signer()))
    final = audit.current_checkpoint(session, election, services.signer())
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
