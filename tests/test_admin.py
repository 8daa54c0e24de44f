"""The organisers' console: edit the awards, import attendees, open, send, close."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_TOML, form_on, roster_csv, vote_with_client
from tests.smtp import SmtpServer, send_queue
from tests.staff import csrf_of, staff_client
from voting import verify
from voting.db import get_session
from voting.models import ActivityRecord, Attendee, Category

PICK = {"cluster-manager": "jan-kowalski", "strategic-partnership": "abstain"}


@pytest.fixture
def organiser(app, runner):
    return staff_client(app, runner, "organiser", "olga")


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_of(client, "/admin"), **data})


def board_kinds(elections, slug: str = "ecc2016") -> list[str]:
    return [json.loads(line).get("kind") for line in elections.board(slug) if b'"seq"' in line]


def test_dashboard_shows_state_turnout_and_fingerprint(app, organiser, elections):
    election = elections.create(attendees=4)
    vote_with_client(app.test_client(), election.tokens[0], PICK)
    html = organiser.get("/admin").get_data(as_text=True)
    assert "1 ballot cast of 4 eligible attendees" in html and "open" in html
    assert "Close voting" in html and "http-equiv" not in html  # never a reload under the hands
    # With script its figures update in place; without, a link refreshes it by hand.
    assert "/static/live.js" in html and 'data-live="10"' in html
    assert re.search(
        r'<p class="updated"[^>]*data-live-manual>As of .*<a href="">Refresh</a>', html
    )
    figures = re.search(r'<div id="dashboard-figures" data-live-part>(.*?)</div>', html, re.S)[1]
    assert "1 ballot cast of 4 eligible attendees" in figures and "<input" not in figures


def test_awards_editor_changes_the_draft_and_logs_it(app, organiser, elections):
    elections.create(open_voting=False, attendees=0)
    assert (
        post(
            organiser, "/admin/election/awards", title="Best Newcomer Cluster", description=""
        ).status_code
        == 303
    )
    assert (
        post(
            organiser,
            "/admin/election/awards/best-newcomer-cluster/finalists",
            name="Zoë Demo",
            organisation="Demo Hub",
            country="be",
        ).status_code
        == 303
    )
    assert (
        post(organiser, "/admin/election/awards/best-newcomer-cluster", move="up").status_code
        == 303
    )
    removal = "/admin/election/awards/cluster-manager/finalists/jane-doe"
    asked = post(organiser, removal, delete="yes")  # the first press only asks
    assert asked.status_code == 200 and "Remove Jane Doe?" in asked.get_data(as_text=True)
    assert "Jane Doe" in organiser.get("/admin/election").get_data(as_text=True)
    confirm = form_on(asked.get_data(as_text=True), removal + "?election=ecc2016")
    assert confirm["fields"]["confirm"] == "yes"
    assert organiser.post(confirm["action"], data=confirm["fields"]).status_code == 303
    post(
        organiser,
        "/admin/election/details",
        title="Renamed Awards",
        timezone="Europe/Brussels",
        tie_rule="shared",
        opens_at="2030-05-01T09:00",
        closes_at="",
    )
    with app.app_context():
        session = get_session()
        categories = [c.slug for c in session.query(Category).order_by(Category.position)]
    assert categories == ["cluster-manager", "best-newcomer-cluster", "strategic-partnership"]
    page = organiser.get("/admin/election").get_data(as_text=True)
    assert "Renamed Awards" in page and "Zoë Demo" in page and "Jane Doe" not in page
    definitions = [
        json.loads(line) for line in elections.board("ecc2016") if b"election.defined" in line
    ]
    assert definitions[-1]["data"]["tie_rule"] == "shared"
    assert definitions[-1]["data"]["opens_at"] == "2030-05-01T07:00:00Z"
    with app.app_context():
        actions = [r.action for r in get_session().query(ActivityRecord)]
    assert actions.count("awards edited") == 5


def test_the_editor_shows_and_takes_translations_and_asks_before_removing_an_award(
    app, organiser, elections
):
    elections.create(open_voting=False, attendees=0)
    page = organiser.get("/admin/election").get_data(as_text=True)
    # The example has German and French titles for the awards: shown, and what is missing.
    assert 'name="title@de"' in page and 'name="title@fr"' in page
    assert "Europäisches Clustermanagement des Jahres 2016" in page
    assert "Deutsch ✓" in page and "Français \N{EN DASH}" in page
    post(
        organiser,
        "/admin/election/details",
        title="ECC 2016 Awards",
        place="Bruxelles / Brussel",
        timezone="Europe/Brussels",
        tie_rule="jury",
        **{"title@de": "ECC 2016 Preise", "place@de": "Brüssel", "title@fr": "", "place@fr": ""},
    )
    post(
        organiser,
        "/admin/election/awards/cluster-manager/finalists/jane-doe",
        name="Jane Doe",
        organisation="Example Maritime Cluster",
        country="IE",
        description="Ran the cluster for ten years.",
        **{"description@fr": "A dirigé le cluster pendant dix ans."},
    )
    definitions = [
        json.loads(line)["data"]
        for line in elections.board("ecc2016")
        if b"election.defined" in line
    ]
    latest = definitions[-1]
    assert latest["place"] == "Bruxelles / Brussel"
    assert latest["translations"]["de"] == {"title": "ECC 2016 Preise", "place": "Brüssel"}
    (jane,) = [n for n in latest["categories"][0]["nominees"] if n["slug"] == "jane-doe"]
    assert jane["translations"]["fr"] == {"description": "A dirigé le cluster pendant dix ans."}
    # The awards' own translations were kept by the edits that did not name them.
    first_award = definitions[0]["categories"][0]
    assert latest["categories"][0]["translations"] == first_award["translations"]
    # Removing an award asks first, naming what goes with it.
    asked = post(organiser, "/admin/election/awards/strategic-partnership", delete="yes")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "finalists will be removed" in text
    assert len(definitions) == len(
        [line for line in elections.board("ecc2016") if b"election.defined" in line]
    )
    confirm = form_on(text, "/admin/election/awards/strategic-partnership?election=ecc2016")
    organiser.post(confirm["action"], data=confirm["fields"])
    with app.app_context():
        slugs = [c.slug for c in get_session().query(Category)]
    assert slugs == ["cluster-manager"]


def test_invalid_edits_name_the_problem_and_change_nothing(app, organiser, elections):
    elections.create(open_voting=False, attendees=0)
    before = board_kinds(elections)
    response = post(
        organiser, "/admin/election/details", title="", timezone="Nowhere/Land", tie_rule="jury"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "election.title: missing" in html and "Nowhere/Land" in html
    missing = post(organiser, "/admin/election/awards/nope/finalists", name="X")
    assert missing.status_code == 422 and "no award" in missing.get_data(as_text=True)
    assert board_kinds(elections) == before


def test_editor_is_read_only_once_open(organiser, elections):
    elections.create(attendees=2)
    page = organiser.get("/admin/election").get_data(as_text=True)
    assert "fixed and published" in page and "Add award" not in page
    post(organiser, "/admin/election/awards", title="Too Late")
    assert "Too Late" not in organiser.get("/admin/election").get_data(as_text=True)


def test_attendee_upload_reports_lines_or_imports(app, organiser, elections):
    elections.create(open_voting=False, attendees=0)
    token = csrf_of(organiser, "/admin/attendees")
    bad = b"name,email\nAnn,ann@example.org\nBob,not-an-email\n"
    response = organiser.post(
        "/admin/attendees/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "line 3: invalid email" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(Attendee).count() == 0
    good = roster_csv(5)
    response = organiser.post(
        "/admin/attendees/import",
        data={"csrf_token": token, "file": (io.BytesIO(good), "list.csv")},
        content_type="multipart/form-data",
    )
    # First the check: what the file would change, and nothing written yet.
    assert response.status_code == 200
    check = response.get_data(as_text=True)
    assert "5 attendees added" in check and "Nothing is imported yet" in check
    with app.app_context():
        assert get_session().query(Attendee).count() == 0
    confirm = form_on(check, "/admin/attendees/import/confirm?election=ecc2016")
    response = organiser.post(
        "/admin/attendees/import/confirm?election=ecc2016", data=confirm["fields"]
    )
    assert response.status_code == 200
    assert "5 added" in response.get_data(as_text=True)
    assert "Attendee 5" in organiser.get("/admin/attendees?q=attendee 5").get_data(as_text=True)


def test_an_attendee_is_corrected_and_withdrawn_in_the_console(app, runner, organiser, elections):
    election = elections.create(attendees=3)
    with app.app_context():
        people = get_session().query(Attendee).order_by(Attendee.id).all()
        first, second = people[0].id, people[1].id
    page = organiser.get(f"/desk/attendees/{first}").get_data(as_text=True)
    assert "Correct the details" in page and "Withdraw this attendee" in page
    fields = form_on(page, f"/admin/attendees/{first}/edit")["fields"]
    corrected = dict(fields, email="zoë.müller@example.org", name="Zoë Müller")
    saved = organiser.post(f"/admin/attendees/{first}/edit", data=corrected)
    assert saved.status_code == 303
    page = organiser.get(f"/desk/attendees/{first}").get_data(as_text=True)
    assert "Saved." in page and "zoë.müller@example.org" in page
    # Withdrawing asks first; then the unused ballot stops, and the board shows only a hash.
    post(organiser, f"/admin/attendees/{first}/withdraw")
    assert "Tick the box" in organiser.get("/admin").get_data(as_text=True)
    assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 303
    post(organiser, f"/admin/attendees/{first}/withdraw", confirm="yes")
    refused = app.test_client().get(f"/v/{election.tokens[0]}")
    assert refused.status_code == 410 and "withdrawn" in refused.get_data(as_text=True)
    revoked = [
        json.loads(line)["data"]
        for line in elections.board("ecc2016")
        if b'"tokens.revoked"' in line
    ]
    assert len(revoked) == 1 and list(revoked[0]) == ["token_hashes"]
    assert "Zo" not in json.dumps(revoked) and len(revoked[0]["token_hashes"]) == 1
    # A ballot already cast stays counted when its attendee is withdrawn.
    vote_with_client(app.test_client(), election.tokens[1], PICK)
    post(organiser, f"/admin/attendees/{second}/withdraw", confirm="yes")
    assert "stays counted" in organiser.get("/admin").get_data(as_text=True)
    # The help desk sees the attendee but cannot change them.
    desk = staff_client(app, runner, "desk", "dana")
    assert "Correct the details" not in desk.get(f"/desk/attendees/{second}").get_data(as_text=True)
    token = csrf_of(desk, "/desk")
    denied = desk.post(f"/admin/attendees/{second}/edit", data={"csrf_token": token, "name": "X"})
    assert denied.status_code == 403


def test_open_and_close_need_confirmation(app, organiser, elections):
    elections.create(open_voting=False, attendees=3)
    assert "Open voting now" in organiser.get("/admin/open").get_data(as_text=True)
    post(organiser, "/admin/open")
    assert "draft" in organiser.get("/admin").get_data(as_text=True)
    response = post(organiser, "/admin/open", confirm="yes")
    assert response.status_code == 303
    dashboard = organiser.get("/admin").get_data(as_text=True)
    assert "Show this fingerprint to the room" in dashboard
    tokens = elections.tokens("ecc2016")
    vote_with_client(app.test_client(), tokens[0], PICK)
    post(organiser, "/admin/close", confirm="yes")
    lines = elections.board("ecc2016")
    report = verify.verify_board(lines)
    assert report.ballots == 1 and report.state == "sealed" and report.tally is None
    assert not (Path(app.instance_path) / "keys" / "delivery" / "ecc2016.key").exists()
    with app.app_context():
        actions = [(r.actor, r.action) for r in get_session().query(ActivityRecord)]
    assert ("olga", "voting opened") in actions and ("olga", "voting closed") in actions
    assert ("olga", "delivery key destroyed") in actions


def test_cards_from_the_console(app, organiser, elections):
    elections.create(attendees=3)
    personal = post(organiser, "/admin/cards/personal", layout="a4")
    assert personal.status_code == 200 and personal.data.startswith(b"%PDF")
    anonymous = post(organiser, "/admin/cards/anonymous", layout="badge", count="4")
    assert anonymous.status_code == 200 and anonymous.data.startswith(b"%PDF")
    assert post(organiser, "/admin/cards/anonymous", layout="a4", count="0").status_code == 400
    assert post(organiser, "/admin/cards/anonymous", layout="a4", count="x").status_code == 400
    assert "tokens.added" in board_kinds(elections)


def test_links_sent_from_the_console_are_queued_for_the_worker(app, organiser, elections):
    server = SmtpServer()
    server.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, MAIL_RATE=1000)
        elections.create(attendees=5)
        assert post(organiser, "/admin/send").status_code == 303
        page = organiser.get("/admin").get_data(as_text=True)
        assert "5 ballot links queued" in page and "waiting: 5" in page
        assert server.inbox.messages == []  # the request only queued
        post(organiser, "/admin/send")  # a second click queues nobody twice
        assert "on its way already" in organiser.get("/admin").get_data(as_text=True)
        assert send_queue(app).sent == 5
        assert len(server.inbox.messages) == 5
        assert "Sent: 5" in organiser.get("/admin").get_data(as_text=True)
    finally:
        server.stop()


def test_activity_page_lists_who_did_what(organiser, runner):
    runner.invoke(args=["election", "load", str(EXAMPLE_TOML)])
    page = organiser.get("/admin/activity").get_data(as_text=True)
    assert "election created" in page and "command line" in page


def test_refusals_on_the_console_and_the_stage_speak_the_organisers_language(
    app, organiser, elections
):
    elections.create()  # already open
    token = csrf_of(organiser, "/admin")
    organiser.post("/language", data={"csrf_token": token, "language": "de", "next": "/admin"})
    post(organiser, "/admin/open", confirm="yes")
    assert "die Abstimmung ecc2016 ist bereits geöffnet" in organiser.get("/admin").get_data(
        as_text=True
    )
    organiser.post("/stage/ecc2016/next", data={"csrf_token": token})
    remote = organiser.get("/stage/ecc2016/remote").get_data(as_text=True)
    assert "die Bekanntgabe beginnt, wenn die Abstimmung beendet ist" in remote
    organiser.post("/language", data={"csrf_token": token, "language": "fr", "next": "/admin"})
    post(organiser, "/admin/election/awards/nobody", title="x")
    editor = organiser.get("/admin/election").get_data(as_text=True)
    assert "Le vote est ouvert\u00a0: les prix ne peuvent plus être modifiés." in editor
