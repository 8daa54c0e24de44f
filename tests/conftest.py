"""Fixtures: an app on a fresh database per test, on SQLite and on PostgreSQL.

Every test that uses ``app`` runs twice, once per database. SQLite gets a copy of a file
migrated once per run; PostgreSQL gets a database of its own for the run, migrated once,
with every table emptied before each test. Set VOTING_TEST_DATABASES=sqlite to skip
PostgreSQL while working offline; CI runs both.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from tests.browser import launch_chromium
from tests.helpers import ElectionFactory
from voting import create_app
from voting.db import make_engine, migrate
from voting.instance import KeyStore, set_public_url, write_default_config
from voting.models import Base

PG_ADMIN_URL = os.environ.get("VOTING_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = os.environ.get("VOTING_TEST_DATABASES", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "voting.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"voting_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}); start it, or set "
            "VOTING_TEST_DATABASES=sqlite to run the SQLite half only"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{url}/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for this test."""
    if request.param == "sqlite":
        path = tmp_path / "voting.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def instance_path(tmp_path: Path) -> Path:
    """An instance folder with config and keys, as `voting init` makes it."""
    path = tmp_path / "instance"
    path.mkdir(mode=0o700)
    write_default_config(path)
    set_public_url(path, "http://localhost")  # the test client's host
    KeyStore(path).ensure_signing_key()
    return path


@pytest.fixture
def app(instance_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):
    # Commands that build a second app (demo, gunicorn) find the same instance and database.
    monkeypatch.setenv("VOTING_INSTANCE", str(instance_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance_path),
            "DATABASE_URL": database_url,
            # Each ballot joins the board as it is cast, so that a test of something else can
            # look it up at once; tests/test_batches.py runs the real policy and the timer.
            "BATCH_SIZE": 1,
            "BATCH_MINIMUM": 1,
        }
    )
    yield app
    app.extensions["voting.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def elections(app) -> ElectionFactory:
    """Makes elections with attendees and hands out their ballot tokens."""
    return ElectionFactory(app)


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium for browser tests (Debian's package, driven by Playwright)."""
    yield from launch_chromium()
