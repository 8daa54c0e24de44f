"""The help desk: find an attendee, see whether their ballot is used, reprint, resend, replace."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import vote_with_client
from tests.smtp import SmtpServer, send_queue
from tests.staff import csrf_of, staff_client
from voting import services, verify
from voting.db import get_session
from voting.models import ActivityRecord, Attendee

PICK = {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"}
CAST_ALREADY = "this ballot has been cast: its card cannot be printed again"


def attendee_id(app, number: int) -> int:
    with app.app_context():
        session = get_session()
        return session.query(Attendee.id).filter_by(email=f"attendee{number}@example.org").scalar()


@pytest.fixture
def desk(app, runner):
    return staff_client(app, runner, "desk")


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_of(client, "/desk"), **data})


def looked_up(client, person: int) -> str:
    """The attendee page after the desk's look-up of their ballot (which is logged)."""
    response = post(client, f"/desk/attendees/{person}/status")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_search_finds_by_name_email_and_organisation(desk, elections):
    elections.create(attendees=12)
    assert "Attendee 11" in desk.get("/desk?q=attendee 11").get_data(as_text=True)
    by_email = desk.get("/desk?q=attendee3@").get_data(as_text=True)
    assert "Attendee 3" in by_email and "Attendee 4" not in by_email
    by_org = desk.get("/desk?q=Org 5").get_data(as_text=True)
    assert "Attendee 5" in by_org and "Attendee 12" in by_org
    assert "0 matches" in desk.get("/desk?q=nobody").get_data(as_text=True)


def test_ballot_used_or_unused_never_how_and_every_look_up_is_logged(app, desk, elections):
    election = elections.create(attendees=3)
    person = attendee_id(app, 1)
    page = desk.get(f"/desk/attendees/{person}").get_data(as_text=True)
    assert "not used yet" not in page and "Look up the ballot" in page  # no look-up yet
    assert "not used yet" in looked_up(desk, person)
    vote_with_client(app.test_client(), election.tokens[0], PICK)
    page = looked_up(desk, person)
    assert "used: this attendee has voted" in page
    assert "Mario Rossi" not in page and "mario-rossi" not in page
    with app.app_context():
        records = get_session().query(ActivityRecord).filter_by(action="ballot status looked up")
        looks = [(r.actor, r.attendee_id, r.detail) for r in records]
    assert looks == [("desk-user", person, "unused"), ("desk-user", person, "used")]


def test_reissue_revokes_the_old_link_and_the_new_one_votes(app, desk, elections):
    election = elections.create(attendees=3)
    person = attendee_id(app, 2)
    old = election.tokens[1]
    refused = post(desk, f"/desk/attendees/{person}/reissue")  # without the confirmation box
    assert refused.status_code == 303
    assert elections.tokens(election.slug)[1] == old
    assert post(desk, f"/desk/attendees/{person}/reissue", confirm="yes").status_code == 303
    new = elections.tokens(election.slug)[1]
    assert new != old
    assert app.test_client().get(f"/v/{old}").status_code == 410
    vote_with_client(app.test_client(), new, PICK)
    # A used ballot cannot be replaced.
    post(desk, f"/desk/attendees/{person}/reissue", confirm="yes")
    assert elections.tokens(election.slug)[1] == new
    assert "already been cast" in desk.get(f"/desk/attendees/{person}").get_data(as_text=True)
    # The board shows one revoked hash and the new one among nine of padding, no name, and
    # still verifies.
    lines = elections.board(election.slug)
    reissued = [json.loads(line) for line in lines if b'"kind":"tokens.reissued"' in line]
    assert len(reissued) == 1
    assert len(reissued[0]["data"]["revoked"]) == 1 and len(reissued[0]["data"]["added"]) == 10
    assert b"Attendee 2" not in b"".join(lines) and b"attendee2@" not in b"".join(lines)
    assert verify.verify_board(lines, partial=True).ballots == 1


def test_every_desk_action_is_in_the_private_activity_log(app, desk, elections):
    elections.create(attendees=2)
    person = attendee_id(app, 1)
    response = post(desk, f"/desk/attendees/{person}/card", layout="badge")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    post(desk, f"/desk/attendees/{person}/reissue", confirm="yes")
    with app.app_context():
        records = get_session().query(ActivityRecord).order_by(ActivityRecord.id).all()
        actions = [(r.actor, r.action, r.attendee_id) for r in records]
    assert ("desk-user", "card printed", person) in actions
    assert ("desk-user", "ballot replaced", person) in actions


def test_an_anonymous_card_stops_the_personal_ballot(app, desk, elections):
    election = elections.create(attendees=2)
    person = attendee_id(app, 1)
    post(desk, f"/desk/attendees/{person}/anonymous-card")  # not confirmed: nothing happens
    assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 303
    post(desk, f"/desk/attendees/{person}/anonymous-card", confirm="yes")
    assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 410
    page = looked_up(desk, person)
    assert "replaced by an anonymous card" in page
    assert "Print the card" not in page and "Send the link" not in page
    lines = elections.board(election.slug)
    assert any(b'"kind":"tokens.revoked"' in line for line in lines)
    verify.verify_board(lines, partial=True)
    # The anonymous card is their ballot now: no personal card, link or replacement.
    assert post(desk, f"/desk/attendees/{person}/card", layout="badge").status_code == 400
    refused = post(desk, f"/desk/attendees/{person}/reissue", confirm="yes")
    assert "anonymous card" in desk.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert get_session().get(Attendee, person).reissue == 0
    assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 410


def test_resend_link_to_a_real_mail_server(app, desk, elections):
    server = SmtpServer()
    server.start()
    try:
        app.config.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, PUBLIC_URL="http://vote.test"
        )
        election = elections.create(attendees=2)
        person = attendee_id(app, 2)
        response = post(desk, f"/desk/attendees/{person}/send")
        assert response.status_code == 303
        assert "is on its way to attendee2@example.org" in desk.get(
            f"/desk/attendees/{person}"
        ).get_data(as_text=True)
        twice = post(desk, f"/desk/attendees/{person}/send")  # clicked again before it went
        assert twice.status_code == 303
        assert send_queue(app).sent == 1
        (message,) = server.inbox.to("attendee2@example.org")
        link = re.search(r"http://vote\.test/v/(\S+)", message.get_body(("plain",)).get_content())
        assert link.group(1) == election.tokens[1]
        page = desk.get(f"/desk/attendees/{person}").get_data(as_text=True)
        assert "Link by email</dt><dd>sent" in page
    finally:
        server.stop()
    failed = post(desk, f"/desk/attendees/{attendee_id(app, 1)}/send")
    assert failed.status_code == 303
    assert send_queue(app).retrying == 1  # the mail server is down: tried again later
    assert "cannot reach the mail server" in desk.get(
        f"/desk/attendees/{attendee_id(app, 1)}"
    ).get_data(as_text=True)


def test_after_close_the_desk_can_change_nothing(app, desk, elections):
    elections.create(attendees=2)
    elections.close("ecc2016")
    with app.app_context():
        # The key was kept by the test helper; destroy it as `voting close` does.
        services.keys().destroy_delivery_key("ecc2016")
    person = attendee_id(app, 1)
    page = looked_up(desk, person)
    assert "unknown (voting is over)" in page and "Replace the ballot" not in page
    assert post(desk, f"/desk/attendees/{person}/card", layout="a4").status_code == 400


def test_a_reprint_is_a_new_ballot_only_while_unused_and_the_attendee_hears_of_it(
    app, desk, elections
):
    """A desk account cannot print a card to find a cast ballot, nor vote unseen with one."""
    server = SmtpServer()
    server.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
        election = elections.create(attendees=2)
        first, second = attendee_id(app, 1), attendee_id(app, 2)
        printed = post(desk, f"/desk/attendees/{first}/card", layout="badge")
        assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
        assert printed.headers["Cache-Control"] == "no-store"
        # The earlier card and link stop; the new card votes.
        assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 410
        new = elections.tokens(election.slug)[0]
        assert new != election.tokens[0]
        assert app.test_client().get(f"/v/{new}").status_code == 303
        send_queue(app)
        (notice,) = server.inbox.to("attendee1@example.org")
        text = notice.get_body(("plain",)).get_content()
        assert "printed a new ballot card for you" in text and "/v/" not in text
        # A ballot already cast: no card, so nothing to hash and look up on the board.
        vote_with_client(app.test_client(), election.tokens[1], PICK)
        page = looked_up(desk, second)
        assert "Print the card" not in page
        refused = post(desk, f"/desk/attendees/{second}/card", layout="badge")
        assert refused.status_code == 400
        assert "cannot be printed again" in refused.get_data(as_text=True)
        send_queue(app)
        assert server.inbox.to("attendee2@example.org") == []
    finally:
        server.stop()
    with app.app_context():
        records = get_session().query(ActivityRecord).all()
        actions = [r.action for r in records]
        refusals = [(r.actor, r.attendee_id, r.detail) for r in records if "refused" in r.action]
    assert "ballot replaced" in actions and "new card notice" in actions
    assert "card printed" in actions
    # The refusal told the desk that the ballot was cast: it is on the record like a look-up.
    assert refusals == [("desk-user", second, "print card: " + CAST_ALREADY)]
