"""Witnesses in the app: checkpoints submitted to real witness processes (the one-file
verifier), cosignatures stored and shown, a witness stopped and caught up, a forked log
refused, and the verifier's quorum policy over the exported board."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import definition_toml, vote_with_client
from tests.server import free_port
from tests.staff import csrf_of, staff_client
from voting import services, verify, witness_client
from voting.cli.witness_processes import VERIFIER, WitnessProcess
from voting.db import get_session, writing
from voting.domain.definition import DefinitionError, parse_definition
from voting.models import ActivityRecord
from voting.operations import audit, witnessing
from voting.operations.elections import find_election

CHOICES = {"best-manager": "ann", "best-partnership": "p1"}


def witnessed_toml(witnesses: list[WitnessProcess], quorum: int) -> str:
    lines = [definition_toml().replace("[election]\n", f"[election]\nwitness_quorum = {quorum}\n")]
    for witness in witnesses:
        lines += [
            "",
            "[[witnesses]]",
            f'name = "{witness.name}"',
            f'url = "{witness.url}"',
            f'key = "{witness.vkey}"',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def witness_pair(tmp_path):
    pair = [WitnessProcess(f"juror-{i}", tmp_path / f"w{i}", free_port()) for i in (1, 2)]
    yield pair
    for witness in pair:
        witness.stop()


@pytest.fixture
def clock(app):
    """A clock the test moves on, past a witness's back-off."""
    moment = {"now": datetime.now(UTC)}
    app.config["VOTING_CLOCK"] = lambda: moment["now"]
    return moment


def submit(app, slug: str) -> witnessing.WitnessSummary:
    with app.app_context():
        session = get_session()
        election = find_election(session, slug)
        witness_client.submit_due(session, election)
        summary = witnessing.summary(session, election)
        assert summary is not None
        return summary


def test_two_witnesses_cosign_and_a_stopped_one_is_caught_up(
    app, client, elections, witness_pair, clock, tmp_path
):
    handle = elections.create(witnessed_toml(witness_pair, 2), open_voting=False)
    for witness in witness_pair:
        witness.start(elections.vkey(handle.slug))
    elections.open(handle.slug)
    summary = submit(app, handle.slug)
    assert summary.current == 2 and summary.quorum_met
    two = witness_pair[1]
    two.stop()
    for token in handle.tokens[:2]:
        vote_with_client(client, token, CHOICES)
    summary = submit(app, handle.slug)
    assert [w.current for w in summary.witnesses] == [True, False]
    assert "no answer" in summary.witnesses[1].error and not summary.quorum_met
    held = summary.witnesses[1].size
    two.start(elections.vkey(handle.slug))  # same key, same state folder
    vote_with_client(client, handle.tokens[2], CHOICES)
    assert submit(app, handle.slug).witnesses[1].size == held  # still waiting out its back-off
    clock["now"] += timedelta(minutes=2)
    summary = submit(app, handle.slug)
    assert summary.current == 2 and summary.witnesses[1].size > held  # caught up by a proof
    assert summary.witnesses[1].error is None

    elections.close(handle.slug, now=clock["now"])
    elections.reveal(handle.slug, now=clock["now"])
    assert submit(app, handle.slug).current == 2
    board = tmp_path / "board.jsonl"
    board.write_bytes(b"".join(elections.board(handle.slug)))
    command = [sys.executable, str(VERIFIER), str(board), "--key", elections.vkey(handle.slug)]
    for witness in witness_pair:
        command += ["--witness", str(witness.vkey_file)]
    checked = subprocess.run(command, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "the final checkpoint is cosigned by 2 of those given (quorum 2)" in checked.stdout

    # What each witness holds is the board's final checkpoint, as its own page says.
    final = audit_final(app, handle.slug)
    for witness in witness_pair:
        status = requests.get(witness.url + "/", timeout=5).text
        assert f"size {final.size}, {final.fingerprint}" in status


def audit_final(app, slug: str) -> verify.Checkpoint:
    with app.app_context():
        session = get_session()
        checkpoint = audit.latest_checkpoint(session, find_election(session, slug))
        assert checkpoint is not None
        return checkpoint


def test_a_witness_fed_a_forked_log_refuses_it(app, client, elections, witness_pair):
    witness = witness_pair[0]
    handle = elections.create(witnessed_toml([witness], 1), open_voting=False)
    witness.start(elections.vkey(handle.slug))
    elections.open(handle.slug)
    vote_with_client(client, handle.tokens[0], CHOICES)
    assert submit(app, handle.slug).current == 1
    # The operator's key signs a log whose last entry was rewritten: a fork of the same size
    # and, extended, of a larger one. The witness refuses both and keeps what it holds.
    lines = elections.board(handle.slug)
    leaves = [verify.leaf_hash(line.rstrip(b"\n")) for line in lines if line.startswith(b'{"data"')]
    leaves[-1] = verify.leaf_hash(b'{"data":{},"kind":"rewritten","prev":"","seq":0}')
    forked = verify.MerkleTree([*leaves, verify.leaf_hash(b"more")])
    with app.app_context():
        session = get_session()
        election = find_election(session, handle.slug)
        held = witnessing.summary(session, election).witnesses[0].size
        definition = witnessing.election_witnesses(election)[0]
        for size, old, proof in [
            (held, held, []),
            (held + 1, held, forked.consistency_proof(held, held + 1)),
        ]:
            note = services.signer().sign(election.origin, size, forked.root(size)).note
            checkpoint = verify.Checkpoint(election.origin, size, forked.root(size), note)
            submission = witnessing.Submission(election.id, definition, old, checkpoint, proof)
            answer = witness_client.ask_witness(submission)
            assert answer.cosignature is None
            assert answer.size == held or "consistency proof was refused" in answer.refusal
            with writing(session):
                witnessing.record_answer(session, submission, answer, services.now())
        refusals = session.query(ActivityRecord).filter_by(action="witness.refused").all()
        assert refusals and "rewritten" in refusals[0].detail + answer.refusal
    # The honest log goes on being cosigned: the witness was never rolled back.
    vote_with_client(client, handle.tokens[1], CHOICES)
    with app.app_context():  # the refusal's back-off is over for this check
        session = get_session()
        with writing(session):
            state = session.get(
                witnessing.WitnessState, (find_election(session, handle.slug).id, witness.name)
            )
            state.next_try_at = None
    assert submit(app, handle.slug).current == 1


def test_the_quorum_policy_refuses_missing_and_forged_cosignatures(
    app, client, elections, witness_pair
):
    one, two = witness_pair
    handle = elections.create(witnessed_toml(witness_pair, 1), open_voting=False)
    one.start(elections.vkey(handle.slug))  # the second never runs
    elections.open(handle.slug)
    vote_with_client(client, handle.tokens[0], CHOICES)
    elections.close(handle.slug)
    submit(app, handle.slug)
    lines = elections.board(handle.slug)
    report = verify.verify_board(lines, witnesses=[one.vkey], quorum=1)
    assert [c.witness for c in report.witnessed] == [one.name]
    assert verify.verify_board(lines, witnesses=[one.vkey, two.vkey], quorum=1).quorum == 1
    with pytest.raises(verify.BoardError, match="fewer than the quorum of 2"):
        verify.verify_board(lines, witnesses=[one.vkey, two.vkey])
    with pytest.raises(verify.BoardError, match="fewer than the quorum"):
        verify.verify_board(lines, witnesses=[two.vkey])
    # Forged: the final checkpoint's cosignature with one byte of its signature changed.
    final = json.loads(lines[-1])
    head, _, encoded = final["note"].rstrip("\n").rpartition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    final["note"] = f"{head} {base64.b64encode(bytes(raw)).decode()}\n"
    forged = [*lines[:-1], verify.canonical_json(final) + b"\n"]
    verify.verify_board(forged)  # without a policy, a cosignature is not checked at all
    with pytest.raises(verify.BoardError, match="forged"):
        verify.verify_board(forged, witnesses=[one.vkey], quorum=1)
    # A saved checkpoint given with --checkpoint must carry the quorum too.
    bare = audit_final(app, handle.slug).note
    with pytest.raises(verify.BoardError, match="--checkpoint"):
        verify.verify_board(lines, witnesses=[one.vkey], saved_checkpoints=[bare])
    # A log key is not a witness key.
    with pytest.raises(verify.BoardError, match="witness"):
        verify.verify_board(lines, witnesses=[elections.vkey(handle.slug)])


def test_pages_show_the_cosigned_checkpoint_and_the_witnesses(
    app, client, runner, elections, witness_pair
):
    witness = witness_pair[0]
    handle = elections.create(witnessed_toml(witness_pair, 1), open_voting=False)
    witness.start(elections.vkey(handle.slug))
    elections.open(handle.slug)
    vote_with_client(client, handle.tokens[0], CHOICES)
    submit(app, handle.slug)
    note = client.get(f"/board/checkpoint?election={handle.slug}").get_data(as_text=True)
    assert verify.cosignatures(note, [verify.VerifierKey.parse(witness.vkey, b"\x04")])
    board = client.get(f"/board?election={handle.slug}").get_data(as_text=True)
    assert "1 of 2 witnesses have cosigned the latest checkpoint (quorum of 1 met" in board
    stage = client.get(f"/stage/{handle.slug}.json").get_json()
    assert stage["witnesses_text"].startswith("1 of 2 witnesses have cosigned")
    jury = staff_client(app, runner, "jury")
    page = jury.get(f"/jury?election={handle.slug}").get_data(as_text=True)
    assert witness.name in page and "juror-2" in page and "no answer" in page
    assert elections.vkey(handle.slug) in page  # the --log a juror's witness needs


def test_the_election_file_checks_its_witnesses(witness_pair):
    good = witnessed_toml(witness_pair, 2)
    definition = parse_definition(good)
    assert [w.name for w in definition.witnesses] == ["juror-1", "juror-2"]
    assert definition.to_board()["witness_quorum"] == 2
    log_key = verify.VerifierKey.from_private("juror-1", Ed25519PrivateKey.generate()).vkey
    cases = {
        good.replace("witness_quorum = 2", "witness_quorum = 3"): "witness_quorum",
        good.replace(witness_pair[0].vkey, log_key): "not a witness's cosignature key",
        good.replace('name = "juror-1"', 'name = "someone-else"'): "the key is named",
        good.replace("http://127.0.0.1", "ftp://127.0.0.1", 1): "http:// or https://",
        good.replace('name = "juror-2"', 'name = "juror-1"').replace(
            witness_pair[1].vkey, witness_pair[0].vkey
        ): "named twice",
    }
    for source, message in cases.items():
        with pytest.raises(DefinitionError, match=message):
            parse_definition(source)


def test_the_console_adds_witnesses_sets_the_quorum_and_removes_them(
    app, runner, elections, witness_pair
):
    organiser = staff_client(app, runner, "organiser", "olga")
    handle = elections.create(open_voting=False)
    one, two = witness_pair

    def post(path: str, **data):
        return organiser.post(
            f"/admin/election/{path}?election={handle.slug}",
            data={"csrf_token": csrf_of(organiser, "/admin"), **data},
        )

    assert post("witnesses", url=one.url, key=one.vkey).status_code == 303
    assert post("witnesses", url=two.url + "/", key=two.vkey).status_code == 303
    refused = post("witnesses", url="ftp://x", key=elections.vkey(handle.slug))
    assert refused.status_code == 422
    assert "not a witness&#39;s cosignature key" in refused.get_data(as_text=True)
    assert post("witnesses/quorum", quorum="3").status_code == 422  # only two witnesses
    assert post("witnesses/quorum", quorum="2").status_code == 303
    assert post("witnesses/remove", name=one.name).status_code == 303
    page = organiser.get(f"/admin/election?election={handle.slug}").get_data(as_text=True)
    assert two.vkey in page and one.vkey not in page
    elections.open(handle.slug)
    with app.app_context():
        published = json.loads(find_election(get_session(), handle.slug).definition)
    assert published["witnesses"] == [{"name": two.name, "url": two.url, "key": two.vkey}]
    assert published["witness_quorum"] == 1  # lowered with the removal, to what is left
    page = organiser.get(f"/admin/election?election={handle.slug}").get_data(as_text=True)
    assert two.vkey in page and 'name="url"' not in page  # listed, no longer changed
    board = elections.board(handle.slug)
    assert any(two.vkey.encode() in line for line in board)  # published with the definition
