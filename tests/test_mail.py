"""Emailing ballot links to a real SMTP server: every link votes; failures are kept and retried."""

from __future__ import annotations

import logging
import re

import pytest

from tests.helpers import roster_csv
from tests.smtp import SmtpServer, serving

PICK = {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"}
LINK = re.compile(r"http://vote\.test/v/(\S+)")


@pytest.fixture
def smtp(app):
    server = serving(app, SmtpServer())
    yield server
    server.stop()


def test_every_attendee_gets_a_link_that_votes(app, runner, elections, smtp, caplog):
    from tests.helpers import vote_with_client

    elections.create(attendees=6)
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(args=["tokens", "send"])
    assert result.exit_code == 0, result.output
    assert "6 sent, 0 failed" in result.output
    assert len(smtp.inbox.messages) == 6
    tokens = []
    for number in range(1, 7):
        (message,) = smtp.inbox.to(f"attendee{number}@example.org")
        assert message["Subject"].startswith("Your ballot:")
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        token = LINK.search(plain).group(1)
        assert token in html
        assert re.search(r"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}", plain)
        tokens.append(token)
    for token in tokens:
        vote_with_client(app.test_client(), token, PICK)
    # No ballot link in any log line.
    assert not any(token in record.getMessage() for record in caplog.records for token in tokens)
    # A second run has nothing left to send.
    again = runner.invoke(args=["tokens", "send"])
    assert "0 sent, 0 failed" in again.output and len(smtp.inbox.messages) == 6


def test_server_down_marks_failures_with_reason_and_rerun_sends_only_those(
    app, runner, elections, smtp
):
    elections.create(attendees=3)
    smtp.stop()
    result = runner.invoke(args=["tokens", "send"])
    assert result.exit_code == 1
    assert "0 sent, 0 failed, 3 to be retried" in result.output
    assert "cannot reach the mail server 127.0.0.1" in result.output
    assert "Connection refused" in result.output
    smtp.start()
    # Someone else was already sent a link meanwhile? Only failures go out again.
    result = runner.invoke(args=["tokens", "send"])
    assert result.exit_code == 0, result.output
    assert "3 sent, 0 failed" in result.output
    assert len(smtp.inbox.messages) == 3


def test_a_refused_recipient_is_failed_with_the_server_reason(
    app, runner, elections, smtp, tmp_path
):
    elections.create(attendees=2)
    path = tmp_path / "late.csv"
    path.write_bytes(roster_csv(1, start=9, domain="bounce.example.org"))
    assert runner.invoke(args=["attendees", "import", str(path)]).exit_code == 0
    result = runner.invoke(args=["tokens", "send"])
    assert result.exit_code == 1
    assert "failed: attendee9@bounce.example.org: 550 5.1.1 No such mailbox here" in result.output
    assert len(smtp.inbox.messages) == 2
    retry = runner.invoke(args=["tokens", "send", "--failed-only"])
    assert "0 sent, 1 failed" in retry.output


def test_the_email_speaks_the_attendees_language(app, runner, elections, smtp, tmp_path):
    elections.create(attendees=1)
    path = tmp_path / "german.csv"
    path.write_text("name,email,language\nGerda Beispiel,gerda@example.org,de\n")
    assert runner.invoke(args=["attendees", "import", str(path)]).exit_code == 0
    assert runner.invoke(args=["tokens", "send"]).exit_code == 0
    (message,) = smtp.inbox.to("gerda@example.org")
    with app.test_request_context(headers={"Accept-Language": "de"}):
        from flask_babel import gettext

        expected = gettext(
            "Your ballot: %(title)s", title="Preise der Europäischen Clusterkonferenz 2016"
        )
    assert (
        message["Subject"]
        == expected
        != "Your ballot: Preise der Europäischen Clusterkonferenz 2016"
    )
    assert "Gerda Beispiel" in message.get_body(("plain",)).get_content()
