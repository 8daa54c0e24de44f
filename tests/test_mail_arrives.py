"""Email that arrives: addresses beyond ASCII, servers with and without SMTPUTF8, the
organiser's words in the message (a worker killed mid-send: tests/test_mail_worker.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import EXAMPLE_TOML
from tests.smtp import SmtpServer, send_queue, serving
from voting.db import get_session
from voting.models import ActivityRecord, Attendee

PEOPLE = (
    "name,email,language\n"
    "Zoë Müller,zoë.müller@example.org,de\n"
    "Bo Bücher,bo@bücher.example,\n"
    "Ann Plain,ann@example.org,fr\n"
).encode()
PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
MAIL = """
[mail]
contact = "The awards team, awards@vote.test"
intro = "Thank you for coming to the conference."
intro_de = "Danke, dass Sie zur Konferenz gekommen sind."
"""


def serve_mail(app, **options) -> SmtpServer:
    return serving(app, SmtpServer(**options))


@pytest.fixture
def people(runner, tmp_path):
    definition = tmp_path / "awards.toml"
    definition.write_text(EXAMPLE_TOML.read_text(encoding="utf-8") + MAIL, encoding="utf-8")
    csv = tmp_path / "people.csv"
    csv.write_bytes(PEOPLE)
    for args in (["election", "load", str(definition)], ["attendees", "import", str(csv)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def statuses(app) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = get_session().execute(
            select(Attendee.email, Attendee.delivery_status, Attendee.delivery_detail)
        )
        return {email: (status, detail) for email, status, detail in rows}


def test_a_server_with_smtputf8_receives_the_accented_address(app, runner, people):
    server = serve_mail(app, smtputf8=True)
    try:
        result = runner.invoke(args=["tokens", "send"])
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "3 sent, 0 failed" in result.output
    envelopes = {address for rcpt in server.inbox.envelopes for address in rcpt}
    # The IDN domain goes out in its ASCII form, the accented local part as it is.
    assert envelopes == {"zoë.müller@example.org", "bo@xn--bcher-kva.example", "ann@example.org"}
    (zoe,) = server.inbox.to("example.org>") and [
        m for m in server.inbox.messages if "Zo" in str(m["To"])
    ]
    assert zoe["Date"] and zoe["Message-ID"]
    text = zoe.get_body(("plain",)).get_content()
    assert "Danke, dass Sie zur Konferenz gekommen sind." in text
    assert "The awards team, awards@vote.test" in text
    (ann,) = [m for m in server.inbox.messages if "ann@" in str(m["To"])]
    assert "Thank you for coming" in ann.get_body(("plain",)).get_content()


def test_without_smtputf8_one_attendee_fails_and_the_rest_are_sent(app, runner, people):
    server = serve_mail(app, smtputf8=False)
    try:
        result = runner.invoke(args=["tokens", "send"])
    finally:
        server.stop()
    assert "2 sent, 1 failed" in result.output
    found = statuses(app)
    status, reason = found["zoë.müller@example.org"]
    assert status == "failed" and "SMTPUTF8" in reason and "card at the desk" in reason
    assert found["bo@bücher.example"][0] == found["ann@example.org"][0] == "sent"


def test_the_console_edits_the_words_previews_tests_and_reminds(app, runner, elections):
    from tests.helpers import vote_with_client
    from tests.staff import csrf_of, staff_client

    election = elections.create(attendees=4)
    server = serve_mail(app)
    try:
        organiser = staff_client(app, runner, "organiser")
        token = csrf_of(organiser, "/admin/emails")
        organiser.post(
            "/admin/emails/texts",
            data={
                "csrf_token": token,
                "contact": "Desk by the entrance, desk@vote.test",
                "intro": "Welcome to Brussels.",
                "intro_fr": "Bienvenue à Bruxelles.",
            },
        )
        page = organiser.get("/admin/emails?language=fr").get_data(as_text=True)
        assert "Bienvenue à Bruxelles." in page and "desk@vote.test" in page
        assert "ne vote pas" in page  # the French preview, with its example link
        sent = organiser.post(
            "/admin/emails/test", data={"csrf_token": token, "address": "olga@example.org"}
        )
        assert sent.status_code == 303, sent.get_data(as_text=True)[-2000:]
        after = organiser.get("/admin/emails").get_data(as_text=True)
        assert "A test message was sent" in after
        (test,) = server.inbox.to("olga@example.org")
        body = test.get_body(("plain",)).get_content()
        assert "Welcome to Brussels." in body and "/v/" not in body  # an example, no ballot
        vote_with_client(app.test_client(), election.tokens[0], PICK)
        organiser.post("/admin/emails/remind", data={"csrf_token": token, "every": "24"})
        send_queue(app)
        reminded = [m for m in server.inbox.messages if str(m["Subject"]).startswith("Reminder")]
        assert sorted(str(m["To"]) for m in reminded) == [
            f"Attendee {n} <attendee{n}@example.org>" for n in (2, 3, 4)
        ]
        # Within the interval nobody is reminded twice.
        again = runner.invoke(args=["tokens", "remind", "--every", "24"])
        assert "reminders: 0 queued" in again.output
        with app.app_context():
            actions = get_session().scalars(select(ActivityRecord.action)).all()
        assert "reminders queued" in actions and "test email sent" in actions
    finally:
        server.stop()
