"""The ballot as an outside audit reads it: finalists' texts without script, errors a screen
reader finds, a language switch that keeps what was chosen or typed, caching only where no
ballot is held, compression where no secret is, and a focus ring that can be seen."""

from __future__ import annotations

import re
from pathlib import Path

import brotli  # Flask-Compress's own dependency

from tests.helpers import form_on

STATIC = Path(__file__).resolve().parent.parent / "voting" / "static"
STATIC_SHEETS = ("voting.css", "staff.css", "stage.css")


def open_ballot(client, election, voter: int = 0) -> str:
    assert client.get(f"/v/{election.tokens[voter]}").status_code == 303
    return client.get("/ballot").get_data(as_text=True)


def switch(client, page: str, action: str, language: str, **typed):
    """Press a language button: it submits the page's own form, as a browser does."""
    form = form_on(page, action)
    return client.post(action, data=dict(form["fields"], switch_language=language, **typed))


def test_each_finalist_has_its_short_text_collapsed(client, elections):
    page = open_ballot(client, elections.create())
    about = re.search(r'<details class="about"><summary>([^<]+)</summary><p>([^<]+)</p>', page)
    assert about and about[1] == "About Erika Mustermann"
    assert about[2] == "Placeholder finalist for demonstrations."
    assert "<details open" not in page


def test_a_ballot_with_problems_says_so_where_a_screen_reader_looks(client, elections):
    page = open_ballot(client, elections.create())
    assert re.search(r"<title>[^<]*</title>", page)[0].startswith("<title>European")
    data = dict(form_on(page, "/ballot")["fields"], **{"award-cluster-manager": "mario-rossi"})
    answer = client.post("/ballot", data=data)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert re.search(r"<title>Error: European[^<]*</title>", html)
    summary = re.search(r'<div class="alert"[^>]*>', html)[0]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    invalid = re.search(r'<fieldset id="award-strategic-partnership"[^>]*>', html)[0]
    valid = re.search(r'<fieldset id="award-cluster-manager"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in invalid and "aria-invalid" not in valid
    # Each award's hint is linked to its group, and the error too where there is one.
    described = re.search(r'aria-describedby="([^"]+)"', valid)[1].split()
    assert described == ["award-cluster-manager-hint"]
    assert 'id="award-cluster-manager-hint"' in html
    assert re.search(r'aria-describedby="([^"]+)"', invalid)[1].split()[-1].endswith("-error")


def test_switching_language_keeps_the_choices_and_the_problems(client, elections):
    page = open_ballot(client, elections.create())
    chosen = {"award-cluster-manager": "mario-rossi"}
    answer = switch(client, page, "/ballot", "de", **chosen)
    assert answer.status_code == 200
    german = answer.get_data(as_text=True)
    assert '<html lang="de">' in german and "Ihr Stimmzettel" in german
    assert form_on(german, "/ballot")["fields"]["award-cluster-manager"] == "mario-rossi"
    assert 'class="alert"' not in german  # nothing was checked yet: no errors shown
    # The choice was not taken as an answer: the review still waits for the whole ballot.
    assert client.get("/review").status_code == 303
    # With problems shown, the switch shows them again, in the new language.
    data = dict(form_on(german, "/ballot")["fields"])
    refused = client.post("/ballot", data=data).get_data(as_text=True)
    french = switch(client, refused, "/ballot", "fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and 'class="alert"' in french
    assert "Répondez pour chaque prix" in french
    assert form_on(french, "/ballot")["fields"]["award-cluster-manager"] == "mario-rossi"


def test_a_reused_ballot_never_shows_another_voters_answers_or_language(app, elections):
    """The awards' part is rendered once and reused (voting/web/ballot_parts.py): each
    voter still sees their own answers, in their own language, on the ballot and review."""
    election = elections.create()
    first, second, third = (app.test_client() for _ in range(3))
    answers = {
        first: {"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"},
        second: {"award-cluster-manager": "abstain", "award-strategic-partnership": "abstain"},
    }
    for n, (client, chosen) in enumerate(answers.items()):
        page = open_ballot(client, election, n)
        assert client.post("/ballot", data=dict(form_on(page, "/ballot")["fields"], **chosen))
    for client, chosen in answers.items():
        review = client.get("/review").get_data(as_text=True)
        fields = form_on(review, "/cast")["fields"]
        assert {k: v for k, v in fields.items() if k.startswith("award-")} == chosen
        back = form_on(client.get("/ballot").get_data(as_text=True), "/ballot")["fields"]
        assert back["award-cluster-manager"] == chosen["award-cluster-manager"]
    # A fresh voter, in German, after the English ones: nothing chosen, nothing English.
    third.get(f"/v/{election.tokens[2]}", headers={"Accept-Language": "de"})
    german = third.get("/ballot", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Enthaltung" in german and "Abstain" not in german
    assert " checked" not in german
    english = first.get("/review").get_data(as_text=True)
    assert "Enthaltung" not in english and "Mario Rossi" in english


def test_switching_language_keeps_the_typed_code_and_its_error(client, elections):
    elections.create()
    page = client.get("/code").get_data(as_text=True)
    typed = switch(client, page, "/code", "fr", code="ABCDE-12345")
    assert typed.status_code == 200
    html = typed.get_data(as_text=True)
    assert 'value="ABCDE-12345"' in html and 'class="error"' not in html
    refused = client.post("/code", data=dict(form_on(html, "/code")["fields"]))
    assert refused.status_code == 422
    again = switch(client, refused.get_data(as_text=True), "/code", "de")
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and '<html lang="de">' in html
    assert 'value="ABCDE-12345"' in html and 'aria-invalid="true"' in html
    assert "<title>Fehler: " in html


def test_the_plain_switcher_returns_to_a_page_that_can_be_opened(client, elections):
    election = elections.create()
    page = client.get(f"/results/{election.slug}").get_data(as_text=True)
    form = form_on(page, "/language")
    assert form["fields"]["next"] == f"/results/{election.slug}"
    answer = client.post("/language", data=dict(form["fields"], language="de"))
    assert answer.status_code == 303 and answer.headers["Location"].endswith(form["fields"]["next"])


def test_only_pages_that_hold_a_ballot_are_never_stored(client, elections):
    election = elections.create()
    page = client.get(f"/v/{election.tokens[0]}")
    ballot = client.get("/ballot")
    assert ballot.headers["Cache-Control"] == "no-store"
    data = dict(
        form_on(ballot.get_data(as_text=True), "/ballot")["fields"],
        **{"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"},
    )
    client.post("/ballot", data=data)
    assert client.get("/review").headers["Cache-Control"] == "no-store"
    for path in ("/", "/board", f"/results/{election.slug}", f"/stage/{election.slug}"):
        assert client.get(path).headers["Cache-Control"] == "private, no-cache", path
    assert page.status_code == 303


def test_text_is_compressed_but_never_a_page_with_a_form_token(client, elections):
    election = elections.create()
    browser = {"Accept-Encoding": "br"}
    with client.get("/static/voting.css", headers=browser) as sheet:
        assert sheet.headers["Content-Encoding"] == "br"
        assert brotli.decompress(sheet.get_data()) == (STATIC / "voting.css").read_bytes()
    board = client.get(f"/board.jsonl?election={election.slug}", headers=browser)
    assert board.status_code == 200 and board.headers["Content-Encoding"] == "br"
    assert b'"kind"' in brotli.decompress(board.get_data())
    page = client.get(f"/results/{election.slug}", headers=browser)
    assert "Content-Encoding" not in page.headers and "csrf_token" in page.get_data(as_text=True)


HEX = r"(#[0-9a-f]{6}|#[0-9a-f]{3})\b"


def rgb(colour: str) -> list[float]:
    digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
    return [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]


def contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb(colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_on_every_background_it_meets():
    voter, staff, stage = ((STATIC / name).read_text() for name in STATIC_SHEETS)
    ring = re.search(r"(?m)^:focus-visible\{outline:3px solid " + HEX, voter)[1]
    # Pages' own backgrounds (the blue of buttons and the header is met only in the header).
    light = set(re.findall(r"background:" + HEX, voter + staff)) - {"#0b3d91"}
    assert len(light) >= 3
    for background in light:
        assert contrast(ring, background) >= 3, background
    header_ring = re.search(r"header\.site :focus-visible\{outline-color:" + HEX, voter)[1]
    assert contrast(header_ring, "#0b3d91") >= 3
    stage_ring = re.search(r":focus-visible\{outline:3px solid " + HEX, stage)[1]
    for background in ("#16307a", "#0a1638"):
        assert contrast(stage_ring, background) >= 3, background
