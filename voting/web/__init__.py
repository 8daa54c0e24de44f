"""The web layer: thin blueprints over the operations, with forms, security headers, error
pages and the reader's language.

``register`` installs it all on the app; each blueprint's module says what its pages are for.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from voting.web import (
        accounts,
        assets,
        auth,
        board,
        console,
        desk,
        editor,
        elections,
        emails,
        errors,
        health,
        jury,
        jury_ballots,
        language,
        limits,
        paper,
        registration,
        results,
        security,
        setup,
        stage,
        trustee,
        voter,
    )

    security.init_app(app)
    auth.init_app(app)
    language.init_app(app)
    assets.init_app(app)
    limits.init_app(app)
    errors.init_app(app)
    for blueprint in (
        voter.bp,
        board.bp,
        auth.bp,
        jury.bp,
        jury_ballots.bp,
        desk.bp,
        paper.bp,
        console.bp,
        accounts.bp,
        editor.bp,
        elections.bp,
        emails.bp,
        stage.bp,
        results.bp,
        language.bp,
        health.bp,
        setup.bp,
        trustee.bp,
        registration.bp,
    ):
        app.register_blueprint(blueprint)
