"""The stage: nothing leaks before its moment, the reveal is a server-held state machine,
ties wait for the jury, and the certificate of results is signed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from tests.helpers import definition_toml, vote_with_client
from tests.staff import csrf_of, staff_client
from voting import verify

# Distinctive counts, so a leak would show: 11 and 14 appear nowhere else on the pages.
MANAGER = ["erika-mustermann"] * 11 + ["mario-rossi"] * 6 + ["abstain"] * 3
PARTNERSHIP = ["north-sea-energy"] * 14 + ["alpine-health"] * 6
COUNT = re.compile(r">\s*(11|14)( votes)?\s*<")


@pytest.fixture
def organiser(app, runner):
    return staff_client(app, runner, "organiser", "olga")


def vote_all(app, tokens, manager=MANAGER, partnership=PARTNERSHIP):
    for token, first, second in zip(tokens, manager, partnership, strict=False):
        vote_with_client(
            app.test_client(), token, {"cluster-manager": first, "strategic-partnership": second}
        )


def next_step(client, slug="ecc2016"):
    return client.post(f"/stage/{slug}/next", data={"csrf_token": csrf_of(client)})


def shown_counts(client, slug="ecc2016") -> dict[str, bool]:
    """For each award: are its per-finalist counts anywhere in the stage, its data or results?"""
    feed = client.get(f"/stage/{slug}.json").get_json()
    pages = client.get(f"/stage/{slug}").get_data(as_text=True) + client.get(
        f"/results/{slug}"
    ).get_data(as_text=True)
    in_data = {
        award["slug"]: any("votes" in f for f in award["finalists"])
        or award["abstentions"] is not None
        for award in feed["awards"]
    }
    leaked = set(COUNT.findall(pages))
    return {
        "cluster-manager": in_data.get("cluster-manager", False) or "11" in leaked,
        "strategic-partnership": in_data.get("strategic-partnership", False) or "14" in leaked,
    }


def test_no_count_appears_before_its_award_is_revealed(app, organiser, elections):
    election = elections.create(attendees=20, open_voting=False)
    client = app.test_client()
    assert shown_counts(client) == {"cluster-manager": False, "strategic-partnership": False}
    organiser.post(
        "/admin/open", data={"csrf_token": csrf_of(organiser, "/admin"), "confirm": "yes"}
    )
    vote_all(app, elections.tokens(election.slug))
    assert shown_counts(client) == {"cluster-manager": False, "strategic-partnership": False}
    assert "20 of 20" in client.get("/stage/ecc2016").get_data(as_text=True)
    elections.close(election.slug)
    expected = {"cluster-manager": False, "strategic-partnership": False}
    screens = verify.reveal_screens(["cluster-manager", "strategic-partnership"])
    for step in range(len(screens)):
        show, award = screens[step]
        if show == "bars":
            expected[award] = True
        assert shown_counts(client) == expected, screens[step]
        if step + 1 < len(screens):
            assert next_step(organiser).status_code == 303
    assert client.get("/results/ecc2016.json").get_json()["state"] == "revealed"


def test_reveal_runs_in_order_and_survives_reloads(app, organiser, elections):
    election = elections.create(attendees=20)
    vote_all(app, election.tokens)
    elections.close(election.slug)
    client = app.test_client()
    feed = client.get("/stage/ecc2016.json").get_json()
    assert feed["screen"] == ["intro", None] and feed["sealed_fingerprint"]
    intro = client.get("/stage/ecc2016").get_data(as_text=True)
    assert feed["sealed_fingerprint"] in intro
    seen = []
    while True:
        first = client.get("/stage/ecc2016.json").get_json()
        again = app.test_client().get("/stage/ecc2016.json").get_json()  # a second screen
        assert first == again
        seen.append(tuple(first["screen"]))
        if first["state"] == "revealed":
            break
        next_step(organiser)
    assert seen == [
        tuple(screen)
        for screen in verify.reveal_screens(["cluster-manager", "strategic-partnership"])
    ]
    assert "Erika Mustermann" in client.get("/stage/ecc2016").get_data(as_text=True)
    # Past the end nothing moves; the board has every step and verifies.
    next_step(organiser)
    assert client.get("/stage/ecc2016.json").get_json()["step"] == len(seen) - 1
    report = verify.verify_board(elections.board(election.slug))
    assert report.state == "revealed" and "revealed" in report.milestones


def test_only_organisers_move_the_reveal(app, runner, organiser, elections):
    election = elections.create(attendees=2)
    elections.close(election.slug)
    for role in ("desk", "jury"):
        client = staff_client(app, runner, role)
        assert next_step(client).status_code == 403
    stranger = app.test_client()
    response = stranger.post("/stage/ecc2016/next", data={"csrf_token": csrf_of(stranger)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert app.test_client().get("/stage/ecc2016.json").get_json()["step"] == 0
    assert next_step(organiser).status_code == 303
    assert app.test_client().get("/stage/ecc2016.json").get_json()["step"] == 1


def test_a_jury_tie_stops_the_reveal_until_decided(app, organiser, elections):
    election = elections.create(
        definition_toml(categories={"best": ["ann", "ben", "cleo"]}), attendees=4
    )
    for token, pick in zip(election.tokens, ["ann", "ben", "ann", "ben"], strict=True):
        vote_with_client(app.test_client(), token, {"best": pick})
    elections.close(election.slug)
    slug = "test-awards"
    next_step(organiser, slug)  # the finalists
    response = next_step(organiser, slug)  # the winner: refused, the jury has not decided
    assert response.status_code == 303
    assert app.test_client().get(f"/stage/{slug}.json").get_json()["screen"] == [
        "finalists",
        "best",
    ]
    remote = organiser.get(f"/stage/{slug}/remote").get_data(as_text=True)
    assert "Record the jury's decision" in remote and "Finalist CLEO" not in remote
    token = csrf_of(organiser, f"/stage/{slug}/remote")
    refused = organiser.post(
        f"/stage/{slug}/tie", data={"csrf_token": token, "award": "best", "winner": "cleo"}
    )
    assert refused.status_code == 303
    organiser.post(
        f"/stage/{slug}/tie", data={"csrf_token": token, "award": "best", "winner": "ben"}
    )
    next_step(organiser, slug)
    feed = app.test_client().get(f"/stage/{slug}.json").get_json()
    assert feed["screen"] == ["winner", "best"] and feed["awards"][0]["winners"] == ["ben"]
    assert "the jury decided" in app.test_client().get(f"/stage/{slug}").get_data(as_text=True)
    next_step(organiser, slug)
    next_step(organiser, slug)
    report = verify.verify_board(elections.board(slug))
    assert report.decisions == {"best": "ben"}
    assert "best: winner ben (tie decided by the jury)" in report.lines()


def test_a_shared_tie_names_joint_winners(app, organiser, elections):
    election = elections.create(
        definition_toml(categories={"best": ["ann", "ben"]}, tie_rule="shared"), attendees=2
    )
    for token, pick in zip(election.tokens, ["ann", "ben"], strict=True):
        vote_with_client(app.test_client(), token, {"best": pick})
    elections.close(election.slug)
    next_step(organiser, "test-awards")
    next_step(organiser, "test-awards")
    page = app.test_client().get("/stage/test-awards").get_data(as_text=True)
    assert "The joint winners are" in page and "share the award" in page


def test_results_exports_and_certificate(app, runner, organiser, elections, tmp_path):
    election = elections.create(attendees=20)
    vote_all(app, election.tokens)
    client = app.test_client()
    assert client.get("/results/ecc2016.csv").status_code == 409
    assert client.get("/results/ecc2016/certificate.pdf").status_code == 409
    elections.close(election.slug)
    while client.get("/stage/ecc2016.json").get_json()["state"] != "revealed":
        next_step(organiser)
    data = client.get("/results/ecc2016.json").get_json()
    assert data["categories"][0]["winners"] == ["erika-mustermann"]
    assert data["categories"][0]["results"][0]["votes"] == 11
    exported = client.get("/results/ecc2016.csv")
    assert exported.mimetype == "text/csv" and exported.mimetype_params["charset"] == "utf-8"
    assert exported.data.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    csv_text = exported.data.decode("utf-8-sig")
    first = "cluster-manager,European Cluster Manager of the Year 2016,1,erika-mustermann,"
    assert first + "Erika Mustermann,Fictional Photonics Cluster,11,yes,no" in csv_text
    certificate = client.get("/results/ecc2016/certificate.pdf").get_data()
    document = pdfium.PdfDocument(certificate)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "Certificate of results" in text and "Erika Mustermann" in text
    assert "20 ballots cast of 20 eligible attendees" in text
    assert "For the jury" in text and text.count("Signature") == 3
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate)
    key = tmp_path / "key.txt"
    key.write_text(client.get("/board/key").get_data(as_text=True))
    result = runner.invoke(args=["results", "verify-certificate", str(path), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "cluster-manager: winner erika-mustermann" in result.output
    assert runner.invoke(args=["results", "verify-certificate", str(path)]).exit_code == 0
    final = json.loads(elections.board(election.slug)[-1])["note"]
    assert (
        verify.open_checkpoint(final, verify.VerifierKey.parse(key.read_text())).fingerprint
        in result.output
    )


def test_a_changed_byte_or_another_key_fails_the_certificate(
    app, runner, organiser, elections, tmp_path
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    election = elections.create(attendees=2)
    vote_all(app, election.tokens)
    elections.close(election.slug)
    client = app.test_client()
    while client.get("/stage/ecc2016.json").get_json()["state"] != "revealed":
        next_step(organiser)
    certificate = client.get("/results/ecc2016/certificate.pdf").get_data()
    key = verify.VerifierKey.parse(client.get("/board/key").get_data(as_text=True))
    assert verify.verify_certificate(certificate, key)["results"]["ballots"] == 2
    for position in (
        100,
        len(certificate) // 2,
        certificate.rindex(b"%voting-certificate-payload") + 40,
        len(certificate) - 10,
    ):
        changed = bytearray(certificate)
        changed[position] ^= 0x01
        with pytest.raises(ValueError):
            verify.verify_certificate(bytes(changed), key)
    other = verify.VerifierKey.from_private(key.name, Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="another key"):
        verify.verify_certificate(certificate, other)
    path = tmp_path / "cert.pdf"
    path.write_bytes(certificate[:-10] + b"AAAAAAAAA\n")
    keyfile = tmp_path / "key.txt"
    keyfile.write_text(key.vkey)
    result = runner.invoke(args=["results", "verify-certificate", str(path), "--key", str(keyfile)])
    assert result.exit_code == 1 and "FAILED" in result.output
    assert Path(path).exists()


def test_the_projector_without_javascript_refreshes_itself(app, elections):
    """Only the projector reloads itself without script: nobody types on it, and a hall
    cannot walk up to press refresh. Pages with fields update in place (test_stage_browser)."""
    elections.create(attendees=3)
    page = app.test_client().get("/stage/ecc2016").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert not re.search(r"<(textarea|select)|<input(?![^>]*type=\"hidden\")", page)
    assert "<svg" in page and "/static/stage.js" in page
    assert "Vote now" in page


def test_a_tie_shares_its_rank_and_no_cell_runs_as_a_formula(app, runner, organiser, elections):
    toml = definition_toml(categories={"best": ["ann", "ben", "cleo"]}, tie_rule="shared")
    toml = toml.replace('name = "Finalist BEN"', 'name = "=HYPERLINK(\\"http://x.test\\")"')
    toml = toml.replace("[election]\n", '[election]\nplace = "Bruxelles / Brussel"\n')
    election = elections.create(toml, attendees=5)
    for token, pick in zip(election.tokens, ["ann", "ben", "ann", "ben", "cleo"], strict=True):
        vote_with_client(app.test_client(), token, {"best": pick})
    elections.close(election.slug)
    client = app.test_client()
    while client.get("/stage/test-awards.json").get_json()["state"] != "revealed":
        next_step(organiser, "test-awards")
    rows = list(
        csv.reader(io.StringIO(client.get("/results/test-awards.csv").data.decode("utf-8-sig")))
    )
    assert [(row[2], row[3]) for row in rows[1:4]] == [("1", "ann"), ("1", "ben"), ("3", "cleo")]
    assert rows[2][4] == '\'=HYPERLINK("http://x.test")'  # text, not a formula
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    certificate = client.get("/results/test-awards/certificate.pdf").get_data()
    document = pdfium.PdfDocument(certificate)
    text = document[0].get_textpage().get_text_range()
    document.close()
    today = datetime.now(ZoneInfo("Europe/Brussels")).date()
    assert f"Bruxelles / Brussel, {today.day} {today:%B %Y}" in text
    page = client.get("/results/test-awards").get_data(as_text=True)
    assert "2 votes" in page and "1 vote<" in page  # counts as text, not inside an image


def test_the_projector_qr_code_scales_whole_and_leads_to_how_to_vote(app, runner, elections):
    election = elections.create(attendees=3, open_voting=False)
    client = app.test_client()
    draft = client.get(f"/vote/{election.slug}").get_data(as_text=True)
    assert "How to vote" in draft and "Voting opens" in draft
    assert runner.invoke(args=["open"]).exit_code == 0
    page = client.get(f"/stage/{election.slug}").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*>", page)[0]
    assert 'viewBox="0 0 ' in svg and "width=" not in svg and "height=" not in svg
    assert f"<title>QR code to http://localhost/vote/{election.slug}</title>" in page
    howto = client.get(f"/vote/{election.slug}")
    assert howto.status_code == 200
    text = howto.get_data(as_text=True)
    assert "The code on the screen only brings you here" in text
    assert 'href="/code"' in text and "registration desk" in text
    assert client.get("/vote/no-such-election").status_code == 404


def test_turnout_counts_attendees_not_unissued_cards(app, runner, organiser, elections, tmp_path):
    """Ten anonymous cards sit in the desk's box: they can be cast, but they are nobody's vote
    yet, so every screen counts the turnout of the four attendees."""
    election = elections.create(attendees=4)
    cards = runner.invoke(
        args=["tokens", "cards", "--count", "10", "--out", str(tmp_path / "c.pdf")]
    )
    assert cards.exit_code == 0, cards.output
    vote_all(app, election.tokens[:2])
    client = app.test_client()
    jury = staff_client(app, runner, "jury", "jules")
    said = "2 ballots cast of 4 eligible attendees"
    assert said in organiser.get("/admin").get_data(as_text=True)
    assert ">2 of 4<" in client.get("/stage/ecc2016").get_data(as_text=True)
    feed = client.get("/stage/ecc2016.json").get_json()
    assert (feed["ballots"], feed["eligible"]) == (2, 4)
    overview = jury.get("/jury").get_data(as_text=True)
    assert said in overview and "14 on the board" in overview
    closed = runner.invoke(args=["close"])
    assert f"{said} (14 ballots could be cast)" in closed.output
    assert json.loads(runner.invoke(args=["tally", "--json"]).output)["attendees"] == 4
    while client.get("/stage/ecc2016.json").get_json()["state"] != "revealed":
        next_step(organiser)
    document = pdfium.PdfDocument(client.get("/results/ecc2016/certificate.pdf").get_data())
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert said in text
