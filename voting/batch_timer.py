"""The app's own timers. The board's batches: ballots that wait while nobody casts are
published within BATCH_SECONDS (once at least BATCH_MINIMUM wait), not only at the next cast.
The witnesses: each new checkpoint is submitted within a second of its commit. The mail
queue: what is due is sent within a second (voting/mail/worker.py).

Each serving process runs them, started where it serves (wsgi.py in every gunicorn worker,
`voting demo`); commands and apps made for tests start none. Several timers, on several
processes or servers, are harmless: a batch is counted again under the log's lock and
published once (operations/batches.py), a witness is claimed under a lease of its row.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from sqlalchemy import select

from voting import services, witness_client
from voting.db import DatabaseSession, writing
from voting.mail import worker
from voting.models import Election
from voting.operations import batches

log = logging.getLogger(__name__)


def publish_due_batches(session: DatabaseSession) -> int:
    """Publish every open election's batch that is due; how many ballots joined the board."""
    policy, published = services.batch_policy(), 0
    open_ids = list(session.scalars(select(Election.id).where(Election.state == "open")))
    for election_id in open_ids:
        last_at, waiting = batches.head_and_waiting(session, election_id)
        if not policy.due(waiting, last_at, services.now()):
            continue  # looked at without taking the write lock
        with writing(session):
            election = session.get_one(Election, election_id)
            if election.is_open:
                published += batches.publish_if_due(
                    session, election_id, services.signer(), services.now(), policy
                )
    return published


class Ticker:
    """A daemon thread that runs *job* with a fresh session every *interval* seconds; a job
    that fails is logged and tried at the next tick."""

    def __init__(self, app: Flask, name: str, interval: float, job) -> None:  # type: ignore[no-untyped-def]
        self._app, self._name, self._interval, self._job = app, name, interval, job

    def start(self) -> None:
        threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            try:
                with self._app.app_context():
                    session = self._app.extensions["voting.db"].session()
                    try:
                        self._job(session)
                    finally:
                        session.close()
            except Exception:  # the next tick tries again
                log.exception("%s failed", self._name)


_started = threading.Lock()


def start(app: Flask) -> None:
    """Start this process's timers once, unless the instance turned them off (BATCH_TIMER =
    false): the board's batches (a cast or the close also publishes them), the
    submissions to witnesses (voting/witness_client.py), and the mail queue unless
    MAIL_WORKER = "separate" leaves it to `voting worker` processes."""
    if not app.config.get("BATCH_TIMER"):
        return
    with _started:
        if app.extensions.get("voting.timers"):
            return
        app.extensions["voting.timers"] = True
    interval = max(1.0, float(app.config["BATCH_SECONDS"]) / 3)
    Ticker(app, "voting-batches", interval, publish_due_batches).start()
    Ticker(app, "voting-witnesses", 1.0, witness_client.submit_due).start()
    if app.config.get("MAIL_WORKER", "app") != "separate":
        Ticker(app, "voting-mail", 1.0, lambda session: worker.send_due(app, session)).start()
