"""Rate limits: guessing is cut off, a hall of voters behind one address never is."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import form_on, vote_with_client
from tests.server import Gunicorn, HttpVoter
from tests.staff import add_user, sign_in
from voting import services
from voting.domain.tokens import serial_code

PICK = {"cluster-manager": "mario-rossi", "strategic-partnership": "abstain"}


def bad_token(number: int) -> str:
    return f"ecc2016.{'A' * 20}{number:02d}.{'B' * 43}"


def test_guessing_tokens_is_cut_off_but_real_links_still_work(app, client, elections):
    election = elections.create(attendees=2)
    statuses = [client.get(f"/v/{bad_token(n)}").status_code for n in range(100)]
    assert statuses[:30] == [404] * 30
    assert set(statuses[30:]) == {429}
    limited = client.get(f"/v/{bad_token(0)}")
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many attempts" in limited.get_data(as_text=True)
    # From the very same address, a voter with a real link is not held back.
    vote_with_client(client, election.tokens[0], PICK)


def test_typed_codes_are_limited_on_failures_only(app, client, elections):
    election = elections.create(attendees=1)
    form = form_on(client.get("/code").get_data(as_text=True), "/code")
    statuses = [
        client.post("/code", data=dict(form["fields"], code=f"{n:026d}")).status_code
        for n in range(70)
    ]
    assert statuses[:30] == [422] * 30 and set(statuses[30:]) == {429}
    # A real code from that same address still opens its ballot, and so does a real link.
    with app.app_context():
        code = serial_code(services.codec().read(election.tokens[0])[1])
    valid = client.post("/code", data=dict(form["fields"], code=code))
    assert valid.status_code == 303 and valid.headers["Location"].endswith("/ballot")
    assert client.get(f"/v/{election.tokens[0]}").status_code == 303


def test_login_failures_are_limited_per_name(app, runner, elections):
    elections.create(attendees=1)
    add_user(runner, "jules", "jury")
    add_user(runner, "olga", "organiser")
    client = app.test_client()
    statuses = [sign_in(client, "jules", "wrong password").status_code for _ in range(12)]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]
    assert sign_in(client, "jules").status_code == 429  # even the right password, for now
    assert sign_in(client, "olga").status_code == 303  # another name is not held back


@pytest.fixture
def redis_limits(app):
    """Limits kept in Redis (several app processes share them), under a key prefix of our own."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (.ci/run starts it)")
    return f"test-{uuid.uuid4().hex}"


def use_redis(instance_path, prefix: str) -> None:
    config = instance_path / "config.toml"
    config.write_text(
        config.read_text()
        + '\nRATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"\n'
        + f'RATELIMIT_KEY_PREFIX = "{prefix}"\n'
    )


def test_a_hall_of_350_voters_behind_one_address_all_gets_through(
    app, elections, instance_path, database_url, redis_limits
):
    """Everyone votes within the same minute from 127.0.0.1, while a script guesses.

    Four workers share their counts in Redis, as a production deployment should.
    """
    use_redis(instance_path, redis_limits)
    election = elections.create(attendees=350)
    server = Gunicorn(instance_path, database_url, workers=4)
    try:
        guesser = HttpVoter(server.url)
        guesses = [guesser.get(f"/v/{bad_token(n)}").status_code for n in range(40)]
        assert 429 in guesses
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=24) as pool:
            receipts = list(
                pool.map(lambda t: HttpVoter(server.url).vote(t, PICK), election.tokens)
            )
        assert len(set(receipts)) == 350
        assert time.monotonic() - started < 60
        assert guesser.get(f"/v/{bad_token(99)}").status_code == 429
    finally:
        server.stop()


def test_limits_in_redis_are_shared_by_workers(
    app, elections, instance_path, database_url, redis_limits, monkeypatch
):
    use_redis(instance_path, redis_limits)
    elections.create(attendees=1)
    server = Gunicorn(instance_path, database_url, workers=3)
    try:
        statuses = [HttpVoter(server.url).get(f"/v/{bad_token(n)}").status_code for n in range(45)]
    finally:
        server.stop()
    # Three workers, one shared count: cut off after 30 in all, not 30 per worker.
    assert statuses[:30] == [404] * 30 and set(statuses[30:]) == {429}
