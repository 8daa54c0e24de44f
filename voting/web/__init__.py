"""The web layer: blueprints, forms, security headers and error pages."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

from voting.web.texts import delivery_label, format_moment

csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str | None:
    """The language the reader chose with the switcher, else their browser's preference."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return None
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def translated(item: object, field: str) -> str:
    """An award's or finalist's text in the page's language, if the definition has one."""
    language = str(get_locale() or "")
    if isinstance(item, dict):
        translations, default = item.get("translations") or {}, item.get(field, "")
    else:
        translations, default = getattr(item, "translations", None) or {}, getattr(item, field, "")
    return (translations.get(language) or {}).get(field) or default


def register(app: Flask) -> None:
    from voting.web import (
        admin,
        assets,
        auth,
        board,
        desk,
        errors,
        health,
        jury,
        language,
        limits,
        results,
        security,
        stage,
        voter,
    )

    csrf.init_app(app)
    auth.login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(
        lambda: {"page_language": str(get_locale() or "en"), "languages": language.choices()}
    )
    app.jinja_env.filters["format_moment"] = format_moment
    app.jinja_env.filters["tr"] = translated
    app.jinja_env.filters["delivery"] = delivery_label
    assets.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(voter.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(jury.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(stage.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(health.bp)
