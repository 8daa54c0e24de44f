"""The public board: pages and JSON, receipts with proofs, consistency proofs, checkpoints."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import definition_toml, vote_with_client
from voting import verify

PICK = {"cluster-manager": "mario-rossi", "strategic-partnership": "abstain"}


def board_key(client, slug: str = "ecc2016") -> verify.VerifierKey:
    response = client.get(f"/board/key?election={slug}")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return verify.VerifierKey.parse(response.get_data(as_text=True))


def test_receipt_shown_to_a_voter_is_proven_in_the_latest_signed_checkpoint(app, client, elections):
    election = elections.create(attendees=4)
    receipt = vote_with_client(client, election.tokens[0], PICK)
    key = board_key(client)
    data = client.get(f"/board/receipt/{receipt}.json").get_json()
    assert data["receipt"] == receipt and data["key"] == key.vkey
    checkpoint = verify.open_checkpoint(data["checkpoint"]["note"], key)
    latest = verify.open_checkpoint(client.get("/board/checkpoint").get_data(as_text=True), key)
    assert checkpoint.size == latest.size and checkpoint.root == latest.root
    leaf = bytes.fromhex(data["leaf_hash"])
    assert leaf == verify.leaf_hash(data["entry"].encode())
    proof = [bytes.fromhex(node) for node in data["proof"]]
    assert verify.verify_inclusion(leaf, data["seq"], checkpoint.size, proof, checkpoint.root)
    # The page says it in plain words, with the same fingerprint.
    page = client.get(f"/board/receipt/{receipt}").get_data(as_text=True)
    assert checkpoint.fingerprint in page and "Nobody can remove or change your ballot" in page


def test_receipt_lookups_that_find_nothing(client, elections):
    elections.create()
    for code in ("0000-0000-0000-0000", "not a receipt", "%"):
        assert client.get(f"/board/receipt/{code}").status_code == 404
    assert client.get("/board/receipt/0000-0000-0000-0000.json").get_json() == {
        "error": "no ballot has this receipt code"
    }
    response = client.get("/board/receipt?code=abcd")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/board/receipt/abcd"
    )


def test_board_lists_newest_first_in_pages_with_a_checkpoint_per_batch(app, elections):
    app.config.update(BATCH_SIZE=50, BATCH_SECONDS=30, BATCH_MINIMUM=10)  # as shipped
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    app.config["VOTING_CLOCK"] = lambda: start
    election = elections.create(attendees=52, now=start)
    for token in election.tokens[:52]:
        vote_with_client(app.test_client(), token, PICK)
    client = app.test_client()
    data = client.get("/board.json").get_json()
    assert data["size"] == 4 + 50  # one batch of 50; two ballots wait for the next
    assert [e["seq"] for e in data["entries"]] == list(range(53, 3, -1))
    assert data["pages"] == 2
    older = client.get("/board.json?page=2").get_json()
    assert [e["seq"] for e in older["entries"]] == list(range(3, -1, -1))
    # Opened at size 4; the batch of 50 was signed as one checkpoint, nothing in between.
    assert data["checkpoint"]["size"] == 54
    sizes = [
        verify.open_checkpoint(line_note, board_key(client)).size
        for line_note in _checkpoint_notes(elections.board(election.slug))
    ]
    assert sizes == [4, 54]
    html = client.get("/board").get_data(as_text=True)
    assert data["checkpoint"]["fingerprint"] in html
    assert "Entry 53" in html and "Entry 3<" not in html
    assert 'href="/board?page=2&amp;election=ecc2016"' in html


def _checkpoint_notes(lines: list[bytes]) -> list[str]:
    import json

    return [json.loads(line)["note"] for line in lines if b'"type":"checkpoint"' in line]


def test_board_never_shows_choices_while_open(app, client, elections):
    election = elections.create(attendees=3)
    vote_with_client(client, election.tokens[0], PICK)
    data = app.test_client().get("/board.json").get_json()
    cast = [e for e in data["entries"] if e["kind"] == "ballot.cast"]
    assert len(cast) == 1 and set(cast[0]["entry"]["data"]) == {"token", "sealed"}
    html = app.test_client().get("/board").get_data(as_text=True)
    assert "mario-rossi" not in html.split("election.defined")[0]  # only in the definition


def test_consistency_proofs_between_sizes(app, client, elections):
    election = elections.create(attendees=5)
    for token in election.tokens[:3]:
        vote_with_client(app.test_client(), token, PICK)
    key = board_key(client)
    early = verify.open_checkpoint(client.get("/board/checkpoint").get_data(as_text=True), key)
    vote_with_client(app.test_client(), election.tokens[3], PICK)
    late = verify.open_checkpoint(client.get("/board/checkpoint").get_data(as_text=True), key)
    data = client.get(f"/board/consistency?from={early.size}&to={late.size}").get_json()
    assert bytes.fromhex(data["from_root"]) == early.root
    assert bytes.fromhex(data["to_root"]) == late.root
    proof = [bytes.fromhex(node) for node in data["proof"]]
    assert verify.verify_consistency(early.size, late.size, early.root, late.root, proof)
    for query in ("from=5&to=2", "from=1&to=999", "from=a&to=2", "to=3", "from=-1&to=2"):
        response = client.get(f"/board/consistency?{query}")
        assert response.status_code == 400, query
        assert "error" in response.get_json()


def test_key_and_checkpoint_files_match_the_export(client, elections):
    election = elections.create(attendees=2)
    lines = elections.board(election.slug)
    import json

    assert json.loads(lines[1])["vkey"] == board_key(client).vkey
    note = client.get("/board/checkpoint").get_data(as_text=True)
    assert json.loads(lines[-1])["note"] == note
    origin, size, root = note.split("\n")[:3]
    assert origin == "vote.example.org/ecc2016" and int(size) == 4
    assert base64.b64decode(root) == verify.open_checkpoint(note, board_key(client)).root
    download = client.get("/board.jsonl")
    assert download.get_data().splitlines(keepends=True) == lines
    assert "attachment" in download.headers["Content-Disposition"]


def test_several_elections_are_told_apart(client, elections):
    elections.create()
    elections.create(definition_toml("second"))
    assert client.get("/board").status_code == 404
    assert client.get("/board?election=second").status_code == 200
    assert client.get("/board?election=nope").status_code == 404
    assert board_key(client, "second").name == "vote.example.org/second"


def test_the_verifier_file_is_offered_for_download(client):
    response = client.get("/board/verify.py")
    assert response.status_code == 200
    assert response.get_data() == Path(verify.__file__).read_bytes()
    assert 'filename="verify.py"' in response.headers["Content-Disposition"]
