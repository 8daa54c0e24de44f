"""The language switcher: the reader's choice is kept in their session."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for

from voting.db import reads_only
from voting.web.auth import public

bp = Blueprint("language", __name__)

# Each language named in itself, as a switcher shows it.
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}


def choices() -> list[tuple[str, str]]:
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


@bp.post("/language")
@public
@reads_only
def choose():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("voter.index")
    return redirect(target, 303)
