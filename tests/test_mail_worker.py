"""The mail queue and `voting worker`: web requests only queue; a worker killed mid-send
never makes a message arrive twice and leaves nothing stuck; several workers share the queue
and MAIL_RATE; deferrals are retried with back-off, refusals fail at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from tests.server import ROOT
from tests.smtp import SmtpServer, send_queue, serving
from tests.staff import csrf_of, staff_client
from voting.db import get_session, writing
from voting.instance import set_public_url
from voting.mail_models import QueuedMail
from voting.models import Attendee

ADDRESSES = [f"attendee{n}@example.org" for n in range(1, 13)]


def rows(app) -> list[QueuedMail]:
    with app.app_context():
        session = get_session()
        found = list(session.scalars(select(QueuedMail).order_by(QueuedMail.id)))
        session.expunge_all()
        return found


def attendee_statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(get_session().execute(select(Attendee.email, Attendee.delivery_status)).all())


def configure_instance(instance_path, server: SmtpServer, **extra: object) -> None:
    """The worker processes read the instance folder like any server would."""
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": server.port,
        "SMTP_TIMEOUT": 1,
        "MAIL_FROM": "awards@vote.test",
        "MAIL_RATE": 1000,
        **extra,
    }
    with (instance_path / "config.toml").open("a", encoding="utf-8") as config:
        for name, value in settings.items():
            config.write(f"{name} = {value!r}\n".replace("'", '"'))
    set_public_url(instance_path, "http://vote.test")


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "voting", "worker", "--poll", "0.2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def queue_links_from_the_console(app, runner, election) -> None:
    organiser = staff_client(app, runner, "organiser")
    token = csrf_of(organiser, "/admin")
    response = organiser.post("/admin/send", data={"csrf_token": token})
    assert response.status_code == 303
    page = organiser.get("/admin").get_data(as_text=True)
    assert "12 ballot links queued" in page


@pytest.mark.parametrize("killed_at", ["RCPT", "DATA"])
def test_a_worker_killed_mid_send_resumes_without_a_duplicate(
    app, runner, elections, instance_path, killed_at
):
    """The mail server stops answering the 4th message (at RCPT: nothing handed over yet; at
    DATA: the text arrived, the answer did not); the worker is SIGKILLed there. A new worker
    sends the rest: every address got its message, none twice."""
    election = elections.create(attendees=12)
    server = SmtpServer(hold=(killed_at, 4))
    server.start()
    configure_instance(instance_path, server)
    try:
        queue_links_from_the_console(app, runner, election)
        assert server.inbox.messages == []  # the request only queued
        assert all(row.state == "queued" for row in rows(app))
        # The queue holds whom to write, never a link: it is made when the message goes.
        for row in rows(app):
            assert "/v/" not in f"{row.variant}{row.reason}" and row.kind == "link"
        first = start_worker()
        assert server.inbox.holding.wait(30)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        server.inbox.release.set()
        held = [row for row in rows(app) if row.state in ("sending", "handed")]
        assert [row.state for row in held] == ["handed" if killed_at == "DATA" else "sending"]
        second = start_worker()
        try:
            # The killed worker's claim expires (six one-second time-outs and two), then the
            # rest goes out.
            wait_until(
                lambda: not [r for r in rows(app) if r.state in ("queued", "sending", "handed")]
            )
        finally:
            second.send_signal(signal.SIGTERM)
            out, _err = second.communicate(timeout=10)
        assert second.returncode == 0
        assert "sent" in out and "@" not in out  # the service's log names nobody
    finally:
        server.stop()
    seen = Counter(server.inbox.recipients())
    assert set(seen) == set(ADDRESSES) and set(seen.values()) == {1}, seen
    states = Counter(row.state for row in rows(app))
    if killed_at == "DATA":
        # The server had the text: it is not sent again, and the organiser is told.
        assert states == {"sent": 11, "uncertain": 1}
        assert Counter(attendee_statuses(app).values()) == {"sent": 11, "uncertain": 1}
        staff = staff_client(app, runner, "organiser", "second-organiser")
        assert "may not have arrived" in staff.get("/admin").get_data(as_text=True)
    else:
        assert states == {"sent": 12}
        assert set(attendee_statuses(app).values()) == {"sent"}


def test_two_workers_share_the_queue_and_the_rate(app, runner, elections, instance_path):
    """Two workers on 30 messages at MAIL_RATE = 15: each message goes once, both take a
    part, and the pace holds for the two together (at least 29/15 s from first to last)."""
    elections.create(attendees=30)
    server = SmtpServer()
    server.start()
    configure_instance(instance_path, server, MAIL_RATE=15)
    try:
        with app.app_context():
            from voting.mail.sending import queue_links
            from voting.operations.elections import find_election

            session = get_session()
            queue_links(session, "test", find_election(session, None))
        workers = [start_worker(), start_worker()]
        try:
            wait_until(lambda: all(row.state == "sent" for row in rows(app)))
        finally:
            outputs = []
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
                outputs.append(worker.communicate(timeout=10)[0])
    finally:
        server.stop()
    assert len(server.inbox.recipients()) == 30 == len(set(server.inbox.recipients()))
    assert all("sent" in out for out in outputs), outputs  # both workers sent some
    with app.app_context():
        sent_at = sorted(row.finished_at for row in rows(app))
    assert (sent_at[-1] - sent_at[0]).total_seconds() >= 29 / 15 * 0.95


def test_deferrals_are_retried_and_refusals_fail_at_once(app, elections):
    roster = (
        "name,email\nAnn,ann@example.org\nDee,defer.dee@example.org\nBob,bounce.bob@example.org\n"
    )
    election = elections.create(attendees=0, open_voting=False)
    with app.app_context():
        from voting import services
        from voting.domain.roster import parse_roster
        from voting.operations.attendees import import_roster
        from voting.operations.elections import find_election

        with writing(get_session()) as session:
            found = find_election(session, election.slug)
            import_roster(
                session, "test", found, parse_roster(roster.encode()), services.now(),
                delivery_key=lambda: services.keys().delivery_key(found.slug),
            )  # fmt: skip
    elections.open(election.slug)
    server = serving(app, SmtpServer())
    app.config.update(MAIL_RETRY_SECONDS=0.3, MAIL_ATTEMPTS=3)
    try:
        with app.app_context():
            from voting.mail.sending import queue_links
            from voting.operations.elections import find_election

            session = get_session()
            assert queue_links(session, "test", find_election(session, election.slug)).count == 3
        first = send_queue(app)
        assert (first.sent, first.failed, first.retrying) == (1, 1, 1)
        by_address = {r.attendee_id: r for r in rows(app)}
        statuses = attendee_statuses(app)
        assert statuses["bounce.bob@example.org"] == "failed"
        assert statuses["defer.dee@example.org"] == "queued"  # waiting for its retry
        assert any(r.reason.startswith("451") and r.state == "queued" for r in by_address.values())
        assert send_queue(app).sent == 0  # not due yet: the back-off holds
        time.sleep(0.35)
        assert send_queue(app).sent == 1
    finally:
        server.stop()
    assert sorted(server.inbox.recipients()) == ["ann@example.org", "defer.dee@example.org"]
    bounced = [r for r in rows(app) if r.state == "failed"]
    assert [r.attempts for r in bounced] == [1] and bounced[0].reason.startswith("550")


def test_a_withdrawn_attendee_gets_no_queued_link(app, runner, elections):
    election = elections.create(attendees=2)
    server = serving(app, SmtpServer())
    try:
        with app.app_context():
            from voting import services
            from voting.mail.sending import queue_links
            from voting.operations.attendee_changes import withdraw_attendee
            from voting.operations.elections import find_election

            session = get_session()
            queue_links(session, "test", find_election(session, election.slug))
            with writing(session):
                found = find_election(session, election.slug)
                person = session.scalars(select(Attendee).order_by(Attendee.id)).first()
                withdraw_attendee(
                    session, "test", found, person,
                    services.keys().delivery_key(found.slug), services.now(),
                )  # fmt: skip
        summary = send_queue(app)
    finally:
        server.stop()
    assert (summary.sent, summary.failed) == (1, 1)
    assert server.inbox.recipients() == ["attendee2@example.org"]
    (failed,) = [r for r in rows(app) if r.state == "failed"]
    assert "no personal ballot" in failed.reason
