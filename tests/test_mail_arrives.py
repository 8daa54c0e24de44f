"""Email that arrives: addresses beyond ASCII, servers with and without SMTPUTF8, the
organiser's words in the message, and a sender killed mid-run that leaves nobody stuck."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from tests.helpers import EXAMPLE_TOML
from tests.server import ROOT
from tests.smtp import SmtpServer, serving
from voting.db import get_session
from voting.instance import set_public_url
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


def test_a_sender_killed_mid_run_leaves_nobody_stuck(app, runner, elections, instance_path):
    """`voting tokens send` is SIGKILLed while it waits on the mail server; the next run,
    once the claim has expired, sends to everyone the first run did not finish."""
    elections.create(attendees=12)
    server = SmtpServer(delay=0.4)
    server.start()
    with (instance_path / "config.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'SMTP_HOST = "127.0.0.1"\nSMTP_PORT = {server.port}\nSMTP_TIMEOUT = 1\n'
            "MAIL_RATE = 1000\n"
        )
    set_public_url(instance_path, "http://vote.test")
    command = [sys.executable, "-m", "voting", "tokens", "send"]
    env = dict(os.environ)
    try:
        sender = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while len(server.inbox.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # mid-message: one attendee is claimed, its message in flight
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        stuck = [email for email, (status, _) in statuses(app).items() if status == "sending"]
        assert stuck, "the kill should have left a claim behind"
        time.sleep(8.5)  # the claim expires: six times the one-second time-out, and two
        rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        server.stop()
    assert rerun.returncode == 0, rerun.stderr
    found = statuses(app)
    assert {status for status, _ in found.values()} == {"sent"}, found
    delivered = {address for rcpt in server.inbox.envelopes for address in rcpt}
    assert delivered == set(found)


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
        from voting.mail.sending import wait_for_senders

        wait_for_senders()
        reminded = [m for m in server.inbox.messages if str(m["Subject"]).startswith("Reminder")]
        assert sorted(str(m["To"]) for m in reminded) == [
            f"Attendee {n} <attendee{n}@example.org>" for n in (2, 3, 4)
        ]
        # Within the interval nobody is reminded twice.
        again = runner.invoke(args=["tokens", "remind", "--every", "24"])
        assert "reminders: 0 sent" in again.output
        with app.app_context():
            actions = get_session().scalars(select(ActivityRecord.action)).all()
        assert "reminders emailed" in actions and "test email sent" in actions
    finally:
        server.stop()
