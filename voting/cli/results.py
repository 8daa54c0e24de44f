"""`voting results certificate|verify-certificate`: the signed certificate of results."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from voting import services, verify
from voting.certificate import make_certificate
from voting.cli.common import election_option, operation, write_atomically
from voting.db import get_session
from voting.errors import KeyMissing
from voting.operations import audit
from voting.operations.elections import find_election
from voting.operations.reveal import final_results


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
    final = audit.current_checkpoint(session, election, services.signer())
    write_atomically(out, [make_certificate(results, final, services.signer())])
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
        own = services.signer().verifier_key(name).vkey
        lines = verify.verify_certificate_with(data, own, name)
    except (ValueError, KeyMissing) as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)
    click.echo("OK: the certificate is signed by this instance's key and unchanged")
