"""Security headers on every response (pages that carry a ballot are never stored), CSRF on
every form, compression of what carries no secret, and the reverse proxy's headers trusted
only when configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, abort, current_app, request
from flask_babel import gettext as _
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()
compress = Compress()

V = TypeVar("V", bound=Callable)

# Compressed: styles, scripts, feeds, the board and the downloads. Never HTML: every page holds
# the CSRF token beside text the reader sent (a search, the switcher's address), and
# compressing both together lets an eavesdropper guess the token from the sizes (BREACH).
# Pages are small anyway (the voter's stay under 14 KB).
COMPRESSED_TYPES = [
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/jsonl",
    "text/csv",
    "text/plain",
    "text/x-python",
    "image/svg+xml",
]

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
        headers.setdefault("Cache-Control", _cache_policy())
    return response


def read_static_files_whole(response: Response) -> Response:
    """Our static files are a few KB: read them whole, so the compressor can gzip them too
    (it streams only zstd, br and deflate) and the file is closed with the response."""
    if request.endpoint == "static" and response.status_code == 200 and response.is_streamed:
        response.direct_passthrough = False
        response.make_sequence()
    return response


def accepts_upload(view: V) -> V:
    """Mark a view that takes a file (an attendee list): its body may be MAX_UPLOAD_LENGTH
    long; every other request stops at MAX_CONTENT_LENGTH, what a form needs."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def _allow_uploads_where_marked() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "accepts_upload", False):
        request.max_content_length = current_app.config["MAX_UPLOAD_LENGTH"]


def never_stored(view: V) -> V:
    """Mark a page that holds a ballot (its choices, its token, its receipt): no cache keeps
    it, not even the browser's back/forward cache on a phone that is passed around."""
    view.never_stored = True  # type: ignore[attr-defined]
    return view


def _cache_policy() -> str:
    # Everything else may be kept for back and forward, but is asked for again on a visit.
    view = current_app.view_functions.get(request.endpoint or "")
    return "no-store" if getattr(view, "never_stored", False) else "private, no-cache"


def refuse_nul_characters() -> None:
    """No text we store or look up may hold NUL (PostgreSQL refuses it): stop it at the door."""
    # Paths are checked by their own routes (a garbled ballot link is a 404, as promised).
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description=_("The request holds characters that are not allowed."))


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in a path takes ASCII digits only (the default \\d also takes "٣")."""

    regex = r"[0-9]+"


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = AsciiIntegerConverter  # before any route is added
    app.before_request(_allow_uploads_where_marked)  # before anything reads the body
    csrf.init_app(app)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    compress.init_app(app)
    app.after_request(read_static_files_whole)  # runs before the compressor's own hook
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        # Behind nginx (or another reverse proxy): trust its X-Forwarded-* headers, so the
        # scheme (HTTPS: secure cookies, HSTS) and the client address (rate limits) are right.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
