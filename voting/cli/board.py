"""`voting board export|openings|witness|verify`: the public audit board as a file, the jury's
openings of the sealed tally, a push to the witnesses, and the offline check of all of it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from voting import services, verify, witness_client
from voting.cli.common import election_option, operation, write_atomically
from voting.db import get_session
from voting.errors import N_, StateError
from voting.operations import audit, sealed, witnessing
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


@board_group.command("openings")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@election_option
@operation
def board_openings(file: Path, election_slug: str | None) -> None:
    """Write the openings of the sealed tally, for the jury (not public before the reveal
    ends): `voting board verify BOARD --openings FILE` checks the result with them."""
    session = get_session()
    election = find_election(session, election_slug)
    if sealed.tally(session, election) is None:
        raise StateError(N_("the openings exist once the tally is sealed at close"))
    write_atomically(file, sealed.openings_file(session, election))
    click.echo(f"wrote the openings of {election.slug} to {file}; keep them private")


@board_group.command("witness")
@election_option
@operation
def board_witness(election_slug: str | None) -> None:
    """Submit the latest checkpoint to the election's witnesses now (each serving process
    also does so within a second of every checkpoint) and say where each stands."""
    session = get_session()
    election = find_election(session, election_slug)
    summary = witnessing.summary(session, election)
    if summary is None:
        raise StateError(N_("the election names no witnesses"))
    witness_client.submit_due(session, election)
    summary = witnessing.summary(session, election)
    assert summary is not None
    for witness in summary.witnesses:
        state = "cosigned the latest" if witness.current else (witness.error or "behind")
        click.echo(f"{witness.name}: size {witness.size}; {state}")
    met = "met" if summary.quorum_met else "not met"
    click.echo(
        f"{summary.current} of {len(summary.witnesses)} cosigned size "
        f"{summary.latest_size}; quorum {summary.quorum} {met}"
    )


@board_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Public key to pin.")
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint saved earlier: the board must extend it.",
)
@click.option("--partial", is_flag=True, help="Accept a board exported while voting is open.")
@click.option("--witness", multiple=True, help="A witness's cosignature key (vkey or file).")
@click.option("--quorum", type=int, help="Cosignatures needed (default: every --witness).")
@click.option(
    "--openings",
    type=click.Path(exists=True, dir_okay=False),
    help="The jury's openings file: check the sealed result before the reveal ends.",
)
def board_verify(
    file: str,
    key: str | None,
    checkpoint: str | None,
    partial: bool,
    witness: tuple[str, ...],
    quorum: int | None,
    openings: str | None,
) -> None:
    """Check a board file offline: signatures, chain, roots, eligibility, lifecycle, tally.

    The same code as `python -m voting.verify` (voting/verify.py, which a juror can copy).
    """
    argv = [file]
    argv += ["--key", key] if key else []
    argv += ["--checkpoint", checkpoint] if checkpoint else []
    argv += ["--partial"] if partial else []
    argv += ["--openings", openings] if openings else []
    for text in witness:
        argv += ["--witness", text]
    argv += ["--quorum", str(quorum)] if quorum is not None else []
    sys.exit(verify.main(argv))
