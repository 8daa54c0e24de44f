"""Audience award voting for conferences.

``create_app`` builds the Flask app; ``voting`` on the command line manages elections.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from voting import db
from voting.config import load_config
from voting.instance import KeyStore, instance_path_from_env


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the instance folder ($VOTING_INSTANCE or ./instance).

    *test_config* overrides any setting; its INSTANCE_PATH chooses another instance folder.
    """
    test_config = dict(test_config or {})
    instance = Path(test_config.pop("INSTANCE_PATH", None) or instance_path_from_env())
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    load_config(app, test_config)
    app.extensions["voting.keys"] = KeyStore(instance)
    db.init_app(app)

    from voting.web import register

    register(app)

    from voting.cli import register_commands

    register_commands(app)
    return app
