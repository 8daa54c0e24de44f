"""One registry of entry kinds (voting.verify.ENTRY_KINDS): the server writes no other kind,
the verifier has a rule for each, and the board and the jury can name and filter each one."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import definition_toml, vote_with_client
from tests.staff import csrf_of, staff_client
from voting import verify
from voting.db import get_session, writing
from voting.operations import audit
from voting.operations.elections import find_election
from voting.web.board_entries import describe

ENTRY = re.compile(r'<li id="entry-(\d+)"')


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_of(client, "/desk"), **data})


@pytest.fixture
def every_kind(app, runner, elections, tmp_path):
    """An election whose log holds every kind of entry, made through the web."""
    toml = definition_toml(categories={"best": ["ann", "ben", "cleo"]}).replace(
        'title = "Award best"',
        'title = "Award best"\njury = {weight = 0.5, combine = "rank-points"}',
    )
    toml = toml.replace("[election]\n", "[election]\ntrustee = true\n")  # trustee.key
    election = elections.create(toml, attendees=6, open_voting=False)
    slug = election.slug
    juror = staff_client(app, runner, "jury", "maya")
    key, shares = verify.trustee_keygen(slug, shares=1, threshold=1)
    (tmp_path / "key.json").write_text(json.dumps(key.to_json()))
    assert runner.invoke(args=["trustee", "key", str(tmp_path / "key.json")]).exit_code == 0
    assert runner.invoke(args=["open"]).exit_code == 0
    election.tokens = elections.tokens(slug)
    organiser = staff_client(app, runner, "organiser", "olga")
    # The juror abstains (jury.ballot.cast), so the audience's tie stays one for the jury.
    juror.post(
        f"/jury/ballots/best/cast?election={slug}",
        data={"csrf_token": csrf_of(juror, "/jury/ballots"), "answer": "abstain"},
    )
    post(organiser, f"/admin/cards/anonymous?election={slug}", count="2", layout="a4")
    post(organiser, "/desk/attendees/5/reissue", confirm="yes")  # tokens.reissued
    post(organiser, "/desk/attendees/6/anonymous-card", confirm="yes")  # tokens.revoked
    for token, pick in zip(election.tokens[:4], ["ann", "ben", "ann", "ben"], strict=True):
        vote_with_client(app.test_client(), token, {"best": pick})
    elections.close(slug)
    (tmp_path / "share.json").write_text(json.dumps(shares[0].to_json()))
    opened = runner.invoke(args=["trustee", "share", str(tmp_path / "share.json")])
    assert "the tally is sealed" in opened.output  # trustee.released, at the reveal's end
    steps = [("next", {})] * 2 + [("tie", {"award": "best", "winner": "ben"})] + [("next", {})] * 3
    for action, fields in steps:
        post(organiser, f"/stage/{slug}/{action}", **fields)
    return slug


def test_the_server_writes_every_kind_and_no_other(every_kind, elections):
    report = verify.verify_board(elections.board(every_kind))
    assert set(report.kinds) == set(verify.ENTRY_KINDS)
    assert report.state == "revealed"


def test_the_server_refuses_an_unregistered_kind(app, elections):
    elections.create(attendees=1)
    with app.app_context():
        session = get_session()
        election = find_election(session)
        with pytest.raises(ValueError, match="not a kind"), writing(session):
            audit.append_entry(session, election, "ballot.changed", {})


def test_the_verifier_refuses_an_unregistered_kind(every_kind, elections):
    lines = elections.board(every_kind)
    last = max(i for i, line in enumerate(lines) if b'"seq"' in line)
    entry = json.loads(lines[last])
    entry["kind"] = "ballot.changed"
    lines[last] = verify.canonical_json(entry) + b"\n"
    with pytest.raises(verify.BoardError, match="unknown kind"):
        verify.verify_board(lines)


def test_every_kind_reads_in_words_and_filters_on_the_board_and_for_the_jury(
    app, runner, every_kind, elections
):
    report = verify.verify_board(elections.board(every_kind))
    jury = staff_client(app, runner, "jury", "jules")
    public = app.test_client()
    for kind, count in report.kinds.items():
        per_page = f"election={every_kind}&kind={kind}"
        board = public.get(f"/board?{per_page}").get_data(as_text=True)
        assert len(ENTRY.findall(board)) == min(count, 50), kind
        listed = jury.get(f"/jury/log?{per_page}").get_data(as_text=True)
        assert len(ENTRY.findall(listed)) == min(count, 50), kind
        assert f'<option value="{kind}" selected>' in listed
    with app.test_request_context(), app.app_context():
        session = get_session()
        entries, _ = audit.find_entries(session, find_election(session), per_page=1000)
        for entry in entries:
            assert describe(entry).summary not in ("", entry.kind), entry.kind
