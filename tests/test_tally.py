"""Counting: a known set of ballots, with abstentions and a tie, gives the expected result."""

from __future__ import annotations

import json

from tests.helpers import definition_toml, vote_with_client
from voting import verify

CATEGORIES = {"best-manager": ["ann", "ben", "cleo"], "best-partnership": ["p1", "p2"]}
BALLOTS = [
    {"best-manager": "ann", "best-partnership": "p1"},
    {"best-manager": "ben", "best-partnership": "p1"},
    {"best-manager": "ann", "best-partnership": "p2"},
    {"best-manager": "ben", "best-partnership": "abstain"},
    {"best-manager": "cleo", "best-partnership": "p1"},
    {"best-manager": "abstain", "best-partnership": "abstain"},
]

EXPECTED = {
    "election": "test-awards",
    "state": "closed",
    "ballots": 6,
    "channels": {"phone": 6, "paper": 0},
    "eligible": 8,  # ballots that could be cast: the board's set
    "attendees": 8,  # of whom the turnout is counted (no anonymous card was printed)
    "categories": [
        {
            "slug": "best-manager",
            "title": "Award best-manager",
            "method": "plurality",
            "results": [
                {"nominee": "ann", "name": "Finalist ANN", "votes": 2},
                {"nominee": "ben", "name": "Finalist BEN", "votes": 2},
                {"nominee": "cleo", "name": "Finalist CLEO", "votes": 1},
            ],
            "abstentions": 1,
            "winners": ["ann", "ben"],
            "tie": True,
        },
        {
            "slug": "best-partnership",
            "title": "Award best-partnership",
            "method": "plurality",
            "results": [
                {"nominee": "p1", "name": "Finalist P1", "votes": 3},
                {"nominee": "p2", "name": "Finalist P2", "votes": 1},
            ],
            "abstentions": 2,
            "winners": ["p1"],
            "tie": False,
        },
    ],
}


def test_known_ballots_give_the_expected_tally(app, runner, elections, tmp_path):
    election = elections.create(definition_toml(categories=CATEGORIES), attendees=8)
    for token, choices in zip(election.tokens, BALLOTS, strict=False):
        vote_with_client(app.test_client(), token, choices)
    assert runner.invoke(args=["close"]).exit_code == 0
    result = runner.invoke(args=["tally", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED
    # The board's own recount agrees, independently of the database.
    board = tmp_path / "board.jsonl"
    assert runner.invoke(args=["board", "export", str(board)]).exit_code == 0
    openings = tmp_path / "openings.jsonl"
    assert runner.invoke(args=["board", "openings", str(openings)]).exit_code == 0
    with board.open("rb") as handle, openings.open("rb") as opened:
        report = verify.verify_board(handle, openings=opened)
    assert report.tally == EXPECTED["categories"]


def test_tie_in_tally_output_is_announced(app, runner, elections):
    election = elections.create(definition_toml(categories=CATEGORIES), attendees=3)
    for token, choices in zip(election.tokens, BALLOTS[:2], strict=False):
        vote_with_client(app.test_client(), token, choices)
    runner.invoke(args=["close"])
    output = runner.invoke(args=["tally"]).output
    assert "tie for first place" in output


def test_no_ballots_means_no_winner():
    definition = {
        "categories": [{"slug": "a", "title": "A", "nominees": [{"slug": "x", "name": "X"}]}]
    }
    (result,) = verify.count_ballots(definition, [])
    assert result["winners"] == [] and result["tie"] is False
    assert result["results"] == [{"nominee": "x", "name": "X", "votes": 0}]


def test_ranking_breaks_no_tie_and_keeps_ballot_order_among_equals():
    category = {
        "slug": "a",
        "title": "A",
        "nominees": [{"slug": s, "name": s.upper()} for s in ("x", "y", "z")],
    }
    result = verify.category_result(category, {"z": 3, "y": 3, "x": 1}, 0)
    assert [r["nominee"] for r in result["results"]] == ["y", "z", "x"]
    assert result["winners"] == ["y", "z"] and result["tie"] is True
