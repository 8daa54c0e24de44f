"""Open registration: one ballot per mailbox however it is spelled, the link by email through
the queue, a page that tells nobody who registered, limits that a hall behind one address
passes, and a board the verifier accepts like any other."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import definition_toml, form_on, vote_with_client
from tests.smtp import SmtpServer, send_queue, serving
from voting import verify
from voting.db import get_session
from voting.domain.definition import DefinitionError, parse_definition
from voting.domain.registration import AddressRefused, Registration
from voting.models import Attendee

OPEN = definition_toml().replace(
    'tie_rule = "jury"\n', 'tie_rule = "jury"\nregistration = "open"\n'
)
PICK = {"best-manager": "ann", "best-partnership": "p2"}


def register(client, slug: str, address: str):
    page = client.get(f"/register/{slug}")
    assert page.status_code == 200, page.get_data(as_text=True)
    form = form_on(page.get_data(as_text=True), f"/register/{slug}")
    return client.post(f"/register/{slug}", data={**form["fields"], "address": address})


def without_csrf(response) -> str:
    """The page with its form's CSRF token blanked: the token carries a timestamp."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", response.get_data(as_text=True))


def link_in(message) -> str:
    found = re.search(r"/v/(\S+)", message.get_body(("plain",)).get_content())
    assert found
    return found.group(1)


def test_each_mailbox_gets_one_ballot_and_the_board_verifies(app, elections):
    election = elections.create(OPEN, attendees=0)
    server = serving(app, SmtpServer())
    client = app.test_client()
    try:
        first = register(client, election.slug, "Zoë.Müller+awards@Example.ORG")
        assert first.status_code == 200
        assert "a personal ballot link is on its way" in first.get_data(as_text=True)
        # Asked again before it went: nothing more is queued.
        register(client, election.slug, "zoë.müller@example.org")
        register(client, election.slug, "ann@bücher.example")
        assert server.inbox.messages == []  # the requests only queued
        assert send_queue(app).sent == 2
        # Another spelling of the same mailbox later: the same answer, the same ballot again.
        again = register(client, election.slug, "ZOË.MÜLLER@example.org")
        assert without_csrf(again) == without_csrf(first).replace(
            "Zoë.Müller+awards@example.org", "ZOË.MÜLLER@example.org"
        )
        assert send_queue(app).sent == 1
    finally:
        server.stop()
    zoe = [
        m for m in server.inbox.messages if "Example.ORG" in str(m["To"]) or "Zo" in str(m["To"])
    ]
    assert len(zoe) == 2 and link_in(zoe[0]) == link_in(zoe[1])
    with app.app_context():
        people = get_session().scalars(select(Attendee).order_by(Attendee.id)).all()
        assert [p.email for p in people] == ["Zoë.Müller+awards@example.org", "ann@bücher.example"]
    receipt = vote_with_client(app.test_client(), link_in(zoe[0]), PICK)
    assert receipt
    elections.close(election.slug)
    board = elections.board(election.slug)
    report = verify.verify_board(board, key=elections.vkey(election.slug))
    assert report.ballots == 1
    text = b"".join(board).decode()
    assert "bücher" not in text and "Müller" not in text  # who registered is not public
    assert '"registration":{"fold":["case","plus"],"mode":"open"}' in text.replace(" ", "")


def test_registration_is_refused_where_the_file_does_not_open_it(app, elections):
    listed = elections.create(attendees=1)
    page = app.test_client().get(f"/register/{listed.slug}")
    assert page.status_code == 410 and "registration for" in page.get_data(as_text=True)


def test_after_the_close_nobody_registers(app, elections):
    election = elections.create(OPEN, attendees=0)
    elections.close(election.slug)
    assert app.test_client().get(f"/register/{election.slug}").status_code == 410


def test_not_an_address_is_explained(app, elections):
    election = elections.create(OPEN, attendees=0)
    refused = register(app.test_client(), election.slug, "ann at example dot org")
    assert refused.status_code == 422
    assert "This is not an email address" in refused.get_data(as_text=True)


def test_a_hall_behind_one_address_registers_but_one_mailbox_is_not_bombed(app, elections):
    election = elections.create(OPEN, attendees=0)
    server = serving(app, SmtpServer())
    client = app.test_client()  # every request from the same client address
    try:
        statuses = [
            register(client, election.slug, f"voter{n}@example.org").status_code for n in range(60)
        ]
        assert set(statuses) == {200}
        spellings = ["bo@example.org", "BO@example.org", "bo+1@example.org", "Bo+2@Example.org"]
        assert [register(client, election.slug, a).status_code for a in spellings] == [
            200, 200, 200, 429,
        ]  # fmt: skip
        send_queue(app)
    finally:
        server.stop()
    # Three asks, one ballot, and the link again only once it had gone out.
    with app.app_context():
        assert get_session().scalar(select(Attendee.id).where(Attendee.email == "bo@example.org"))
        assert len(get_session().scalars(select(Attendee)).all()) == 61


def test_a_withdrawn_registration_is_sent_nothing(app, runner, elections):
    election = elections.create(OPEN, attendees=0)
    server = serving(app, SmtpServer())
    client = app.test_client()
    try:
        register(client, election.slug, "eve@example.org")
        send_queue(app)
        withdrawn = runner.invoke(args=["attendees", "withdraw", "eve@example.org"])
        assert withdrawn.exit_code == 0, withdrawn.output
        answer = register(client, election.slug, "Eve@example.org")
        assert "on its way" in answer.get_data(as_text=True)  # the page tells nothing
        send_queue(app)
    finally:
        server.stop()
    assert len(server.inbox.messages) == 1


@pytest.mark.parametrize(
    ("fold", "address", "mailbox"),
    [
        (("case", "plus"), "Ann.Lee+Awards@EXAMPLE.org", "ann.lee@example.org"),
        (("case", "plus", "dots"), "Ann.Lee+x@gmail.com", "annlee@gmail.com"),
        ((), "Ann.Lee+x@Example.org", "Ann.Lee+x@example.org"),
        (("case",), "zoe\u0308@b\u00fccher.example", "zo\u00eb@xn--bcher-kva.example"),
    ],
)
def test_addresses_fold_as_the_organiser_chooses(fold, address, mailbox):
    assert Registration("open", fold).mailbox(address)[1] == mailbox


def test_an_address_must_be_one():
    with pytest.raises(AddressRefused):
        Registration("open").mailbox("two@example.org three@example.org")


def test_the_election_file_says_how_registration_works():
    parsed = parse_definition(
        OPEN.replace(
            'registration = "open"\n', 'registration = "open"\nregistration_fold = ["case"]\n'
        )
    )
    assert parsed.registration == Registration("open", ("case",))
    with pytest.raises(DefinitionError) as refused:
        parse_definition(OPEN.replace('"open"', '"anyone"'))
    assert "election.registration: must be one of list, open" in str(refused.value)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(
            definition_toml().replace(
                'tie_rule = "jury"\n', 'tie_rule = "jury"\nregistration_fold = ["case"]\n'
            )
        )
    assert 'only for registration = "open"' in str(refused.value)
