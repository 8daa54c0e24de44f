"""The jury as trustee of the ballots, in the app: the public key uploaded before opening and
logged, ballots stored and logged only encrypted (no finalist's slug anywhere while voting is
open), K of N shares open them at close and K-1 do not, bad shares refused, and the key
released at the end of the reveal lets the verifier recount."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from sqlalchemy import text

from tests.helpers import definition_toml, vote_with_client
from tests.staff import csrf_of, staff_client
from voting import verify
from voting.cli.witness_processes import VERIFIER
from voting.db import get_session
from voting.models import Base
from voting.operations import trustee_shares
from voting.operations.elections import find_election

# Distinctive slugs: a scan for them cannot stumble on one inside a hash or a ciphertext.
FINALISTS = {
    "best-manager": ["aurora-vance", "bruno-kettle", "celia-moor"],
    "best-team": ["tide-works", "quarry-lab"],
}
SLUGS = [slug for finalists in FINALISTS.values() for slug in finalists]
PICKS = [
    {"best-manager": "aurora-vance", "best-team": "tide-works"},
    {"best-manager": "bruno-kettle", "best-team": "tide-works"},
    {"best-manager": "aurora-vance", "best-team": "quarry-lab"},
    {"best-manager": "aurora-vance", "best-team": "abstain"},
]
JURY_SHARE = 'title = "Award best-team"\njury = {weight = 0.5, combine = "rank-points"}'


def trustee_toml(slug: str = "test-awards", *, jury: bool = True) -> str:
    toml = definition_toml(slug, FINALISTS)
    toml = toml.replace("[election]\n", "[election]\ntrustee = true\n")
    return toml.replace('title = "Award best-team"', JURY_SHARE) if jury else toml


def write_key(tmp_path, slug: str = "test-awards", shares: int = 3, threshold: int = 2):
    """What `verify.py trustee keygen` gives the jury: the public key file and N shares."""
    key, made = verify.trustee_keygen(slug, shares, threshold)
    public = tmp_path / f"trustee-{slug}-{key.id}.json"
    public.write_text(json.dumps(key.to_json()))
    files = []
    for share in made:
        path = tmp_path / f"trustee-{slug}-{key.id}-share-{share.index}.json"
        path.write_text(json.dumps(share.to_json()))
        files.append(path)
    return key, public, files


def invoke(runner, *args) -> tuple[int, str]:
    result = runner.invoke(args=[str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def trusteed(app, runner, elections, tmp_path):
    """An open election with a trustee (2 of 3 shares), four audience ballots and a juror's."""
    election = elections.create(trustee_toml(), attendees=6, open_voting=False)
    juror = staff_client(app, runner, "jury", "maya")
    key, public, shares = write_key(tmp_path)
    assert invoke(runner, "trustee", "key", public)[0] == 0
    code, output = invoke(runner, "open")
    assert code == 0, output
    election.tokens = elections.tokens(election.slug)
    for token, picks in zip(election.tokens, PICKS, strict=False):
        vote_with_client(app.test_client(), token, picks)
    cast = juror.post(
        f"/jury/ballots/best-team/cast?election={election.slug}",
        data={"csrf_token": csrf_of(juror, "/jury/ballots"), "answer": "quarry-lab,tide-works"},
    )
    assert cast.status_code == 303
    election.key, election.public, election.shares = key, public, shares
    return election


def every_stored_value(app) -> dict[str, str]:
    """Every table's rows as text, but where a finalist's slug belongs: the election's own
    definition (on the board and in the tables that describe the awards)."""
    skip_tables = {"nominees", "categories"}
    found = {}
    with app.app_context():
        connection = get_session().connection()
        for table in Base.metadata.sorted_tables:
            if table.name in skip_tables:
                continue
            columns = [
                c
                for c in table.columns
                if not (table.name == "elections" and c.name == "definition")
            ]
            query = table.select().with_only_columns(*columns)
            if table.name == "audit_entries":
                query = query.where(table.c.kind != "election.defined")
            found[table.name] = "\n".join(repr(tuple(row)) for row in connection.execute(query))
    return found


def board_without_definition(lines: list[bytes]) -> bytes:
    return b"".join(line for line in lines if b'"election.defined"' not in line)


def finalists_in(values: dict[str, str] | bytes) -> list[str]:
    texts = values.items() if isinstance(values, dict) else [("board", values.decode())]
    return [f"{where}: {slug}" for where, content in texts for slug in SLUGS if slug in content]


def test_while_voting_no_table_and_no_board_holds_a_choice_in_clear(app, elections, trusteed):
    assert finalists_in(every_stored_value(app)) == []
    assert finalists_in(board_without_definition(elections.board(trusteed.slug))) == []
    report = verify.verify_board(elections.board(trusteed.slug), partial=True)
    assert report.trustee is not None and report.trustee.id == trusteed.key.id
    assert not report.trustee_released


def test_the_same_scan_finds_the_choices_of_an_election_without_a_trustee(app, elections):
    election = elections.create(
        trustee_toml(jury=False).replace("trustee = true\n", ""), attendees=2
    )
    vote_with_client(app.test_client(), election.tokens[0], PICKS[0])
    found = finalists_in(every_stored_value(app))
    assert "ballots: aurora-vance" in found and "ballot_choices: aurora-vance" not in found


def test_k_of_n_shares_open_the_ballots_and_the_released_key_recounts(
    app, runner, elections, trusteed, tmp_path, monkeypatch
):
    slug, shares = trusteed.slug, trusteed.shares
    code, output = invoke(runner, "close")
    assert code == 0 and "encrypted until the jury's shares" in output, output
    code, output = invoke(runner, "tally")
    assert code != 0 and "the ballots are still encrypted" in output  # nothing to count yet
    code, output = invoke(runner, "trustee", "share", shares[2])
    assert code == 0 and "1 of the 2 shares needed" in output
    assert finalists_in(every_stored_value(app)) == []  # K-1 shares open nothing
    code, output = invoke(runner, "trustee", "share", shares[2])
    assert code != 0 and "share 3 was already brought" in output
    code, output = invoke(runner, "trustee", "share", shares[0])
    assert code == 0 and "the tally is sealed" in output, output
    with app.app_context():
        election = find_election(get_session(), slug)
        assert trustee_shares.share_count(get_session(), election).brought == 0  # forgotten
    tally = json.loads(runner.invoke(args=["tally", "--json"]).output)
    manager = next(c for c in tally["categories"] if c["slug"] == "best-manager")
    assert manager["winners"] == ["aurora-vance"]
    elections.reveal(slug)
    board = elections.board(slug)
    assert any(b'"trustee.released"' in line for line in board)
    report = verify.verify_board(board, key=elections.vkey(slug))
    assert report.trustee_released and report.state == "revealed"
    assert [c["winners"] for c in report.tally] == [c["winners"] for c in tally["categories"]]
    monkeypatch.setattr(verify, "_PARALLEL_FROM", 1)  # as a board of thousands is opened
    parallel = verify.verify_board(board, key=elections.vkey(slug))
    assert parallel.trustee_released and parallel.tally == report.tally
    path = tmp_path / "board.jsonl"
    path.write_bytes(b"".join(board))
    checked = subprocess.run(
        [sys.executable, str(VERIFIER), str(path), "--key", elections.vkey(slug)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "the key is released and opens each ballot to its seal" in checked.stdout


def test_the_jury_may_rebuild_the_key_on_a_laptop_and_the_organiser_imports_it(
    app, runner, elections, trusteed, tmp_path
):
    public = trusteed.public
    private = tmp_path / "private.json"
    made = subprocess.run(
        [
            sys.executable,
            str(VERIFIER),
            "trustee",
            "decrypt",
            "--key",
            str(public),
            "--share",
            str(trusteed.shares[0]),
            "--share",
            str(trusteed.shares[1]),
            "--out",
            str(private),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    code, output = invoke(runner, "trustee", "open", "--private-key", private)
    assert code != 0 and "once voting has closed" in output  # not while voting is open
    assert invoke(runner, "close")[0] == 0
    code, output = invoke(runner, "trustee", "open", "--private-key", private)
    assert code == 0 and "the tally is sealed" in output, output
    code, output = invoke(runner, "trustee", "open", "--private-key", private)
    assert code != 0 and "already open" in output


def test_bad_keys_and_shares_are_refused_with_reasons(app, runner, elections, tmp_path):
    elections.create(trustee_toml(jury=False), attendees=3, open_voting=False)
    code, output = invoke(runner, "open")
    assert code != 0 and "upload the jury's public key first" in output
    _other_key, other_public, other_shares = write_key(tmp_path, "other-awards")
    code, output = invoke(runner, "trustee", "key", other_public)
    assert code != 0 and "made for the election other-awards" in output
    code, output = invoke(runner, "trustee", "key", other_shares[0])
    assert code != 0 and "not a trustee public key file" in output
    _key, public, shares = write_key(tmp_path)
    assert invoke(runner, "trustee", "key", public)[0] == 0
    _second_key, second_public, second_shares = write_key(tmp_path)
    code, output = invoke(runner, "trustee", "key", second_public)
    assert code != 0 and "already has a trustee key" in output
    assert invoke(runner, "open")[0] == 0
    code, output = invoke(runner, "trustee", "share", shares[0])
    assert code != 0 and "once voting has closed" in output
    assert invoke(runner, "close")[0] == 0
    code, output = invoke(runner, "trustee", "share", other_shares[0])
    assert code != 0 and "belongs to the election other-awards" in output
    code, output = invoke(runner, "trustee", "share", second_shares[0])  # same election, other key
    assert code != 0 and "not made with the election's trustee key" in output
    forged = json.loads(shares[0].read_text())
    forged["value"] = format(int(forged["value"], 16) + 1, "x")
    shares[0].write_text(json.dumps(forged))
    code, output = invoke(runner, "trustee", "share", shares[0])
    assert code != 0 and "not made with the election's trustee key" in output
    code, output = invoke(runner, "trustee", "status")
    assert "0 of 2 shares brought" in output
    with app.app_context():
        assert get_session().execute(text("SELECT count(*) FROM trustee_shares")).scalar() == 0


def test_a_server_that_encrypts_other_choices_than_it_seals_is_caught(
    app, runner, elections, tmp_path, monkeypatch
):
    """A lying server: the ciphertext says one thing, the seal (and the count) another."""
    from voting.operations import trustee_key

    elections.create(trustee_toml(jury=False), attendees=3, open_voting=False)
    _key, public, shares = write_key(tmp_path)
    assert invoke(runner, "trustee", "key", public)[0] == 0
    assert invoke(runner, "open")[0] == 0
    honest = trustee_key.encrypt

    def lying(key, awards, token_hash, opening):
        told = json.loads(opening)
        told["choices"]["best-manager"] = "celia-moor"
        return honest(key, awards, token_hash, verify.canonical_json(told))

    monkeypatch.setattr(trustee_key, "encrypt", lying)
    tokens = elections.tokens("test-awards")
    vote_with_client(app.test_client(), tokens[0], PICKS[0])
    assert invoke(runner, "close")[0] == 0
    invoke(runner, "trustee", "share", shares[0])
    code, output = invoke(runner, "trustee", "share", shares[1])
    assert code != 0 and "does not open to its seal" in output


def upload(client, path: str, page: str, content: bytes, name: str = "file.json"):
    data = {"csrf_token": csrf_of(client, page), "file": (io.BytesIO(content), name)}
    return client.post(path, data=data, content_type="multipart/form-data")


def flashed(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_console_and_the_jury_pages_do_it_all_through_the_web(
    app, runner, client, elections, tmp_path
):
    election = elections.create(
        trustee_toml(jury=False).replace("trustee = true\n", ""), attendees=4, open_voting=False
    )
    slug = election.slug
    organiser = staff_client(app, runner, "organiser", "olga")
    editor = f"/admin/election?election={slug}"
    assert "Encrypt the ballots to the jury" in organiser.get(editor).get_data(as_text=True)
    asked = organiser.post(
        f"/admin/election/trustee?election={slug}",
        data={"csrf_token": csrf_of(organiser, editor), "trustee": "yes"},
    )
    assert "voting cannot open without it" in flashed(organiser, asked)
    key, public, shares = write_key(tmp_path)
    page = flashed(
        organiser,
        upload(
            organiser, f"/admin/election/trustee/key?election={slug}", editor, public.read_bytes()
        ),
    )
    assert f"encrypted to the trustee key {key.id}" in page
    again = flashed(
        organiser,
        upload(
            organiser, f"/admin/election/trustee/key?election={slug}", editor, public.read_bytes()
        ),
    )
    assert "already has a trustee key" in again
    assert invoke(runner, "open")[0] == 0
    for token, picks in zip(elections.tokens(slug), PICKS, strict=False):
        vote_with_client(app.test_client(), token, picks)
    maya = staff_client(app, runner, "jury", "maya")
    noor = staff_client(app, runner, "jury", "noor")
    overview = f"/jury?election={slug}"
    assert f"encrypted to the jury's key {key.id}" in maya.get(overview).get_data(as_text=True)
    assert invoke(runner, "close")[0] == 0
    page = maya.get(overview).get_data(as_text=True)
    assert "0 of the 2 shares needed" in page and "Bring my share" in page
    assert "openings-" not in page  # nothing to open yet
    assert maya.get(f"/jury/openings.jsonl?election={slug}").status_code == 409
    for path in (f"/admin?election={slug}", f"/results/{slug}", f"/board?election={slug}"):
        assert organiser.get(path).status_code == 200, path
    stage = organiser.get(f"/stage/{slug}").get_data(as_text=True)
    assert "The ballots are still encrypted" in stage and "sealed result" not in stage
    remote = organiser.get(f"/stage/{slug}/remote").get_data(as_text=True)
    assert "The ballots are still encrypted" in remote and "Next ▸" not in remote
    refused = organiser.post(
        f"/stage/{slug}/next", data={"csrf_token": csrf_of(organiser, f"/stage/{slug}/remote")}
    )
    assert "key shares have opened the ballots" in flashed(organiser, refused)
    assert "The private key file" in organiser.get(f"/admin?election={slug}").get_data(as_text=True)
    share_path = f"/jury/trustee/share?election={slug}"
    desk = staff_client(app, runner, "desk", "dora")  # a help-desk account cannot bring one
    refused = desk.post(
        share_path,
        data={"csrf_token": csrf_of(desk, "/desk"), "file": (io.BytesIO(b"{}"), "share.json")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    page = flashed(maya, upload(maya, share_path, overview, public.read_bytes()))
    assert "not a key share file" in page
    page = flashed(maya, upload(maya, share_path, overview, shares[1].read_bytes()))
    assert "Your share is kept: 1 of the 2 shares needed" in page
    page = flashed(noor, upload(noor, share_path, overview, shares[1].read_bytes()))
    assert "share 2 was already brought" in page
    page = flashed(noor, upload(noor, share_path, overview, shares[0].read_bytes()))
    assert "the ballots are open, the tally is sealed" in page
    assert maya.get(f"/jury/openings.jsonl?election={slug}").status_code == 200
    stage = organiser.get(f"/stage/{slug}").get_data(as_text=True)
    assert "The result is sealed" in stage
    with app.app_context():
        actions = (
            get_session().execute(text("SELECT actor, action, detail FROM activity_log")).all()
        )
    assert ("maya", "trustee share brought", "2") in actions
    assert ("noor", "ballots decrypted", "4 ballots, 0 jury ballots") in actions


def test_an_election_revealed_at_close_is_revealed_when_the_shares_open_it(
    app, runner, elections, tmp_path
):
    toml = trustee_toml(jury=False).replace(
        "trustee = true\n", 'trustee = true\nreveal = "at-close"\n'
    )
    election = elections.create(toml, attendees=3, open_voting=False)
    _key, public, shares = write_key(tmp_path, threshold=1)
    assert invoke(runner, "trustee", "key", public)[0] == 0
    assert invoke(runner, "open")[0] == 0
    vote_with_client(app.test_client(), elections.tokens(election.slug)[0], PICKS[1])
    assert invoke(runner, "close")[0] == 0
    with app.app_context():
        assert find_election(get_session(), election.slug).is_closed  # not yet revealed
    assert invoke(runner, "trustee", "share", shares[1])[0] == 0
    with app.app_context():
        assert find_election(get_session(), election.slug).is_revealed
    report = verify.verify_board(elections.board(election.slug))
    assert report.state == "tallied" and report.trustee_released  # no stage: at close
    assert report.tally[0]["winners"] == ["bruno-kettle"]
