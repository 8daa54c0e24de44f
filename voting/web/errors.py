"""Error pages: every refusal is a calm page with the right status, never a traceback.

(A ballot token that cannot vote gets the voter's own page: voting/web/voter.py.)
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def message_page(title: str, message: str, status: int, **extra: object) -> tuple[str, int]:
    return render_template("message.html", title=title, message=message, **extra), status


def csrf_error(_error: CSRFError) -> tuple[str, int]:
    return message_page(
        _("This page has expired"),
        _("For your security the form expired. Go back, reload the page and send it again."),
        400,
    )


def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    if error.code is None or error.code < 400:
        return error
    titles = {
        404: _("Page not found"),
        405: _("Not allowed"),
        413: _("Too large"),
    }
    return message_page(titles.get(error.code, error.name), error.description or "", error.code)


def server_error(_error: InternalServerError) -> tuple[str, int]:
    return message_page(
        _("Something went wrong"),
        _("Nothing was recorded. Please try again in a moment."),
        500,
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(InternalServerError, server_error)
    app.register_error_handler(HTTPException, http_error)
