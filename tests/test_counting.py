"""The counting methods of voting/verify.py on known ballot sets with known winners: plurality,
approval, points and instant runoff (with exhausted ballots, elimination ties and "No award").

Plain Python, no app: the verifier and the server count with these same functions."""

from __future__ import annotations

import pytest

from voting import verify

FINALISTS = ["ann", "ben", "cleo", "dan"]


def award(method: str, **settings) -> dict:
    return {
        "slug": "best",
        "title": "Best",
        "method": method,
        "nominees": [{"slug": s, "name": s.title()} for s in FINALISTS],
        **settings,
    }


def winners(result: dict) -> list[str]:
    return result["winners"]


def test_plurality_is_unchanged_and_reports_a_tie():
    result = verify.count_category(award("plurality"), ["ann", "ben", "ann", None, "ben"])
    assert result == verify.category_result(award("plurality"), {"ann": 2, "ben": 2}, 1)
    assert winners(result) == ["ann", "ben"] and result["tie"]


def test_approval_counts_every_tick_and_refuses_more_than_max_choices():
    category = award("approval", max_choices=2)
    ballots = [["ann", "ben"], ["ben"], ["ben", "cleo"], ["ann", "dan"], None]
    result = verify.count_category(category, ballots)
    votes = {r["nominee"]: r["votes"] for r in result["results"]}
    assert votes == {"ann": 2, "ben": 3, "cleo": 1, "dan": 1}
    assert winners(result) == ["ben"] and result["abstentions"] == 1
    assert "at most 2" in verify.choice_error(category, ["ann", "ben", "cleo"])
    assert "sorted" in verify.choice_error(category, ["ben", "ann"])
    assert "twice" in verify.choice_error(category, ["ann", "ann"])
    assert "not a finalist" in verify.choice_error(category, ["zoe"])
    assert verify.choice_error(category, []) is not None  # abstaining is None, not []
    assert verify.choice_error(category, ["ann", "ben"]) is None


def test_points_with_the_default_and_a_published_table():
    ballots = [["ann", "ben", "cleo"], ["ben", "ann"], ["cleo", "ben", "ann", "dan"], ["ben"]]
    default = verify.count_category(award("points"), ballots)  # 3, 2, 1, 0
    points = {r["nominee"]: r["points"] for r in default["results"]}
    assert points == {"ann": 3 + 2 + 1, "ben": 2 + 3 + 2 + 3, "cleo": 1 + 3, "dan": 0}
    assert winners(default) == ["ben"]
    assert {r["nominee"]: r["votes"] for r in default["results"]}["ben"] == 2  # first places
    custom = verify.count_category(award("points", points=[5, 0]), ballots)
    points = {r["nominee"]: r["points"] for r in custom["results"]}
    assert points == {"ann": 5, "ben": 10, "cleo": 5, "dan": 0}


def test_instant_runoff_transfers_until_a_majority_of_ballots_still_counting():
    # Round 1: ann 4, ben 3, cleo 2, dan 1 (10). dan out: his ballot goes to cleo (3).
    # Round 2: ann 4, ben 3, cleo 3: ben and cleo tie for last; round 1 had cleo lower.
    # Round 3: cleo's three go to ben (2) and nowhere (1, exhausted): ben 5, ann 4 of 9.
    ballots = [["ann"]] * 4 + [["ben", "ann"]] * 3 + [["cleo", "ben"]] * 2 + [["dan", "cleo"]]
    result = verify.count_category(award("irv"), ballots)
    rounds = result["rounds"]
    assert [r["eliminated"] for r in rounds] == [["dan"], ["cleo"], []]
    assert rounds[1]["tie_broken"] == "round 1"
    assert rounds[2]["counts"] == {"ann": 4, "ben": 5}
    assert rounds[2]["exhausted"] == 1
    assert winners(result) == ["ben"] and not result["tie"]
    assert [r["nominee"] for r in result["results"]] == ["ben", "ann", "cleo", "dan"]


def test_a_majority_in_the_first_round_ends_the_count():
    result = verify.count_category(award("irv"), [["ann"], ["ann"], ["ben"]])
    assert len(result["rounds"]) == 1 and winners(result) == ["ann"]


def test_candidates_never_apart_are_eliminated_together_and_a_final_level_is_a_tie():
    ballots = [["ann"], ["ann"], ["ann"], ["ben"], ["ben"], ["ben"], ["cleo"], ["dan"]]
    result = verify.count_category(award("irv"), ballots)
    first = result["rounds"][0]
    assert first["eliminated"] == ["cleo", "dan"] and first["tie_broken"] == "together"
    assert result["rounds"][1]["counts"] == {"ann": 3, "ben": 3}
    assert winners(result) == ["ann", "ben"] and result["tie"]  # the tie rule applies


def test_no_award_can_win_and_then_nobody_is_awarded():
    category = award("irv", no_award=True)
    ballots = [[verify.NO_AWARD]] * 3 + [["ann", verify.NO_AWARD]] * 2 + [["ben"]]
    result = verify.count_category(category, ballots)
    # Round 1: cleo and dan (no votes) out together; round 2: ben out, his ballot exhausted;
    # round 3: "No award" has 3 of the 5 ballots still counting.
    assert result["rounds"][-1]["counts"] == {"ann": 2, verify.NO_AWARD: 3}
    assert result["rounds"][-1]["exhausted"] == 1
    assert winners(result) == [] and result["no_award"] is True
    assert verify.choice_error(award("irv"), [verify.NO_AWARD]) is not None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"method": "borda"}, "unknown method"),
        ({"method": "approval", "max_choices": 0}, "max_choices"),
        ({"method": "points", "points": [3, -1]}, "points"),
    ],
)
def test_a_definition_with_bad_method_settings_is_refused(settings, message):
    category = {**award("plurality"), **settings}
    with pytest.raises(ValueError, match=message):
        verify._check_definition({"slug": "x", "categories": [category]})
