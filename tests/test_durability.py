"""Locking and durability on SQLite: readers never wait for the writer, a cast that cannot
get the lock records nothing and says so."""

from __future__ import annotations

import sqlite3

import pytest

from tests.helpers import form_on
from voting.db import get_session
from voting.operations import audit
from voting.operations.elections import find_election


@pytest.fixture
def sqlite_app(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite locking")
    app.config["SQLITE_BUSY_TIMEOUT"] = 0.2
    app.extensions["voting.db"].dispose()
    from voting.db import Database

    app.extensions["voting.db"] = Database.connect(database_url, busy_timeout=0.2)
    return app


def hold_write_lock(database_url: str) -> sqlite3.Connection:
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    return connection


def test_filling_in_the_ballot_does_not_wait_for_a_writer(sqlite_app, database_url, elections):
    election = elections.create()
    client = sqlite_app.test_client()
    client.get(f"/v/{election.tokens[0]}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(
        form["fields"],
        **{"award-cluster-manager": "abstain", "award-strategic-partnership": "abstain"},
    )
    lock = hold_write_lock(database_url)
    try:
        assert client.post("/ballot", data=data).status_code == 303
        assert client.get("/review").status_code == 200
    finally:
        lock.rollback()
        lock.close()


def test_cast_without_the_lock_records_nothing_and_can_be_retried(
    sqlite_app, database_url, elections
):
    election = elections.create()
    client = sqlite_app.test_client()
    client.get(f"/v/{election.tokens[0]}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(
        form["fields"],
        **{"award-cluster-manager": "abstain", "award-strategic-partnership": "abstain"},
    )
    client.post("/ballot", data=data)
    cast = form_on(client.get("/review").get_data(as_text=True), "/cast")["fields"]
    lock = hold_write_lock(database_url)
    try:
        response = client.post("/cast", data=cast)
        assert response.status_code == 503
        assert "Nothing was recorded" in response.get_data(as_text=True)
    finally:
        lock.rollback()
        lock.close()
    with sqlite_app.app_context():
        session = get_session()
        assert audit.tree_head(session, find_election(session, election.slug)).size == 4
    # The same cast, retried once the lock is free, goes through.
    assert client.post("/cast", data=cast).status_code == 303
