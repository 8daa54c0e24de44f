"""No result before the reveal: at close the board gets a commitment to the tally; the
openings and the tally join it when the reveal ends (or at once, with reveal = "at-close").
The jury checks the result before the stage with the openings; the verifier checks that
the opened tally is the sealed one."""

from __future__ import annotations

import json

import pytest

from tests.helpers import EXAMPLE_TOML, vote_with_client
from tests.staff import staff_client
from voting import services, verify
from voting.operations.elections import find_election
from voting.operations.reveal import decide_tie

VOTES = [
    {"cluster-manager": "jane-doe", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
]
FINALISTS = ("jane-doe", "mario-rossi", "north-sea-energy")


def kinds(lines: list[bytes]) -> list[str]:
    return [json.loads(line).get("kind") for line in lines if b'"kind"' in line]


def public_pages(client) -> dict[str, str]:
    """Everything the public can fetch about the result, by address."""
    paths = [
        "/board",
        "/board.json",
        "/board.jsonl",
        "/board?kind=tally",
        "/board?kind=ballot.unsealed",
        "/results/ecc2016",
        "/results/ecc2016.json",
        "/results/ecc2016.csv",
        "/stage/ecc2016",
        "/stage/ecc2016.json",
    ]
    return {path: client.get(path).get_data(as_text=True) for path in paths}


@pytest.fixture
def closed(app, elections):
    election = elections.create(attendees=5)
    for token, choices in zip(election.tokens, VOTES, strict=False):
        vote_with_client(app.test_client(), token, choices)
    elections.close(election.slug)
    return election


def test_after_close_no_public_page_or_file_shows_a_count_or_an_opened_ballot(
    app, client, runner, elections, closed, tmp_path
):
    lines = elections.board(closed.slug)
    assert "tally.sealed" in kinds(lines)
    assert "ballot.unsealed" not in kinds(lines) and "tally" not in kinds(lines)
    for path, text in public_pages(client).items():
        assert '"votes"' not in text and '"nonce"' not in text, path
        assert '"winners":[' not in text and '"abstentions":0' not in text, path
        if path.startswith("/board"):
            assert '"choices"' not in text, path
    assert client.get("/results/ecc2016.json").status_code == 409
    exported = tmp_path / "board.jsonl"
    assert runner.invoke(args=["board", "export", str(exported)]).exit_code == 0
    assert b'"choices"' not in exported.read_bytes()
    report = verify.verify_board(lines)
    assert report.state == "sealed" and report.tally is None


def test_the_jury_opens_the_sealed_result_before_the_stage(app, client, runner, elections, closed):
    jury = staff_client(app, runner, "jury")
    overview = jury.get("/jury").get_data(as_text=True)
    assert "openings" in overview
    openings = jury.get("/jury/openings.jsonl").get_data()
    desk = staff_client(app, runner, "desk", name="dora")
    assert desk.get("/jury/openings.jsonl").status_code == 403
    report = verify.verify_board(elections.board(closed.slug), openings=openings.splitlines())
    manager, partnership = report.tally
    assert manager["winners"] == ["jane-doe"] and partnership["winners"] == ["north-sea-energy"]
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    assert report.tally == tally["categories"]


def test_openings_that_lie_about_a_ballot_or_the_tally_are_refused(elections, closed):
    board = elections.board(closed.slug)
    openings = elections.openings(closed.slug)
    changed = [line.replace(b'"jane-doe"', b'"mario-rossi"', 1) for line in openings]
    with pytest.raises(verify.BoardError, match="do not match the seal"):
        verify.verify_board(board, openings=changed)
    # A tally that differs from the recount, or another nonce: not the one sealed.
    *ballots, tally_line = openings
    tally = json.loads(tally_line)
    tally["data"]["nonce"] = "0" * 32
    with pytest.raises(verify.BoardError, match="not the one sealed at close"):
        verify.verify_board(board, openings=[*ballots, verify.canonical_json(tally)])
    tally = json.loads(tally_line)
    tally["data"]["ballots"] += 1
    with pytest.raises(verify.BoardError, match="differs from the recount"):
        verify.verify_board(board, openings=[*ballots, verify.canonical_json(tally)])
    with pytest.raises(verify.BoardError, match="ends before the tally"):
        verify.verify_board(board, openings=ballots)


def test_the_end_of_the_reveal_publishes_openings_and_tally_that_open_the_seal(
    app, client, elections, closed
):
    before = elections.board(closed.slug)
    sealed = verify.verify_board(before)
    elections.reveal(closed.slug)
    after = elections.board(closed.slug)
    entries = kinds(after)
    # Every reveal step but the last shows no result; then openings, tally, the summary.
    last = len(entries) - 1
    assert entries[last] == "reveal.step"
    assert entries[last - 1] == "tally" and entries[last - 4 : last - 1] == ["ballot.unsealed"] * 3
    report = verify.verify_board(after, saved_checkpoint=sealed.checkpoints[-1].note)
    assert report.state == "revealed"
    assert report.milestones["sealed"] == sealed.milestones["sealed"]
    assert [c["winners"] for c in report.tally] == [["jane-doe"], ["north-sea-energy"]]
    # The jury's openings from before agree with those the board published.
    assert verify.verify_board(after, openings=elections.openings(closed.slug)).tally
    assert client.get("/results/ecc2016.json").status_code == 200


def test_a_tie_decided_by_the_jury_stays_off_the_board_until_the_reveal_ends(app, elections):
    election = elections.create(attendees=4)
    votes = [
        {"cluster-manager": "jane-doe", "strategic-partnership": "north-sea-energy"},
        {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
    ]
    for token, choices in zip(election.tokens, votes, strict=False):
        vote_with_client(app.test_client(), token, choices)
    elections.close(election.slug)

    def decide(session):
        decide_tie(
            session,
            "jury-chair",
            find_election(session, election.slug),
            "cluster-manager",
            "mario-rossi",
            services.now(),
        )

    elections.run(decide)
    assert "tie.decided" not in kinds(elections.board(election.slug))
    elections.reveal(election.slug)
    entries = kinds(elections.board(election.slug))
    assert entries.index("tie.decided") == entries.index("tally") + 1
    report = verify.verify_board(elections.board(election.slug))
    assert report.decisions == {"cluster-manager": "mario-rossi"}


def test_an_election_revealed_at_close_publishes_the_result_at_once(app, client, elections):
    toml = EXAMPLE_TOML.read_text().replace("[election]\n", '[election]\nreveal = "at-close"\n', 1)
    assert 'reveal = "at-close"' in toml
    election = elections.create(toml, attendees=3)
    vote_with_client(app.test_client(), election.tokens[0], VOTES[0])
    elections.close(election.slug)
    lines = elections.board(election.slug)
    entries = kinds(lines)
    assert entries[-3:] == ["tally.sealed", "ballot.unsealed", "tally"]
    report = verify.verify_board(lines)
    assert report.state == "tallied" and set(report.milestones) == {"opened", "sealed"}
    assert client.get(f"/results/{election.slug}.json").status_code == 200
