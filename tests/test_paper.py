"""Paper ballots: entered twice by two staff members at the desk, recorded only when both
entries agree, spent like a phone's ballot (once, whatever the channel, even racing), and
counted per channel on the board, the tally and the results."""

from __future__ import annotations

import json
import re
import threading

from tests.helpers import form_on, vote_with_client
from tests.staff import staff_client
from voting import services, verify
from voting.domain.tokens import serial_code

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
OTHER = {"cluster-manager": "abstain", "strategic-partnership": "abstain"}


def code_of(app, token: str) -> str:
    """The code typed in from a card: what the paper ballot prints beside its QR code."""
    with app.app_context():
        return serial_code(services.codec().read(token)[1])


def enter(client, code: str, choices: dict[str, str]):
    """One person's entry of a paper ballot through the desk's form."""
    page = client.get("/desk/paper").get_data(as_text=True)
    form = form_on(page, "/desk/paper/entries?election=ecc2016")
    data = {"csrf_token": form["fields"]["csrf_token"], "code": code}
    data.update({f"award-{award}": answer for award, answer in choices.items()})
    return client.post("/desk/paper/entries?election=ecc2016", data=data)


def said(client, response) -> str:
    assert response.status_code in (303, 409), response.get_data(as_text=True)
    if response.status_code == 409:
        return response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def ballots_on_board(elections, slug: str) -> list[dict]:
    return [
        json.loads(line)["data"]
        for line in elections.board(slug)
        if json.loads(line).get("kind") == "ballot.cast"
    ]


def test_two_entries_that_agree_record_one_paper_ballot(app, runner, elections):
    election = elections.create(attendees=4)
    anna = staff_client(app, runner, "desk", name="anna")
    bert = staff_client(app, runner, "desk", name="bert")
    code = code_of(app, election.tokens[0])
    first = said(anna, enter(anna, code, PICK))
    assert "Now a second person enters the paper ballot" in first
    assert "waiting for a second person" in first
    # The same person entering it again is still one person: nothing is recorded.
    assert "Now a second person" in said(anna, enter(anna, code, PICK))
    assert ballots_on_board(elections, election.slug) == []
    second = said(bert, enter(bert, code, PICK))
    assert "Both entries agree" in second and "is recorded" in second
    # Recorded, the first person's entry is no longer waiting.
    assert "waiting for a second person" not in anna.get("/desk/paper").get_data(as_text=True)
    ballot = ballots_on_board(elections, election.slug)
    assert len(ballot) == 1 and ballot[0]["channel"] == "paper"
    vote_with_client(app.test_client(), election.tokens[1], PICK)
    elections.close(election.slug)
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    assert tally["channels"] == {"paper": 1, "phone": 1}
    assert tally["categories"][0]["results"][0]["votes"] == 2
    report = verify.verify_board(
        elections.board(election.slug), openings=elections.openings(election.slug)
    )
    assert report.tally == tally["categories"]
    elections.reveal(election.slug)
    page = app.test_client().get("/results/ecc2016").get_data(as_text=True)
    assert "1 on a phone, 1 on paper" in page


def test_a_mismatch_is_shown_to_both_and_nothing_counts_until_they_agree(app, runner, elections):
    election = elections.create(attendees=2)
    anna = staff_client(app, runner, "desk", name="anna")
    bert = staff_client(app, runner, "organiser", name="bert")
    code = code_of(app, election.tokens[0]).lower().replace("-", " ")  # as typed in a hurry
    said(anna, enter(anna, code, PICK))
    mismatch = said(bert, enter(bert, code, OTHER))
    assert "differ in: European Cluster Manager of the Year 2016" in mismatch
    assert "Nothing is recorded" in mismatch
    assert "Strategic" not in mismatch.split("differ in:")[1].split(".")[0]
    waiting = anna.get("/desk/paper").get_data(as_text=True)
    assert "differs in: European Cluster Manager" in waiting
    assert ballots_on_board(elections, election.slug) == []
    assert "Both entries agree" in said(bert, enter(bert, code, PICK))
    assert len(ballots_on_board(elections, election.slug)) == 1
    with app.app_context():
        from voting.db import get_session
        from voting.operations.activity import recent
        from voting.operations.elections import find_election

        session = get_session()
        actions = [r.action for r in recent(session, find_election(session, "ecc2016"))]
    assert "paper ballot entries differ" in actions and "paper ballot recorded" in actions


def test_a_token_counts_once_whichever_channel_comes_first(app, runner, elections):
    election = elections.create(attendees=3)
    anna = staff_client(app, runner, "desk", name="anna")
    bert = staff_client(app, runner, "desk", name="bert")
    # Used on a phone: its paper ballot is refused at the first entry.
    vote_with_client(app.test_client(), election.tokens[0], PICK)
    refused = said(anna, enter(anna, code_of(app, election.tokens[0]), PICK))
    assert "this ballot has already been cast" in refused
    with app.app_context():  # the refusal said the ballot was used: it is on the record
        from voting.db import get_session
        from voting.operations.activity import recent
        from voting.operations.elections import find_election

        session = get_session()
        logged = recent(session, find_election(session, "ecc2016"))
        assert any(r.action == "paper ballot refused" and r.actor == "anna" for r in logged)
    # Used on paper: the phone is told the ballot was cast.
    code = code_of(app, election.tokens[1])
    said(anna, enter(anna, code, PICK))
    said(bert, enter(bert, code, PICK))
    phone = app.test_client()
    assert phone.get(f"/v/{election.tokens[1]}").status_code == 409
    assert len(ballots_on_board(elections, election.slug)) == 2


def test_paper_and_phone_racing_for_one_token_spend_it_once(app, runner, elections):
    election = elections.create(attendees=6)
    anna = staff_client(app, runner, "desk", name="anna")
    bert = staff_client(app, runner, "desk", name="bert")
    outcomes = []
    for token in election.tokens:
        code = code_of(app, token)
        said(anna, enter(anna, code, PICK))
        phone = app.test_client()
        assert phone.get(f"/v/{token}").status_code == 303
        review = phone.get("/ballot").get_data(as_text=True)
        fields = dict(form_on(review, "/ballot")["fields"])
        fields.update({f"award-{k}": v for k, v in OTHER.items()})
        assert phone.post("/ballot", data=fields).status_code == 303
        cast_fields = form_on(phone.get("/review").get_data(as_text=True), "/cast")["fields"]
        page = bert.get("/desk/paper").get_data(as_text=True)
        paper_form = form_on(page, "/desk/paper/entries?election=ecc2016")
        paper_fields = {
            "csrf_token": paper_form["fields"]["csrf_token"],
            "code": code,
            **{f"award-{k}": v for k, v in PICK.items()},
        }
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}

        def by_phone(phone=phone, cast_fields=cast_fields, barrier=barrier, results=results):
            barrier.wait()
            results["phone"] = phone.post("/cast", data=cast_fields).status_code

        def by_paper(paper_fields=paper_fields, barrier=barrier, results=results):
            barrier.wait()
            response = bert.post("/desk/paper/entries?election=ecc2016", data=paper_fields)
            results["paper"] = response.status_code

        threads = [threading.Thread(target=by_phone), threading.Thread(target=by_paper)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append(results)
    if any(results["phone"] == 303 for results in outcomes):
        waiting = anna.get("/desk/paper").get_data(as_text=True)
        assert "cast meanwhile, on a phone" in waiting
    elections.close(election.slug)
    ballots = ballots_on_board(elections, election.slug)
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    assert tally["ballots"] == len(election.tokens)  # each token once, whichever won
    assert sum(tally["channels"].values()) == len(election.tokens)
    tokens = [b["token"] for b in verify_ballots(elections, election.slug)]
    assert len(tokens) == len(set(tokens)) == len(election.tokens)
    for results in outcomes:  # one of the two casts went through, the other was refused
        assert sorted(results.values()) == [303, 409], results
    assert len(ballots) == len(election.tokens)


def verify_ballots(elections, slug: str) -> list[dict]:
    verify.verify_board(elections.board(slug), openings=elections.openings(slug))
    return ballots_on_board(elections, slug)


PRINTED = """
[election]
slug = "printed"
title = "Printed awards"
timezone = "Europe/Brussels"
tie_rule = "jury"

[[categories]]
slug = "approved"
title = "Approval award"
title_de = "Zustimmungspreis"
method = "approval"
max_choices = 2
nominees = [
  {slug = "ann", name = "Ann Åberg", organisation = "Nordic Cluster"},
  {slug = "ben", name = "Бен Петров"},
  {slug = "cleo", name = "Cléo"},
]

[[categories]]
slug = "ranked"
title = "Ranked award"
method = "irv"
no_award = true
nominees = [{slug = "dan", name = "Dan"}, {slug = "eve", name = "Eve"}]
"""

ROSTER = (
    "name,email,language\n"
    "Zoë Müller,zoe@example.org,de\n"
    "Ляйсан Утяшева,lyaysan@example.org,fr\n"
    "Ann Other,ann@example.org,\n"
).encode()


def test_paper_ballots_print_every_award_in_the_holders_language_and_enter_from_the_page(
    app, runner, elections, tmp_path
):
    from tests.test_cards import read_pdf

    app.config["PUBLIC_URL"] = "http://localhost"
    elections.create(PRINTED, attendees=0, open_voting=False)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(ROSTER)
    assert runner.invoke(args=["attendees", "import", str(roster)]).exit_code == 0
    assert runner.invoke(args=["open"]).exit_code == 0
    out = tmp_path / "paper.pdf"
    result = runner.invoke(args=["tokens", "cards", "--personal", "--paper", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = out.read_bytes()
    codes, text = read_pdf(document)
    assert len(codes) == 3 and all(code.startswith("http://localhost/v/") for code in codes)
    for words in ("Zoë Müller", "Ляйсан Утяшева", "Бен Петров", "Ann Åberg", "No award"):
        assert words in text, words
    assert "Zustimmungspreis" in text and "Kreuzen Sie bis zu 2 Finalisten an." in text
    assert "Füllen Sie diesen Stimmzettel mit einem Stift aus" in text
    assert "Remplissez ce bulletin au stylo" in text
    assert "Approval award" in text  # ... and in English for the others
    # The code as printed (on two lines), typed in by two people, records the ballot that
    # the QR code of the same page opens.
    group = "[0-9A-HJKMNP-TV-Z]"
    printed = re.findall(
        rf"({group}{{5}}-{group}{{5}}-{group}{{5}})\W+({group}{{5}}-{group}{{6}})", text
    )
    assert len(printed) == 3, text[:800]
    printed_code = "-".join(printed[0])
    anna = staff_client(app, runner, "desk", name="anna")
    bert = staff_client(app, runner, "desk", name="bert")

    def enter_printed(client, code: str):
        page = client.get("/desk/paper").get_data(as_text=True)
        form = form_on(page, "/desk/paper/entries?election=printed")
        data = {
            "csrf_token": form["fields"]["csrf_token"],
            "code": code,
            "award-approved": ["ann", "cleo"],
            "rank-ranked-eve": "1",
            "rank-ranked-no-award": "2",
        }
        return client.post("/desk/paper/entries?election=printed", data=data)

    said(anna, enter_printed(anna, printed_code))
    # The second person scans the page's QR code instead: a scanner types in its link.
    link = next(c for c in codes if code_of(app, c.rsplit("/v/", 1)[1]) == printed_code)
    recorded = said(bert, enter_printed(bert, link))
    assert f"the paper ballot …{printed_code[-4:]} is recorded" in recorded
    used = [
        c
        for c in codes
        if app.test_client().get(c.replace("http://localhost", "")).status_code == 409
    ]
    assert len(used) == 1  # the QR code of the same page now says the ballot was cast


def test_the_console_prints_paper_ballots_too(app, runner, elections):
    from tests.staff import csrf_of

    app.config["PUBLIC_URL"] = "http://localhost"
    elections.create(attendees=2)
    organiser = staff_client(app, runner, "organiser", name="olga")
    response = organiser.post(
        "/admin/cards/anonymous?election=ecc2016",
        data={"csrf_token": csrf_of(organiser, "/admin"), "count": "3", "layout": "paper"},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    from tests.test_cards import read_pdf

    codes, text = read_pdf(response.get_data())
    assert len(set(codes)) == 3 and text.count("Mark one box: a finalist, or “Abstain”.") == 6
