"""Crash: gunicorn is killed with SIGKILL at random moments while votes stream in.

After every restart: each receipt a voter was shown is on the board, the SQLite file passes
its integrity check, the spent tokens and the ballots agree, and the board verifies.
VOTING_CRASH_ROUNDS sets the number of kills (20 by default; more for a longer run).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading

import pytest
import requests
from sqlalchemy import func, select

from tests.hammer import cast, cast_ready
from tests.server import Gunicorn
from voting import verify
from voting.db import get_session
from voting.models import AuditEntry, Ballot, SpentToken

pytestmark = pytest.mark.server
ROUNDS = int(os.environ.get("VOTING_CRASH_ROUNDS", "20"))
PICKS = [
    {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"},
]


class VoteStream:
    """Voters casting one after another from a few threads, noting every receipt shown."""

    def __init__(self, base: str, ballots: list[tuple[str, str]]) -> None:
        self.base = base
        self.waiting = list(ballots)
        self.shown: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run) for _ in range(4)]

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                if not self.waiting:
                    return
                cookie, csrf = self.waiting.pop()
            try:
                _, receipt = cast(self.base, cookie, csrf, random.choice(PICKS))
            except requests.RequestException:
                continue  # the server died under us: no receipt was shown
            if receipt:
                with self.lock:
                    self.shown.append(receipt)

    def __enter__(self) -> VoteStream:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def check_after_restart(app, database_url: str, shown: list[str]) -> int:
    """Every receipt shown is a recorded ballot (on the board, or waiting for its batch),
    every spent token has its one ballot, and the board holds nothing else."""
    with app.app_context():
        session = get_session()
        recorded = set(session.execute(select(Ballot.receipt)).scalars())
        missing = [receipt for receipt in shown if receipt not in recorded]
        assert missing == [], f"receipts shown but not recorded: {missing}"
        spent = {h.hex() for h in session.execute(select(SpentToken.token_hash)).scalars()}
        ballot_tokens = {h.hex() for h in session.execute(select(Ballot.token_hash)).scalars()}
        cast_on_board = [
            json.loads(body)["data"]["token"]
            for body in session.execute(
                select(AuditEntry.body).where(AuditEntry.kind == "ballot.cast")
            ).scalars()
        ]
        ballots = session.scalar(select(func.count()).select_from(Ballot))
        assert spent == ballot_tokens and ballots == len(spent)
        assert len(set(cast_on_board)) == len(cast_on_board) and set(cast_on_board) <= spent
        session.rollback()
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
    return ballots


def test_votes_survive_sigkill(app, elections, instance_path, database_url):
    election = elections.create(attendees=40 * ROUNDS)
    ballots = [cast_ready(app, token) for token in election.tokens]
    random.shuffle(ballots)
    shown: list[str] = []
    rng = random.Random(2016)
    for round_number in range(ROUNDS + 1):
        server = Gunicorn(instance_path, database_url, workers=2)
        # After a crash and a restart: every receipt shown is there, and the board verifies.
        recorded = check_after_restart(app, database_url, shown)
        board = requests.get(server.url + "/board.jsonl", timeout=60).content
        report = verify.verify_board(board.splitlines(keepends=True), partial=True)
        assert report.ballots <= recorded  # the rest wait for their batch
        if round_number == ROUNDS:
            server.stop()
            break
        with VoteStream(server.url, [ballots.pop() for _ in range(40)]) as stream:
            stream.stop.wait(rng.uniform(0.2, 1.2))
            server.kill()
        shown += stream.shown
    assert len(shown) > ROUNDS  # ballots really were cast between the kills
    # The close publishes the ballots still waiting for a batch: every receipt is on the board.
    elections.close(election.slug)
    report = verify.verify_board(elections.board(election.slug))
    assert report.ballots == check_after_restart(app, database_url, shown)
    with app.app_context():
        on_board = set(
            get_session()
            .execute(select(AuditEntry.receipt).where(AuditEntry.receipt.is_not(None)))
            .scalars()
        )
    assert set(shown) <= on_board
