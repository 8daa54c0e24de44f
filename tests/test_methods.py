"""Approval, points and instant runoff on the no-JavaScript ballot: what a phone posts, what the
review says, what the board seals, and a tally that the verifier recounts the same way."""

from __future__ import annotations

import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.helpers import form_on
from voting import verify

DEFINITION = """
[election]
slug = "methods"
title = "Methods"
timezone = "Europe/Brussels"
tie_rule = "jury"

[[categories]]
slug = "approved"
title = "Approval award"
method = "approval"
max_choices = 2
nominees = [
  {slug = "ann", name = "Ann"},
  {slug = "ben", name = "Ben"},
  {slug = "cleo", name = "Cleo"},
]

[[categories]]
slug = "scored"
title = "Points award"
method = "points"
points = [3, 1]
nominees = [
  {slug = "dan", name = "Dan"},
  {slug = "eve", name = "Eve"},
  {slug = "finn", name = "Finn"},
]

[[categories]]
slug = "runoff"
title = "Runoff award"
method = "irv"
no_award = true
nominees = [
  {slug = "gus", name = "Gus"},
  {slug = "hal", name = "Hal"},
  {slug = "ida", name = "Ida"},
]
"""


def ballot_fields(approved: list[str], scored: list[str], runoff: list[str]) -> MultiDict:
    """What a phone posts: ticked boxes, and a rank chosen in each finalist's select."""
    fields = MultiDict()
    for slug in approved:
        fields.add("award-approved", slug)
    for award, ranking, finalists in (
        ("scored", scored, ["dan", "eve", "finn"]),
        ("runoff", runoff, ["gus", "hal", "ida", "no-award"]),
    ):
        if ranking == ["abstain"]:
            fields.add(f"abstain-{award}", "y")
            ranking = []
        for slug in finalists:
            rank = ranking.index(slug) + 1 if slug in ranking else ""
            fields.add(f"rank-{award}-{slug}", str(rank))
    return fields


def post_ballot(client, token: str, fields: MultiDict):
    assert client.get(f"/v/{token}").status_code == 303
    page = client.get("/ballot").get_data(as_text=True)
    fields.add("csrf_token", form_on(page, "/ballot")["fields"]["csrf_token"])
    return client.post("/ballot", data=fields)


def vote(client, token: str, fields: MultiDict) -> str:
    response = post_ballot(client, token, fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    review = client.get("/review").get_data(as_text=True)
    cast = client.post("/cast", data=form_on(review, "/cast")["fields"])
    assert cast.status_code == 303
    return review


@pytest.fixture
def election(elections):
    return elections.create(DEFINITION, attendees=6)


def test_each_method_votes_reviews_in_words_and_recounts_the_same(app, runner, elections, election):
    review = vote(
        app.test_client(),
        election.tokens[0],
        ballot_fields(["ann", "ben"], ["eve", "dan"], ["hal", "gus"]),
    )
    assert "1. Hal" in review and "2. Gus" in review  # the ranking, in words and order
    assert "Ann" in review and "Ben" in review and "Cleo" not in review
    vote(app.test_client(), election.tokens[1], ballot_fields(["ben"], ["eve"], ["gus"]))
    vote(app.test_client(), election.tokens[2], ballot_fields(["cleo"], ["abstain"], ["hal"]))
    vote(app.test_client(), election.tokens[3], ballot_fields(["ben"], ["dan"], ["ida", "hal"]))
    assert runner.invoke(args=["close"]).exit_code == 0
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    approved, scored, runoff = tally["categories"]
    assert approved["method"] == "approval" and approved["winners"] == ["ben"]
    assert {r["nominee"]: r["votes"] for r in approved["results"]}["ben"] == 3
    assert {r["nominee"]: r["points"] for r in scored["results"]} == {
        "dan": 1 + 3,
        "eve": 3 + 3,
        "finn": 0,
    }
    assert scored["abstentions"] == 1 and scored["winners"] == ["eve"]
    # Round 1: gus 1, hal 2, ida 1, no award 0; no award out, then gus and ida (tied in
    # every round) together; hal wins with 3 of 3 ballots still counting.
    assert runoff["winners"] == ["hal"] and runoff["rounds"][-1]["counts"] == {"hal": 3}
    board = elections.board(election.slug)
    report = verify.verify_board(board, openings=elections.openings(election.slug))
    assert report.tally == tally["categories"]
    # Revealed: points are shown as points, the runoff round by round on the results.
    elections.reveal(election.slug)
    page = app.test_client().get("/results/methods").get_data(as_text=True)
    assert "6 points" in page and "The rounds of the instant runoff" in page
    assert "out: No award" in page and "tied in every round: out together" in page
    assert verify.verify_board(elections.board(election.slug)).tally == tally["categories"]


def test_no_award_is_ranked_like_a_finalist_where_the_award_has_it(app, election):
    review = vote(
        app.test_client(), election.tokens[0], ballot_fields(["ann"], ["dan"], ["no-award", "gus"])
    )
    assert "1. No award" in review and "2. Gus" in review
    ballot = post_ballot(app.test_client(), election.tokens[1], MultiDict())
    page = ballot.get_data(as_text=True)
    assert 'name="rank-runoff-no-award"' in page and 'name="rank-scored-no-award"' not in page


def test_the_ballot_explains_what_is_wrong_with_an_answer(app, election):
    cases = [
        (ballot_fields(["ann", "ben", "cleo"], ["dan"], ["gus"]), "Tick at most 2 finalists."),
        (ballot_fields([], ["dan"], ["gus"]), "Tick one or more finalists, or “Abstain”."),
        (ballot_fields(["ann", "abstain"], ["dan"], ["gus"]), "not both"),
    ]
    twice = ballot_fields(["ann"], ["dan"], ["gus"])
    twice.setlist("rank-scored-eve", ["1"])
    cases.append((twice, "Each rank is given once: 1 is given twice."))
    gap = ballot_fields(["ann"], ["dan"], ["gus"])
    gap.setlist("rank-scored-eve", ["3"])
    cases.append((gap, "Ranks go 1, 2, 3 … without a gap: 2 is missing."))
    nothing = ballot_fields(["ann"], [], ["gus"])
    cases.append((nothing, "Give a rank to one or more finalists, or choose “Abstain”."))
    both = ballot_fields(["ann"], ["dan"], ["gus"])
    both.add("abstain-scored", "y")
    cases.append((both, "Give ranks or choose “Abstain”, not both."))
    for fields, message in cases:
        response = post_ballot(app.test_client(), election.tokens[0], fields)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)


def test_a_hand_made_cast_form_out_of_the_rules_is_refused(app, election):
    client = app.test_client()
    vote_fields = ballot_fields(["ann"], ["dan"], ["gus"])
    assert post_ballot(client, election.tokens[0], vote_fields).status_code == 303
    fields = form_on(client.get("/review").get_data(as_text=True), "/cast")["fields"]
    for award, answer in (
        ("approved", "ben,ann"),
        ("approved", "ann,ben,cleo"),
        ("runoff", "gus,gus"),
    ):
        response = client.post("/cast", data=dict(fields, **{f"award-{award}": answer}))
        assert response.status_code == 422, answer
    assert client.post("/cast", data=fields).status_code == 303


def test_a_changed_ranking_does_not_open_its_seal(app, elections, election):
    vote(app.test_client(), election.tokens[0], ballot_fields(["ann"], ["dan", "eve"], ["gus"]))
    elections.close(election.slug)
    openings = elections.openings(election.slug)
    changed = [line.replace(b'["dan","eve"]', b'["eve","dan"]') for line in openings]
    assert changed != openings
    with pytest.raises(verify.BoardError, match="do not match the seal"):
        verify.verify_board(elections.board(election.slug), openings=changed)


def test_the_exports_and_the_certificate_take_every_method(app, elections, election):
    vote(
        app.test_client(), election.tokens[0], ballot_fields(["ann", "ben"], ["eve"], ["no-award"])
    )
    vote(app.test_client(), election.tokens[1], ballot_fields(["ann"], ["eve"], ["no-award"]))
    elections.close(election.slug)
    elections.reveal(election.slug)
    client = app.test_client()
    results = client.get("/results/methods.json").get_json()
    approved, scored, runoff = results["categories"]
    assert [(r["nominee"], r["rank"]) for r in approved["results"]] == [
        ("ann", 1),
        ("ben", 2),
        ("cleo", 3),
    ]
    assert scored["results"][0] == dict(scored["results"][0], nominee="eve", rank=1, points=6)
    assert runoff["winners"] == [] and runoff["no_award"] is True
    assert "Nobody is awarded." in client.get("/results/methods").get_data(as_text=True)
    assert client.get("/results/methods.csv").status_code == 200
    certificate = client.get("/results/methods/certificate.pdf")
    assert certificate.status_code == 200 and certificate.data.startswith(b"%PDF")


def test_the_editor_sets_an_awards_method_and_refuses_a_bad_setting(app, runner, elections):
    from tests.staff import csrf_of, staff_client

    elections.create(open_voting=False, attendees=0)
    organiser = staff_client(app, runner, "organiser", name="olga")
    award = "/admin/election/awards/cluster-manager"

    def counting(**fields):
        data = {"csrf_token": csrf_of(organiser, "/admin/election"), "counting": "yes", **fields}
        return organiser.post(award, data=data, follow_redirects=True).get_data(as_text=True)

    page = counting(method="approval", max_choices="9")
    assert "max_choices: is more than the 4 finalists" in page
    page = counting(method="points", points="3, 2, x")
    assert "must be a list of whole numbers" in page
    counting(method="irv", no_award="yes")
    counting(method="points", points="5; 3; 1")
    definitions = [
        json.loads(line)["data"]
        for line in elections.board("ecc2016")
        if b"election.defined" in line
    ]
    counted = next(c for c in definitions[-1]["categories"] if c["slug"] == "cluster-manager")
    assert (counted["method"], counted["points"]) == ("points", [5, 3, 1])
    assert "no_award" not in counted  # a setting of the method before is dropped
    assert any(
        c.get("no_award") for d in definitions for c in d["categories"] if c["method"] == "irv"
    )


def test_the_stage_plays_an_instant_runoff_round_by_round_and_the_certificate_lists_them(
    app, runner, elections, election
):
    from tests.staff import csrf_of, staff_client
    from tests.test_cards import read_pdf

    votes = [
        (["ann", "ben"], ["eve", "dan"], ["hal", "gus"]),
        (["ben"], ["eve"], ["gus"]),
        (["cleo"], ["abstain"], ["hal"]),
        (["ben"], ["dan"], ["ida", "hal"]),
    ]
    for token, fields in zip(election.tokens, votes, strict=False):
        vote(app.test_client(), token, ballot_fields(*fields))
    elections.close(election.slug)
    organiser = staff_client(app, runner, "organiser", name="olga")
    screens = verify.reveal_screens(["approved", "scored", "runoff"])
    for _ in range(screens.index(("bars", "runoff"))):
        organiser.post("/stage/methods/next", data={"csrf_token": csrf_of(organiser)})
    page = app.test_client().get("/stage/methods").get_data(as_text=True)
    rounds = re.findall(r'<div class="round r(\d+)( last)?">', page)
    assert [number for number, _last in rounds] == ["1", "2", "3"]
    assert rounds[-1][1] == " last" and not any(last for _n, last in rounds[:-1])
    assert "Round 1" in page and "out: No award" in page and "out: Gus, Ida" in page
    elections.reveal(election.slug)
    certificate = app.test_client().get("/results/methods/certificate.pdf").get_data()
    _codes, text = read_pdf(certificate)
    assert (
        "Counted by instant runoff" in text and "Round 1: Gus 1, Hal 2, Ida 1, No award 0" in text
    )
    assert "Round 2: Gus 1, Hal 2, Ida 1; out: Gus, Ida" in text
