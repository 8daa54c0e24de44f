"""A cast and the close, in both orders, with the cast held open half-way.

A cast that began before the close commits first and its ballot is in the last batch; a
cast that comes during the close waits, then finds voting closed, even though the election
it reads was open when its transaction began. Casts share the election through an advisory
lock on PostgreSQL (the row lock they shared before made PostgreSQL write a lock per cast:
docs/performance.md) and through the one writer lock on SQLite.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.helpers import TEST_ACTOR
from voting import services, verify
from voting.db import get_session, writing
from voting.errors import VotingClosed
from voting.operations.ballots import admit, cast_ballot
from voting.operations.elections import close_election, find_election

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
A_MOMENT = 0.5  # long enough for a thread that does not wait to have finished


def _in_thread(app, work) -> tuple[threading.Thread, dict]:
    """Run *work(session)* in a write of its own in another thread; what it gave or raised."""
    outcome: dict = {}

    def run() -> None:
        with app.app_context():
            try:
                with writing(get_session()) as session:
                    outcome["value"] = work(session)
            except Exception as error:  # handed to the test to look at
                outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _cast(token: str):
    def work(session):
        return cast_ballot(
            session, services.codec(), services.signer(), token, PICK, services.now()
        )

    return work


def _close(session, slug: str):
    election = find_election(session, slug)
    return close_election(session, TEST_ACTOR, election, services.signer(), services.now())


def test_a_close_waits_for_the_cast_in_flight_whose_ballot_is_then_in_the_last_batch(
    app, elections
):
    election = elections.create(attendees=2)
    token = elections.tokens(election.slug)[0]
    with app.app_context(), writing(get_session()) as session:
        # Admitted, nothing written yet: from here on the close must wait for this cast.
        admit(session, services.codec(), token, services.now(), lock=True)
        closing, closed = _in_thread(app, lambda other: _close(other, election.slug))
        time.sleep(A_MOMENT)
        assert closing.is_alive(), "the close did not wait for the cast in flight"
        receipt = _cast(token)(session)
    closing.join(30)
    assert "error" not in closed, closed
    lines = elections.board(election.slug)
    assert verify.verify_board(lines).ballots == 1
    cast = [json.loads(line) for line in lines if b'"ballot.cast"' in line]
    assert [verify.ballot_receipt(entry["data"]) for entry in cast] == [receipt]


def test_a_cast_during_the_close_waits_then_finds_voting_closed(app, elections):
    if app.config["DATABASE_URL"].startswith("sqlite"):
        # A second writer on SQLite waits for the close at BEGIN, before it reads anything.
        pytest.skip("the snapshot question is PostgreSQL's")
    election = elections.create(attendees=2)
    token = elections.tokens(election.slug)[0]
    with app.app_context(), writing(get_session()) as session:
        _close(session, election.slug)  # closed, not yet committed
        casting, cast = _in_thread(app, _cast(token))
        time.sleep(A_MOMENT)
        assert casting.is_alive(), "the cast did not wait for the close"
    casting.join(30)
    assert isinstance(cast.get("error"), VotingClosed), cast
    assert verify.verify_board(elections.board(election.slug)).ballots == 0
