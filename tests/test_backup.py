"""`voting backup` while ballots are being cast: the copy restores to a board that verifies."""

from __future__ import annotations

import subprocess
import threading
import uuid

import psycopg

from tests.conftest import PG_ADMIN_URL
from tests.server import Gunicorn, HttpVoter
from voting import create_app, services, verify
from voting.db import get_session
from voting.models import Ballot, SpentToken
from voting.operations import audit
from voting.operations.elections import find_election

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "north-sea-energy"}


def board_of(instance_path, database_url: str) -> tuple[verify.BoardReport, int]:
    """The board of the copy, as a restored app would export it, verified; and how many
    ballots the copy holds (on the board, or waiting for their batch)."""
    app = create_app({"INSTANCE_PATH": str(instance_path), "DATABASE_URL": database_url})
    with app.app_context():
        session = get_session()
        election = find_election(session, "ecc2016")
        lines = list(audit.export_board(session, election, services.signer()))
        ballots = session.query(Ballot).count()
        assert ballots == session.query(SpentToken).count()
    app.extensions["voting.db"].dispose()
    report = verify.verify_board(lines, partial=True)
    assert report.ballots <= ballots
    return report, ballots


def test_backup_while_voting_restores_to_a_board_that_verifies(
    app, runner, elections, instance_path, database_url, tmp_path
):
    election = elections.create(attendees=60)
    server = Gunicorn(instance_path, database_url, workers=2)
    voters = iter(election.tokens)
    stop = threading.Event()

    def keep_voting() -> None:
        for token in voters:
            if stop.is_set():
                return
            HttpVoter(server.url).vote(token, PICK)

    thread = threading.Thread(target=keep_voting)
    try:
        for _ in range(5):  # a few ballots first, then copy while more arrive
            HttpVoter(server.url).vote(next(voters), PICK)
        thread.start()
        target = tmp_path / "backup.db"
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join()
        server.stop()
    assert target.stat().st_mode & 0o077 == 0
    if database_url.startswith("sqlite"):
        report, ballots = board_of(instance_path, f"sqlite:///{target}")
    else:
        name = f"voting_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", f"--dbname={base}/{name}", str(target)],
                check=True,
                capture_output=True,
            )
            report, ballots = board_of(
                instance_path, f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
            )
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert ballots >= 5 and report.entries > 0
