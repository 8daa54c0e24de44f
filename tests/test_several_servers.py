"""Several app servers behind a real nginx on one PostgreSQL: 500 voters cast through nginx
while one server is SIGKILLed and restarted. Every voter who saw a receipt is on the board,
no token is spent twice, each ballot joins the board once (batches are sealed once across
the servers), and the board verifies."""

from __future__ import annotations

import shutil
import time
from uuid import uuid4

import pytest
import requests

from tests.hammer import cast_ready
from tests.nginx import Nginx
from tests.server import Gunicorn
from tests.test_crash import VoteStream, check_after_restart
from voting import verify

pytestmark = pytest.mark.server
VOTERS = 500


def shared_config(instance, extra: str) -> None:
    """What every server's config.toml adds for several servers: limits counted in Redis."""
    config = instance / "config.toml"
    config.write_text(config.read_text() + extra)


def test_two_servers_behind_nginx_lose_nothing_when_one_is_killed(
    app, elections, instance_path, database_url, tmp_path
):
    if database_url.startswith("sqlite"):
        pytest.skip("several app servers share one PostgreSQL database")
    limits = f'RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"\nRATELIMIT_KEY_PREFIX = "{uuid4()}"'
    shared_config(instance_path, f"\nTRUSTED_PROXIES = 1\n{limits}\n")
    election = elections.create(attendees=VOTERS)
    ballots = [cast_ready(app, token) for token in election.tokens]
    # A second server: its own instance folder holding the same config.toml and keys.
    other_instance = tmp_path / "instance-b"
    shutil.copytree(instance_path, other_instance)
    first = Gunicorn(instance_path, database_url, workers=2)
    second = Gunicorn(other_instance, database_url, workers=2)
    proxy = Nginx(tmp_path / "nginx", [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"])
    try:
        with VoteStream(proxy.url, ballots) as stream:
            while len(stream.waiting) > VOTERS * 2 // 3:
                time.sleep(0.05)
            first.kill()  # a third of the hall has voted: one server dies mid-vote
            time.sleep(1.0)
            first = Gunicorn(instance_path, database_url, workers=2, port=first.port)
            while stream.waiting:
                time.sleep(0.1)
        shown = stream.shown
        assert len(shown) > VOTERS * 0.9, f"only {len(shown)} receipts shown"
        check_after_restart(app, database_url, shown)
        # Both servers' timers publish batches; the close publishes the rest, once.
        board = requests.get(proxy.url + "/board.jsonl", timeout=60).content
        assert verify.verify_board(board.splitlines(keepends=True), partial=True).ballots > 0
        # A guesser whose forged links land on both servers in turn is counted once, in Redis.
        guesses = [
            requests.get(
                f"{server.url}/v/ecc2016.{'A' * 20}{n:02d}.{'B' * 43}",
                headers={"X-Forwarded-For": "203.0.113.7"},
                timeout=10,
            ).status_code
            for n in range(40)
            for server in [(first, second)[n % 2]]
        ]
        assert guesses[:30] == [404] * 30 and guesses[30:] == [429] * 10
    finally:
        proxy.stop()
        first.stop()
        second.stop()
    elections.close(election.slug)
    report = verify.verify_board(elections.board(election.slug), key=elections.vkey(election.slug))
    recorded = check_after_restart(app, database_url, shown)
    assert report.ballots == recorded >= len(shown)
