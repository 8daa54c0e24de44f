"""Approval and ranked ballots in headless Chromium with no JavaScript, 320 px wide, in each
language: ticks, rank selects, a refusal explained in the reader's language, the review."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, PageWatch
from tests.server import Gunicorn
from tests.test_methods import DEFINITION
from tests.test_phone_browser import LANGUAGES, RECEIPT, assert_fits, phone, say
from voting import verify

pytestmark = pytest.mark.server


@pytest.fixture
def server(app, instance_path, database_url):
    gunicorn = Gunicorn(instance_path, database_url, workers=2)
    yield gunicorn
    gunicorn.stop()


def rank(page, award: str, nominee: str, place: str) -> None:
    page.select_option(f"select[name='rank-{award}-{nominee}']", place)


def test_approval_and_ranked_ballots_without_javascript_on_the_smallest_phone(
    app, elections, server, chromium
):
    election = elections.create(DEFINITION, attendees=len(LANGUAGES))
    folder = ARTIFACTS / "phone" / "methods"
    folder.mkdir(parents=True, exist_ok=True)
    base = server.url
    for language, token in zip(LANGUAGES, election.tokens, strict=True):
        context = phone(chromium, 320, 568, language)
        page = context.new_page()
        watch = PageWatch(page, base)
        page.goto(f"{base}/v/{token}")
        assert page.url == f"{base}/ballot"
        assert_fits(page)
        small = page.evaluate(
            "[...document.querySelectorAll('.rank select')]"
            ".filter(e => e.getBoundingClientRect().height < 44).length"
        )
        assert small == 0
        page.screenshot(path=str(folder / f"{language}-1-ballot.png"), full_page=True)
        for slug in ("ann", "ben"):
            page.click(f"label.choice:has(input[name='award-approved'][value='{slug}'])")
        rank(page, "scored", "eve", "1")
        rank(page, "scored", "dan", "2")
        rank(page, "runoff", "hal", "1")
        page.click("label.choice:has(input[name='abstain-runoff'])")  # a rank and "abstain"
        with page.expect_navigation():
            page.click("form[action='/ballot'] button[type=submit]")
        refusal = say(app, language, "Give ranks or choose “Abstain”, not both.")
        assert refusal in page.inner_text("#abstain-runoff")
        if language != "en":
            assert refusal != say(app, "en", "Give ranks or choose “Abstain”, not both.")
        # What was chosen is still there; take "abstain" back and rank a second finalist.
        assert page.is_checked("input[name='award-approved'][value='ann']")
        page.click("label.choice:has(input[name='abstain-runoff'])")
        rank(page, "runoff", "gus", "2")
        with page.expect_navigation():
            page.click("form[action='/ballot'] button[type=submit]")
        assert page.url == f"{base}/review"
        review = page.inner_text("main")
        assert review.index("Hal") < review.index("Gus") and "Eve" in review
        assert_fits(page)
        page.screenshot(path=str(folder / f"{language}-2-review.png"), full_page=True)
        with page.expect_navigation():
            page.click("form[action='/cast'] button[type=submit]")
        assert RECEIPT.search(page.inner_text(".receipt"))
        # The refused ballot came back as a 422, as it should; nothing else went wrong.
        assert [e for e in watch.errors if "422" not in e] == [] and watch.outside() == []
        context.close()
    elections.close(election.slug)
    report = verify.verify_board(
        elections.board(election.slug), openings=elections.openings(election.slug)
    )
    approved, scored, runoff = report.tally
    assert {r["nominee"]: r["votes"] for r in approved["results"]} == {
        "ann": 3,
        "ben": 3,
        "cleo": 0,
    }
    assert scored["winners"] == ["eve"] and runoff["winners"] == ["hal"]
