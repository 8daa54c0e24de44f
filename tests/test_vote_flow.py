"""The voter's way through the test client: link, ballot, review, cast, receipt, refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from tests.helpers import definition_toml, form_on, vote_with_client
from voting.db import get_session, writing
from voting.domain.tokens import BallotTokenCodec, personal_serial
from voting.models import Ballot, EligibleToken
from voting.operations.elections import find_election


def ballots_in(app, slug: str) -> int:
    with app.app_context():
        session = get_session()
        election = find_election(session, slug)
        return session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.election_id == election.id)
        )


def test_full_vote_shows_receipt_found_on_board(app, client, elections):
    election = elections.create()
    receipt = vote_with_client(
        client,
        election.tokens[0],
        {"cluster-manager": "mario-rossi", "strategic-partnership": "abstain"},
    )
    assert ballots_in(app, election.slug) == 1
    page = client.get(f"/board/receipt/{receipt}")
    assert page.status_code == 200
    assert receipt in page.get_data(as_text=True)
    # A receipt typed by hand, in lower case and without dashes, is found too.
    assert client.get(f"/board/receipt/{receipt.replace('-', '').lower()}").status_code == 200


def test_link_moves_token_out_of_the_address_bar(client, elections):
    election = elections.create()
    response = client.get(f"/v/{election.tokens[0]}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/ballot"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    ballot = client.get("/ballot")
    html = ballot.get_data(as_text=True)
    assert election.tokens[0] not in html
    assert "<script" not in html
    assert 'name="award-cluster-manager"' in html and 'value="abstain"' in html


def test_replayed_token_gets_409_and_no_second_ballot(app, client, elections):
    election = elections.create()
    choices = {"cluster-manager": "jane-doe", "strategic-partnership": "alpine-health"}
    vote_with_client(client, election.tokens[0], choices)
    other_browser = app.test_client()
    response = other_browser.get(f"/v/{election.tokens[0]}")
    assert response.status_code == 409
    assert "already been cast" in response.get_data(as_text=True)
    assert ballots_in(app, election.slug) == 1


def test_cast_replayed_from_a_second_browser_is_refused(app, elections):
    """Two browsers hold the same token at the review step; only the first cast counts."""
    election = elections.create()
    first, second = app.test_client(), app.test_client()
    forms = []
    for browser in (first, second):
        browser.get(f"/v/{election.tokens[1]}")
        form = form_on(browser.get("/ballot").get_data(as_text=True), "/ballot")
        data = dict(
            form["fields"],
            **{"award-cluster-manager": "jan-kowalski", "award-strategic-partnership": "abstain"},
        )
        assert browser.post("/ballot", data=data).status_code == 303
        forms.append(form_on(browser.get("/review").get_data(as_text=True), "/cast")["fields"])
    assert first.post("/cast", data=forms[0]).status_code == 303
    response = second.post("/cast", data=forms[1])
    assert response.status_code == 409
    assert ballots_in(app, election.slug) == 1


def test_incomplete_ballot_is_shown_again_with_errors(client, elections):
    election = elections.create()
    client.get(f"/v/{election.tokens[0]}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(form["fields"], **{"award-cluster-manager": "mario-rossi"})
    response = client.post("/ballot", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="award-strategic-partnership-error"' in html
    group = re.search(r'<fieldset id="award-strategic-partnership"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in group
    assert "award-strategic-partnership-error" in re.search(r'aria-describedby="([^"]*)"', group)[1]
    # The answer already given is kept.
    assert form_on(html, "/ballot")["fields"]["award-cluster-manager"] == "mario-rossi"


def test_unknown_nominee_is_refused_at_cast(app, client, elections):
    election = elections.create()
    client.get(f"/v/{election.tokens[0]}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(
        form["fields"],
        **{"award-cluster-manager": "nobody", "award-strategic-partnership": "abstain"},
    )
    assert client.post("/ballot", data=data).status_code == 422
    response = client.post("/cast", data=data)
    assert response.status_code == 422
    assert ballots_in(app, election.slug) == 0


def test_post_without_csrf_token_is_refused(app, client, elections):
    election = elections.create()
    client.get(f"/v/{election.tokens[0]}")
    response = client.post(
        "/cast",
        data={"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"},
    )
    assert response.status_code == 400
    assert ballots_in(app, election.slug) == 0


def test_forged_and_garbled_tokens_get_404(app, client, elections):
    election = elections.create()
    token = election.tokens[0]
    other_key = BallotTokenCodec(["another key entirely"]).issue(
        election.slug, personal_serial(b"k" * 32, election.slug, 1, 0)
    )
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (
        token[:-5],  # truncated
        flipped,  # one character of the signature changed
        other_key,  # re-signed with another key
        "nonsense",
        "ecc2016.",
        "x" * 500,
        "%00%ff",
        "ecc2016.abc/def",
    ):
        response = client.get(f"/v/{bad}")
        assert response.status_code == 404, bad
        assert "not valid" in response.get_data(as_text=True)


def test_token_of_another_election_is_rejected(app, client, elections):
    first = elections.create()
    second = elections.create(definition_toml("second-awards"))
    with app.app_context():
        keys = app.config["BALLOT_TOKEN_KEYS"]
    _, _, rest = second.tokens[0].partition(".")
    transplanted = f"{first.slug}.{rest}"  # signature made for the other election
    assert client.get(f"/v/{transplanted}").status_code == 404
    # A serial that is validly signed for the first election but not eligible in it.
    stray = BallotTokenCodec(keys).issue(first.slug, b"\x01" * 16)
    assert client.get(f"/v/{stray}").status_code == 404
    assert client.get(f"/v/{second.tokens[0]}").status_code == 303


def test_revoked_token_gets_410(app, client, elections):
    election = elections.create()
    with app.app_context(), writing(get_session()) as session:
        # The desk's reissue marks the old hash revoked; emulate its effect.
        session.execute(update(EligibleToken).values(revoked=True))
    response = client.get(f"/v/{election.tokens[0]}")
    assert response.status_code == 410


def test_before_opening_the_voter_is_told_when(app, client, elections):
    election = elections.create(definition_toml(opens_at="2030-06-01T09:30:00"), open_voting=False)
    response = client.get(f"/v/{election.tokens[0]}")
    assert response.status_code == 303  # kept, to show the ballot once voting opens
    page = client.get("/ballot")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "not opened yet" in text and "2030" in text


def test_scheduled_close_is_enforced_without_anyone_closing(app, client, elections):
    election = elections.create(definition_toml(closes_at="2030-06-01T18:00:00"))
    client.get(f"/v/{election.tokens[0]}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(form["fields"], **{"award-best-manager": "ann", "award-best-partnership": "p1"})
    assert client.post("/ballot", data=data).status_code == 303
    cast = form_on(client.get("/review").get_data(as_text=True), "/cast")["fields"]
    # 18:00 Brussels summer time is 16:00 UTC: one second later the cast path refuses.
    app.config["VOTING_CLOCK"] = lambda: datetime(2030, 6, 1, 16, 0, 1, tzinfo=UTC)
    response = client.post("/cast", data=cast)
    assert response.status_code == 403
    assert "closed" in response.get_data(as_text=True)
    assert ballots_in(app, election.slug) == 0
    app.config["VOTING_CLOCK"] = lambda: (
        datetime(2030, 6, 1, 16, 0, 1, tzinfo=UTC) - timedelta(seconds=2)
    )
    assert client.post("/cast", data=cast).status_code == 303


def test_after_close_links_say_voting_closed(app, client, elections):
    election = elections.create()
    elections.close(election.slug)
    response = client.get(f"/v/{election.tokens[0]}")
    assert response.status_code == 403
    assert "closed" in response.get_data(as_text=True)


def test_ballot_without_token_explains_how_to_vote(client):
    response = client.get("/ballot")
    assert response.status_code == 403
    assert "QR code" in response.get_data(as_text=True)


def test_every_page_has_security_headers(client, elections):
    elections.create()
    for path in ("/", "/ballot", "/v/bad", "/nowhere", "/static/voting.css"):
        with client.get(path) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def reach_cast_form(client, token: str) -> dict:
    client.get(f"/v/{token}")
    form = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")
    data = dict(
        form["fields"],
        **{"award-cluster-manager": "jane-doe", "award-strategic-partnership": "abstain"},
    )
    assert client.post("/ballot", data=data).status_code == 303
    return form_on(client.get("/review").get_data(as_text=True), "/cast")["fields"]


def receipt_shown(client) -> str:
    page = client.get("/receipt").get_data(as_text=True)
    return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", page).group(0)


def test_a_retried_cast_after_a_lost_answer_shows_the_same_receipt(app, elections):
    """The cast went through but its answer was lost: the phone sends the same form again."""
    election = elections.create()
    phone = app.test_client()
    fields = reach_cast_form(phone, election.tokens[0])
    before = phone.get_cookie("session").value  # the cookie as it was when the answer got lost
    assert phone.post("/cast", data=fields).status_code == 303
    first = receipt_shown(phone)
    retry = app.test_client()
    retry.set_cookie("session", before)
    response = retry.post("/cast", data=fields)
    assert response.status_code == 303 and response.headers["Location"].endswith("/receipt")
    page = retry.get("/receipt").get_data(as_text=True)
    assert first in page and "already been recorded" in page
    assert ballots_in(app, election.slug) == 1


def test_a_double_tap_never_shows_an_error(app, elections):
    election = elections.create()
    phone = app.test_client()
    fields = reach_cast_form(phone, election.tokens[0])
    assert phone.post("/cast", data=fields).status_code == 303
    again = phone.post("/cast", data=fields)  # the cookie no longer holds the token
    assert again.status_code == 303 and again.headers["Location"].endswith("/receipt")
    assert ballots_in(app, election.slug) == 1


def test_the_ballot_speaks_the_browsers_language(client, elections):
    election = elections.create()
    client.get(f"/v/{election.tokens[0]}", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    page = client.get("/ballot", headers=german).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Europäisches Clustermanagement des Jahres 2016" in page
    assert "Preise der Europäischen Clusterkonferenz 2016" in page
    french = client.get("/ballot", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Partenariat stratégique européen de clusters" in french
    dutch = {"Accept-Language": "nl, en;q=0.1"}
    english = client.get("/ballot", headers=dutch).get_data(as_text=True)
    assert "European Cluster Manager of the Year 2016" in english
