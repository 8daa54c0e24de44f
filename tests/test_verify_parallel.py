"""The verifier's vetted and parallel reading gives the same report, and the same first
error, as reading every line the general way.

A long board has the per-line work of its lines (parsing, canonical form, leaf and seal
hashes, checkpoint signatures) done in chunks, in worker processes; a record that does not
fit, or a line that is not a plain ballot or checkpoint, is read the general way. These tests
force both on a small board (tiny chunks, a threshold of 0) and compare them with a reading
that vets nothing, on the untouched board and on many tampered ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import vote_with_client
from voting import verify

VOTES = [
    {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"},
    {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    {"cluster-manager": "mario-rossi", "strategic-partnership": "north-sea-energy"},
    {"cluster-manager": "abstain", "strategic-partnership": "alpine-health"},
    {"cluster-manager": "jane-doe", "strategic-partnership": "alpine-health"},
]


@pytest.fixture
def revealed(app, elections) -> tuple[list[bytes], str]:
    """The board of an election whose reveal ended (ballots cast and unsealed, the tally),
    and its key."""
    election = elections.create(attendees=8)
    for token, choices in zip(election.tokens, VOTES * 2, strict=False):
        vote_with_client(app.test_client(), token, choices)
    elections.close(election.slug)
    elections.reveal(election.slug)
    return elections.board(election.slug), elections.vkey(election.slug)


def _general_only(start: int, raws: list[bytes], key: verify.VerifierKey) -> list[tuple]:
    """Vet nothing: every line is read the general way, as the verifier did before chunks."""
    return [(verify._OTHER, n) for n, raw in enumerate(raws, start) if raw.strip(b"\r\n ")]


def outcome(lines: list[bytes], **options) -> verify.BoardReport | str:
    """The report of *lines*, or the message of the error they fail with."""
    try:
        return verify.verify_board(lines, **options)
    except verify.BoardError as exc:
        return f"BoardError: {exc}"


def three_ways(lines: list[bytes], monkeypatch, **options) -> list[verify.BoardReport | str]:
    """The outcome read the general way, vetted in this process, and vetted by 2 workers."""
    monkeypatch.setattr(verify, "_CHUNK_LINES", 3)  # many chunks, errors across their edges
    with monkeypatch.context() as patched:
        patched.setattr(verify, "_vet_chunk", _general_only)
        general = outcome(lines, **options)
    in_process = outcome(lines, **options)
    parallel = outcome(lines, workers=2, parallel_from=0, **options)
    return [general, in_process, parallel]


def entry_indexes(lines: list[bytes], kind: str) -> list[int]:
    return [i for i, line in enumerate(lines) if f'"kind":"{kind}"'.encode() in line]


def checkpoint_indexes(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith(b'{"note":')]


def replaced(lines: list[bytes], index: int, line: bytes) -> list[bytes]:
    return [*lines[:index], line, *lines[index + 1 :]]


def edit_data(line: bytes, change: Callable[[dict], None]) -> bytes:
    entry = json.loads(line)
    change(entry["data"])
    return verify.canonical_json(entry) + b"\n"


def edit_entry(line: bytes, **fields: object) -> bytes:
    return verify.canonical_json({**json.loads(line), **fields}) + b"\n"


def tamperings(lines: list[bytes]) -> dict[str, list[bytes]]:
    cast, unsealed = entry_indexes(lines, "ballot.cast"), entry_indexes(lines, "ballot.unsealed")
    checkpoints = checkpoint_indexes(lines)
    first, second = cast[0], cast[1]
    opened = unsealed[2]
    note = json.loads(lines[checkpoints[3]])
    last = max(i for i, line in enumerate(lines) if line.startswith(b'{"data":'))
    milestone = entry_indexes(lines, "voting.opened")[0] + 1  # its checkpoint must follow

    def other_choice(data: dict) -> None:
        data["choices"]["cluster-manager"] = "jan-kowalski"

    signature = note["note"].rstrip("\n")
    forged = {"note": signature[:-6] + ("AAAA" if signature[-6:-2] != "AAAA" else "BBBB")}
    forged["note"] += signature[-2:] + "\n"
    forged["type"] = "checkpoint"
    return {
        "a choice changed": replaced(lines, opened, edit_data(lines[opened], other_choice)),
        "two ballots swapped": [
            *lines[:first],
            lines[second],
            *lines[first + 1 : second],
            lines[first],
            *lines[second + 1 :],
        ],
        "a ballot deleted": [*lines[:second], *lines[second + 1 :]],
        "a ballot twice": [*lines[: second + 1], lines[second], *lines[second + 1 :]],
        "a space added": replaced(lines, first, lines[first].replace(b'":"', b'": "', 1)),
        "keys reordered": replaced(
            lines,
            opened,
            json.dumps(
                dict(reversed(json.loads(lines[opened]).items())), separators=(",", ":")
            ).encode()
            + b"\n",
        ),
        "not JSON": replaced(lines, second, lines[second][:40] + b"\n"),
        "prev altered": replaced(
            lines, second, lines[second].replace(b'"prev":"', b'"prev":"0', 1)[:-1]
        ),
        "prev another hash": replaced(lines, second, edit_entry(lines[second], prev="cd" * 32)),
        "a ballot altered within its rules": replaced(
            lines, first, edit_data(lines[first], lambda d: d.update(x=1))
        ),
        "the last entry's prev changed": replaced(
            lines, last, edit_entry(lines[last], prev="ef" * 32)
        ),
        "a token changed": replaced(
            lines, first, edit_data(lines[first], lambda d: d.update(token="ab" * 32))
        ),
        "an unsealed ballot points elsewhere": replaced(
            lines, opened, edit_data(lines[opened], lambda d: d.update(ballot=0))
        ),
        "a ballot unsealed twice": [
            *lines[: opened + 1],
            lines[opened].replace(b'"seq":', b'"seq":1', 1),
            *lines[opened + 1 :],
        ],
        "a checkpoint forged": replaced(
            lines, checkpoints[3], verify.canonical_json(forged) + b"\n"
        ),
        "a milestone's checkpoint deleted": [*lines[:milestone], *lines[milestone + 1 :]],
        "a checkpoint moved": [
            *lines[: checkpoints[3]],
            *lines[checkpoints[3] + 1 : checkpoints[3] + 2],
            lines[checkpoints[3]],
            *lines[checkpoints[3] + 2 :],
        ],
        "the end cut off": lines[:-3],
        "the last ballot cut off": [*lines[: unsealed[-1]], *lines[unsealed[-1] + 1 :]],
    }


def test_the_parallel_report_is_the_general_report(revealed, monkeypatch):
    lines, vkey = revealed
    started: list[int] = []
    start_pool = verify._start_pool

    def counted(workers: int, start_method: str | None):
        started.append(workers)
        return start_pool(workers, start_method)

    monkeypatch.setattr(verify, "_start_pool", counted)
    general, in_process, parallel = three_ways(lines, monkeypatch, key=vkey)
    assert isinstance(general, verify.BoardReport), general
    assert general.state == "revealed" and general.tally and general.ballots == len(VOTES) + 3
    assert in_process == general and parallel == general
    assert in_process.lines() == general.lines() == parallel.lines()
    assert started == [2]  # the pool ran for the parallel reading, and only for it


def test_blank_lines_and_crlf_change_nothing(revealed, monkeypatch):
    lines, vkey = revealed
    spaced = [line for pair in zip(lines, [b"\n"] * len(lines), strict=True) for line in pair]
    crlf = [line.rstrip(b"\n") + b"\r\n" for line in lines]
    for variant in (spaced, crlf):
        general, in_process, parallel = three_ways(variant, monkeypatch, key=vkey)
        assert isinstance(general, verify.BoardReport), general
        assert in_process == general and parallel == general


def test_a_tampered_board_fails_with_the_same_first_error(revealed, monkeypatch):
    lines, vkey = revealed
    for name, tampered in tamperings(lines).items():
        general, in_process, parallel = three_ways(tampered, monkeypatch, key=vkey)
        assert isinstance(general, str), f"{name}: the tampered board verified"
        assert in_process == general, name
        assert parallel == general, name


def test_a_saved_checkpoint_is_checked_in_every_reading(revealed, monkeypatch):
    lines, _vkey = revealed
    note = json.loads(lines[checkpoint_indexes(lines)[4]])["note"]
    general, in_process, parallel = three_ways(lines, monkeypatch, saved_checkpoint=note)
    assert isinstance(general, verify.BoardReport) and in_process == general == parallel
    cast = entry_indexes(lines, "ballot.cast")
    rewritten = replaced(lines, cast[0], edit_data(lines[cast[0]], lambda d: d.update(x=1)))
    outcomes = three_ways(rewritten, monkeypatch, saved_checkpoint=note)
    assert isinstance(outcomes[0], str) and outcomes[1:] == outcomes[:1] * 2


def test_a_pool_that_cannot_start_reads_in_this_process(revealed, monkeypatch):
    lines, vkey = revealed
    monkeypatch.setattr(verify, "_start_pool", lambda workers, start_method: None)
    report = verify.verify_board(lines, key=vkey, workers=2, parallel_from=0)
    assert report == verify.verify_board(lines, key=vkey)


def test_merkle_root_by_levels_is_rfc_6962(monkeypatch):
    leaves = [verify.leaf_hash(bytes([i % 251, i // 251])) for i in range(300)]
    for size in [*range(0, 70), 127, 128, 129, 255, 256, 257, 300]:
        peaks: list[bytes] = []
        for index, leaf in enumerate(leaves[:size]):
            verify.frontier_push(peaks, index, leaf)
        assert verify.merkle_root(leaves[:size]) == verify.frontier_root(peaks), size
        assert verify.merkle_root(leaves[:size]) == verify.MerkleTree(leaves[:size]).root()


def _run_copy(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", **env},
    )


def test_the_copied_file_with_spawned_workers_reports_as_in_process(revealed, tmp_path):
    """The juror's way on macOS or Windows: the one file run as a script, its workers started
    by spawn (which imports the script again in each), forced here; a failing pool would
    raise, not fall back."""
    lines, vkey = revealed
    shutil.copyfile(verify.__file__, tmp_path / "verify.py")
    (tmp_path / "board.jsonl").write_bytes(b"".join(lines))
    tampered = tamperings(lines)["a choice changed"]
    (tmp_path / "tampered.jsonl").write_bytes(b"".join(tampered))
    spawn = {"VOTING_VERIFY_START_METHOD": "spawn", "VOTING_VERIFY_PARALLEL_FROM": "0"}
    for board in ("board.jsonl", "tampered.jsonl"):
        alone = _run_copy(tmp_path, board, "--key", vkey, "--workers", "1")
        spawned = _run_copy(tmp_path, board, "--key", vkey, "--workers", "2", **spawn)
        assert (spawned.returncode, spawned.stdout, spawned.stderr) == (
            alone.returncode,
            alone.stdout,
            alone.stderr,
        ), spawned.stderr
    assert "OK: the board verifies" in _run_copy(tmp_path, "board.jsonl", **spawn).stdout
    assert alone.returncode == 1 and "do not match the seal" in alone.stderr
