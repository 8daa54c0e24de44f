"""Public pages read from a streaming replica (DATABASE_READ_URL): a real one, made with
pg_basebackup. A receipt looked up on a replica that has not replayed its ballot yet is
reported as recorded and pending, never as not found; once replayed, it is found."""

from __future__ import annotations

import pytest

from tests.helpers import vote_with_client
from tests.replica import Replica
from voting import create_app

pytestmark = pytest.mark.server
CHOICES = {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"}


@pytest.fixture
def replica(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("a streaming replica is PostgreSQL's")
    made = Replica()
    yield made
    made.stop()


def test_a_receipt_on_a_lagging_replica_is_pending_then_found(
    app, elections, instance_path, database_url, replica
):
    database = database_url.rsplit("/", 1)[1]

    def app_reading_the_replica(max_lag: float):  # type: ignore[no-untyped-def]
        config = {"TESTING": True, "INSTANCE_PATH": str(instance_path), "BATCH_SIZE": 1}
        config |= {"DATABASE_URL": database_url, "DATABASE_READ_URL": replica.url(database)}
        return create_app({**config, "BATCH_MINIMUM": 1, "REPLICA_MAX_LAG": max_lag})

    public = app_reading_the_replica(max_lag=3600)
    strict = app_reading_the_replica(max_lag=0)  # no lag at all allowed: the primary serves
    election = elections.create(attendees=3)
    replica.wait_for(database, "SELECT 1 FROM elections WHERE state = 'open'")
    replica.execute(database, "SELECT pg_wal_replay_pause()")
    try:
        client = public.test_client()
        receipt = vote_with_client(client, election.tokens[0], CHOICES)  # cast on the primary
        lagging = client.get(f"/board/receipt/{receipt}.json")
        assert lagging.status_code == 202 and lagging.get_json()["status"] == "pending"
        page = client.get(f"/board/receipt/{receipt}")
        assert page.status_code == 200 and "Your ballot is recorded" in page.get_data(as_text=True)
        # The primary has it on its board already; only the copy the page reads lags.
        assert app.test_client().get(f"/board/receipt/{receipt}.json").status_code == 200
        assert client.get("/board/receipt/AAAA-AAAA-AAAA-AAAA.json").status_code == 404
        # Beyond the allowed lag, the page reads the primary instead: found at once.
        assert strict.test_client().get(f"/board/receipt/{receipt}.json").status_code == 200
    finally:
        replica.execute(database, "SELECT pg_wal_replay_resume()")
    replica.wait_for(database, "SELECT 1 FROM audit_entries WHERE kind = 'ballot.cast'")
    found = client.get(f"/board/receipt/{receipt}.json")
    assert found.status_code == 200 and found.get_json()["receipt"] == receipt
    for made in (public, strict):
        made.extensions["voting.db"].dispose()
