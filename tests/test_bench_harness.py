"""The benchmarks' own set-up, which no benchmark run checks before it is minutes in.

`python -m bench` builds one closed election on SQLite and copies it to PostgreSQL for B3
and B4. When a migration began seeding a row (the mail queue's pace), the copy added it a
second time and the whole run stopped at its third benchmark; a table whose id is text
(staff sessions) then stopped it again, having no sequence to set. B1's hall through the
cast pool lowers the pages server's priority, as the README's units weigh them.
"""

from __future__ import annotations

import os

from sqlalchemy import func, select

from bench.fronts import Server
from bench.setup import closed_elections, instance
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


def test_a_server_that_yields_the_cpu_lowers_its_master_and_every_worker():
    with instance("sqlite") as where:
        server = Server(where.env(), 2)
        try:
            pids = server.pids()
            assert len(pids) == 3  # the master and its two workers
            before = {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in pids}
            server.yield_cpu(6)
            assert {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in pids} == {
                pid: niceness + 6 for pid, niceness in before.items()
            }
        finally:
            server.stop()
