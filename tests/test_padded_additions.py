"""Tokens added while voting is open join the board ten or more at a time, padded with hashes
of serials nobody was given: a late attendee, one anonymous card or one replaced ballot is
never a lone hash that the private activity log could put a name to."""

from __future__ import annotations

import json

from tests.helpers import roster_csv, vote_with_client
from tests.staff import csrf_of, staff_client
from voting import verify
from voting.db import get_session
from voting.models import Attendee

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
AT_LEAST = 10


def additions(elections, slug: str) -> list[list[str]]:
    """The hashes each addition put on the board (tokens.added, and tokens.reissued's added)."""
    found = []
    for line in elections.board(slug):
        entry = json.loads(line)
        if entry.get("kind") == "tokens.added":
            found.append(entry["data"]["token_hashes"])
        elif entry.get("kind") == "tokens.reissued":
            found.append(entry["data"]["added"])
    return found


def test_a_single_late_attendee_joins_in_a_padded_batch(app, runner, elections, tmp_path):
    election = elections.create(attendees=3)
    late = tmp_path / "late.csv"
    late.write_bytes(roster_csv(4))  # the three from before, and one more
    assert runner.invoke(args=["attendees", "import", str(late)]).exit_code == 0
    [added] = additions(elections, election.slug)
    assert len(added) >= AT_LEAST and added == sorted(set(added))
    report = verify.verify_board(elections.board(election.slug), partial=True)
    assert report.eligible == 3 + len(added)
    # The late attendee's own link is among them and votes; the padding is nobody's.
    links = runner.invoke(args=["tokens", "links", "--out", str(tmp_path / "links.csv")])
    assert links.exit_code == 0
    url = (tmp_path / "links.csv").read_text().splitlines()[-1].rsplit(",", 1)[-1]
    vote_with_client(app.test_client(), url.rsplit("/v/", 1)[1], PICK)
    assert verify.verify_board(elections.board(election.slug), partial=True).ballots == 1


def test_one_anonymous_card_and_one_replaced_ballot_are_padded(app, runner, elections, tmp_path):
    election = elections.create(attendees=2)
    card = runner.invoke(args=["tokens", "cards", "--count", "1", "--out", str(tmp_path / "c.pdf")])
    assert card.exit_code == 0, card.output
    desk = staff_client(app, runner, "desk")
    with app.app_context():
        person = get_session().query(Attendee).order_by(Attendee.id).first().id
    replaced = desk.post(
        f"/desk/attendees/{person}/reissue",
        data={"csrf_token": csrf_of(desk, "/desk"), "confirm": "yes"},
    )
    assert replaced.status_code == 303
    found = additions(elections, election.slug)
    assert len(found) == 2 and all(len(hashes) >= AT_LEAST for hashes in found)
    report = verify.verify_board(elections.board(election.slug), partial=True)
    # Every added hash counts, less the replaced ballot's old one.
    assert report.eligible == 2 + sum(len(hashes) for hashes in found) - 1
    assert app.test_client().get(f"/v/{election.tokens[0]}").status_code == 410
