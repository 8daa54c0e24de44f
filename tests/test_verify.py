"""The offline verifier on a real exported board: untouched it passes, tampered it names where."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.helpers import vote_with_client
from voting import verify
from voting.db import get_session
from voting.operations import audit
from voting.operations.elections import close_election, find_election

VOTES = [
    {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"},
    {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "abstain", "strategic-partnership": "alpine-health"},
]


@pytest.fixture
def board(app, elections) -> list[bytes]:
    """A closed, tallied board with four ballots, exported by the app."""
    election = elections.create(attendees=6)
    for token, choices in zip(election.tokens, VOTES, strict=False):
        vote_with_client(app.test_client(), token, choices)
    with app.app_context():
        session = get_session()
        record = find_election(session, election.slug)
        close_election(session, record, datetime.now(UTC))
        session.commit()
        return list(audit.export_board(session, record))


def entry_lines(board: list[bytes]) -> list[int]:
    """Indexes of the lines that are log entries (not header or head)."""
    return [i for i, line in enumerate(board) if b'"seq":' in line and b'"type"' not in line]


def fails_naming(lines: list[bytes], entry: int | None = None) -> str:
    with pytest.raises(verify.BoardError) as caught:
        verify.verify_board(lines)
    message = str(caught.value)
    if entry is not None:
        assert re.search(rf"\bentry {entry}\b", message), message
    return message


def test_untouched_board_verifies_and_recounts(board):
    report = verify.verify_board(board)
    assert report.state == "tallied"
    assert (report.ballots, report.eligible) == (4, 6)
    manager, partnership = report.tally
    assert manager["winners"] == ["mario-rossi"]
    assert partnership["winners"] == ["alpine-health"] and partnership["abstentions"] == 1


def test_every_entry_line_is_canonical_json(board):
    for index in entry_lines(board):
        line = board[index].rstrip(b"\n")
        assert verify.canonical_json(json.loads(line)) == line


def test_a_changed_byte_in_any_entry_is_caught_and_named(board):
    for seq, index in enumerate(entry_lines(board)):
        line = board[index]
        # Change the byte in the middle, and the last hex digit of its prev hash.
        middle = len(line) // 2
        positions = [middle, line.index(b'"prev":"') + 8 + 63]
        for position in positions:
            mutated = bytearray(line)
            mutated[position] = ord("0") if mutated[position] != ord("0") else ord("1")
            tampered = list(board)
            tampered[index] = bytes(mutated)
            message = fails_naming(tampered)
            assert re.search(rf"\bentry {seq}\b", message), (seq, position, message)


def test_deleting_any_entry_is_caught_and_named(board):
    for seq, index in enumerate(entry_lines(board)):
        tampered = board[:index] + board[index + 1 :]
        fails_naming(tampered, seq)


def test_swapping_neighbours_is_caught_and_named(board):
    lines = entry_lines(board)
    for seq, (first, second) in enumerate(itertools.pairwise(lines)):
        tampered = list(board)
        tampered[first], tampered[second] = tampered[second], tampered[first]
        fails_naming(tampered, seq)


def test_inserted_truncated_and_appended_boards_fail(board):
    lines = entry_lines(board)
    forged = (
        verify.canonical_json(
            {
                "seq": 3,
                "prev": "0" * 64,
                "kind": "ballot.cast",
                "data": {"token": "a" * 64, "sealed": "b" * 64},
            }
        )
        + b"\n"
    )
    fails_naming([*board[: lines[3]], forged, *board[lines[3] :]], 3)
    whole = b"".join(board)
    truncated = whole[: len(whole) - 40].splitlines(keepends=True)
    fails_naming(truncated)
    fails_naming([*board, b'{"seq":99}\n'])
    fails_naming(board[:-1])  # the head removed


def test_the_partial_board_of_an_open_election_needs_the_flag(app, elections):
    election = elections.create(attendees=2)
    vote_with_client(app.test_client(), election.tokens[0], VOTES[0])
    with app.app_context():
        session = get_session()
        lines = list(audit.export_board(session, find_election(session, election.slug)))
    assert "--partial" in fails_naming(lines)
    report = verify.verify_board(lines, partial=True)
    assert (report.state, report.ballots, report.tally) == ("open", 1, None)


def test_one_file_verifier_runs_as_a_script(board, tmp_path):
    path = tmp_path / "board.jsonl"
    path.write_bytes(b"".join(board))
    copied = tmp_path / "verify.py"  # alone in a folder, run in isolated mode: no package around
    shutil.copyfile(verify.__file__, copied)
    result = subprocess.run(
        [sys.executable, "-I", str(copied), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "OK: the board verifies" in result.stdout
    path.write_bytes(b"".join(board[:-2] + board[-1:]))
    result = subprocess.run(
        [sys.executable, "-I", str(copied), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: ")
