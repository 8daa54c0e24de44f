"""The verifier against a real exported board: untouched it passes, every tampering fails.

The board comes from the app (both databases), so these cases attack what the server
really writes: entries, the signed checkpoints between them, and the key.
"""

from __future__ import annotations

import base64
import itertools
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import definition_toml, vote_with_client
from voting import verify

VOTES = [
    {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"},
    {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "abstain", "strategic-partnership": "alpine-health"},
]


@pytest.fixture
def closed(app, elections):
    """An election with four ballots, closed and tallied."""
    election = elections.create(attendees=6)
    for token, choices in zip(election.tokens, VOTES, strict=False):
        vote_with_client(app.test_client(), token, choices)
    elections.close(election.slug)
    return election


@pytest.fixture
def board(elections, closed) -> list[bytes]:
    return elections.board(closed.slug)


def kind_of(line: bytes) -> str:
    value = json.loads(line)
    return value.get("type", "entry")


def entry_lines(board: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(board) if kind_of(line) == "entry"]


def checkpoint_lines(board: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(board) if kind_of(line) == "checkpoint"]


def fails(lines: list[bytes], entry: int | None = None, **options) -> str:
    with pytest.raises(verify.BoardError) as caught:
        verify.verify_board(lines, **options)
    message = str(caught.value)
    if entry is not None:
        assert re.search(rf"\bentry {entry}\b", message), message
    return message


def other_key_note(note: str) -> str:
    """The same checkpoint (origin, size, root), signed by somebody else's key."""
    origin, size, root = note.split("\n")[:3]
    impostor = Ed25519PrivateKey.generate()
    return verify.sign_checkpoint(impostor, origin, int(size), base64.b64decode(root)).note


# --- untouched -----------------------------------------------------------------------------------


def test_untouched_board_verifies_and_recounts(board, elections, closed):
    report = verify.verify_board(board, key=elections.vkey(closed.slug))
    assert report.state == "sealed" and report.key_pinned and report.tally is None
    assert (report.ballots, report.eligible) == (4, 6)
    assert set(report.milestones) == {"opened", "sealed"}
    assert report.checkpoints[-1].size == report.entries
    text = "\n".join(report.lines())
    assert report.milestones["sealed"].fingerprint in text
    # The jury's openings recount the sealed result before the reveal.
    opened = verify.verify_board(board, openings=elections.openings(closed.slug))
    manager, partnership = opened.tally
    assert manager["winners"] == ["mario-rossi"]
    assert partnership["winners"] == ["alpine-health"] and partnership["abstentions"] == 1


def test_board_lines_are_canonical_and_checkpoints_are_c2sp_notes(board):
    for index in entry_lines(board):
        line = board[index].rstrip(b"\n")
        assert verify.canonical_json(json.loads(line)) == line
    note = json.loads(board[checkpoint_lines(board)[0]])["note"]
    origin, size, root, blank, signature, end = note.split("\n")
    assert origin == "vote.example.org/ecc2016" and size.isdigit()
    assert len(base64.b64decode(root)) == 32
    assert blank == "" and end == ""
    assert signature.startswith("\u2014 vote.example.org/ecc2016 ")


# --- tampering with entries ----------------------------------------------------------------------


def test_a_changed_byte_in_any_entry_is_caught_and_named(board):
    for seq, index in enumerate(entry_lines(board)):
        line = board[index]
        for position in (len(line) // 2, line.index(b'"prev":"') + 8 + 63):
            mutated = bytearray(line)
            mutated[position] = ord("0") if mutated[position] != ord("0") else ord("1")
            tampered = list(board)
            tampered[index] = bytes(mutated)
            message = fails(tampered)
            assert re.search(rf"\bentry {seq}\b", message), (seq, position, message)


def test_deleting_any_entry_is_caught_and_named(board):
    for seq, index in enumerate(entry_lines(board)):
        fails(board[:index] + board[index + 1 :], seq)


def test_swapping_neighbouring_entries_is_caught_and_named(board):
    lines = entry_lines(board)
    for seq, (first, second) in enumerate(itertools.pairwise(lines)):
        tampered = list(board)
        tampered[first], tampered[second] = tampered[second], tampered[first]
        fails(tampered, seq)


def test_inserting_a_forged_entry_is_caught(board):
    lines = entry_lines(board)
    forged = verify.canonical_json(
        {
            "seq": 4,
            "prev": "0" * 64,
            "kind": "ballot.cast",
            "data": {"token": "a" * 64, "sealed": "b" * 64},
        }
    )
    fails([*board[: lines[4]], forged + b"\n", *board[lines[4] :]], 4)


def test_a_consistently_rewritten_chain_is_caught_by_the_signed_checkpoints(board):
    """Change an entry and recompute every later prev: the chain holds, the signatures don't."""
    lines = entry_lines(board)
    target = next(i for i in lines if b'"kind":"attendees.imported"' in board[i])
    tampered = list(board)
    entry = json.loads(tampered[target])
    entry["data"]["file_sha256"] = "f" * 64
    tampered[target] = verify.canonical_json(entry) + b"\n"
    previous = verify.leaf_hash(tampered[target].rstrip(b"\n"))
    for index in lines[lines.index(target) + 1 :]:
        later = json.loads(tampered[index])
        later["prev"] = previous.hex()
        tampered[index] = verify.canonical_json(later) + b"\n"
        previous = verify.leaf_hash(tampered[index].rstrip(b"\n"))
    assert "signed checkpoint" in fails(tampered)


# --- tampering with the file as a whole -----------------------------------------------------------


def test_truncated_or_extended_boards_fail(board):
    whole = b"".join(board)
    fails(whole[: len(whole) - 40].splitlines(keepends=True))
    fails(board[:-1])  # the final checkpoint removed
    fails([*board, b"garbage\n"])
    fails([*board, b'{"seq":99}\n'])
    last_entry = entry_lines(board)[-1]
    fails(board[:last_entry])  # cut before the tally: not a complete board


# --- tampering with checkpoints and keys ----------------------------------------------------------


def test_a_changed_byte_in_any_checkpoint_fails(board):
    for index in checkpoint_lines(board):
        value = json.loads(board[index])
        for position in (0, len(value["note"]) // 2, len(value["note"]) - 5):
            note = value["note"]
            swapped = "A" if note[position] != "A" else "B"
            value_changed = dict(value, note=note[:position] + swapped + note[position + 1 :])
            tampered = list(board)
            tampered[index] = verify.canonical_json(value_changed) + b"\n"
            fails(tampered)


def test_a_checkpoint_re_signed_with_another_key_fails(board):
    for index in checkpoint_lines(board):
        value = json.loads(board[index])
        tampered = list(board)
        tampered[index] = (
            verify.canonical_json(dict(value, note=other_key_note(value["note"]))) + b"\n"
        )
        assert "not signed by the key" in fails(tampered)


def test_a_board_re_signed_throughout_with_another_key_fails_against_the_pinned_key(
    board, elections, closed
):
    impostor = Ed25519PrivateKey.generate()
    header = json.loads(board[0])
    tampered = list(board)
    tampered[1] = (
        verify.canonical_json(
            {
                "type": "key",
                "vkey": verify.VerifierKey.from_private(header["origin"], impostor).vkey,
            }
        )
        + b"\n"
    )
    for index in checkpoint_lines(board):
        checkpoint = json.loads(board[index])["note"]
        origin, size, root = checkpoint.split("\n")[:3]
        note = verify.sign_checkpoint(impostor, origin, int(size), base64.b64decode(root)).note
        tampered[index] = verify.canonical_json({"type": "checkpoint", "note": note}) + b"\n"
    # Self-consistent, so only pinning the real key catches it: the jury pins it.
    verify.verify_board(tampered)
    assert "another key" in fails(tampered, key=elections.vkey(closed.slug))


# --- a checkpoint the jury saved earlier ---------------------------------------------------------


def test_saved_checkpoint_must_be_extended(app, elections):
    election = elections.create(attendees=4)
    vote_with_client(app.test_client(), election.tokens[0], VOTES[0])
    early = elections.board(election.slug)
    saved = json.loads(early[-1])["note"]
    vote_with_client(app.test_client(), election.tokens[1], VOTES[1])
    elections.close(election.slug)
    later = elections.board(election.slug)
    report = verify.verify_board(later, saved_checkpoint=saved)
    assert report.saved_checkpoint is not None
    # Presenting only the early part again: smaller than the saved checkpoint of the final board.
    final = json.loads(later[-1])["note"]
    assert "entries were removed" in fails(early, partial=True, saved_checkpoint=final)
    # A saved checkpoint from another log (another election, same key) is refused.
    other = elections.create(definition_toml("other"))
    other_note = json.loads(elections.board(other.slug)[-1])["note"]
    fails(later, saved_checkpoint=other_note)


def test_the_partial_board_of_an_open_election_needs_the_flag(app, elections):
    election = elections.create(attendees=2)
    vote_with_client(app.test_client(), election.tokens[0], VOTES[0])
    lines = elections.board(election.slug)
    assert "--partial" in fails(lines)
    report = verify.verify_board(lines, partial=True)
    assert (report.state, report.ballots, report.tally) == ("open", 1, None)
    # While open no choice is on the board: ballots are sealed.
    assert b"mario-rossi" not in b"".join(line for line in lines if b"ballot.cast" in line)
