"""Database wiring: one engine per app, one session per request or command, durable SQLite.

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit is on disk before the voter
sees a receipt) and a busy timeout. Sessions that may write start with ``BEGIN IMMEDIATE``
so two casts never both read the log head and then fight over the write lock; read-only
requests (GET) start deferred and never wait for a writer.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

P = ParamSpec("P")
R = TypeVar("R")

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Engine:
    """Create the engine, with SQLite set up for durability and an explicit BEGIN."""
    if not url.startswith("sqlite"):
        # No ping before each checkout (a round trip on every request); a connection the
        # server dropped is replaced after its first error instead.
        return create_engine(url, pool_recycle=1800)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below issue BEGIN itself instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    writers = _WriterQueue(f"{engine.url.database}.writers.lock")

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get("voting_writer", False)
        if immediate:
            writers.enter(connection.connection.dbapi_connection)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "checkin")
    def _done(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        writers.leave(dbapi_connection)

    return engine


class _WriterQueue:
    """Writers of one SQLite file wait their turn on a file lock before BEGIN IMMEDIATE.

    SQLite makes a blocked writer poll, sleeping 1, 2, 5, 10 ... 100 ms between tries, so a
    cast behind another cast can wait far longer than the other needs. A blocking flock
    wakes the next writer the moment the lock is free, across all app processes; the kernel
    drops it when a process dies. SQLite's own lock and busy timeout stay as the safety net.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._held: dict[int, int] = {}  # id of the DBAPI connection -> its lock file

    def enter(self, dbapi_connection: object) -> None:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        self._held[id(dbapi_connection)] = descriptor

    def leave(self, dbapi_connection: object) -> None:
        descriptor = self._held.pop(id(dbapi_connection), None)
        if descriptor is not None:
            os.close(descriptor)  # closing the file releases its lock


@dataclass
class Database:
    """The app's engine and its two session factories: for readers and for writers."""

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]

    @classmethod
    def connect(cls, url: str, *, busy_timeout: float = 30.0) -> Database:
        engine = make_engine(url, busy_timeout=busy_timeout)
        write_engine = engine.execution_options(voting_writer=True)
        read_engine = engine
        if engine.dialect.name == "postgresql":
            # Readers see each statement's committed data either way (READ COMMITTED); in
            # autocommit they spare the BEGIN and ROLLBACK round trips on every page.
            read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine=engine,
            reader=sessionmaker(read_engine, expire_on_commit=False),
            writer=sessionmaker(write_engine, expire_on_commit=False),
        )


def init_app(app: Flask) -> None:
    app.extensions["voting.db"] = Database.connect(
        app.config["DATABASE_URL"], busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"]
    )
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["voting.db"]


def get_session() -> Session:
    """The session of the current request or command.

    Commands and requests that may change something (POST and the like) get a writer
    session; GET, HEAD, OPTIONS and views marked ``reads_only`` get a reader.
    """
    if "db_session" not in g:
        reader = has_request_context() and (
            request.method in ("GET", "HEAD", "OPTIONS") or g.get("db_reads_only", False)
        )
        db = database()
        g.db_session = (db.reader if reader else db.writer)()
    return g.db_session


def reads_only(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a POST view that changes no row, so it never waits for SQLite's write lock."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        g.db_reads_only = True
        return view(*args, **kwargs)

    return wrapper


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; does nothing when it is already there."""
    config = alembic_config(engine)
    with engine.execution_options(voting_writer=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
