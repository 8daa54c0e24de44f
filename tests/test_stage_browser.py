"""The projector page in a real browser at 1920x1080, in every state: screenshots kept in
test-artifacts/stage/, no console error, nothing loaded from outside."""

from __future__ import annotations

import io
import re
import time

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser import ARTIFACTS, PageWatch
from tests.helpers import parse_forms
from tests.server import Gunicorn, HttpVoter
from tests.staff import add_user

pytestmark = pytest.mark.server
PUBLIC = "http://localhost"  # the PUBLIC_URL the instance fixture sets
BAR_TRACKS = "bars => bars.map(bar => Math.round(bar.getBoundingClientRect().width))"
PICKS = [
    {"cluster-manager": "erika-mustermann", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"},
]


def organiser_session(base: str, name: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=30)
    form = next(f for f in parse_forms(page.text) if f["action"] == "/login")
    data = dict(form["fields"], name=name, password="correct horse battery")
    response = session.post(base + "/login", data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 303
    return session


def post_form(session: requests.Session, base: str, page: str, action: str, **data) -> None:
    """Submit the form on *page* that posts to *action* (whatever its query string)."""
    forms = parse_forms(session.get(base + page, timeout=30).text)
    form = next(f for f in forms if (f["action"] or "").split("?")[0] == action)
    response = session.post(
        base + form["action"], data=dict(form["fields"], **data), allow_redirects=False, timeout=30
    )
    assert response.status_code == 303, response.text


def test_stage_in_every_state(
    app, runner, elections, instance_path, database_url, chromium, request
):
    folder = ARTIFACTS / "stage" / request.node.callspec.id
    folder.mkdir(parents=True, exist_ok=True)
    elections.create(attendees=3, open_voting=False)
    add_user(runner, "olga", "organiser")
    server = Gunicorn(instance_path, database_url, workers=2)
    try:
        base = server.url
        organiser = organiser_session(base, "olga")
        context = chromium.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        watch = PageWatch(page, base)

        def capture(name: str) -> str:
            page.goto(f"{base}/stage/ecc2016")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(folder / f"{name}.png"))
            return page.content()

        assert "Voting opens soon" in capture("1-draft")
        post_form(organiser, base, "/admin/open", "/admin/open", confirm="yes")
        tokens = elections.tokens("ecc2016")
        for token, pick in zip(tokens, PICKS, strict=True):
            HttpVoter(base).vote(token, pick)
        html = capture("2-open")
        assert "3 of 3" in html and "<svg" in html
        # The QR code on the projector scans whole, and leads to how to vote.
        shot = Image.open(io.BytesIO(page.locator(".qr").screenshot()))
        assert [code.text for code in zxingcpp.read_barcodes(shot)] == [PUBLIC + "/vote/ecc2016"]
        time.sleep(3.5)  # let the page poll its feed at least once
        post_form(organiser, base, "/admin/close", "/admin/close", confirm="yes")
        assert "Voting has closed" in capture("3-sealed")
        tracks = []
        for number in range(4, 11):
            post_form(organiser, base, "/stage/ecc2016/remote", "/stage/ecc2016/next")
            html = capture(f"{number}-step")
            tracks += [page.eval_on_selector_all(".vote-bars .bar", BAR_TRACKS)]
        # Every bar of an award has the same track, so the lengths compare.
        tracks = [widths for widths in tracks if widths]
        assert len(tracks) == 2 and all(len(set(widths)) == 1 for widths in tracks), tracks
        assert "The winners" in html and "Erika Mustermann" in html
        assert watch.errors == [], watch.errors
        assert watch.outside() == [], watch.outside()
        assert any(re.search(r"/stage/ecc2016\.json$", url) for url in watch.requests)
        context.close()
    finally:
        server.stop()
    assert len(list(folder.glob("*.png"))) == 10


def test_the_dashboard_updates_in_place_and_keeps_what_is_typed(
    app, runner, elections, instance_path, database_url, chromium
):
    """The console's figures change while an organiser types: no reload throws the text away."""
    election = elections.create(attendees=3)
    add_user(runner, "olga", "organiser")
    with (instance_path / "config.toml").open("a", encoding="utf-8") as config:
        config.write("LIVE_UPDATE_SECONDS = 1\n")
    server = Gunicorn(instance_path, database_url, workers=2)
    try:
        base = server.url
        context = chromium.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        watch = PageWatch(page, base)
        page.goto(base + "/login")
        page.fill("#name", "olga")
        page.fill("#password", "correct horse battery")
        page.click("main button[type=submit]")
        page.wait_for_url(base + "/admin")
        assert "0 ballots cast of 3 eligible attendees" in page.inner_text("#dashboard-figures")
        assert not page.is_visible("p.updated")  # with script, no manual refresh link
        page.fill("#copy_title", "Cluster Awards 2027 (draft")
        HttpVoter(base).vote(election.tokens[0], PICKS[0])
        figures = expect(page.locator("#dashboard-figures"))
        figures.to_contain_text("1 ballot cast of 3 eligible attendees", timeout=15_000)
        assert page.input_value("#copy_title") == "Cluster Awards 2027 (draft"
        assert page.evaluate("document.activeElement.id") == "copy_title"
        assert watch.errors == [], watch.errors
        assert any(url.rstrip("/").endswith("/admin") for url in watch.requests[1:])
        context.close()
    finally:
        server.stop()


def test_an_instant_runoff_plays_round_by_round_on_the_projector(
    app, runner, elections, instance_path, database_url, chromium
):
    from tests.test_methods import DEFINITION, ballot_fields, vote

    election = elections.create(DEFINITION, attendees=4)
    for token, fields in zip(
        election.tokens,
        [
            (["ann"], ["eve"], ["hal", "gus"]),
            (["ben"], ["eve"], ["gus"]),
            (["ann"], ["eve"], ["hal"]),
            (["ann"], ["dan"], ["ida", "hal"]),
        ],
        strict=True,
    ):
        vote(app.test_client(), token, ballot_fields(*fields))
    elections.close(election.slug)
    add_user(runner, "olga", "organiser")
    server = Gunicorn(instance_path, database_url, workers=1)
    try:
        base = server.url
        organiser = organiser_session(base, "olga")
        for _ in range(9):  # to the counts of the third award, the runoff
            post_form(organiser, base, "/stage/methods/remote", "/stage/methods/next")
        context = chromium.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        watch = PageWatch(page, base)
        page.goto(f"{base}/stage/methods")
        first, last = page.locator(".runoff .r1"), page.locator(".runoff .last")
        expect(first).to_have_css("opacity", "1", timeout=2500)  # round 1 comes first ...
        assert float(last.evaluate("e => getComputedStyle(e).opacity")) < 0.5
        expect(last).to_have_css("opacity", "1", timeout=12000)  # ... the last one stays
        assert float(first.evaluate("e => getComputedStyle(e).opacity")) < 0.5
        page.screenshot(path=str(ARTIFACTS / "stage" / "runoff-last-round.png"))
        assert "Hal" in last.inner_text()
        assert watch.errors == [], watch.errors
        context.close()
    finally:
        server.stop()
