"""Alembic environment: migrates the connection `voting init` hands over, or DATABASE_URL.

SQLite cannot alter tables in place, so every migration runs in batch mode.
"""

from alembic import context
from sqlalchemy import create_engine

from voting import (  # noqa: F401
    mail_models,
    staff_models,
    trustee_models,
    witness_models,
)
from voting.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    from voting.config import database_url_from_env

    engine = create_engine(config.get_main_option("sqlalchemy.url") or database_url_from_env())
    with engine.connect() as connection:
        run_with(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `voting init`")
run_migrations_online()
