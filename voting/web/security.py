"""Security headers on every response (pages that carry a ballot are never cached), CSRF on
every form, and the reverse proxy's headers trusted only when configured."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def refuse_nul_characters() -> None:
    """No text we store or look up may hold NUL (PostgreSQL refuses it): stop it at the door."""
    # Paths are checked by their own routes (a garbled ballot link is a 404, as promised).
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description=_("The request holds characters that are not allowed."))


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        # Behind nginx (or another reverse proxy): trust its X-Forwarded-* headers, so the
        # scheme (HTTPS: secure cookies, HSTS) and the client address (rate limits) are right.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
