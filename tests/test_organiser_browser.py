"""An organiser runs a whole election in a real browser on a fresh instance: the first account
from the one-time link `voting init` prints, the election, its award and finalists, the
attendee list from a pretix export, opening, ballot cards, votes on phones, closing, the reveal
and the signed certificate. No command line but `voting init`, no database writes: this is
the promise that an organiser needs nothing but the browser. Screenshots are kept in
test-artifacts/organiser/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import zxingcpp

import tests.server
from tests.browser import ARTIFACTS, PageWatch
from tests.exports import pretix_export
from tests.server import ROOT, Gunicorn, free_port
from tests.staff import PASSWORD

pytestmark = pytest.mark.server
LINK = re.compile(r"http://\S+/setup/\S+")
RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
TITLE = "Øresund Cluster Awards 2026"
SLUG = "oresund-2026"
ZONE = "Europe/Copenhagen"
AWARD = "Cluster Manager of the Year"
FINALISTS = [
    ("Zoë Müller", "Clustër Nord e.V.", "DE"),
    ("Łukasz Øresund", "Baltic Photonics Cluster", "PL"),
]
VOTES = ["Zoë Müller", "Łukasz Øresund", "Zoë Müller"]  # Zoë Müller wins, 2 to 1
ATTENDEES = 7  # the pretix export's paid and pending registrations


def voting_init(instance: Path, database_url: str, public_url: str) -> str:
    """`voting init` on an empty folder, as an operator runs it; the set-up link it prints."""
    env = dict(os.environ, VOTING_INSTANCE=str(instance), DATABASE_URL=database_url)
    result = subprocess.run(
        [sys.executable, "-m", "voting", "init", "--public-url", public_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    match = LINK.search(result.stdout)
    assert match, result.stdout
    return match.group(0)


def start_server(instance: Path, database_url: str, monkeypatch) -> tuple[Gunicorn, str]:
    """`voting init`, then gunicorn on the port PUBLIC_URL names; and the set-up link."""
    port = free_port()
    monkeypatch.setattr(tests.server, "free_port", lambda: port)
    link = voting_init(instance, database_url, f"http://127.0.0.1:{port}")
    return Gunicorn(instance, database_url, workers=2), link


def schedule() -> tuple[str, str]:
    """Opens an hour ago, closes tomorrow, in the election's local time."""
    now = datetime.now(ZoneInfo(ZONE))
    moment = "%Y-%m-%dT%H:%M"
    return (now - timedelta(hours=1)).strftime(moment), (now + timedelta(days=1)).strftime(moment)


def create_first_organiser(page, link: str) -> None:
    page.goto(link)
    page.fill("#name", "olga")
    page.fill("#password", PASSWORD)
    page.fill("#again", PASSWORD)
    page.click("button:has-text('Create the account and sign in')")
    assert page.url.endswith("/admin"), page.url
    assert "There is no election yet" in page.inner_text("main")


def create_election(page) -> None:
    opens_at, closes_at = schedule()
    page.fill("#title", TITLE)
    page.fill("#slug", SLUG)
    page.select_option("#timezone", ZONE)
    page.fill("#opens_at", opens_at)
    page.fill("#closes_at", closes_at)
    page.check("input[name=tie_rule][value=shared]")
    page.uncheck("input[name=languages][value=fr]")
    page.click("button:has-text('Create the election')")
    assert f"/admin/election?election={SLUG}" in page.url, page.url
    assert page.inner_text("h1") == "Awards and finalists"
    languages = page.inner_text("details.translations summary")  # besides English
    assert "Deutsch" in languages and "Français" not in languages, languages


def add_award_with_finalists(page) -> None:
    page.fill("#new-award-title", AWARD)
    page.click("button:has-text('Add award')")
    assert "Saved." in page.inner_text("main")
    for name, organisation, country in FINALISTS:
        adding = page.locator("details:has(summary:text-is('Add a finalist'))")
        if adding.get_attribute("open") is None:
            adding.locator("summary").click()
        page.get_by_label("New finalist: name").fill(name)
        adding.get_by_label("Organisation").fill(organisation)
        adding.get_by_label("Country (two letters)").fill(country)
        page.click("button:has-text('Add finalist')")
        assert "Saved." in page.inner_text("main")
    finalists = page.inner_text("ol.finalists")
    assert all(name in finalists for name, _, _ in FINALISTS), finalists


def import_attendees(page) -> None:
    page.click("nav.staff a:text-is('Attendees')")
    page.set_input_files(
        "#file",
        files=[{"name": "pretix-orders.csv", "mimeType": "text/csv", "buffer": pretix_export()}],
    )
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    check = page.inner_text("main")
    assert "Check pretix-orders.csv before importing it" in check, check
    assert f"{ATTENDEES} attendees added" in check and "3 rows skipped" in check
    page.click("form[action*='/attendees/import/confirm'] button[type=submit]")
    done = page.inner_text("main")
    assert "pretix-orders.csv: 7 added, 0 updated, 0 unchanged" in done, done
    assert f"{ATTENDEES} attendees." in done and "Zoë Müller" in done


def to_console(page) -> None:
    page.click("nav.staff a:text-is('Console')")
    assert page.inner_text("h1") == TITLE


def print_personal_cards(page) -> bytes:
    """The console's "a card for every attendee", downloaded as the organiser prints it."""
    with page.expect_download() as download:
        page.click("form[action*='/cards/personal'] button[type=submit]")
    return Path(download.value.path()).read_bytes()


def ballot_links(pdf: bytes) -> list[str]:
    """The QR codes on the cards, as a phone camera reads them."""
    document = pdfium.PdfDocument(pdf)
    try:
        links = []
        for page in document:
            image = page.render(scale=4).to_pil()
            links += [result.text for result in zxingcpp.read_barcodes(image)]
        return links
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, as a reader copies it out."""
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range())
            text_page.close()
        return "\n".join(texts)
    finally:
        document.close()


def open_voting(page) -> None:
    page.click("a:has-text('Open voting…')")
    facts = page.inner_text("dl.facts")
    assert str(ATTENDEES) in facts and "Łukasz Øresund" in facts, facts
    assert "shared" in facts and re.search(r"\(CES?T\) → .+\(CES?T\)", facts), facts
    page.check("input[name=confirm]")
    page.click("button:has-text('Open voting now')")
    assert "Voting is open. Show this fingerprint to the room" in page.inner_text("main")
    assert f"0 ballots cast of {ATTENDEES} eligible attendees" in page.inner_text("main")


def vote(chromium, base: str, link: str, finalist: str, screenshot: Path | None) -> None:
    """One attendee on a phone, no JavaScript: link, ballot, review, cast, receipt."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(link)
    assert page.url == f"{base}/ballot", page.url
    page.locator("label.choice", has_text=finalist).click()
    page.click("form[action='/ballot'] button[type=submit]")
    assert page.url == f"{base}/review" and finalist in page.inner_text("dl.summary")
    page.click("form[action='/cast'] button[type=submit]")
    assert page.url == f"{base}/receipt"
    assert RECEIPT.search(page.inner_text(".receipt"))
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    assert watch.errors == [] and watch.outside() == [], (watch.errors, watch.outside())
    context.close()


def close_voting(page, cast: int) -> None:
    page.click("a:has-text('Close voting…')")
    assert f"{cast} ballots cast of {ATTENDEES} eligible attendees" in page.inner_text("main")
    page.check("input[name=confirm]")
    page.click("button:has-text('Close voting')")
    assert "Voting is closed and the result sealed" in page.inner_text("main")


def run_the_reveal(page) -> None:
    """The stage remote's "Next" until there is nothing left to show."""
    page.click("nav.staff a:text-is('Stage')")
    for _ in range(20):
        step = page.locator("button.next")
        if step.count() == 0:
            break
        step.click()
    assert "nothing: the reveal is over" in page.inner_text("dl.facts")


def show_the_projector(page, screenshot: Path) -> None:
    page.click("a:text-is('The projector page')")
    page.wait_for_load_state("networkidle")
    stage = page.inner_text("main")  # as shown: the label is in capitals
    assert "THE WINNERS" in stage.upper() and "Zoë Müller" in stage, stage
    page.screenshot(path=str(screenshot))
    page.go_back()


def download_certificate(page) -> bytes:
    page.click("a:text-is('Console')")
    page.click("a:text-is('Results')")
    results = page.inner_text("main")
    assert "Winner: Zoë Müller" in results, results
    with page.expect_download() as download:
        page.click("a:has-text('signed certificate (PDF)')")
    return Path(download.value.path()).read_bytes()


def screenshot_folder(name: str) -> Path:
    """test-artifacts/organiser/NAME, without the screenshots of an earlier run."""
    folder = ARTIFACTS / "organiser" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def errors_besides_downloads(watch: PageWatch, downloads: list[str]) -> list[str]:
    """The page's errors, less the navigations Chromium ends itself to hand a file over."""
    return [error for error in watch.errors if error.removeprefix("failed: ") not in downloads]


def test_an_organiser_runs_an_election_in_the_browser(
    tmp_path, database_url, chromium, monkeypatch, request
):
    folder = screenshot_folder(request.node.callspec.id)
    server, setup_link = start_server(tmp_path / "fresh-instance", database_url, monkeypatch)
    try:
        base = server.url
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        watch = PageWatch(page, base)
        downloads: list[str] = []
        page.on("download", lambda download: downloads.append(download.url))
        create_first_organiser(page, setup_link)
        create_election(page)
        add_award_with_finalists(page)
        page.screenshot(path=str(folder / "1-editor.png"), full_page=True)
        import_attendees(page)
        to_console(page)
        links = ballot_links(print_personal_cards(page))
        assert len(links) == ATTENDEES and all(u.startswith(f"{base}/v/") for u in links)
        open_voting(page)
        for number, (link, finalist) in enumerate(zip(links[: len(VOTES)], VOTES, strict=True)):
            shot = folder / "2-receipt.png" if number == 0 else None
            vote(chromium, base, link, finalist, shot)
        page.reload()
        cast = len(VOTES)
        assert f"{cast} ballots cast of {ATTENDEES} eligible attendees" in page.inner_text("main")
        page.screenshot(path=str(folder / "3-console-open.png"), full_page=True)
        close_voting(page, cast)
        run_the_reveal(page)
        show_the_projector(page, folder / "4-stage.png")
        certificate = download_certificate(page)
        page.screenshot(path=str(folder / "5-results.png"), full_page=True)
        assert certificate.startswith(b"%PDF")
        text = pdf_text(certificate)
        assert TITLE in text and "Zoë Müller" in text, text
        assert f"{cast} ballots cast of {ATTENDEES} eligible attendees" in text, text
        assert len(downloads) == 2
        assert errors_besides_downloads(watch, downloads) == [], watch.errors
        assert watch.outside() == [], watch.outside()
        context.close()
    finally:
        server.stop()
    assert len(list(folder.glob("*.png"))) == 5
