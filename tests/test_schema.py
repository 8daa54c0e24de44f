"""Secrecy by schema, and a schema made only by migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, Integer, text

from voting import models  # noqa: F401
from voting.db import database
from voting.models import Base

TOKEN_AND_BALLOT_TABLES = {
    "eligible_tokens",
    "spent_tokens",
    "ballots",
    "ballot_choices",
    "audit_entries",
    "audit_heads",
}
HUB = "elections"  # every table names its election; that links nothing to anything else


def foreign_key_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in Base.metadata.tables}
    for table in Base.metadata.tables.values():
        for key in table.foreign_keys:
            target = key.column.table.name
            graph[table.name].add(target)
            graph[target].add(table.name)
    return graph


def test_no_foreign_key_path_from_attendees_to_tokens_or_ballots():
    graph = foreign_key_graph()
    seen, todo = {"attendees"}, ["attendees"]
    while todo:
        for neighbour in graph[todo.pop()] - {HUB}:
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    assert not seen & TOKEN_AND_BALLOT_TABLES, seen


def test_attendees_share_no_column_with_tokens_or_ballots():
    attendee_columns = set(Base.metadata.tables["attendees"].columns.keys()) - {"election_id"}
    for name in TOKEN_AND_BALLOT_TABLES:
        table = Base.metadata.tables[name]
        assert not attendee_columns & set(table.columns.keys()), name
        assert not any("attendee" in column.name for column in table.columns), name


def test_token_rows_have_no_time_and_no_ordered_key():
    for name in ("eligible_tokens", "spent_tokens"):
        table = Base.metadata.tables[name]
        # receipt is public on the board anyway; attempt is the hash of a random form nonce.
        # revoked_reason is what the link says (replaced, withdrawn): no attendee, no time.
        allowed = {"election_id", "token_hash", "revoked", "revoked_reason", "receipt", "attempt"}
        assert set(table.columns.keys()) <= allowed
        assert not any(isinstance(c.type, DateTime) for c in table.columns)
        assert [c.name for c in table.primary_key.columns] == ["election_id", "token_hash"]
        assert not any(
            isinstance(c.type, Integer) and c.autoincrement is True for c in table.columns
        )


def test_migrations_build_exactly_the_models(app):
    with app.app_context():
        engine = database().engine
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_sqlite_token_tables_keep_no_rowid(app):
    with app.app_context():
        engine = database().engine
        if engine.dialect.name != "sqlite":
            return
        with engine.connect() as connection:
            for name in ("eligible_tokens", "spent_tokens"):
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": name}
                ).scalar_one()
                assert "WITHOUT ROWID" in sql.upper()
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
