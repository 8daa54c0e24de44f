"""Printed ballot cards: real PDFs whose QR codes decode back to working ballot links."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from tests.helpers import form_on, vote_with_client
from voting.domain.tokens import read_serial_code

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "north-sea-energy"}


def read_pdf(data: bytes) -> tuple[list[str], str]:
    """Every QR code's text and all the text, as a PDF reader and a phone camera see them."""
    document = pdfium.PdfDocument(data)
    try:
        codes, texts = [], []
        for page in document:
            image = page.render(scale=4).to_pil()
            codes += [result.text for result in zxingcpp.read_barcodes(image)]
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range())
            text_page.close()
            page.close()
        return codes, "\n".join(texts)
    finally:
        document.close()


@pytest.mark.parametrize("layout", ["a4", "badge"])
def test_personal_cards_decode_to_each_attendees_link(app, runner, elections, tmp_path, layout):
    app.config["PUBLIC_URL"] = "http://localhost"
    election = elections.create(attendees=9)
    out = tmp_path / "cards.pdf"
    result = runner.invoke(
        args=["tokens", "cards", "--personal", "--out", str(out), "--layout", layout]
    )
    assert result.exit_code == 0, result.output
    codes, text = read_pdf(out.read_bytes())
    expected = {f"http://localhost/v/{token}" for token in election.tokens}
    assert len(codes) == 9 and set(codes) == expected
    for number in range(1, 10):
        assert f"Attendee {number}" in text
    assert "localhost/code" in text and "Scan the QR code" in text


def test_anonymous_cards_add_ballots_that_vote(app, runner, elections, tmp_path):
    app.config["PUBLIC_URL"] = "http://localhost"
    elections.create(attendees=2)
    out = tmp_path / "anonymous.pdf"
    result = runner.invoke(args=["tokens", "cards", "--count", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    codes, text = read_pdf(out.read_bytes())
    assert len(set(codes)) == 10
    token = codes[0].rsplit("/v/", 1)[1]
    vote_with_client(app.test_client(), token, PICK)
    board = elections.board("ecc2016")
    assert any(b'"kind":"tokens.added"' in line and b'"count":10' in line for line in board)
    assert "Attendee" not in text


def test_cards_are_refused_without_a_count_or_after_close(runner, elections, tmp_path):
    elections.create(attendees=2)
    out = str(tmp_path / "x.pdf")
    assert runner.invoke(args=["tokens", "cards", "--out", out]).exit_code != 0
    elections.close("ecc2016")
    result = runner.invoke(args=["tokens", "cards", "--count", "3", "--out", out])
    assert result.exit_code == 1 and "voting is over" in result.output
    assert not Path(out).exists()


def test_a_typed_code_opens_the_ballot(app, runner, elections, tmp_path):
    election = elections.create(attendees=2)
    out = tmp_path / "cards.pdf"
    runner.invoke(args=["tokens", "cards", "--personal", "--out", str(out)])
    _, text = read_pdf(out.read_bytes())
    # A PDF reader marks the hyphen at the end of a line with U+FFFE; rejoin the two lines.
    joined = text.replace("\ufffe\r\n", "-").replace("-\r\n", "-").replace("-\n", "-")
    codes = [line.strip() for line in joined.splitlines() if read_serial_code(line.strip())]
    assert len(codes) == 2, text
    client = app.test_client()
    page = client.get("/code")
    form = form_on(page.get_data(as_text=True), "/code")
    response = client.post(
        "/code", data=dict(form["fields"], code=codes[0].lower().replace("-", " "))
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/ballot")
    assert client.get("/ballot").status_code == 200
    bad = client.post("/code", data=dict(form["fields"], code="ABCDE-FGHJK-MNPQR-STVWX-YZ0120"))
    assert bad.status_code == 422 and "not valid" in bad.get_data(as_text=True)
    # The other code, typed in another browser, opens the other attendee's ballot.
    other = app.test_client()
    form = form_on(other.get("/code").get_data(as_text=True), "/code")
    assert other.post("/code", data=dict(form["fields"], code=codes[1])).status_code == 303
    assert other.get("/ballot").status_code == 200
    assert len(election.tokens) == 2
