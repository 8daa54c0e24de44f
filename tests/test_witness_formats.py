"""Cosignatures and the witness protocol, byte for byte as C2SP tlog-cosignature and
tlog-witness write them; and the witness of verify.py answering as the spec orders.

Vectors are written from the specs' own examples (the checkpoint, cosignature line and
add-checkpoint body they print) and from their rules applied to a fixed key.
"""

from __future__ import annotations

import base64
import hashlib
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from voting import verify

# From c2sp.org/tlog-cosignature: the example checkpoint body and its witness's line.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNATURE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
# From c2sp.org/tlog-witness: the example add-checkpoint request body.
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks"
    "+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
ORIGIN = "example.org/awards"


def test_the_spec_example_cosignature_carries_key_id_time_and_signature():
    payload = base64.b64decode(SPEC_COSIGNATURE.rpartition(" ")[2])
    assert len(payload) == 4 + 8 + 64  # key ID, u64 timestamp, Ed25519 signature
    assert int.from_bytes(payload[4:12], "big") == 1679315147  # the spec's "time 1679315147"


def test_the_signed_message_is_header_time_then_the_body():
    expected = (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert verify.cosignature_message(SPEC_BODY, 1679315147) == expected


def test_a_cosignature_follows_the_format_to_the_byte():
    public = WITNESS_KEY.public_key().public_bytes_raw()
    name = "witness.example.com/w1"
    line = verify.cosign(WITNESS_KEY, name, SPEC_BODY, 1679315147).line
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    signature = WITNESS_KEY.sign(verify.cosignature_message(SPEC_BODY, 1679315147))
    raw = key_id + (1679315147).to_bytes(8, "big") + signature
    assert line == f"\u2014 {name} {base64.b64encode(raw).decode()}\n"
    vkey = verify.VerifierKey.from_private(name, WITNESS_KEY, verify.COSIGNATURE_V1).vkey
    encoded = base64.b64encode(b"\x04" + public).decode()
    assert vkey == f"{name}+{key_id.hex()}+{encoded}"
    # The same key as a note signer (type 0x01) has another ID: the two never mix.
    assert verify.VerifierKey.from_private(name, WITNESS_KEY).id != key_id


def test_cosignatures_are_read_from_a_note_and_forgeries_refused():
    log = verify.sign_checkpoint(LOG_KEY, ORIGIN, 3, bytes(32))
    body = log.note.split("\n\n")[0] + "\n"
    witness = verify.VerifierKey.from_private("w1", WITNESS_KEY, verify.COSIGNATURE_V1)
    other = Ed25519PrivateKey.generate()
    note = verify.add_cosignatures(
        log.note,
        [
            verify.cosign(WITNESS_KEY, "w1", body, 1700000000).line,
            verify.cosign(other, "w2", body, 1700000001).line,  # unknown: ignored
        ],
    )
    found = verify.cosignatures(note, [witness])
    assert [(c.witness, c.timestamp) for c in found] == [("w1", 1700000000)]
    # The log's own signature still verifies with the cosignatures added.
    assert verify.open_checkpoint(note, verify.VerifierKey.from_private(ORIGIN, LOG_KEY)).size == 3
    # A cosignature of another body under w1's name and key ID is a forgery.
    forged = verify.cosign(WITNESS_KEY, "w1", body.replace("\n3\n", "\n4\n"), 1700000000).line
    with pytest.raises(ValueError, match="does not verify"):
        verify.cosignatures(verify.add_cosignatures(log.note, [forged]), [witness])


def test_the_spec_example_request_reads_and_writes_back_byte_for_byte():
    old, proof, note = verify.read_add_checkpoint(SPEC_REQUEST.encode())
    assert old == 20852014 and len(proof) == 4 and note.startswith("example.com/behind-the-sofa\n")
    assert verify.add_checkpoint_request(old, proof, note) == SPEC_REQUEST.encode()


@pytest.mark.parametrize(
    "body",
    [b"old 01\n\nx", b"new 1\n\nx", b"old 1\nnot base64!\n\nx", b"old 1\n" + b"AA==\n" + b"\nx"],
)
def test_malformed_requests_are_refused(body):
    with pytest.raises(ValueError):
        verify.read_add_checkpoint(body)


class Log:
    """A log of numbered entries signed by LOG_KEY, to feed a witness."""

    def __init__(self, entries: int, fork_at: int | None = None) -> None:
        leaves = [
            verify.leaf_hash(
                f"entry {i}{' forked' if fork_at is not None and i >= fork_at else ''}".encode()
            )
            for i in range(entries)
        ]
        self.tree = verify.MerkleTree(leaves)

    def checkpoint(self, size: int) -> verify.Checkpoint:
        return verify.sign_checkpoint(LOG_KEY, ORIGIN, size, self.tree.root(size))

    def request(self, old: int, size: int) -> bytes:
        proof = self.tree.consistency_proof(old, size) if old else []
        return verify.add_checkpoint_request(old, proof, self.checkpoint(size).note)


@pytest.fixture
def witness(tmp_path):
    log_key = verify.VerifierKey.from_private(ORIGIN, LOG_KEY)
    return verify.Witness(WITNESS_KEY, "w1", [log_key], str(tmp_path), lambda: 1700000000)


def test_the_witness_cosigns_a_growing_log_and_keeps_its_state(witness, tmp_path):
    log = Log(20)
    first = witness.add_checkpoint(log.request(0, 5))
    assert first.status == 200
    key = verify.VerifierKey.from_private("w1", WITNESS_KEY, verify.COSIGNATURE_V1)
    note = verify.add_cosignatures(log.checkpoint(5).note, [first.body.decode()])
    assert verify.cosignatures(note, [key])[0].timestamp == 1700000000
    assert witness.add_checkpoint(log.request(5, 12)).status == 200
    assert witness.add_checkpoint(log.request(12, 12)).status == 200  # the same again: fine
    # A new process on the same folder holds the same checkpoint.
    again = verify.Witness(WITNESS_KEY, "w1", witness.logs.values(), str(tmp_path), lambda: 0)
    assert again.latest(ORIGIN).size == 12
    stale = again.add_checkpoint(log.request(5, 20))
    assert (stale.status, stale.body, stale.content_type) == (409, b"12\n", "text/x.tlog.size")


def test_the_witness_refuses_as_the_spec_says(witness):
    log = Log(20)
    assert witness.add_checkpoint(log.request(0, 8)).status == 200
    forked = Log(20, fork_at=6)
    assert witness.add_checkpoint(forked.request(8, 15)).status == 422  # proof fails
    assert witness.add_checkpoint(forked.request(8, 8)).status == 409  # same size, other root
    assert witness.latest(ORIGIN).root == log.tree.root(8)  # nothing was rolled back
    above = verify.add_checkpoint_request(9, [], log.checkpoint(8).note)
    assert witness.add_checkpoint(above).status == 400  # old above the size
    other = verify.sign_checkpoint(LOG_KEY, "example.org/other", 1, bytes(32))
    assert witness.add_checkpoint(verify.add_checkpoint_request(0, [], other.note)).status == 404
    wrong = verify.sign_checkpoint(Ed25519PrivateKey.generate(), ORIGIN, 9, log.tree.root(9))
    proof = log.tree.consistency_proof(8, 9)
    assert witness.add_checkpoint(verify.add_checkpoint_request(8, proof, wrong.note)).status == 403
    assert witness.add_checkpoint(b"garbage").status == 400


def test_racing_requests_never_roll_the_witness_back(witness):
    log = Log(64)
    assert witness.add_checkpoint(log.request(0, 1)).status == 200
    answers: list[int] = []

    def submit(size: int) -> None:
        answers.append(witness.add_checkpoint(log.request(1, size)).status)

    threads = [threading.Thread(target=submit, args=(size,)) for size in range(2, 34)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) == 1 and answers.count(409) == len(threads) - 1
    assert witness.latest(ORIGIN).size > 1


def test_keygen_writes_a_private_key_file_and_its_vkey(tmp_path):
    path, key = verify.witness_keygen("juror-laptop-1", str(tmp_path))
    name, private_key = verify.read_witness_key((tmp_path / "juror-laptop-1.key").read_text())
    assert name == "juror-laptop-1" and path.endswith(".key")
    assert verify.VerifierKey.from_private(name, private_key, verify.COSIGNATURE_V1) == key
    assert (tmp_path / "juror-laptop-1.vkey").read_text().strip() == key.vkey
    assert (tmp_path / "juror-laptop-1.key").stat().st_mode & 0o077 == 0
    with pytest.raises(FileExistsError):  # never overwrites a key
        verify.witness_keygen("juror-laptop-1", str(tmp_path))
