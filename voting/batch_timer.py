"""The app's own timer for the board's batches: ballots that wait while nobody casts are
published within BATCH_SECONDS (once at least BATCH_MINIMUM wait), not only at the next cast.

Each serving process runs one, started where it serves (wsgi.py in every gunicorn worker,
`voting demo`); commands and apps made for tests start none. Several timers, on several
processes or servers, are harmless: a batch is counted again under the log's lock and
published once (operations/batches.py).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from sqlalchemy import select

from voting import services
from voting.db import DatabaseSession, writing
from voting.models import Election
from voting.operations import batches

log = logging.getLogger(__name__)


def publish_due_batches(session: DatabaseSession) -> int:
    """Publish every open election's batch that is due; how many ballots joined the board."""
    policy, published = services.batch_policy(), 0
    open_ids = list(session.scalars(select(Election.id).where(Election.state == "open")))
    for election_id in open_ids:
        election = session.get_one(Election, election_id)
        last_at, waiting = batches.head_and_waiting(session, election)
        if not policy.due(waiting, last_at, services.now()):
            continue  # looked at without taking the write lock
        with writing(session):
            election = session.get_one(Election, election_id)
            if election.is_open:
                published += batches.publish_if_due(
                    session, election, services.signer(), services.now(), policy
                )
    return published


class BatchTimer:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._started = False

    def start_once(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="voting-batches", daemon=True).start()

    def _run(self) -> None:
        interval = max(1.0, float(self._app.config["BATCH_SECONDS"]) / 3)
        while True:
            time.sleep(interval)
            try:
                with self._app.app_context():
                    session = self._app.extensions["voting.db"].session()
                    try:
                        publish_due_batches(session)
                    finally:
                        session.close()
            except Exception:  # the next tick tries again; a cast or the close also publishes
                log.exception("publishing the board's batches failed")


def start(app: Flask) -> None:
    """Start this process's timer, unless the instance turned it off (BATCH_TIMER = false)."""
    if app.config.get("BATCH_TIMER"):
        BatchTimer(app).start_once()
