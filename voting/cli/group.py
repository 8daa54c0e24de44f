"""The `voting` command group: Flask's command line around an app from the instance folder."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    # Commands skip the production safety checks: `voting init` is how they get fixed.
    from voting import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def voting_group() -> None:
    """Audience award voting: run `voting demo` for a first look."""
