"""`voting users add`: staff accounts (organiser, desk, jury)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from voting import services
from voting.cli.common import COMMAND_LINE, operation
from voting.db import get_session, writing
from voting.models import ROLES
from voting.operations.users import add_user, check_new_user


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
    password_hash = check_new_user(name, role, password)
    session = get_session()
    with writing(session):
        add_user(session, COMMAND_LINE, name, role, password_hash, services.now())
    click.echo(f"added {role} {name}")
