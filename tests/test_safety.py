"""Outside debug and testing the app refuses to serve an unsafe instance, in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.server import ROOT
from voting import create_app
from voting.safety import UnsafeConfiguration, refuse_unsafe


@pytest.fixture
def served(instance_path, database_url):
    """Build the app as a server would: no TESTING, no DEBUG (engines closed afterwards)."""
    apps = []

    def build(**config):
        app = create_app(
            {"INSTANCE_PATH": str(instance_path), "DATABASE_URL": database_url, **config}
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["voting.db"].dispose()


def reason(app) -> str:
    with pytest.raises(UnsafeConfiguration) as caught:
        refuse_unsafe(app)
    return str(caught.value)


def test_a_proper_instance_is_served(served, elections):
    elections.create(attendees=1)
    refuse_unsafe(served())


@pytest.mark.parametrize("secret", [None, "dev", "changeme", "short-secret"])
def test_missing_or_default_secret(served, instance_path, secret):
    assert "SECRET_KEY" in reason(served(SECRET_KEY=secret))


def test_weak_token_keys(served, instance_path):
    assert "BALLOT_TOKEN_KEYS" in reason(served(BALLOT_TOKEN_KEYS=["x"]))


def test_instance_folder_readable_by_others(served, instance_path):
    instance_path.chmod(0o755)
    assert "can be read by other users" in reason(served())


def test_missing_signing_key(served, instance_path):
    (instance_path / "keys" / "signing.key").unlink()
    assert "signing key is missing" in reason(served())


def test_missing_delivery_key_of_an_open_election(served, instance_path, elections):
    elections.create(attendees=1)
    (instance_path / "keys" / "delivery" / "ecc2016.key").unlink()
    assert "delivery key of election ecc2016 is missing" in reason(served())


def test_a_closed_election_needs_no_delivery_key(served, instance_path, elections):
    elections.create(attendees=1)
    elections.close("ecc2016")
    (instance_path / "keys" / "delivery" / "ecc2016.key").unlink()
    refuse_unsafe(served())


def test_debug_and_testing_are_not_refused(served, instance_path):
    refuse_unsafe(served(SECRET_KEY="dev", TESTING=True))


def test_gunicorn_refuses_with_one_line(tmp_path):
    instance = tmp_path / "empty-instance"
    instance.mkdir(mode=0o700)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT,
        env={"VOTING_INSTANCE": str(instance), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("voting:")]
    assert lines == [
        "voting: refusing to serve: SECRET_KEY is missing or a placeholder; run `voting init`"
    ]
    assert "Traceback" not in result.stderr
