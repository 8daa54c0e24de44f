"""Audience award voting for conferences.

``create_app`` builds the Flask app; ``voting`` on the command line manages elections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the instance folder ($VOTING_INSTANCE or ./instance).

    *test_config* overrides any setting; its INSTANCE_PATH chooses another instance folder.
    """
    # Imported here, not at the top: `import voting.verify` (the jury's verifier, and
    # `voting board verify`) then loads no web framework, database layer or PDF library.
    from pathlib import Path

    from flask import Flask

    from voting import db
    from voting.cli.commands import register_commands
    from voting.config import load_config
    from voting.instance import KeyStore, instance_path_from_env
    from voting.web import register

    test_config = dict(test_config or {})
    instance = Path(test_config.pop("INSTANCE_PATH", None) or instance_path_from_env())
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    load_config(app, test_config)
    app.extensions["voting.keys"] = KeyStore(instance)
    db.init_app(app)
    register(app)
    register_commands(app)
    return app
