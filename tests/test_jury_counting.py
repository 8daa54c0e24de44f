"""A jury share combined with the audience's result, by both published formulas, on known
ballot sets with known winners. Plain Python, no app: the server and the verifier both count
with voting/verify.py."""

from __future__ import annotations

import pytest

from voting import verify

FINALISTS = ["ann", "ben", "cleo"]


def award(method: str, weight: float = 0.5, combine: str = "rank-points", **settings) -> dict:
    return {
        "slug": "best",
        "title": "Best",
        "method": method,
        "nominees": [{"slug": s, "name": s.title()} for s in FINALISTS],
        "jury": {"weight": weight, "combine": combine},
        **settings,
    }


def combined(category: dict, audience: list, jury: list) -> dict:
    return verify.count_ballots(
        {"categories": [category]}, [{"best": a} for a in audience], {"best": jury}
    )[0]


def scores(result: dict) -> dict:
    return {row["nominee"]: row["score"] for row in result["results"]}


AUDIENCE = ["ann"] * 10 + ["ben"] * 8 + ["cleo"] * 2 + [None]
JURY = ["ben", "ben", "cleo"]


def test_rank_points_give_each_part_its_ranking_and_weigh_them():
    # Audience: ann, ben, cleo (2, 1, 0 rank points); jury: ben, cleo, ann (2, 1, 0).
    result = combined(award("plurality", 0.5), AUDIENCE, JURY)
    assert scores(result) == {"ben": 1.5, "ann": 1, "cleo": 0.5}
    assert result["winners"] == ["ben"] and not result["tie"]
    assert result["audience"]["winners"] == ["ann"] and result["jury"]["winners"] == ["ben"]
    assert result["jury"]["ballots"] == 3 and result["abstentions"] == 1
    assert result["combined"] == {
        "weight": 0.5,
        "combine": "rank-points",
        **{k: result[k] for k in ("results", "winners", "tie")},
    }
    # A quarter for the jury: the audience's favourite keeps it (1.5 against 1.25).
    light = combined(award("plurality", 0.25), AUDIENCE, JURY)
    assert scores(light) == {"ann": 1.5, "ben": 1.25, "cleo": 0.25}
    assert light["winners"] == ["ann"]


def test_rank_points_share_the_places_of_finalists_level_in_a_part():
    # The jury is split between ann and ben: half a point each for the place they share.
    result = combined(award("plurality", 0.5), ["cleo", "cleo", "ann"], ["ann", "ben"])
    assert {r["nominee"]: r["jury"] for r in result["results"]} == {
        "ann": 1.5,
        "ben": 1.5,
        "cleo": 0,
    }
    assert scores(result) == {"ann": 1.25, "cleo": 1, "ben": 0.75}


def test_vote_shares_weigh_each_part_by_its_share_of_the_votes():
    # Approval: audience approvals ann 3, ben 1 (of 4); jury ben 2, cleo 2 (of 4).
    category = award("approval", 0.75, "shares")
    result = combined(category, [["ann"], ["ann", "ben"], ["ann"]], [["ben", "cleo"]] * 2)
    assert scores(result) == {"ben": 0.4375, "cleo": 0.375, "ann": 0.1875}
    assert result["winners"] == ["ben"]
    assert {r["nominee"]: r["audience"] for r in result["results"]}["ann"] == 0.75


def test_points_shares_use_the_points_each_part_gave():
    category = award("points", 0.5, "shares", points=[2, 1])
    result = combined(category, [["ann", "ben"]] * 3, [["cleo", "ann"]])
    # Audience: ann 6, ben 3 of 9 points; jury: cleo 2, ann 1 of 3 points.
    assert scores(result) == {"ann": 0.5, "cleo": 0.333333, "ben": 0.166667}


def test_an_instant_runoff_part_ranks_by_the_round_each_finalist_lasted_to():
    category = award("irv", 0.5)
    # Audience: cleo is out first, her ballot goes to ben, ben wins 3 to 2.
    audience = [["ann"], ["ann"], ["ben"], ["ben"], ["cleo", "ben"]]
    result = combined(category, audience, [["ann", "ben"], ["ann"], ["ben"]])
    assert result["audience"]["winners"] == ["ben"] and result["jury"]["winners"] == ["ann"]
    assert {r["nominee"]: r["audience"] for r in result["results"]} == {
        "ben": 2,
        "ann": 1,
        "cleo": 0,
    }
    assert scores(result) == {"ann": 1.5, "ben": 1.5, "cleo": 0}
    assert result["tie"] and result["winners"] == ["ann", "ben"]
    assert verify.needs_jury("jury", result)  # the election's tie rule applies, as ever


def test_nobody_wins_when_neither_part_has_a_vote():
    result = combined(award("plurality"), [None, None], [])
    assert result["winners"] == [] and result["jury"]["ballots"] == 0


def test_an_award_without_a_jury_share_is_counted_as_before():
    category = award("plurality")
    del category["jury"]
    result = combined(category, AUDIENCE, JURY)
    assert "jury" not in result and result["winners"] == ["ann"]


@pytest.mark.parametrize(
    ("share", "message"),
    [
        ({"weight": 0, "combine": "rank-points"}, "between 0 and 1"),
        ({"weight": 1.5, "combine": "rank-points"}, "between 0 and 1"),
        ({"weight": 0.5, "combine": "average"}, "unknown combine"),
        ({"weight": 0.5}, "exactly a weight and a combine"),
    ],
)
def test_the_verifier_refuses_a_jury_share_out_of_its_rules(share, message):
    category = {**award("plurality"), "jury": share}
    with pytest.raises(ValueError, match=message):
        verify._check_definition({"slug": "x", "categories": [category]})


def test_shares_need_vote_counts_and_no_award_is_not_combined():
    with pytest.raises(ValueError, match="rank-points"):
        verify._check_definition({"slug": "x", "categories": [award("irv", combine="shares")]})
    with pytest.raises(ValueError, match="No award"):
        verify._check_definition({"slug": "x", "categories": [award("irv", no_award=True)]})
