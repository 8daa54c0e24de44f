"""The benchmarks' own set-up, which no benchmark run checks before it is minutes in.

`python -m bench` builds one closed election on SQLite and copies it to PostgreSQL for B3
and B4. When a migration began seeding a row (the mail queue's pace), the copy added it a
second time and the whole run stopped at its third benchmark; a table whose id is text
(staff sessions) then stopped it again, having no sequence to set.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bench.setup import closed_elections
from voting.db import make_engine
from voting.models import Base


def _row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_the_closed_election_is_copied_to_postgresql_row_for_row():
    with closed_elections(12) as (instances, _build):
        lite = _row_counts(instances["sqlite"].database_url)
        postgres = _row_counts(instances["postgresql"].database_url)
    assert lite["ballots"] == 12
    assert lite["mail_pace"] == 1
    assert postgres == lite
