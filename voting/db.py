"""Database wiring: engines, one session per request or command, and short write transactions.

A session reads by default and takes no lock: on SQLite a plain ``BEGIN`` on a connection
that is ``query_only``, on PostgreSQL autocommit statements in read-only mode. A
write happens only inside ``writing(session)``: one short transaction that starts with
``BEGIN IMMEDIATE`` behind a writer queue on SQLite (so two casts never both read the log
head and then fight over the write lock), or a read-write transaction on PostgreSQL, and
commits when the block ends. A write attempted outside it fails at once instead of taking a
lock by surprise, so slow work (parsing, PDFs, mail) can never hold one.

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit is on disk before the voter
sees a receipt) and a busy timeout.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_WRITER = "voting_writer"  # the execution option that makes a connection a writer


def make_engine(url: str, *, busy_timeout: float = 30.0, read_only: bool = False) -> Engine:
    """Create an engine; SQLite is set up for durability and begins its own transactions.

    *read_only* makes an engine whose connections refuse every write: on SQLite with
    ``query_only`` set once when a connection opens (set and reset per transaction, it would
    make SQLite prepare every statement again), on PostgreSQL as autocommit statements that
    are read-only by default.
    """
    if not url.startswith("sqlite"):
        # No ping before each checkout (a round trip on every request); a connection the
        # server dropped is replaced after its first error instead.
        if read_only:
            return create_engine(
                url,
                pool_recycle=1800,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c default_transaction_read_only=on"},
            )
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
        if read_only:
            cursor.execute("PRAGMA query_only=1")
        cursor.close()

    writers = _WriterQueue(f"{engine.url.database}.writers.lock")

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        if connection.get_execution_options().get(_WRITER, False):
            writers.enter(connection.connection.dbapi_connection)
            # Through SQLAlchemy, so that "database is locked" arrives as its DBAPIError,
            # which the cast answers with "nothing was recorded, cast again".
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A reader's BEGIN takes no lock and does not fail: straight to the driver. Through
            # SQLAlchemy's statement machinery it cost about 60 µs more here, three times what
            # SQLite takes to run a voter page's query.
            connection.connection.dbapi_connection.execute("BEGIN")

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


class DatabaseSession(Session):
    """A session that reads through the reader engine and writes only inside ``writing``.

    SQLAlchemy's documented way to route a session's statements (``get_bind``): every
    statement of one transaction goes to the same engine, chosen when it begins.
    """

    def __init__(self, reader: Engine, writer: Engine) -> None:
        super().__init__(expire_on_commit=False)
        self.reader_engine = reader
        self.writer_engine = writer
        self.is_writing = False

    def get_bind(self, mapper=None, *, clause=None, **kwargs):  # type: ignore[no-untyped-def, override]
        return self.writer_engine if self.is_writing else self.reader_engine


class NestedWrite(RuntimeError):
    """``writing`` was entered while the session was already writing: one write at a time."""


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """One short write transaction: begun for writing, committed when the block ends.

    Whatever the session was reading is ended first and its objects expired, so the write
    sees every row as it is under the lock. An exception rolls the write back. Keep the
    block to the write itself: parse, render and send before or after it.
    """
    if not isinstance(session, DatabaseSession):
        raise TypeError("writing() needs a session made by Database.session()")
    if session.is_writing:
        raise NestedWrite("already writing: commit one write before beginning the next")
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("objects were changed outside a write transaction")
    session.rollback()
    session.is_writing = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.is_writing = False


def done_reading(session: Session) -> None:
    """End the read transaction before slow work (a PDF, a mail server), so it pins no
    snapshot of the database meanwhile; the objects it loaded stay usable."""
    if isinstance(session, DatabaseSession) and not session.is_writing:
        session.commit()


@dataclass
class Database:
    """The app's engines: one that reads without locks, one that writes, and the one the
    public pages read from (a streaming replica, when DATABASE_READ_URL names one)."""

    engine: Engine  # the writer; migrations and backups use it too
    read_engine: Engine
    public_engine: Engine | None = None

    @classmethod
    def connect(
        cls, url: str, *, busy_timeout: float = 30.0, replica_url: str | None = None
    ) -> Database:
        engine = make_engine(url, busy_timeout=busy_timeout)
        # Two pools: readers never hold a writer's connection, nor the other way round. On
        # PostgreSQL, readers see each statement's committed data either way (READ
        # COMMITTED); in autocommit they spare the BEGIN and ROLLBACK round trips of a page.
        readers = make_engine(url, busy_timeout=busy_timeout, read_only=True)
        if engine.dialect.name == "sqlite":
            engine = engine.execution_options(**{_WRITER: True})
        replica = make_engine(replica_url, read_only=True) if replica_url else None
        return cls(engine=engine, read_engine=readers, public_engine=replica)

    def session(self) -> DatabaseSession:
        return DatabaseSession(self.read_engine, self.engine)

    def public_session(self) -> DatabaseSession:
        """Reads from the replica if there is one (writes still go to the primary)."""
        return DatabaseSession(self.public_engine or self.read_engine, self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
        if self.public_engine is not None:
            self.public_engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions["voting.db"] = Database.connect(
        app.config["DATABASE_URL"],
        busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"],
        replica_url=app.config.get("DATABASE_READ_URL") or None,
    )
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["voting.db"]


def get_session() -> DatabaseSession:
    """The session of the current request or command: it reads until ``writing`` begins."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


# The replica's lag: 0 when it has replayed all it received, else the age of the last
# transaction it replayed (an idle primary sends nothing, so that age alone would mislead).
_REPLICA_LAG = text(
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)


def read_from_replica() -> None:
    """Make this request's session read from the replica (a public page that writes
    nothing), unless it lags more than REPLICA_MAX_LAG seconds: then the primary serves.
    What only the primary can tell, ask with primary_session()."""
    replica = database().public_engine
    if "db_session" in g or replica is None:
        return
    try:
        with replica.connect() as connection:
            lag = connection.execute(_REPLICA_LAG).scalar()
    except OperationalError:  # the replica is down: the primary serves, slower but right
        return
    if lag is not None and float(lag) > float(current_app.config.get("REPLICA_MAX_LAG", 5)):
        return
    g.db_session = database().public_session()


def primary_session() -> DatabaseSession:
    """A session on the primary, whatever this request reads from; closed with the request."""
    if "primary_session" not in g:
        g.primary_session = database().session()
    return g.primary_session


def uses_replica() -> bool:
    return database().public_engine is not None


def _close_session(_exc: BaseException | None) -> None:
    for name in ("db_session", "primary_session"):
        session = g.pop(name, None)
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
    with engine.execution_options(**{_WRITER: True}).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
