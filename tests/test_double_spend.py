"""Double spend: 500 tokens, each cast 10 times at once, against gunicorn with 4 workers."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hammer import cast, cast_ready
from tests.server import Gunicorn
from voting import verify

pytestmark = pytest.mark.server
TOKENS, REPEATS = 500, 10
PICK = {"cluster-manager": "jan-kowalski", "strategic-partnership": "alpine-health"}


def test_each_token_makes_exactly_one_ballot(app, elections, instance_path, database_url):
    election = elections.create(attendees=TOKENS)
    ready = [cast_ready(app, token) for token in election.tokens]
    server = Gunicorn(instance_path, database_url, workers=4)
    try:
        started = time.monotonic()
        # Each token's ten casts are queued one after the other, so they run at the same time.
        jobs = [credentials for credentials in ready for _ in range(REPEATS)]
        with ThreadPoolExecutor(max_workers=40) as pool:
            outcomes = list(pool.map(lambda c: cast(server.url, *c, PICK)[0], jobs))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    statuses = Counter(outcomes)
    assert statuses == {303: TOKENS, 409: TOKENS * (REPEATS - 1)}, statuses
    elections.close(election.slug)  # the ballots still waiting for a batch join the board
    report = verify.verify_board(elections.board(election.slug))
    assert report.ballots == TOKENS
    print(f"\n{len(jobs)} casts in {elapsed:.1f} s")
