"""`voting demo`: from a fresh clone to a running server with an open example election."""

from __future__ import annotations

import atexit
import json
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from voting import batch_timer, services, verify
from voting.cli.common import COMMAND_LINE
from voting.cli.instance import setup_link
from voting.cli.witness_processes import WitnessProcess
from voting.config import read_instance_config
from voting.db import database, get_session, writing
from voting.domain.definition import parse_definition
from voting.domain.editing import from_board
from voting.domain.roster import parse_roster
from voting.domain.trust import WitnessDefinition
from voting.instance import initialise_instance
from voting.models import Election
from voting.operations import trustee_key
from voting.operations.attendees import import_roster
from voting.operations.elections import load_election, open_election
from voting.operations.tokens import personal_links
from voting.safety import UnsafeConfiguration, refuse_unsafe

EXAMPLES = resources.files("voting") / "examples"


def _address_for_phones() -> str:
    """This machine's address on the local network (no packet is sent), for links on phones."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def prepare_demo(
    link_count: int,
    witnesses: Sequence[WitnessDefinition] = (),
    trustee_folder: Path | None = None,
) -> tuple[str, list[str]]:
    """Load the example election (with *witnesses*, a majority of them its quorum; with a
    trustee whose key and three shares are written to *trustee_folder*), import the sample
    attendees and open voting.

    Returns the election's state line and a few ballot links. Running it again changes
    nothing that is already done.
    """
    session = get_session()
    keys = services.keys()
    definition = parse_definition((EXAMPLES / "ecc2016.toml").read_bytes())
    if witnesses:
        quorum = len(witnesses) // 2 + 1
        definition = replace(definition, witnesses=tuple(witnesses), witness_quorum=quorum)
    if trustee_folder is not None:
        definition = replace(definition, trustee=True)
    existing = session.scalar(select(Election).where(Election.slug == definition.slug))
    if existing is not None and not existing.is_draft:
        definition = from_board(json.loads(existing.definition))  # opened: as it was published
    key = None
    if trustee_folder is not None and (existing is None or existing.trustee_key is None):
        # Written before the write: an election never opens with a key whose shares are lost.
        key = write_trustee_files(trustee_folder, definition.slug)
    roster = parse_roster((EXAMPLES / "attendees-sample.csv").read_bytes())
    with writing(session):
        election = load_election(
            session,
            COMMAND_LINE,
            definition,
            services.now(),
            ensure_delivery_key=keys.ensure_delivery_key,
            origin_base=services.board_origin_base(),
            source="ecc2016.toml",
        ).election
        if election.is_draft:
            import_roster(
                session,
                COMMAND_LINE,
                election,
                roster,
                services.now(),
                delivery_key=lambda: keys.delivery_key(election.slug),
                source="attendees-sample.csv",
            )
            if key is not None and election.trustee_key is None:
                trustee_key.set_public_key(session, COMMAND_LINE, election, key, services.now())
            open_election(
                session,
                COMMAND_LINE,
                election,
                keys.delivery_key(election.slug),
                services.signer(),
                services.now(),
            )
    if not keys.has_delivery_key(election.slug):
        return f"{election.slug} is {election.state}; delete the instance folder to start over", []
    links = personal_links(
        session,
        election,
        services.codec(),
        keys.delivery_key(election.slug),
        services.ballot_base_url(),
    )
    return f"{election.title} is {election.state} with {len(links)} attendees", [
        link.url for link in links[:link_count]
    ]


def write_trustee_files(folder: Path, slug: str) -> verify.TrusteeKey:
    """The jury's key as `verify.py trustee keygen` makes it: any 2 of 3 shares open it."""
    key, shares = verify.trustee_keygen(slug, shares=3, threshold=2)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / f"trustee-{slug}.json").write_text(json.dumps(key.to_json(), indent=1) + "\n")
    for share in shares:
        path = folder / f"trustee-{slug}-share-{share.index}.json"
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(share.to_json(), indent=1) + "\n")
    return key


@click.command("demo")
@with_appcontext
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Use 0.0.0.0 to let phones in."
)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--links", "link_count", default=5, show_default=True, help="Ballot links to print.")
@click.option("--no-serve", is_flag=True, help="Prepare and print links, but start no server.")
@click.option(
    "--witnesses",
    "witness_count",
    default=0,
    type=click.IntRange(0, 9),
    help="Run this many witnesses (verify.py witness serve) that cosign the board.",
)
@click.option("--witness-port", default=7381, show_default=True, help="The first witness's port.")
@click.option(
    "--trustee",
    is_flag=True,
    help="Encrypt the ballots to a jury key in 3 shares (2 open them), written to the "
    "instance folder's trustee/ folder.",
)
def demo_command(
    host: str,
    port: int,
    link_count: int,
    no_serve: bool,
    witness_count: int,
    witness_port: int,
    trustee: bool,
) -> None:
    """First look: init, example election, 350 sample attendees, open voting, serve."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for line in initialise_instance(Path(app.instance_path), database().engine):
        click.echo(line)
    read_instance_config(app)  # again, now that the instance has its secrets
    app.config["VOTING_DEMO"] = True  # links may use the address served on, without PUBLIC_URL
    # Comparing, not binding: when asked to listen everywhere, links use the LAN address.
    everywhere = ("0.0.0.0", "::")  # noqa: S104  # nosec B104
    shown_host = _address_for_phones() if host in everywhere else host
    app.config["SERVER_URL"] = f"http://{shown_host}:{port}"
    witnesses = [
        WitnessProcess(
            f"demo-witness-{i}",
            Path(app.instance_path) / "witnesses" / str(i),
            witness_port + i - 1,
        )
        for i in range(1, witness_count + 1)
    ]
    trustee_folder = Path(app.instance_path) / "trustee" if trustee else None
    status, links = prepare_demo(link_count, [w.definition for w in witnesses], trustee_folder)
    base = services.public_url()
    click.echo(status)
    if trustee_folder is not None:
        click.echo(
            f"The ballots are encrypted to the jury's key; its 3 shares are in {trustee_folder}: "
            "after `voting close`, bring 2 of them on the jury page (/jury) or with "
            "`voting trustee share FILE`"
        )
    if links:
        click.echo("\nOpen one of these ballot links (each votes once):")
        for url in links:
            click.echo(f"  {url}")
    click.echo(f"\nThe app: {base}/   (export the board with `voting board export board.jsonl`)")
    link = setup_link()
    if link:
        click.echo(f"The organisers' console: create its first account at {link}")
    if not no_serve:
        try:
            refuse_unsafe(app)
        except UnsafeConfiguration as exc:
            raise click.ClickException(str(exc)) from None
        _start_witnesses(witnesses)
        click.echo("Stop the server with Ctrl+C.\n")
        batch_timer.start(app)
        # Werkzeug's threaded server: enough for a first look (deployments use gunicorn).
        run_simple(host, port, app, threaded=True)


def _start_witnesses(witnesses: list[WitnessProcess]) -> None:
    """Start the demo's witnesses for the example's log; they stop with the demo."""
    if not witnesses:
        return
    session = get_session()
    slug = parse_definition((EXAMPLES / "ecc2016.toml").read_bytes()).slug
    election = session.scalars(select(Election).where(Election.slug == slug)).one()
    vkey = services.signer().verifier_key(election.origin).vkey
    # SIGTERM ends the demo as Ctrl+C does, so its witnesses are stopped with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    for witness in witnesses:
        witness.start(vkey)
        atexit.register(witness.stop)
        click.echo(f"witness {witness.name} at {witness.url} (key {witness.vkey})")
