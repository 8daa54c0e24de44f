"""Participation notices at close: every attendee hears whether a ballot was cast with their
credential, before the delivery key is destroyed, so a ballot cast in someone's name (by a
desk account or whoever held their card) is discovered by its owner."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import vote_with_client
from tests.smtp import SmtpServer, send_queue, serving
from tests.staff import csrf_of, staff_client
from voting.db import get_session, writing
from voting.mail_models import QueuedMail
from voting.models import ActivityRecord, Attendee

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}


@pytest.fixture
def mail(app):
    server = serving(app, SmtpServer())
    yield server
    server.stop()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_close_tells_each_attendee_whether_their_credential_voted(app, runner, elections, mail):
    election = elections.create(attendees=4)
    with app.app_context(), writing(get_session()) as session:
        german = session.query(Attendee).filter_by(email="attendee4@example.org").one()
        german.language = "de"
    vote_with_client(app.test_client(), election.tokens[0], PICK)
    desk = staff_client(app, runner, "desk")
    with app.app_context():
        second = get_session().query(Attendee.id).filter_by(email="attendee2@example.org").scalar()
    handed = desk.post(
        f"/desk/attendees/{second}/anonymous-card",
        data={"csrf_token": csrf_of(desk, "/desk"), "confirm": "yes"},
    )
    assert handed.status_code == 303
    result = runner.invoke(args=["close", "--notify"])
    assert result.exit_code == 0, result.output
    assert "participation notices: 4 queued; 4 sent, 0 failed" in result.output
    (voted,) = mail.inbox.to("attendee1@example.org")
    assert voted["Subject"].startswith("A ballot was cast with your credential")
    assert "someone else voted in your name" in text_of(voted)
    assert "destroyed now" in text_of(voted) and "/v/" not in text_of(voted)
    (card,) = mail.inbox.to("attendee2@example.org")
    assert "anonymous ballot card" in text_of(card)
    (not_voted,) = mail.inbox.to("attendee3@example.org")
    assert not_voted["Subject"].startswith("No ballot was cast with your credential")
    (in_german,) = mail.inbox.to("attendee4@example.org")
    assert in_german["Subject"].startswith("Mit Ihrem Zugang wurde kein Stimmzettel abgegeben")
    # Sent before the key went, which it did; the log says how many, never who voted.
    assert not (Path(app.instance_path) / "keys" / "delivery" / "ecc2016.key").exists()
    with app.app_context():
        records = get_session().query(ActivityRecord).all()
        actions = [(r.action, r.detail) for r in records]
        # A sent notice forgets what it said: the queue keeps no trace of who voted.
        assert {(q.state, q.variant) for q in get_session().query(QueuedMail)} == {("sent", "")}
    assert ("participation notices", "4 queued") in actions
    assert [a for a, _ in actions].index("participation notices") < [a for a, _ in actions].index(
        "delivery key destroyed"
    )
    assert not any(
        "participation" in r.action and r.attendee_id for r in records
    )  # no record says whose notice said what


def test_an_unreachable_mail_server_does_not_stop_the_close(app, runner, elections):
    """The notices wait in the queue, and go out once the mail server is back, though the
    delivery key is gone by then: what each says was decided at the close."""
    elections.create(attendees=2)
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=1, MAIL_FROM="awards@vote.test", MAIL_RETRY_SECONDS=0.2
    )
    result = runner.invoke(args=["close", "--notify"])
    assert result.exit_code == 0, result.output
    assert "participation notices: 2 queued; 0 sent, 0 failed, 2 to be retried" in result.output
    assert not (Path(app.instance_path) / "keys" / "delivery" / "ecc2016.key").exists()
    server = serving(app, SmtpServer())
    time.sleep(0.25)  # the back-off
    try:
        assert send_queue(app).sent == 2
    finally:
        server.stop()
    assert len(server.inbox.to("attendee1@example.org")) == 1
    with app.app_context():
        actions = [r.action for r in get_session().query(ActivityRecord)]
    assert "voting closed" in actions
