"""The reader's language: the browser's preference, or the switcher's choice kept in their
session; and the template filters that show texts in it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import Babel, get_locale

from voting.web.auth import public
from voting.web.texts import delivery_label, format_moment, translated, turnout_text

bp = Blueprint("language", __name__)
babel = Babel()

# Each language named in itself, as a switcher shows it.
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}


def choices() -> list[tuple[str, str]]:
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def select_locale() -> str | None:
    """The language the reader chose with the switcher, else their browser's preference."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return None
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(
        lambda: {"page_language": str(get_locale() or "en"), "languages": choices()}
    )
    app.jinja_env.filters["format_moment"] = format_moment
    app.jinja_env.filters["tr"] = translated
    app.jinja_env.filters["delivery"] = delivery_label
    app.jinja_env.filters["turnout"] = turnout_text


@bp.post("/language")
@public
def choose():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("voter.index")
    return redirect(target, 303)
