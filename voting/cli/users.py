"""`voting users add`: staff accounts (organiser, desk, jury)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from voting import services
from voting.cli.common import COMMAND_LINE, operation
from voting.db import get_session, writing
from voting.operations.users import (
    add_user,
    change_password,
    check_new_user,
    find_user,
    list_users,
    set_disabled,
)
from voting.staff_models import ROLES


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


@users_group.command("list")
@operation
def users_list() -> None:
    """Every staff account: name, role, and whether it can sign in."""
    for user in list_users(get_session()):
        state = "disabled" if user.disabled_at else "active"
        click.echo(f"{user.name}\t{user.role}\t{state}")


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@operation
def users_passwd(name: str, password_stdin: bool) -> None:
    """Give an account a new password; its sign-ins end."""
    session = get_session()
    user = find_user(session, name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    password_hash = check_new_user(user.name, user.role, password)
    with writing(session):
        change_password(session, COMMAND_LINE, user, password_hash, services.now())
    click.echo(f"{name} has a new password; their sign-ins have ended")


@users_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@operation
def users_disable(name: str, enable: bool) -> None:
    """Disable an account (its sign-ins end at once), or enable it again with --enable."""
    session = get_session()
    user = find_user(session, name)
    with writing(session):
        set_disabled(session, COMMAND_LINE, user, not enable, services.now())
    click.echo(f"{name} is {'enabled' if enable else 'disabled'}")
