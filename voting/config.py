"""Configuration: defaults here, secrets and local settings in the instance folder.

Order of precedence, lowest first: the defaults below, ``instance/config.toml``, the
environment (``DATABASE_URL``, ``PUBLIC_URL``), then the ``test_config`` given to create_app.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from flask import Flask

from voting.instance import CONFIG_FILE, instance_path_from_env


class ConfigError(Exception):
    """The instance configuration cannot be read."""


DEFAULTS: dict[str, object] = {
    "PUBLIC_URL": "",
    "SQLITE_BUSY_TIMEOUT": 30.0,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,
    # Flask-WTF would also want a same-site Referer on every form posted over HTTPS; every
    # page sends Referrer-Policy: no-referrer, so a browser sends none and every ballot
    # would be refused. The form's signed token and SameSite cookies (HSTS over HTTPS)
    # carry the protection.
    "WTF_CSRF_SSL_STRICT": False,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # staff sign-ins; voters' sessions end with the browser
    # A form needs a few KB (the editor's longest texts in every language stay far below
    # this); only a view marked accepts_upload takes files up to MAX_UPLOAD_LENGTH.
    "MAX_CONTENT_LENGTH": 128 * 1024,
    "MAX_UPLOAD_LENGTH": 8 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "en",
    "LANGUAGES": ["en", "de", "fr"],
    # Rate limits count failures only (see voting/web/limits.py). Memory storage is per
    # process; with several gunicorn workers set RATELIMIT_STORAGE_URI = "redis://...".
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LIMIT_INVALID_TOKENS": "30 per 10 minutes",
    "LIMIT_LOGIN_FAILURES": "10 per 15 minutes",
    # Open registration (/register/<election>): every request counts, per client address
    # (a hall of 350 behind one public IP passes) and per mailbox however it is spelled.
    "LIMIT_REGISTRATIONS_PER_CLIENT": "500 per 10 minutes",
    "LIMIT_REGISTRATIONS_PER_ADDRESS": "3 per hour",
    # Cast ballots join the public board in shuffled batches of BATCH_SIZE, or after
    # BATCH_SECONDS with at least BATCH_MINIMUM waiting (the close takes the rest). Fewer than
    # 10 would let a batch name its voters; voting/safety.py refuses it outside tests.
    "BATCH_SIZE": 50,
    "BATCH_SECONDS": 30,
    "BATCH_MINIMUM": 10,
    "BATCH_TIMER": True,  # each serving process publishes due batches (voting/batch_timer.py)
    # Who sends the mail queue: "app" (each serving process's timer, as well as any `voting
    # worker`), or "separate" (only `voting worker` processes).
    "MAIL_WORKER": "app",
    # A message the mail server deferred (4xx, unreachable) is tried again after
    # MAIL_RETRY_SECONDS, doubled each time (at most an hour), MAIL_ATTEMPTS times in all.
    "MAIL_RETRY_SECONDS": 30,
    "MAIL_ATTEMPTS": 6,
    # How often the dashboard and the stage remote update their figures in place (live.js).
    "LIVE_UPDATE_SECONDS": 10,
}


def default_database_url(instance: Path) -> str:
    return f"sqlite:///{instance / 'voting.sqlite3'}"


def database_url_from_env() -> str:
    """DATABASE_URL, or the SQLite file of the instance folder: for tools outside the app."""
    return os.environ.get("DATABASE_URL") or default_database_url(instance_path_from_env())


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    read_instance_config(app)
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault("DATABASE_URL", default_database_url(Path(app.instance_path)))
    if str(app.config.get("PUBLIC_URL", "")).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True


def read_instance_config(app: Flask) -> None:
    """Read instance/config.toml, then the environment over it (again, after `voting init`)."""
    path = Path(app.instance_path) / CONFIG_FILE
    if path.exists():
        try:
            app.config.from_file(str(path), load=tomllib.load, text=False)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{path}: not a configuration: it nests too deeply") from None
    for name in ("DATABASE_URL", "DATABASE_READ_URL", "PUBLIC_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
