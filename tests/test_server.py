"""Voting through a real gunicorn server over HTTP, including many casts of one token at once."""

from __future__ import annotations

import threading

import pytest

from tests.server import Gunicorn, HttpVoter
from voting import verify

pytestmark = pytest.mark.server

CHOICES = {"cluster-manager": "jan-kowalski", "strategic-partnership": "iberian-textiles"}


@pytest.fixture
def server(app, instance_path, database_url):
    gunicorn = Gunicorn(instance_path, database_url, workers=3)
    yield gunicorn
    gunicorn.stop()


def board_of(elections, slug: str) -> verify.BoardReport:
    """The board once closed: the server publishes ballots in batches of ten or more, and
    the close publishes the rest."""
    elections.close(slug)
    return verify.verify_board(elections.board(slug))


def test_full_vote_over_http(app, elections, server):
    election = elections.create(attendees=3)
    voter = HttpVoter(server.url)
    receipt = voter.vote(election.tokens[0], CHOICES)
    waiting = voter.get(f"/board/receipt/{receipt}")
    assert waiting.status_code == 200 and "next batch" in waiting.text
    assert HttpVoter(server.url).get(f"/v/{election.tokens[0]}").status_code == 409
    assert board_of(elections, election.slug).ballots == 1
    assert "next batch" not in voter.get(f"/board/receipt/{receipt}").text


def test_twenty_concurrent_casts_of_one_token_make_one_ballot(app, elections, server):
    election = elections.create(attendees=2)
    voters = [HttpVoter(server.url) for _ in range(20)]
    forms = [voter.reach_review(election.tokens[0], CHOICES) for voter in voters]
    barrier = threading.Barrier(len(voters))
    statuses: list[int] = []

    def cast(voter: HttpVoter, fields: dict) -> None:
        barrier.wait()
        statuses.append(voter.cast(fields).status_code)

    threads = [threading.Thread(target=cast, args=pair) for pair in zip(voters, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303] + [409] * 19, statuses
    report = board_of(elections, election.slug)
    assert report.ballots == 1


def test_the_access_log_never_holds_a_token(app, elections, server):
    election = elections.create(attendees=2)
    HttpVoter(server.url).vote(election.tokens[0], CHOICES)
    HttpVoter(server.url).get(f"/v/{election.tokens[1]}?utm=x")
    log = server.log()
    assert "/v/<hidden>" in log
    for token in election.tokens:
        assert token not in log
        assert token.split(".")[1] not in log  # not even the serial part
