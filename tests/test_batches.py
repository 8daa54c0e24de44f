"""Cast ballots join the board in shuffled batches: 50 at a time, or after 30 seconds with at
least 10 waiting, the rest at close; one checkpoint per batch; receipts known at once."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import RECEIPT, vote_with_client
from tests.server import Gunicorn, HttpVoter
from voting import verify
from voting.batch_timer import publish_due_batches
from voting.db import get_session

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
START = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def real_policy(app):
    """The shipped policy (the other tests publish each ballot at once), on a test clock."""
    app.config.update(BATCH_SIZE=50, BATCH_SECONDS=30, BATCH_MINIMUM=10)
    clock = {"now": START}
    app.config["VOTING_CLOCK"] = lambda: clock["now"]
    return clock


def board_lines(elections, slug: str) -> list[dict]:
    return [json.loads(line) for line in elections.board(slug)]


def cast_entries(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("kind") == "ballot.cast"]


def test_ballots_wait_for_their_batch_and_receipts_say_so(app, elections, real_policy):
    election = elections.create(attendees=12, now=START)
    client = app.test_client()
    receipts = [vote_with_client(app.test_client(), t, PICK) for t in election.tokens[:9]]
    assert cast_entries(board_lines(elections, election.slug)) == []
    page = client.get(f"/board/receipt/{receipts[0]}")
    assert page.status_code == 200
    assert "will appear with the next batch" in page.get_data(as_text=True)
    pending = client.get(f"/board/receipt/{receipts[0]}.json")
    assert pending.status_code == 202 and pending.json["status"] == "pending"
    # Thirty seconds later the tenth ballot makes a batch of ten, signed at once.
    real_policy["now"] = START + timedelta(seconds=31)
    receipts.append(vote_with_client(app.test_client(), election.tokens[9], PICK))
    lines = board_lines(elections, election.slug)
    cast = cast_entries(lines)
    assert len(cast) == 10
    after = lines[lines.index(cast[-1]) + 1]
    assert after["type"] == "checkpoint"
    for receipt in receipts:
        found = client.get(f"/board/receipt/{receipt}.json")
        assert found.status_code == 200 and found.json["receipt"] == receipt
        assert verify.ballot_receipt(json.loads(found.json["entry"])["data"]) == receipt


def test_fewer_than_ten_wait_however_long_then_the_close_takes_the_rest(
    app, elections, real_policy
):
    election = elections.create(attendees=8, now=START)
    for token in election.tokens[:5]:
        vote_with_client(app.test_client(), token, PICK)
    real_policy["now"] = START + timedelta(hours=2)
    vote_with_client(app.test_client(), election.tokens[5], PICK)
    with app.app_context():
        assert publish_due_batches(get_session()) == 0  # the timer finds nothing due either
    assert cast_entries(board_lines(elections, election.slug)) == []
    elections.close(election.slug, now=real_policy["now"])
    lines = board_lines(elections, election.slug)
    kinds = [line.get("kind") for line in lines if "kind" in line]
    assert kinds.count("ballot.cast") == 6
    assert kinds.index("voting.closed") > max(
        i for i, kind in enumerate(kinds) if kind == "ballot.cast"
    )
    report = verify.verify_board(elections.board(election.slug))
    assert report.ballots == 6


def test_fifty_ballots_make_a_batch_in_an_order_unrelated_to_the_casts(app, elections, real_policy):
    election = elections.create(attendees=60, now=START)
    receipts = [vote_with_client(app.test_client(), t, PICK) for t in election.tokens[:50]]
    lines = board_lines(elections, election.slug)
    cast = cast_entries(lines)
    assert len(cast) == 50
    on_board = [verify.ballot_receipt(entry["data"]) for entry in cast]
    assert sorted(on_board) == sorted(receipts)
    assert on_board != receipts  # shuffled: the same order has odds of 1 in 50!
    checkpoints = [line for line in lines if line.get("type") == "checkpoint"]
    # Checkpoints: the empty log, opening, and the batch; none between two ballots.
    sizes = [int(c["note"].split("\n")[1]) for c in checkpoints]
    first_ballot = min(entry["seq"] for entry in cast)
    assert [s for s in sizes if s > first_ballot] == [first_ballot + 50]


def test_the_timer_publishes_a_due_batch_when_nobody_casts(app, elections, real_policy):
    election = elections.create(attendees=12, now=START)
    for token in election.tokens[:10]:
        vote_with_client(app.test_client(), token, PICK)
    assert cast_entries(board_lines(elections, election.slug)) == []
    real_policy["now"] = START + timedelta(seconds=30)
    with app.app_context():
        assert publish_due_batches(get_session()) == 10
        assert publish_due_batches(get_session()) == 0  # once
    assert len(cast_entries(board_lines(elections, election.slug))) == 10


def in_threads(tokens: list[str], cast_one, threads: int = 8) -> list[threading.Thread]:
    """Phones casting at once: each thread takes the next token until none is left or
    *cast_one* (token -> bool) says to stop. The threads are started; join them."""
    lock, queue = threading.Lock(), iter(tokens)

    def run() -> None:
        while True:
            with lock:
                token = next(queue, None)
            if token is None or not cast_one(token):
                return

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    return started


@pytest.mark.server
def test_several_workers_publish_each_batch_once_and_the_timer_publishes_the_rest(
    app, elections, instance_path, database_url
):
    """Real gunicorn workers cast at once: the batch of 50 is published once, with one
    checkpoint; the rest, waiting while nobody casts, is published by the servers' timer."""
    config = instance_path / "config.toml"
    shipped = config.read_text()
    config.write_text(shipped + "BATCH_SECONDS = 3600\n")  # batches by size only, for now
    election = elections.create(attendees=80)
    server = Gunicorn(instance_path, database_url, workers=3)
    receipts: list[str] = []

    def vote(token: str) -> bool:
        receipts.append(HttpVoter(server.url).vote(token, PICK))
        return True

    try:
        for thread in in_threads(election.tokens, vote):
            thread.join()
    finally:
        server.stop()
    assert len(receipts) == 80
    by_size = len(cast_entries(board_lines(elections, election.slug)))
    assert 50 <= by_size <= 70  # one batch, however many had committed when it was taken
    # Nobody casts now; servers whose timer looks every second publish the rest, once.
    config.write_text(shipped + "BATCH_SECONDS = 1\n")
    servers = [Gunicorn(instance_path, database_url, workers=2) for _ in range(2)]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(cast_entries(board_lines(elections, election.slug))) == 80:
                break
            time.sleep(0.2)
        time.sleep(2)  # time for a second publication, if the lock let one through
    finally:
        for other in servers:
            other.stop()
    lines = elections.board(election.slug)
    report = verify.verify_board(lines, partial=True)
    assert report.ballots == 80  # each token once: no batch was published twice
    runs, current = [], 0
    for line in lines:
        value = json.loads(line)
        if value.get("kind") == "ballot.cast":
            current += 1
        elif current:
            assert value.get("type") == "checkpoint", "a batch not followed by its checkpoint"
            runs.append(current)
            current = 0
    assert runs == [by_size, 80 - by_size], runs
    on_board = {
        verify.ballot_receipt(entry["data"])
        for entry in cast_entries(board_lines(elections, election.slug))
    }
    assert on_board == set(receipts)


@pytest.mark.server
def test_closing_while_ballots_are_cast_leaves_no_receipt_off_the_board(
    app, elections, instance_path, database_url
):
    """A cast in flight when voting closes either joins the last batch or is refused: no
    voter holds a receipt for a ballot that the board and the tally never saw."""
    election = elections.create(attendees=150)
    server = Gunicorn(instance_path, database_url, workers=3)
    receipts: list[str] = []

    def vote(token: str) -> bool:
        voter = HttpVoter(server.url)
        try:
            response = voter.cast(voter.reach_review(token, PICK))
        except AssertionError:  # the ballot page said voting has closed
            return False
        if response.status_code == 303:
            receipts.append(RECEIPT.search(voter.get("/receipt").text).group(0))
        return True

    try:
        threads = in_threads(election.tokens, vote)
        while len(receipts) < 40:
            time.sleep(0.05)
        elections.close(election.slug)
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    report = verify.verify_board(elections.board(election.slug))
    assert report.ballots == len(receipts) < 150
    on_board = {
        verify.ballot_receipt(entry["data"])
        for entry in cast_entries(board_lines(elections, election.slug))
    }
    assert on_board == set(receipts)
