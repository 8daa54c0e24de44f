"""`voting init` and `voting backup`: the instance folder and its database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from voting import services
from voting.backup import BackupError, backup_database
from voting.config import read_instance_config
from voting.db import database, get_session, writing
from voting.domain.public_address import check_public_url, public_url_problems
from voting.errors import VotingError
from voting.instance import CONFIG_FILE, initialise_instance, set_public_url
from voting.operations.users import issue_setup_link


@click.command("init")
@click.option(
    "--public-url",
    help="The address voters open (https://vote.example.org), for links, QR codes and cards.",
)
@with_appcontext
def init_command(public_url: str | None) -> None:
    """Create the instance config, secrets and keys if missing; migrate the database."""
    instance = Path(current_app.instance_path)
    try:
        address = None if public_url is None else check_public_url(public_url)
    except VotingError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-url") from None
    try:
        done = initialise_instance(instance, database().engine)
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig}") from None
    if address is not None and set_public_url(instance, address):
        done.append(f"set PUBLIC_URL = {address} in {instance / CONFIG_FILE}")
    read_instance_config(current_app)  # the secrets and address it may just have written
    for line in done or ["nothing to do: the instance is set up and the database current"]:
        click.echo(line)
    for problem in public_url_problems(current_app.config.get("PUBLIC_URL")):
        click.echo(f"warning: {problem}", err=True)
    link = setup_link()
    if link:
        click.echo(f"no staff account yet: create the first organiser at {link} (once, 7 days)")


def setup_link() -> str | None:
    """A one-time link to create the first organiser, while there is no account at all."""
    session = get_session()
    with writing(session):
        token = issue_setup_link(session, services.secret_key(), services.now())
    return f"{services.public_url()}/setup/{token}" if token else None


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Copy the database consistently while the app serves (SQLite backup API, or pg_dump)."""
    try:
        made = backup_database(database().engine.url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {made} to {file}; keep it with a copy of the instance folder's keys")
