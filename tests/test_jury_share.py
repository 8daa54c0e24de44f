"""A jury share, end to end: jurors named at opening vote in the app with their jury accounts,
once per award; their ballots are sealed, named on the board, and combined with the
audience's by the published formula, which the verifier recomputes."""

from __future__ import annotations

import json
import threading

from werkzeug.datastructures import MultiDict

from tests.helpers import form_on, vote_with_client
from tests.staff import add_user, sign_in, staff_client
from voting import verify

DEFINITION = """
[election]
slug = "juried"
title = "Juried awards"
timezone = "Europe/Brussels"
tie_rule = "jury"

[[categories]]
slug = "manager"
title = "Manager of the year"
[categories.jury]
weight = 0.5
combine = "rank-points"
[[categories.nominees]]
slug = "ann"
name = "Ann"
[[categories.nominees]]
slug = "ben"
name = "Ben"
[[categories.nominees]]
slug = "cleo"
name = "Cléo"

[[categories]]
slug = "cluster"
title = "Cluster of the year"
method = "points"
points = [2, 1]
jury = {weight = 0.25, combine = "shares"}
[[categories.nominees]]
slug = "dan"
name = "Dan"
[[categories.nominees]]
slug = "eve"
name = "Eve"

[[categories]]
slug = "public"
title = "Audience prize"
[[categories.nominees]]
slug = "finn"
name = "Finn"
[[categories.nominees]]
slug = "gus"
name = "Gus"
"""


def open_with_jurors(elections, runner, *jurors: str):
    election = elections.create(DEFINITION, attendees=6, open_voting=False)
    for juror in jurors:
        assert add_user(runner, juror, "jury").exit_code == 0
    result = runner.invoke(args=["open"])
    assert result.exit_code == 0, result.output
    election.tokens = elections.tokens(election.slug)
    return election


def juror_client(app, name: str):
    client = app.test_client()
    assert sign_in(client, name).status_code == 303
    return client


def jury_vote(client, award: str, fields: dict, *, expect: int = 303):
    """Fill in one award on the jury's ballot page, review it, cast it."""
    page = client.get("/jury/ballots").get_data(as_text=True)
    form = form_on(page, f"/jury/ballots/{award}?election=juried")
    data = MultiDict({"csrf_token": form["fields"]["csrf_token"]})
    for name, value in fields.items():
        data.add(name, value)
    review = client.post(f"/jury/ballots/{award}?election=juried", data=data)
    assert review.status_code == 200, review.get_data(as_text=True)
    checked = review.get_data(as_text=True)
    cast_form = form_on(checked, f"/jury/ballots/{award}/cast?election=juried")
    cast = client.post(cast_form["action"], data=cast_form["fields"])
    assert cast.status_code == expect
    return checked, cast


def board_entries(lines: list[bytes], kind: str) -> list[dict]:
    found = []
    for line in lines:
        value = json.loads(line)
        if value.get("kind") == kind:
            found.append(value["data"])
    return found


def test_jurors_vote_once_per_award_and_the_result_combines_both_parts(app, runner, elections):
    election = open_with_jurors(elections, runner, "jules", "maya")
    dan_eve = {"rank-cluster-dan": "1", "rank-cluster-eve": "2"}
    voters = [
        {"manager": "ann", **dan_eve, "public": "finn"},
        {"manager": "ann", **dan_eve, "public": "finn"},
        {"manager": "ben", "rank-cluster-eve": "1", "public": "gus"},
        {"manager": "cleo", **dan_eve, "public": "abstain"},
    ]
    for token, choices in zip(election.tokens, voters, strict=False):
        vote_with_client(app.test_client(), token, choices)
    jules, maya = juror_client(app, "jules"), juror_client(app, "maya")
    review, cast = jury_vote(jules, "manager", {"award-manager": "ben"})
    assert "Ben" in review and "cannot be changed" in review
    followed = jules.get(cast.headers["Location"]).get_data(as_text=True)
    assert "Your jury ballot is cast" in followed
    jury_vote(jules, "cluster", {"rank-cluster-eve": "1", "rank-cluster-dan": "2"})
    jury_vote(maya, "manager", {"award-manager": "ben"})
    jury_vote(maya, "cluster", {"abstain-cluster": "y"})
    # Once cast, the award's form is gone; a forged second cast is refused and logged nowhere.
    assert 'action="/jury/ballots/manager' not in jules.get("/jury/ballots").get_data(as_text=True)
    csrf = form_on(jules.get("/jury/ballots").get_data(as_text=True), "/logout")["fields"]
    again = jules.post(
        "/jury/ballots/manager/cast?election=juried",
        data={"csrf_token": csrf["csrf_token"], "answer": "cleo"},
    )
    assert "has already voted in manager" in jules.get(again.headers["Location"]).get_data(
        as_text=True
    )

    lines = elections.board(election.slug)
    opened = board_entries(lines, "voting.opened")[0]
    assert opened["jurors"] == ["jules", "maya"]
    cast_entries = board_entries(lines, "jury.ballot.cast")
    assert sorted((e["juror"], e["award"]) for e in cast_entries) == [
        ("jules", "cluster"),
        ("jules", "manager"),
        ("maya", "cluster"),
        ("maya", "manager"),
    ]
    assert all(set(e) == {"juror", "award", "sealed"} for e in cast_entries)  # sealed, no answer
    # While open, no jury ballot's answer is on the board either.
    assert not board_entries(lines, "ballot.unsealed")

    assert runner.invoke(args=["close"]).exit_code == 0
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    manager, cluster, public = tally["categories"]
    # Audience: ann 2, ben 1, cleo 1 -> 2, 0.5, 0.5 rank points; jury: ben 2 -> ben 2,
    # ann and cleo 0.5 each. Combined at one half: ben 1.25, ann 1.25, cleo 0.5.
    assert manager["audience"]["winners"] == ["ann"] and manager["jury"]["winners"] == ["ben"]
    assert {r["nominee"]: r["score"] for r in manager["combined"]["results"]} == {
        "ann": 1.25,
        "ben": 1.25,
        "cleo": 0.5,
    }
    assert manager["tie"] and manager["winners"] == ["ann", "ben"]
    # Points 2, 1: audience dan 2 + 2 + 2, eve 1 + 1 + 2 + 1 (of 11); jury eve 2, dan 1 (of 3).
    assert cluster["jury"]["ballots"] == 2 and cluster["jury"]["abstentions"] == 1
    audience_points = {r["nominee"]: r["points"] for r in cluster["audience"]["results"]}
    assert audience_points == {"dan": 6, "eve": 5}
    scores = {r["nominee"]: r["score"] for r in cluster["results"]}
    assert scores == {
        "dan": round(0.75 * 6 / 11 + 0.25 * 1 / 3, 6),
        "eve": round(0.75 * 5 / 11 + 0.25 * 2 / 3, 6),
    }
    assert cluster["winners"] == ["eve"]  # the jury's quarter turns 0.49 against 0.51
    assert "jury" not in public and public["winners"] == ["finn"]

    # The jury checks it all before the reveal; after it, anyone can.
    openings = elections.openings(election.slug)
    report = verify.verify_board(elections.board(election.slug), openings=openings)
    assert report.tally == tally["categories"]
    changed = [
        line.replace(b'"manager":"ben"', b'"manager":"cleo"') if b'"ballot"' in line else line
        for line in openings
    ]
    assert changed != openings
    try:
        verify.verify_board(elections.board(election.slug), openings=changed)
    except verify.BoardError as error:
        assert "do not match the seal" in str(error)
    else:
        raise AssertionError("a changed jury answer opened its seal")
    decide = runner.invoke(args=["tally", "--json"])
    assert decide.exit_code == 0


def test_the_board_and_the_results_show_both_parts_once_revealed(app, runner, elections):
    election = open_with_jurors(elections, runner, "jules")
    vote_with_client(
        app.test_client(),
        election.tokens[0],
        {"manager": "ann", "rank-cluster-dan": "1", "public": "finn"},
    )
    jury_vote(juror_client(app, "jules"), "manager", {"award-manager": "ann"})
    elections.close(election.slug)
    elections.reveal(election.slug)
    lines = elections.board(election.slug)
    report = verify.verify_board(lines)
    manager = report.tally[0]
    assert manager["winners"] == ["ann"] and manager["jury"]["ballots"] == 1
    page = app.test_client().get("/results/juried").get_data(as_text=True)
    assert "Audience and jury combined by rank points, the jury's share 50%." in page
    assert "1 jury ballot." in page and "First with the jury: Ann." in page
    assert "audience 2, jury 2" in page  # ann's rank points in each part, on her bar
    certificate = app.test_client().get("/results/juried/certificate.pdf")
    assert certificate.status_code == 200


def test_only_jurors_named_at_opening_vote_and_only_in_awards_with_a_share(app, runner, elections):
    open_with_jurors(elections, runner, "jules")
    late = staff_client(app, runner, "jury", name="late")
    page = late.get("/jury/ballots").get_data(as_text=True)
    assert "not one of the jurors named on the board" in page
    assert 'action="/jury/ballots/manager' not in page
    organiser = staff_client(app, runner, "organiser")
    assert organiser.get("/jury/ballots").status_code == 403
    desk = staff_client(app, runner, "desk")
    assert desk.get("/jury/ballots").status_code == 403
    jules = juror_client(app, "jules")
    csrf = form_on(jules.get("/jury/ballots").get_data(as_text=True), "/logout")["fields"]
    refused = jules.post(
        "/jury/ballots/public/cast?election=juried",
        data={"csrf_token": csrf["csrf_token"], "answer": "finn"},
    )
    assert "no valid choice for public" in jules.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    forged = late.post(
        "/jury/ballots/manager/cast?election=juried",
        data={"csrf_token": csrf_of_page(late), "answer": "ann"},
    )
    assert "late is not one of the jurors" in late.get(forged.headers["Location"]).get_data(
        as_text=True
    )


def csrf_of_page(client) -> str:
    page = client.get("/jury/ballots").get_data(as_text=True)
    return form_on(page, "/logout")["fields"]["csrf_token"]


def test_opening_needs_a_jury_account_when_an_award_has_a_jury_share(runner, elections):
    elections.create(DEFINITION, attendees=3, open_voting=False)
    result = runner.invoke(args=["open"])
    assert result.exit_code != 0
    assert "has a jury share but there is no jury account" in result.output


def test_two_casts_of_one_juror_racing_leave_one_ballot(app, runner, elections):
    election = open_with_jurors(elections, runner, "jules")
    clients = [juror_client(app, "jules") for _ in range(4)]
    forms = []
    for client in clients:
        csrf = csrf_of_page(client)
        forms.append((client, {"csrf_token": csrf, "answer": "ann"}))
    barrier = threading.Barrier(len(forms))
    statuses = []

    def cast(client, data):
        barrier.wait()
        statuses.append(client.post("/jury/ballots/manager/cast?election=juried", data=data))

    threads = [threading.Thread(target=cast, args=pair) for pair in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(response.status_code == 303 for response in statuses)
    entries = board_entries(elections.board(election.slug), "jury.ballot.cast")
    assert [(e["juror"], e["award"]) for e in entries] == [("jules", "manager")]


def test_a_definition_with_a_bad_jury_share_names_the_key(runner, tmp_path):
    bad = DEFINITION.replace("weight = 0.5", "weight = 50").replace(
        'combine = "rank-points"', 'combine = "average"'
    )
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(args=["election", "load", str(path)])
    assert result.exit_code != 0
    assert "categories[1].jury.weight: must be a number between 0 and 1" in result.output
    assert "categories[1].jury.combine: must be one of rank-points, shares" in result.output


def test_the_editor_gives_an_award_a_jury_share_and_names_a_bad_one(app, runner, elections):
    from tests.staff import csrf_of

    elections.create(open_voting=False, attendees=0)
    organiser = staff_client(app, runner, "organiser", name="olga")
    award = "/admin/election/awards/cluster-manager"

    def counting(**fields):
        data = {"csrf_token": csrf_of(organiser, "/admin/election"), "counting": "yes", **fields}
        return organiser.post(award, data=data, follow_redirects=True).get_data(as_text=True)

    page = counting(method="irv", jury_weight="0.5", jury_combine="shares")
    assert "an instant runoff has no vote shares" in page
    page = counting(method="plurality", jury_weight="half")
    assert "jury.weight: must be a number between 0 and 1" in page
    page = counting(method="points", jury_weight="25 %", jury_combine="shares")
    assert "with a jury share of 25%" in page
    defined = [
        json.loads(line)["data"]
        for line in elections.board("ecc2016")
        if b"election.defined" in line
    ]
    category = defined[-1]["categories"][0]
    assert category["method"] == "points"
    assert category["jury"] == {"weight": 0.25, "combine": "shares"}
