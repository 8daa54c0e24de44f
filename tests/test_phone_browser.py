"""Voting on a phone in a real browser with JavaScript off: two screen sizes, three languages,
screenshots kept in test-artifacts/phone/; and an axe-core accessibility check of every page
a voter may see."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask_babel import gettext
from sqlalchemy import select

from tests.browser import ARTIFACTS, PageWatch
from tests.server import Gunicorn
from tests.staff import PASSWORD, add_user
from voting import verify
from voting.db import get_session
from voting.models import Attendee

pytestmark = pytest.mark.server
VIEWPORTS = [(390, 844), (320, 568)]
LANGUAGES = ["en", "de", "fr"]
PICKS = {"cluster-manager": "jan-kowalski", "strategic-partnership": "abstain"}
RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def say(app, language: str, text: str) -> str:
    """What the app says for *text* in *language* (its own catalogue, whatever the wording)."""
    with app.test_request_context(headers={"Accept-Language": language}):
        return gettext(text)


@pytest.fixture
def server(app, instance_path, database_url):
    gunicorn = Gunicorn(instance_path, database_url, workers=2)
    yield gunicorn
    gunicorn.stop()


def phone(chromium, width: int, height: int, language: str, *, javascript: bool = False):
    return chromium.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
        locale=language,
        extra_http_headers={"Accept-Language": language},
        bypass_csp=javascript,  # only for injecting axe-core into the page
    )


def assert_fits(page) -> None:
    """No sideways scrolling, and every control big enough to tap (44 x 44 CSS pixels)."""
    # Against the screen's own width: a mobile browser widens innerWidth to fit what overflows.
    overflow = page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"{overflow}px wider than the screen"
    small = page.evaluate(
        """[...document.querySelectorAll('label.choice, button, .button')]
            .map(e => e.getBoundingClientRect())
            .filter(r => r.width < 44 || r.height < 44).length"""
    )
    assert small == 0


def test_a_full_vote_in_each_language_on_small_phones(app, elections, server, chromium, request):
    folder = ARTIFACTS / "phone" / request.node.callspec.id
    folder.mkdir(parents=True, exist_ok=True)
    election = elections.create(attendees=len(VIEWPORTS) * len(LANGUAGES))
    tokens = iter(election.tokens)
    base = server.url
    for width, height in VIEWPORTS:
        for language in LANGUAGES:
            context = phone(chromium, width, height, language)
            page = context.new_page()
            watch = PageWatch(page, base)
            name = f"{language}-{width}x{height}"
            token = next(tokens)
            page.goto(f"{base}/v/{token}")
            assert page.url == f"{base}/ballot" and token not in page.url
            assert page.get_attribute("html", "lang") == language
            assert page.inner_text("h1") == say(app, language, "Your ballot")
            if language != "en":  # really translated, not the English fallback
                assert say(app, language, "Your ballot") != say(app, "en", "Your ballot")
            assert_fits(page)
            page.screenshot(path=str(folder / f"{name}-1-ballot.png"), full_page=True)
            for award, pick in PICKS.items():
                page.click(f"label.choice:has(input[name='award-{award}'][value='{pick}'])")
            page.click("form[action='/ballot'] button[type=submit]")
            assert page.url == f"{base}/review"
            assert page.inner_text("h1") == say(app, language, "Check your choices")
            assert_fits(page)
            page.screenshot(path=str(folder / f"{name}-2-review.png"), full_page=True)
            page.click("form[action='/cast'] button[type=submit]")
            assert page.url == f"{base}/receipt"
            thanks = say(app, language, "Thank you, your ballot has been cast")
            assert page.inner_text("h1") == thanks
            assert RECEIPT.search(page.inner_text(".receipt"))
            assert_fits(page)
            page.screenshot(path=str(folder / f"{name}-3-receipt.png"), full_page=True)
            assert watch.errors == [] and watch.outside() == []
            context.close()
    elections.close(election.slug)  # publishes the ballots still waiting for their batch
    report = verify.verify_board(elections.board(election.slug))
    assert report.ballots == len(VIEWPORTS) * len(LANGUAGES)


def test_the_language_switcher_is_kept_for_the_visit(app, elections, server, chromium):
    election = elections.create(attendees=1)
    context = phone(chromium, 390, 844, "en")
    page = context.new_page()
    page.goto(f"{server.url}/v/{election.tokens[0]}")
    page.click("form.languages button[value='fr']")
    assert page.url == f"{server.url}/ballot"
    assert page.get_attribute("html", "lang") == "fr"
    page.goto(f"{server.url}/")
    assert page.get_attribute("html", "lang") == "fr"
    context.close()


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations(app, elections, server, chromium):
    election = elections.create(attendees=2)
    base = server.url
    context = phone(chromium, 390, 844, "en", javascript=True)
    page = context.new_page()
    found = {}
    page.goto(f"{base}/v/{election.tokens[0]}")
    found["ballot"] = serious(page)
    # Each submit is awaited to the page it lands on: axe run on the document being torn
    # down fails now and then ("documentElement of null").
    with page.expect_navigation():
        page.click("form[action='/ballot'] button[type=submit]")  # nothing chosen: errors
    found["ballot with errors"] = serious(page)
    for award, pick in PICKS.items():
        page.click(f"label.choice:has(input[name='award-{award}'][value='{pick}'])")
    with page.expect_navigation():
        page.click("form[action='/ballot'] button[type=submit]")
    found["review"] = serious(page)
    with page.expect_navigation():
        page.click("form[action='/cast'] button[type=submit]")
    found["receipt"] = serious(page)
    page.goto(f"{base}/v/{election.tokens[0]}")
    found["already cast"] = serious(page)
    for name, path in (("invalid link", "/v/nonsense"), ("code", "/code"), ("home", "/")):
        page.goto(base + path)
        found[name] = serious(page)
    other = context.new_page()
    other.goto(f"{base}/ballot")
    found["no ballot"] = serious(other)
    context.close()
    assert {name: issues for name, issues in found.items() if issues} == {}


def sign_in_on(page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def test_staff_pages_fit_the_smallest_phone(app, runner, elections, server, chromium):
    """The jury's public key and the desk's resend button for a long address stay on a
    320 px screen."""
    elections.create(attendees=2)
    long_address = "zoë.müller-lüdenscheidt.forschung@innovationscluster-nordrhein.example"
    edited = runner.invoke(
        args=["attendees", "edit", "attendee1@example.org", "--email", long_address]
    )
    assert edited.exit_code == 0, edited.output
    with app.app_context():
        attendee = (
            get_session().scalars(select(Attendee).where(Attendee.email == long_address)).one()
        )
    for role in ("jury", "desk"):
        assert add_user(runner, f"{role}-user", role).exit_code == 0
    base = server.url
    for role, path in (("jury", "/jury"), ("desk", f"/desk/attendees/{attendee.id}")):
        context = phone(chromium, 320, 568, "en", javascript=True)
        page = context.new_page()
        sign_in_on(page, base, f"{role}-user")
        page.goto(base + path)
        assert page.url.endswith(path), page.url
        overflow = page.evaluate("document.documentElement.scrollWidth") - 320
        assert overflow <= 0, f"{path}: {overflow}px wider than the screen"
        squeezed = page.evaluate(
            "[...document.querySelectorAll('dd')].filter(e => e.offsetWidth < 100).length"
        )
        assert squeezed == 0, f"{path}: {squeezed} values squeezed into a sliver"
        page.screenshot(path=str(ARTIFACTS / "phone" / f"{role}-320.png"), full_page=True)
        context.close()
