"""The audit board's format and its offline verifier, in one self-contained file.

A juror copies this single file to a laptop and runs ``python verify.py board.jsonl``; it
needs the Python standard library and ``cryptography`` (for Ed25519), nothing else. The
server imports its hashing, Merkle, checkpoint and counting code from here, so the board is
written and checked by one implementation.

Board file (JSON Lines), in this order:

* a header ``{"type": "board", "format": "voting-board/2", "election": SLUG, "origin": ...}``;
* the log's public key ``{"type": "key", "vkey": NAME+KEYID+BASE64}`` (C2SP verifier key);
* the log entries, each the exact canonical JSON line that was hashed
  ``{"data": {...}, "kind": "...", "prev": HEX, "seq": N}``, with signed checkpoints
  ``{"type": "checkpoint", "note": TEXT}`` placed right after the entry that completes them;
  the last line is a checkpoint of the whole log.

Entry hashes follow RFC 6962: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left ||
right); the log's root is the Merkle Tree Hash of all leaves. ``prev`` is the leaf hash of the
entry before (64 zeros for the first), so each entry commits to all before it. Checkpoints are
C2SP signed notes (origin, tree size, base64 root) signed with Ed25519.

Ballots are sealed: ``ballot.cast`` carries the spent token hash and a SHA-256 commitment to
the choices, so the public board shows no partial result; ballots join in shuffled batches.
At close the server appends ``tally.sealed``, a commitment to the tally. When the reveal ends
it appends one ``ballot.unsealed`` entry per ballot with the choices and the nonce, then the
``tally`` with the nonce that opens the sealed one; the verifier checks each ballot against its
commitment, recounts, and checks the tally against the seal. Before that, the jury opens the
result with an openings file (``--openings``): a header ``{"type": "openings", "format":
"voting-openings/1", "election": SLUG, "origin": ...}``, one ``{"type": "opening", "ballot": SEQ,
"choices": {...}, "nonce": HEX}`` per ballot, and ``{"type": "tally", "data": {...}}``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import concurrent.futures
import contextlib
import copy
import functools
import hashlib
import itertools
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "voting-board/2"
OPENINGS_FORMAT = "voting-openings/1"
ZERO_HASH = "0" * 64
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EMPTY_ROOT = hashlib.sha256(b"").digest()


# --- Canonical JSON and hashes ------------------------------------------------------------------


# One encoder for every call: json.dumps with options would build a new one each time, and
# the verifier encodes every line of the board to check it is canonical.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def canonical_json(value: object) -> bytes:
    """Serialise *value* the one way the board allows: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(value).encode("utf-8")


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def seal_choices(choices: dict[str, object], nonce: str) -> str:
    """The commitment a sealed ballot carries: SHA-256 of its choices and a random nonce."""
    return seal_of(ballot_opening(choices, nonce))


def ballot_opening(choices: dict[str, object], nonce: str) -> bytes:
    """A ballot's choices with the nonce of its seal, as sealed (and, with a trustee, as
    encrypted): canonical JSON."""
    return canonical_json({"choices": choices, "nonce": nonce})


def seal_of(opening: bytes) -> str:
    return hashlib.sha256(opening).hexdigest()


# --- RFC 6962 Merkle tree -----------------------------------------------------------------------


def _split(width: int) -> int:
    """The largest power of two smaller than *width* (RFC 6962's k)."""
    return 1 << ((width - 1).bit_length() - 1)


def frontier_append(peaks: list[bytes], size: int, leaf: bytes) -> list[bytes]:
    """Add one leaf to the roots of the perfect subtrees of a tree of *size* leaves.

    Keeping only these O(log n) peaks lets the server extend the tree on every append
    without reading earlier leaves.
    """
    peaks = list(peaks)
    frontier_push(peaks, size, leaf)
    return peaks


def frontier_push(peaks: list[bytes], size: int, leaf: bytes) -> None:
    """frontier_append in place, for the verifier's loop over every entry."""
    node, sha256 = leaf, hashlib.sha256
    while size & 1:
        node = sha256(b"\x01" + peaks.pop() + node).digest()  # node_hash, without its call
        size >>= 1
    peaks.append(node)


def frontier_root(peaks: list[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of a tree given by its peaks, largest first."""
    if not peaks:
        return EMPTY_ROOT
    root = peaks[-1]
    for peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over already-hashed leaves.

    Computed level by level: pair the nodes of a level from the left, and lift a last node
    that has no partner to the level above unchanged. That is the same tree as RFC 6962's
    split at the largest power of two (its left subtrees are perfect), in one list
    comprehension per level instead of a Python call per node.
    """
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        pairs = zip(level[0::2], level[1::2], strict=False)  # the odd last node is dropped
        level = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        if odd is not None:
            level.append(odd)
    return level[0]


def token_set_root(token_hashes: Iterable[str]) -> str:
    """Merkle root of a sorted list of hex token hashes, each hashed as an RFC 6962 leaf."""
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    return merkle_root([sha256(b"\x00" + fromhex(h)).digest() for h in token_hashes]).hex()


class MerkleTree:
    """An append-only RFC 6962 tree that keeps every level of perfect subtrees.

    Roots and proofs for any earlier size then cost O(log n) hashes; the server keeps one
    per election in memory to answer receipt and consistency requests.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        index, level = len(self.levels[0]) - 1, 0
        while index & 1:
            pair = self.levels[level][index - 1 : index + 1]
            level += 1
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(node_hash(*pair))
            index >>= 1

    def _hash(self, lo: int, hi: int) -> bytes:
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:  # a perfect, aligned subtree
            return self.levels[width.bit_length() - 1][lo // width]
        split = _split(width)
        return node_hash(self._hash(lo, lo + split), self._hash(lo + split, hi))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self):
            raise ValueError(f"the tree has {len(self)} leaves, not {size}")

    def root(self, size: int | None = None) -> bytes:
        size = len(self) if size is None else size
        self._check_size(size)
        return self._hash(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 audit path of leaf *index* in the tree of the first *size* leaves."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        proof = []
        lo, hi = 0, size
        while hi - lo > 1:
            split = _split(hi - lo)
            if index < lo + split:
                proof.append(self._hash(lo + split, hi))
                hi = lo + split
            else:
                proof.append(self._hash(lo, lo + split))
                lo += split
        return proof[::-1]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """RFC 6962 proof that the tree of *old* leaves is a prefix of the tree of *new*."""
        self._check_size(new)
        if not 0 <= old <= new:
            raise ValueError(f"cannot prove {old} leaves consistent with {new}")
        if old in (0, new):
            return []
        proof = []
        lo, hi, remaining, whole = 0, new, old, True
        while remaining != hi - lo:
            split = _split(hi - lo)
            if remaining <= split:
                proof.append(self._hash(lo + split, hi))
                hi = lo + split
            else:
                proof.append(self._hash(lo, lo + split))
                lo, remaining, whole = lo + split, remaining - split, False
        if not whole:
            proof.append(self._hash(lo, hi))
        return proof[::-1]


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an audit path (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof between two tree sizes (RFC 9162 section 2.1.4.2)."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return first == old_root and second == new_root and sn == 0


# --- Checkpoints: C2SP signed notes ---------------------------------------------------------------

NOTE_ED25519 = b"\x01"  # a log's own signature (C2SP signed-note, Ed25519)
COSIGNATURE_V1 = b"\x04"  # a witness's timestamped Ed25519 cosignature (C2SP tlog-cosignature)
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id(name: str, public_key: bytes, kind: bytes = NOTE_ED25519) -> bytes:
    """C2SP key ID: the first four bytes of SHA-256(name || 0x0A || type || public key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + kind + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """An Ed25519 public key with the name its signatures carry (C2SP verifier key); *kind*
    tells a log's note signatures (0x01) from a witness's cosignatures (0x04)."""

    name: str
    public_key: bytes
    kind: bytes = NOTE_ED25519

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public_key, self.kind)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.id.hex()}+{_b64(self.kind + self.public_key)}"

    @classmethod
    def parse(cls, text: str, kind: bytes = NOTE_ED25519) -> VerifierKey:
        """Read ``name+keyid+base64`` (a vkey line) of the given *kind*, or raise ValueError."""
        parts = text.strip().split("+", 2)  # the base64 part may hold "+" itself
        if len(parts) != 3 or not parts[0]:
            raise ValueError("not a verifier key (expected name+keyid+base64)")
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("the verifier key's base64 is damaged") from None
        if len(raw) != 33 or raw[:1] not in (NOTE_ED25519, COSIGNATURE_V1):
            raise ValueError("not an Ed25519 verifier key")
        if raw[:1] != kind:
            wanted = "a witness's cosignature key" if kind == COSIGNATURE_V1 else "a log's key"
            raise ValueError(f"not {wanted} (the key is of type 0x{raw[0]:02x})")
        key = cls(name, raw[1:], kind)
        if key.id.hex() != hex_id.lower():
            raise ValueError("the verifier key's ID does not match its name and key")
        return key

    @classmethod
    def from_private(
        cls, name: str, private_key: Ed25519PrivateKey, kind: bytes = NOTE_ED25519
    ) -> VerifierKey:
        return cls(name, private_key.public_key().public_bytes_raw(), kind)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def load_verifier_key(text: str, name: str) -> VerifierKey:
    """A key given to the verifier: a vkey line, or a PEM public key named *name*."""
    if "-----BEGIN" in text:
        try:
            public = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError:
            raise ValueError("not a readable PEM public key") from None
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return VerifierKey(name, public.public_bytes_raw())
    return VerifierKey.parse(text)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the log's size and root at one moment."""

    origin: str
    size: int
    root: bytes
    note: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.root)


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{_b64(root)}\n"


def sign_checkpoint(
    private_key: Ed25519PrivateKey, origin: str, size: int, root: bytes
) -> Checkpoint:
    """Sign a checkpoint with the log key, named after the log's origin.

    Ed25519 is deterministic: the same tree size always gets the same note.
    """
    body = checkpoint_body(origin, size, root)
    key = VerifierKey.from_private(origin, private_key)
    signature = private_key.sign(body.encode("utf-8"))
    note = f"{body}\n{_SIGNATURE_PREFIX}{origin} {_b64(key.id + signature)}\n"
    return Checkpoint(origin, size, root, note)


def valid_origin(origin: str) -> bool:
    """A log name as C2SP checkpoints require: printable, no spaces (Unicode's either) and
    no "+", which separates the parts of a key name."""
    return (
        bool(origin)
        and origin.isprintable()
        and "+" not in origin
        and not any(ch.isspace() for ch in origin)
    )


def _decimal(text: str) -> bool:
    """A size as the format writes it: ASCII digits, no leading zero ("²" is not a digit)."""
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's body (with its final newline) and its signatures as (name, raw)."""
    if not note.endswith("\n") or "\n\n" not in note:
        raise ValueError("not a signed note (no blank line before the signatures)")
    cut = note.rindex("\n\n")
    body, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signatures = []
    for line in lines:
        if not line.startswith(_SIGNATURE_PREFIX):
            raise ValueError("malformed signature line")
        name, _, encoded = line[len(_SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            signatures.append((name, base64.b64decode(encoded, validate=True)))
        except binascii.Error:
            raise ValueError("damaged signature") from None
    return body, signatures


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """Check a checkpoint note's signature by *key* and read it; raise ValueError if it fails.

    Signatures by other keys (a witness's cosignatures) are left for ``cosignatures``."""
    body, signatures = split_note(note)
    signed = False
    for name, raw in signatures:
        if name == key.name and raw[:4] == key.id:
            if not key.verify(body.encode("utf-8"), raw[4:]):
                raise ValueError(f"the signature by {key.name} does not verify")
            signed = True
    if not signed:
        raise ValueError(f"not signed by the key {key.vkey}")
    lines = body.split("\n")
    if len(lines) < 4 or not valid_origin(lines[0]) or not _decimal(lines[1]):
        raise ValueError("not a checkpoint (origin, size, root)")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise ValueError("the checkpoint's root is damaged") from None
    if len(root) != 32:
        raise ValueError("the checkpoint's root is not a SHA-256 hash")
    if base64.b64encode(root).decode("ascii") != lines[2]:
        raise ValueError("the checkpoint's root is not in canonical base64")
    return Checkpoint(lines[0], int(lines[1]), root, note)


# --- Witnesses: cosignatures (C2SP tlog-cosignature) and add-checkpoint (C2SP tlog-witness) -----

COSIGNATURE_HEADER = "cosignature/v1"
_MAX_TIMESTAMP = 2**63 - 1
_MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class Cosignature:
    """A witness's statement that, at *timestamp*, this checkpoint was the largest consistent
    one it had seen of the log."""

    witness: str  # the witness's key name
    timestamp: int  # POSIX seconds
    line: str  # its note signature line, newline included


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a v1 cosignature signs: its header and time lines, then the checkpoint's body."""
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n{body}".encode()


def cosign(private_key: Ed25519PrivateKey, name: str, body: str, timestamp: int) -> Cosignature:
    """Cosign a checkpoint's body as the witness *name* at *timestamp*."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError("a cosignature's time is a POSIX timestamp below 2**63")
    key = VerifierKey.from_private(name, private_key, COSIGNATURE_V1)
    signature = private_key.sign(cosignature_message(body, timestamp))
    raw = key.id + timestamp.to_bytes(8, "big") + signature
    return Cosignature(name, timestamp, f"{_SIGNATURE_PREFIX}{name} {_b64(raw)}\n")


def cosignatures(note: str, witnesses: Iterable[VerifierKey]) -> list[Cosignature]:
    """The valid cosignatures on *note* by the given witness keys, one per witness.

    Lines by other keys are ignored, as the spec asks; a line that carries a given
    witness's name and key ID but does not verify raises ValueError (a forgery)."""
    body, signatures = split_note(note)
    by_id = {(w.name, w.id): w for w in witnesses if w.kind == COSIGNATURE_V1}
    found: dict[str, Cosignature] = {}
    for name, raw in signatures:
        witness = by_id.get((name, raw[:4]))
        if witness is None:
            continue
        if len(raw) != 4 + 8 + 64:
            raise ValueError(f"the cosignature by {name} has the wrong length")
        timestamp = int.from_bytes(raw[4:12], "big")
        if timestamp > _MAX_TIMESTAMP or not witness.verify(
            cosignature_message(body, timestamp), raw[12:]
        ):
            raise ValueError(f"the cosignature by {name} does not verify (forged?)")
        line = f"{_SIGNATURE_PREFIX}{name} {_b64(raw)}\n"
        found.setdefault(name, Cosignature(name, timestamp, line))
    return list(found.values())


def add_cosignatures(note: str, lines: Iterable[str]) -> str:
    """The note with further signature lines, each once."""
    present = set(note.splitlines(keepends=True))
    return note + "".join(line for line in dict.fromkeys(lines) if line not in present)


def add_checkpoint_request(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The body of tlog-witness's ``add-checkpoint``: old size, consistency proof, checkpoint."""
    lines = [f"old {old_size}\n", *(_b64(node) + "\n" for node in proof), "\n"]
    return ("".join(lines) + note).encode("utf-8")


def read_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """Read an ``add-checkpoint`` body; raise ValueError if it is not one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    lines = head.split("\n")
    if not blank or not lines[0].startswith("old ") or not _decimal(lines[0][4:]):
        raise ValueError("the request does not start with an old size line")
    if len(lines) - 1 > _MAX_PROOF_LINES:
        raise ValueError("more than 63 consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            node = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise ValueError("a consistency proof line is not base64") from None
        if len(node) != 32:
            raise ValueError("a consistency proof line is not a SHA-256 hash")
        proof.append(node)
    return int(lines[0][4:]), proof, note


# --- Short codes people read aloud or type -------------------------------------------------------


def _crockford(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = len(data) * 8 // 5
    return "".join(CROCKFORD[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def receipt_code(leaf: bytes) -> str:
    """A voter's receipt: the first 80 bits of their ballot's leaf hash, as XXXX-XXXX-XXXX-XXXX."""
    code = _crockford(leaf[:10])
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def ballot_receipt(data: dict) -> str:
    """The receipt of a ballot entry's data (its token hash and seal): derived from the ballot
    itself, not from where its batch put it, so it is known the moment the ballot is cast."""
    return receipt_code(hashlib.sha256(canonical_json(data)).digest())


def tally_commitment(tally: dict) -> str:
    """What the sealed tally publishes at close: the hash of the tally and its nonce. The
    tally entry that opens it when the reveal ends must hash to the same value."""
    return hashlib.sha256(canonical_json(tally)).hexdigest()


def normalize_receipt(text: str) -> str | None:
    """Read a receipt as a person may type it (any case, spaces, O for 0); None if it is not one."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != 16 or any(ch not in CROCKFORD for ch in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, 16, 4))


def fingerprint(root: bytes) -> str:
    """The short form of a tree root shown on screens and printed by the verifier."""
    text = root[:8].hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


# --- Counting -----------------------------------------------------------------------------------


def category_result(category: dict, votes: dict[str, int], abstentions: int) -> dict:
    """The plurality result of one award from its vote counts.

    A tie for first place is reported (all tied finalists as winners, ``tie`` true), never broken.
    """
    rows = [
        {"nominee": n["slug"], "name": n["name"], "votes": votes.get(n["slug"], 0)}
        for n in category["nominees"]
    ]
    return _scored(category, rows, "votes", abstentions)


def _scored(category: dict, rows: list[dict], score: str, abstentions: int) -> dict:
    """Rows ranked by *score* (ties in ballot order); the highest score wins, if above 0."""
    order = {n["slug"]: i for i, n in enumerate(category["nominees"])}
    results = sorted(rows, key=lambda r: (-r[score], order[r["nominee"]]))
    top = results[0][score] if results else 0
    winners = [r["nominee"] for r in results if r[score] == top] if top > 0 else []
    return _result(category, results, abstentions, winners)


def count_ballots(
    definition: dict,
    ballots: Iterable[dict[str, object]],
    jury: dict[str, list[object]] | None = None,
) -> list[dict]:
    """Count opened ballots (award slug -> its answer, None to abstain) into per-award results,
    each by its award's method; an award with a jury share combines them with the jury's
    answers to it (*jury*: award slug -> the jurors' answers)."""
    ballots = list(ballots)
    results = []
    for category in definition["categories"]:
        audience = count_category(category, (ballot[category["slug"]] for ballot in ballots))
        if category.get("jury"):
            jurors = jury_result(category, (jury or {}).get(category["slug"], []))
            audience = combine_parts(category, audience, jurors)
        results.append(audience)
    return results


def row_score(row: dict) -> int | float:
    """What a result's row is ranked by: its combined score, its points, or its votes."""
    if "score" in row:
        return row["score"]
    return row["points"] if "points" in row else row["votes"]


# How each method reads a ballot's answer for one award (None is always "abstain"):
#   plurality  the chosen finalist's slug
#   approval   the approved finalists' slugs, sorted, at most max_choices (default: all)
#   points     a ranking: finalists' slugs, best first, each once; unranked ones earn nothing
#   irv        a ranking, as for points; with no_award, NO_AWARD may be ranked like a finalist
METHODS = ("plurality", "approval", "points", "irv")
NO_AWARD = "no-award"  # "No award", a candidate of an instant runoff with no_award = true


# How a ballot reached the board: cast on a phone (or any browser), or entered from paper.
CHANNELS = ("phone", "paper")


def choice_error(category: dict, answer: object) -> str | None:
    """Why *answer* is not a valid answer to *category* by its method, or None if it is."""
    if answer is None:
        return None
    method = category.get("method", "plurality")
    finalists = {n["slug"] for n in category["nominees"]}
    if method == "plurality":
        return None if answer in finalists else f"{answer!r} is not a finalist"
    if not isinstance(answer, list) or not answer:
        return "the answer must be a non-empty list of finalists"
    if len(set(answer)) != len(answer) or not all(isinstance(slug, str) for slug in answer):
        return "a finalist is named twice"
    if method == "irv" and category.get("no_award"):
        finalists = finalists | {NO_AWARD}
    unknown = [slug for slug in answer if slug not in finalists]
    if unknown:
        return f"{unknown[0]!r} is not a finalist"
    if method == "approval":
        if answer != sorted(answer):
            return "the approved finalists must be listed in sorted order"
        most = category.get("max_choices") or len(category["nominees"])
        if len(answer) > most:
            return f"at most {most} finalists may be approved"
    return None


def count_category(category: dict, answers: Iterable[object]) -> dict:
    """One award's result from its ballots' answers, by the award's method."""
    answers = list(answers)
    given = [a for a in answers if a is not None]
    abstentions = len(answers) - len(given)
    method = category.get("method", "plurality")
    if method == "approval":
        approvals: dict[str, int] = {}
        for approved in given:
            for slug in approved:
                approvals[slug] = approvals.get(slug, 0) + 1
        return category_result(category, approvals, abstentions)
    if method == "points":
        return _points_result(category, given, abstentions)
    if method == "irv":
        return _runoff_result(category, given, abstentions)
    votes: dict[str, int] = {}
    for slug in given:
        votes[slug] = votes.get(slug, 0) + 1
    return category_result(category, votes, abstentions)


def points_table(category: dict) -> list[int]:
    """The points for the first, second, ... place: as published, or n-1, ..., 0."""
    return list(category.get("points") or range(len(category["nominees"]) - 1, -1, -1))


def _same_rankings(rankings: list) -> dict[tuple[str, ...], int]:
    """How many ballots give each ranking: ballots ranked alike count alike, once."""
    groups: dict[tuple[str, ...], int] = {}
    for ranking in rankings:
        key = tuple(ranking)
        groups[key] = groups.get(key, 0) + 1
    return groups


def _points_result(category: dict, rankings: list, abstentions: int) -> dict:
    """Ranks earn the published points; the most points wins. "votes" counts first places."""
    table = points_table(category)
    points = {n["slug"]: 0 for n in category["nominees"]}
    firsts = dict.fromkeys(points, 0)
    for ranking, ballots in _same_rankings(rankings).items():
        firsts[ranking[0]] += ballots
        for place, slug in enumerate(ranking[: len(table)]):
            points[slug] += table[place] * ballots
    rows = [
        {
            "nominee": n["slug"],
            "name": n["name"],
            "votes": firsts[n["slug"]],
            "points": points[n["slug"]],
        }
        for n in category["nominees"]
    ]
    return _scored(category, rows, "points", abstentions)


def _result(category: dict, results: list[dict], abstentions: int, winners: list[str]) -> dict:
    return {
        "slug": category["slug"],
        "title": category["title"],
        "method": category.get("method", "plurality"),
        "results": results,
        "abstentions": abstentions,
        "winners": winners,
        "tie": len(winners) > 1,
    }


def _runoff_result(category: dict, rankings: list, abstentions: int) -> dict:
    """Instant runoff: count each ballot for its highest continuing candidate; a majority of
    the ballots still counting wins; otherwise the last is eliminated and the count runs again.

    A tie for last place goes to whoever had fewer votes in the earliest round where the
    tied candidates differ ("tie_broken": "round N"); if they never differ, all of them are
    eliminated together ("tie_broken": "together"), unless they are all that is left: then
    they are tied for first place and the election's tie rule applies, as in plurality. If
    "No award" wins, nobody is awarded ("winners" is empty, "no_award" true).
    """
    names = {n["slug"]: n["name"] for n in category["nominees"]}
    if category.get("no_award"):
        names[NO_AWARD] = "No award"
    order = {slug: i for i, slug in enumerate(names)}
    continuing = list(names)
    groups = _same_rankings(rankings)
    rounds: list[dict] = []
    out_in_round: dict[str, int] = {}
    last_counts: dict[str, int] = {}
    winners: list[str] = []
    while continuing:
        counts = dict.fromkeys(continuing, 0)
        exhausted = 0
        for ranking, ballots in groups.items():
            top = next((slug for slug in ranking if slug in counts), None)
            if top is None:
                exhausted += ballots
            else:
                counts[top] += ballots
        for slug, votes in counts.items():
            last_counts[slug] = votes
        counting = sum(counts.values())
        best = max(counts.values())
        this_round: dict = {"counts": counts, "exhausted": exhausted, "eliminated": []}
        rounds.append(this_round)
        if counting == 0:
            break  # no ballot ranks anyone still in the count: nobody wins
        if 2 * best > counting or len(continuing) == 1:
            winners = [slug for slug in continuing if counts[slug] == best]
            break
        lowest = min(counts.values())
        tied = [slug for slug in continuing if counts[slug] == lowest]
        if len(tied) == len(continuing):  # all level, no majority: a tie for first place
            winners = tied
            break
        if len(tied) > 1:
            tied, how = _break_elimination_tie(tied, rounds[:-1])
            this_round["tie_broken"] = how
        this_round["eliminated"] = tied
        for slug in tied:
            out_in_round[slug] = len(rounds)
        continuing = [slug for slug in continuing if slug not in tied]
    results = sorted(
        (
            {"nominee": slug, "name": name, "votes": last_counts.get(slug, 0)}
            for slug, name in names.items()
        ),
        key=lambda r: (
            -out_in_round.get(r["nominee"], len(rounds) + 1),
            -r["votes"],
            order[r["nominee"]],
        ),
    )
    no_award = winners == [NO_AWARD]
    result = _result(category, results, abstentions, [] if no_award else winners)
    result["rounds"] = rounds
    if category.get("no_award"):
        result["no_award"] = no_award
    return result


def _break_elimination_tie(tied: list[str], earlier: list[dict]) -> tuple[list[str], str]:
    """Those of *tied* to eliminate: the fewest votes in the earliest round where they differ."""
    for number, past in enumerate(earlier, start=1):
        votes = {slug: past["counts"].get(slug, 0) for slug in tied}
        fewest = min(votes.values())
        if any(v != fewest for v in votes.values()):
            return [slug for slug in tied if votes[slug] == fewest], f"round {number}"
    return tied, "together"


# A jury share: the award's result combines the audience's and the jury's, each counted by the
# award's method, by the formula its definition publishes ("jury": {"weight", "combine"}):
#   rank-points  each part ranks the finalists: a finalist earns 1 point for every finalist
#                it is ahead of in that part, and half a point for every one level with it
#   shares       each part's share of its votes (approvals, points) that a finalist won
# A finalist's score is weight * jury + (1 - weight) * audience. Exact fractions rank the
# finalists; the published scores are rounded to six decimals.
COMBINE_RULES = ("rank-points", "shares")


def jury_result(category: dict, answers: Iterable[object]) -> dict:
    """The jury's part of an award: its jurors' answers counted by the award's method."""
    answers = list(answers)
    return {**count_category(category, answers), "ballots": len(answers)}


def combine_parts(category: dict, audience: dict, jury: dict) -> dict:
    """The award's result from the audience's and the jury's, by its published formula.

    The award's own "results", "winners" and "tie" are the combined ones (the result the
    award is decided by); "combined" repeats them with the formula, beside "audience" and
    "jury" (whose "ballots" counts the jury's ballots).
    """
    share = category["jury"]
    weight = Fraction(str(share["weight"]))
    parts = {"audience": audience, "jury": jury}
    if share["combine"] == "rank-points":
        values = {name: _rank_points(part) for name, part in parts.items()}
    else:
        values = {name: _vote_shares(part) for name, part in parts.items()}
    scores = {
        slug: weight * values["jury"][slug] + (1 - weight) * values["audience"][slug]
        for slug in values["audience"]
    }
    order = {n["slug"]: i for i, n in enumerate(category["nominees"])}
    names = {n["slug"]: n["name"] for n in category["nominees"]}
    ranked = sorted(scores, key=lambda slug: (-scores[slug], order[slug]))
    rows = [
        {
            "nominee": slug,
            "name": names[slug],
            "score": _published(scores[slug]),
            "audience": _published(values["audience"][slug]),
            "jury": _published(values["jury"][slug]),
        }
        for slug in ranked
    ]
    anyone = _votes_cast(audience) or _votes_cast(jury)
    top = scores[ranked[0]] if ranked and anyone else None
    winners = [slug for slug in ranked if scores[slug] == top]
    combined = _result(category, rows, audience["abstentions"], winners)
    combined.update(
        combined={
            "weight": share["weight"],
            "combine": share["combine"],
            **{key: combined[key] for key in ("results", "winners", "tie")},
        },
        audience=audience,
        jury=jury,
    )
    return combined


def _published(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else round(float(value), 6)


def _votes_cast(result: dict) -> bool:
    if "rounds" in result:
        return bool(result["rounds"]) and sum(result["rounds"][0]["counts"].values()) > 0
    return sum(row_score(row) for row in result["results"]) > 0


def _standing(result: dict) -> dict[str, tuple]:
    """Each finalist's place in one part's result as a comparable key, higher is better: its
    score, or in an instant runoff the round it lasted to, then its votes in that round."""
    if "rounds" not in result:
        return {row["nominee"]: (row_score(row),) for row in result["results"]}
    out = {
        slug: number
        for number, past in enumerate(result["rounds"], start=1)
        for slug in past["eliminated"]
    }
    last = len(result["rounds"]) + 1
    return {
        row["nominee"]: (out.get(row["nominee"], last), row["votes"]) for row in result["results"]
    }


def _rank_points(result: dict) -> dict[str, Fraction]:
    standing = _standing(result)
    return {
        slug: sum(
            (
                Fraction(1) if theirs < mine else Fraction(1, 2)
                for rival, theirs in standing.items()
                if rival != slug and theirs <= mine
            ),
            Fraction(0),
        )
        for slug, mine in standing.items()
    }


def _vote_shares(result: dict) -> dict[str, Fraction]:
    scores = {row["nominee"]: row_score(row) for row in result["results"]}
    total = sum(scores.values())
    return {
        slug: Fraction(score, total) if total else Fraction(0) for slug, score in scores.items()
    }


def reveal_screens(awards: Sequence[str]) -> list[tuple[str, str | None]]:
    """The reveal on stage, screen by screen: the sealed result, each award's finalists,
    winner and bars, then the summary. Step n of the reveal shows screen n."""
    screens: list[tuple[str, str | None]] = [("intro", None)]
    for award in awards:
        screens += [("finalists", award), ("winner", award), ("bars", award)]
    return [*screens, ("summary", None)]


def needs_jury(tie_rule: str, result: dict) -> bool:
    """A tie for first place that the jury must settle before the winner is announced."""
    return tie_rule == "jury" and bool(result["tie"])


# --- Certificates of results ---------------------------------------------------------------------

CERTIFICATE_FORMAT = "voting-certificate/1"
PAYLOAD_MARK = b"%voting-certificate-payload "
SIGNATURE_MARK = b"%voting-certificate-signature "


def certificate_payload(results: dict, checkpoint_note: str) -> bytes:
    """What a certificate states: the results and the board's final checkpoint."""
    return canonical_json(
        {"format": CERTIFICATE_FORMAT, "results": results, "checkpoint": checkpoint_note}
    )


def seal_certificate(
    document: bytes, payload: bytes, private_key: Ed25519PrivateKey, name: str
) -> bytes:
    """Append the payload and an Ed25519 signature over every byte before it to a PDF.

    PDF readers ignore the two comment lines after the end of the file; the verifier checks
    that not one byte of the document or the payload changed.
    """
    body = document.rstrip(b"\n") + b"\n" + PAYLOAD_MARK + base64.b64encode(payload) + b"\n"
    key = VerifierKey.from_private(name, private_key)
    signature = private_key.sign(body)
    return (
        body
        + SIGNATURE_MARK
        + name.encode("utf-8")
        + b" "
        + base64.b64encode(key.id + signature)
        + b"\n"
    )


def verify_certificate(data: bytes, key: VerifierKey) -> dict:
    """Check a certificate's signature and its checkpoint; return what it states.

    Raises ValueError naming what fails.
    """
    cut = data.rfind(b"\n" + SIGNATURE_MARK)
    if cut < 0:
        raise ValueError("not a signed certificate (no signature line)")
    body, line = data[: cut + 1], data[cut + 1 + len(SIGNATURE_MARK) :].strip()
    name, _, encoded = line.decode("utf-8", errors="replace").rpartition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("the signature line is damaged") from None
    if name != key.name or raw[:4] != key.id:
        raise ValueError(f"signed by another key than {key.vkey}")
    if not key.verify(body, raw[4:]):
        raise ValueError("the signature does not match: the certificate was changed")
    start = body.rfind(b"\n" + PAYLOAD_MARK)
    if start < 0:
        raise ValueError("the certificate states no results")
    try:
        payload = json.loads(base64.b64decode(body[start + 1 + len(PAYLOAD_MARK) :].strip()))
    except (binascii.Error, ValueError, RecursionError):
        raise ValueError("the certificate's results are damaged") from None
    if not isinstance(payload, dict) or payload.get("format") != CERTIFICATE_FORMAT:
        raise ValueError("unknown certificate format")
    checkpoint = open_checkpoint(str(payload.get("checkpoint", "")), key)
    return {"results": payload.get("results"), "checkpoint": checkpoint}


# --- Entry kinds ---------------------------------------------------------------------------------

# Every kind of log entry, in the order an election's log meets them, with what its data
# records. The verifier's replay has a rule for each, the server writes no other kind, and
# the board's pages name and filter them from this one list.
ENTRY_KINDS: dict[str, str] = {
    "election.defined": "the election's whole definition (again after each change in draft)",
    "attendees.imported": "an import of the attendee list: counts and the file's hash, no names",
    "trustee.key": "the jury's trustee public key, logged at opening: every ballot's choices "
    "are encrypted to it, and K of its N shares open them after the close",
    "tokens.committed": "the eligible token hashes at opening: count, sorted hashes, Merkle root",
    "voting.opened": "voting opened",
    "tokens.added": "token hashes made eligible while open: late attendees, anonymous cards",
    "tokens.revoked": "token hashes revoked: an attendee withdrawn or handed an anonymous card",
    "tokens.reissued": "lost ballots replaced: old token hashes revoked, new ones added",
    "ballot.cast": "a ballot: its spent token hash and a sealed commitment to its choices, "
    'and "channel": "paper" for a paper ballot (ballots join in shuffled batches); with a '
    'trustee, "encrypted": its choices and nonce encrypted to the trustee key',
    "jury.ballot.cast": "a juror's ballot for one award with a jury share: the juror's name "
    "and a sealed commitment to the answer (jurors are accountable, the audience is secret)",
    "voting.closed": "voting closed",
    "tally.sealed": "a commitment to the tally, made at close; the tally and the ballots' "
    "openings join the board when the reveal ends",
    "ballot.unsealed": "a ballot's choices and the nonce that opens its seal",
    "trustee.released": "the trustee's private key, published when the reveal ends: anyone "
    "can decrypt every ballot and check that it opens to its seal",
    "tally": "the count of the unsealed ballots, with the nonce that opens the sealed tally",
    "tie.decided": "the jury's choice between finalists tied for first place",
    "reveal.step": "one step of the reveal on stage; the last one ends it",
}


# --- Verification -------------------------------------------------------------------------------


class BoardError(Exception):
    """The board fails verification; ``where`` names the first entry or line that fails."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(slots=True)
class _Line:
    number: int
    raw: bytes
    value: object
    canonical: bool = False  # already proven canonical while it was read


@dataclass
class BoardReport:
    """What a verified board says: printed by the command line, shown on the jury pages."""

    election: str
    origin: str
    entries: int
    root: bytes
    state: str
    key: VerifierKey
    key_pinned: bool
    eligible: int = 0
    ballots: int = 0
    tally: list[dict] | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    milestones: dict[str, Checkpoint] = field(default_factory=dict)
    saved_checkpoint: Checkpoint | None = None
    saved_checkpoints: list[Checkpoint] = field(default_factory=list)
    witnessed: list[Cosignature] = field(default_factory=list)  # on the final checkpoint
    quorum: int | None = None  # the policy's, when witnesses were given
    named_witnesses: int = 0  # how many the election names
    kinds: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, str] = field(default_factory=dict)
    opened_privately: bool = False  # the tally comes from an openings file, not the board
    trustee: TrusteeKey | None = None  # the key the ballots are encrypted to
    trustee_released: bool = False  # its private key is on the board and opened every ballot

    def lines(self) -> list[str]:
        pinned = "pinned" if self.key_pinned else "taken from the board; pin it with --key"
        out = [
            f"election: {self.election} ({self.origin})",
            f"key: {self.key.vkey} ({pinned})",
            f"entries: {self.entries}, state: {self.state}",
            f"ballots: {self.ballots} of {self.eligible} eligible",
            f"checkpoints: {len(self.checkpoints)} signed, all consistent with the entries",
        ]
        for name, checkpoint in self.milestones.items():
            out.append(fingerprint_line(name, checkpoint))
        for saved in self.saved_checkpoints:
            out.append(
                f"your saved checkpoint (size {saved.size}, fingerprint {saved.fingerprint}): "
                "the board extends it"
            )
        out.extend(self._witness_lines())
        if self.trustee is not None:
            shares = f"{self.trustee.threshold} of {self.trustee.shares} shares"
            out.append(
                f"trustee: every ballot is encrypted to the jury's key {self.trustee.id} "
                + (
                    f"({shares}); the key is released and opens each ballot to its seal"
                    if self.trustee_released
                    else f"({shares}); its private key is not on the board yet"
                )
            )
        out.append(f"root: {self.root.hex()}")
        out.append(f"fingerprint of the whole board: {fingerprint(self.root)}")
        if self.state == "sealed" and self.tally is None:
            out.append(
                "result: sealed until the reveal ends (the jury checks it now with --openings FILE)"
            )
        if self.opened_privately:
            out.append("result: opened from the openings file; it is the tally sealed at close")
        for category in self.tally or []:
            decided = self.decisions.get(category["slug"])
            if decided:
                out.append(f"{category['slug']}: winner {decided} (tie decided by the jury)")
                continue
            winners = ", ".join(category["winners"]) or "none"
            tie = " (tie)" if category["tie"] else ""
            out.append(f"{category['slug']}: winner {winners}{tie}")
        return out

    def _witness_lines(self) -> list[str]:
        if self.quorum is None:
            if not self.named_witnesses:
                return []
            return [
                f"witnesses: the election names {self.named_witnesses}; check their "
                "cosignatures with --witness KEY (and --quorum K)"
            ]
        cosigners = ", ".join(f"{c.witness} at {_utc(c.timestamp)}" for c in self.witnessed)
        return [
            f"witnesses: the final checkpoint is cosigned by {len(self.witnessed)} of those "
            f"given (quorum {self.quorum}): {cosigners}"
        ]


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class _Checker:
    """Replays the log entry by entry and keeps what each rule needs."""

    def __init__(self) -> None:
        self.phase = "draft"
        self.definition: dict | None = None
        self.categories: dict[str, dict] = {}  # award slug -> its definition
        self.committed = False
        self.eligible: set[str] = set()
        self.revoked: set[str] = set()
        self.spent: set[str] = set()
        self.sealed: dict[int, str] = {}
        self.unsealed: dict[int, dict[str, str | None]] = {}
        self.channels = dict.fromkeys(CHANNELS, 0)  # ballots cast on a phone, on paper
        self.jurors: set[str] = set()  # named when voting opened, if an award has a jury share
        self.jury_sealed: dict[int, tuple[str, str, str]] = {}  # seq -> juror, award, seal
        self.jury_unsealed: dict[int, tuple[str, object]] = {}  # seq -> award, answer
        self.trustee: TrusteeKey | None = None  # the key ballots are encrypted to, if any
        self.encrypted: dict[int, tuple[bytes, str]] = {}  # seq -> AEAD context, ciphertext
        self.released = False  # the trustee's private key is on the board
        self.commitment: str | None = None  # the sealed tally's, from close
        self.tally: list[dict] | None = None
        self.decisions: dict[str, str] = {}
        self.reveal_step = 0
        self._valid_choices: dict[bytes, dict] = {}  # canonical choices -> their valid answer
        self._bind_rules()

    def _bind_rules(self) -> None:
        # One rule per registered kind: _election_defined for "election.defined", and so on.
        self._rules: dict[str, Callable[[int, dict], None]] = {
            kind: getattr(self, "_" + kind.replace(".", "_")) for kind in ENTRY_KINDS
        }

    def sealed_copy(self) -> _Checker:
        """This replay as it stood when the tally was sealed: for opening it privately."""
        shadow = copy.copy(self)
        shadow.phase, shadow.unsealed, shadow.tally = "sealed", {}, None
        shadow.jury_unsealed = {}
        shadow._bind_rules()
        return shadow

    def check(self, seq: int, kind: str, data: dict) -> None:
        rule = self._rules.get(kind)
        if rule is None:
            raise ValueError(f"unknown kind {kind!r}")
        rule(seq, data)

    def _require(self, *phases: str) -> None:
        if self.phase not in phases:
            raise ValueError(f"not allowed while the election is {self.phase}")

    def _election_defined(self, seq: int, data: dict) -> None:
        self._require("draft")
        if self.committed:
            raise ValueError("the definition changed after the eligible tokens were committed")
        _check_definition(data)
        self.definition = data
        self.categories = {c["slug"]: c for c in data["categories"]}
        self._valid_choices = {}

    def _attendees_imported(self, seq: int, data: dict) -> None:
        self._require("draft", "open")
        _expect_int(data, "count")

    def _tokens_committed(self, seq: int, data: dict) -> None:
        self._require("draft")
        if self.definition is None:
            raise ValueError("tokens committed before the election was defined")
        if not self.definition["categories"]:
            raise ValueError("tokens committed for an election with no category")
        if self.committed:
            raise ValueError("the eligible tokens were committed twice")
        hashes = _expect_hashes(data, "token_hashes")
        if hashes != sorted(set(hashes)):
            raise ValueError("token_hashes is not sorted and unique")
        if _expect_int(data, "count") != len(hashes):
            raise ValueError(f"count {data['count']} but {len(hashes)} token hashes")
        if data.get("root") != token_set_root(hashes):
            raise ValueError("root is not the Merkle root of token_hashes")
        self.eligible.update(hashes)
        self.committed = True

    def _trustee_key(self, seq: int, data: dict) -> None:
        self._require("draft")
        if self.definition is None or not self.definition.get("trustee"):
            raise ValueError("a trustee key for an election that has no trustee")
        if self.trustee is not None or self.committed:
            raise ValueError("the trustee key is logged once, just before the tokens")
        key = TrusteeKey.from_json(data)
        if key.election != self.definition["slug"]:
            raise ValueError(f"the trustee key is the election {key.election}'s")
        self.trustee = key

    def _voting_opened(self, seq: int, data: dict) -> None:
        self._require("draft")
        if not self.committed:
            raise ValueError("voting opened before the eligible tokens were committed")
        assert self.definition is not None
        if self.definition.get("trustee") and self.trustee is None:
            raise ValueError("the election has a trustee but opened without its key")
        jurors = data.get("jurors", [])
        if not isinstance(jurors, list) or not all(isinstance(j, str) and j for j in jurors):
            raise ValueError("jurors must be a list of names")
        if jurors != sorted(set(jurors)):
            raise ValueError("jurors is not sorted and unique")
        if any(c.get("jury") for c in self.definition["categories"]) and not jurors:
            raise ValueError("an award has a jury share but voting opened with no juror")
        self.jurors = set(jurors)
        self.phase = "open"

    def _tokens_added(self, seq: int, data: dict) -> None:
        self._require("open")
        hashes = _expect_hashes(data, "token_hashes")
        if "count" in data and data["count"] != len(hashes):
            raise ValueError(f"count {data['count']} but {len(hashes)} token hashes")
        if hashes != sorted(set(hashes)):
            raise ValueError("token_hashes is not sorted and unique")
        known = self.eligible.intersection(hashes)
        if known:
            raise ValueError(f"token {min(known)} is already eligible")
        self.eligible.update(hashes)

    def _tokens_revoked(self, seq: int, data: dict) -> None:
        self._require("open")
        for token in _expect_hashes(data, "token_hashes"):
            if token not in self.eligible or token in self.revoked:
                raise ValueError(f"token {token} is not an eligible, unrevoked token")
            if token in self.spent:
                raise ValueError(f"token {token} was already used")
            self.revoked.add(token)

    def _tokens_reissued(self, seq: int, data: dict) -> None:
        """The desk replaced lost ballots: old hashes revoked, new ones added, each sorted."""
        self._require("open")
        revoked = _expect_hashes(data, "revoked")
        added = _expect_hashes(data, "added")
        for listed in (revoked, added):
            if listed != sorted(set(listed)):
                raise ValueError("revoked and added must each be sorted and unique")
        self._tokens_revoked(seq, {"token_hashes": revoked})
        self._tokens_added(seq, {"token_hashes": added})

    def _ballot_cast(self, seq: int, data: dict) -> None:
        if self.phase != "open":
            raise ValueError(f"a ballot was cast while the election was {self.phase}")
        token = _expect_hash(data, "token")
        _expect_hash(data, "sealed")
        channel = data.get("channel", "phone")  # only a paper ballot names its channel
        if channel not in CHANNELS or ("channel" in data and channel == "phone"):
            raise ValueError(f"unknown channel {channel!r}")
        if token not in self.eligible:
            raise ValueError(f"token {token} is not in the eligible set")
        if token in self.revoked:
            raise ValueError(f"token {token} was revoked")
        if token in self.spent:
            raise ValueError(f"token {token} was used twice")
        self.spent.add(token)
        self.sealed[seq] = data["sealed"]
        self.channels[channel] += 1
        self._ciphertext(seq, data, token=token, awards=list(self.categories))

    def _ciphertext(self, seq: int, data: dict, **bound: object) -> None:
        """With a trustee every ballot carries its ciphertext; without one, none does."""
        if self.trustee is None:
            if "encrypted" in data:
                raise ValueError("an encrypted ballot in an election with no trustee")
            return
        ciphertext = data.get("encrypted")
        if not isinstance(ciphertext, str) or not ciphertext:
            raise ValueError("the election has a trustee: the ballot must be encrypted")
        context = canonical_json({"election": self.trustee.election, **bound})
        self.encrypted[seq] = (context, ciphertext)

    def _jury_ballot_cast(self, seq: int, data: dict) -> None:
        """A juror's ballot for one award with a jury share: named, sealed, once per award."""
        if self.phase != "open":
            raise ValueError(f"a jury ballot was cast while the election was {self.phase}")
        juror, award = data.get("juror"), data.get("award")
        if juror not in self.jurors:
            raise ValueError(f"{juror!r} is not one of the jurors named at opening")
        if not self.categories.get(award, {}).get("jury"):
            raise ValueError(f"award {award!r} has no jury share")
        if (juror, award) in {(j, a) for j, a, _seal in self.jury_sealed.values()}:
            raise ValueError(f"{juror} voted twice in {award}")
        self.jury_sealed[seq] = (juror, award, _expect_hash(data, "sealed"))
        self._ciphertext(seq, data, juror=juror, awards=[award])

    def _voting_closed(self, seq: int, data: dict) -> None:
        self._require("open")
        self.phase = "closed"

    def _tally_sealed(self, seq: int, data: dict) -> None:
        self._require("closed")
        self.commitment = _expect_hash(data, "commitment")
        self.phase = "sealed"

    def _ballot_unsealed(self, seq: int, data: dict) -> None:
        self._require("sealed")
        ballot = _expect_int(data, "ballot")
        if ballot not in self.sealed and ballot not in self.jury_sealed:
            raise ValueError(f"entry {ballot} is not a ballot")
        if ballot in self.unsealed or ballot in self.jury_unsealed:
            raise ValueError(f"ballot {ballot} was unsealed twice")
        choices = data.get("choices")
        nonce = data.get("nonce")
        if not isinstance(nonce, str) or not isinstance(choices, dict):
            raise ValueError("choices and nonce are required")
        if ballot in self.jury_sealed:
            _juror, award, seal = self.jury_sealed[ballot]
        else:
            award, seal = None, self.sealed[ballot]
        if seal_choices(choices, nonce) != seal:
            raise ValueError(f"choices do not match the seal of ballot {ballot}")
        if award is None:
            _check_choices(self.categories, choices)
            self.unsealed[ballot] = choices
        else:  # a juror's ballot answers its one award
            _check_choices({award: self.categories[award]}, choices)
            self.jury_unsealed[ballot] = (award, choices[award])

    def valid_choices(self, raw: bytes) -> dict | None:
        """The choices of a ballot, given as canonical JSON, if _check_choices accepts them
        for the election's awards; None if it does not. Ballots repeat the same few choices,
        so each is read and checked once (the dict is shared: nothing changes it)."""
        choices = self._valid_choices.get(raw)
        if choices is None:
            choices = json.loads(raw.decode("utf-8"))
            try:
                _check_choices(self.categories, choices)
            except ValueError:
                return None
            if len(self._valid_choices) < 4096:
                self._valid_choices[raw] = choices
        return choices

    def _trustee_released(self, seq: int, data: dict) -> None:
        """The trustee's private key: it must be the logged key's, and open every ballot's
        ciphertext to a plaintext that matches the ballot's seal (so, to what was counted)."""
        self._require("sealed", "tallied")
        if self.trustee is None or self.released:
            raise ValueError("a trustee key released twice, or with no trustee")
        private = read_trustee_private_key(canonical_json(data).decode(), self.trustee)
        ballots = [
            (ballot, context, ciphertext, self._seal_of(ballot))
            for ballot, (context, ciphertext) in self.encrypted.items()
        ]
        failure = next((f for f in _open_all(private, ballots) if f), None)
        if failure:
            raise ValueError(failure)
        self.released = True

    def _seal_of(self, ballot: int) -> str:
        return self.jury_sealed[ballot][2] if ballot in self.jury_sealed else self.sealed[ballot]

    def _tie_decided(self, seq: int, data: dict) -> None:
        self._require("tallied", "revealed")
        assert self.definition is not None and self.tally is not None
        award = data.get("award")
        result = next((c for c in self.tally if c["slug"] == award), None)
        if result is None or not needs_jury(self.definition["tie_rule"], result):
            raise ValueError(f"award {award!r} has no tie for the jury to decide")
        if award in self.decisions:
            raise ValueError(f"the tie in {award} was decided twice")
        if data.get("winner") not in result["winners"] or data.get("tied") != result["winners"]:
            raise ValueError("the jury's winner must be one of the finalists tied for first place")
        self.decisions[award] = data["winner"]

    def _reveal_step(self, seq: int, data: dict) -> None:
        """Steps go on while the tally is sealed; the last one comes after it was opened."""
        self._require("sealed", "tallied")
        assert self.definition is not None
        screens = reveal_screens([c["slug"] for c in self.definition["categories"]])
        step = _expect_int(data, "step")
        if step != self.reveal_step + 1 or step >= len(screens):
            raise ValueError(f"reveal step {step} out of order (expected {self.reveal_step + 1})")
        show, award = screens[step]
        if data.get("show") != show or data.get("award") != award:
            raise ValueError(f"reveal step {step} should show {show} of {award}")
        if show == "summary":
            # The tally is public by now: every tie the jury had to settle was settled.
            if self.tally is None:
                raise ValueError("the reveal ended before the sealed tally was opened")
            if self.trustee is not None and not self.released:
                raise ValueError("the reveal ended without the trustee's private key")
            undecided = [c["slug"] for c in self.tally if self._undecided(c)]
            if undecided:
                raise ValueError(
                    f"the reveal ended before the jury decided the tie in {undecided[0]}"
                )
            self.phase = "revealed"
        elif show == "winner" and self.tally is not None:
            result = next(c for c in self.tally if c["slug"] == award)
            if self._undecided(result):
                raise ValueError(
                    f"the winner of {award} was revealed before the jury decided the tie"
                )
        self.reveal_step = step

    def _undecided(self, result: dict) -> bool:
        assert self.definition is not None
        tied = needs_jury(self.definition["tie_rule"], result)
        return tied and result["slug"] not in self.decisions

    def _tally(self, seq: int, data: dict) -> None:
        """The opened tally: the recount of the opened ballots, and what was sealed at close."""
        self._require("sealed")
        missing = sorted(
            set(self.sealed) - set(self.unsealed) | set(self.jury_sealed) - set(self.jury_unsealed)
        )
        if missing:
            raise ValueError(f"ballot {missing[0]} was never unsealed")
        assert self.definition is not None
        jury: dict[str, list[object]] = {}
        for award, answer in self.jury_unsealed.values():
            jury.setdefault(award, []).append(answer)
        nonce = data.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise ValueError("the tally has no nonce to open the sealed tally with")
        expected = {
            "ballots": len(self.sealed),
            "channels": self.channels,
            "eligible": len(self.eligible - self.revoked),
            "categories": count_ballots(self.definition, self.unsealed.values(), jury),
            "nonce": nonce,
        }
        if data != expected:
            raise ValueError("the tally differs from the recount of the ballots")
        if tally_commitment(data) != self.commitment:
            raise ValueError("the opened tally is not the one sealed at close")
        self.tally = expected["categories"]
        self.phase = "tallied"


_PARALLEL_FROM = 2000  # ballots: below this, starting worker processes costs more than it saves


def _open_all(private: bytes, ballots: list[tuple[int, bytes, str, str]]) -> Iterator[str]:
    """Open each ballot's ciphertext and check it against its seal; what failed, in words
    ("" for a ballot that opens). Many ballots are shared among worker processes: decryption
    is nearly all of the cost, and each ballot is independent."""
    check = functools.partial(_open_one, private)
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(ballots) < _PARALLEL_FROM:
        yield from map(check, ballots)
        return
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        yield from pool.map(check, ballots, chunksize=1000)


def _open_one(private: bytes, ballot: tuple[int, bytes, str, str]) -> str:
    seq, context, ciphertext, seal = ballot
    try:
        opened = json.loads(decrypt_ballot(private, ciphertext, context))
        choices, nonce = opened["choices"], opened["nonce"]
        opens = seal_choices(choices, nonce) == seal
    except (TrusteeError, ValueError, KeyError, TypeError):
        return f"the ciphertext of ballot {seq} does not open"
    return "" if opens else f"the ciphertext of ballot {seq} does not open to its seal"


def _expect_int(data: dict, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and _HEX_HASH.fullmatch(value) is not None


def _expect_hash(data: dict, key: str) -> str:
    value = data.get(key)
    if not _is_hash(value):
        raise ValueError(f"{key} must be a SHA-256 hash in lower-case hex")
    return value  # type: ignore[return-value]


def _expect_hashes(data: dict, key: str) -> list[str]:
    values = data.get(key)
    if not isinstance(values, list) or not all(_is_hash(v) for v in values):
        raise ValueError(f"{key} must be a list of SHA-256 hashes in lower-case hex")
    return values


def _check_definition(data: dict) -> None:
    categories = data.get("categories")
    # A draft may have no award yet; opening needs one (checked when the tokens are committed).
    if not isinstance(data.get("slug"), str) or not isinstance(categories, list):
        raise ValueError("the definition needs a slug and categories")
    seen: set[str] = set()
    for category in categories:
        if not isinstance(category, dict) or not isinstance(category.get("slug"), str):
            raise ValueError("every category needs a slug")
        if category["slug"] in seen:
            raise ValueError(f"category {category['slug']} is defined twice")
        seen.add(category["slug"])
        nominees = category.get("nominees")
        if not isinstance(nominees, list) or not all(
            isinstance(n, dict) and isinstance(n.get("slug"), str) for n in nominees
        ):
            raise ValueError(f"category {category['slug']} needs nominees with slugs")
        _check_method(category)


def _check_method(category: dict) -> None:
    """The counting method and its published settings (see METHODS)."""
    slug, method = category["slug"], category.get("method", "plurality")
    if method not in METHODS:
        raise ValueError(f"category {slug} has an unknown method {method!r}")
    most = category.get("max_choices")
    if most is not None and (not isinstance(most, int) or isinstance(most, bool) or most < 1):
        raise ValueError(f"category {slug}: max_choices must be a positive integer")
    points = category.get("points")
    if points is not None and (
        not isinstance(points, list)
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in points)
    ):
        raise ValueError(f"category {slug}: points must be a list of non-negative integers")
    if category.get("no_award") and NO_AWARD in {n["slug"] for n in category["nominees"]}:
        raise ValueError(f"category {slug}: {NO_AWARD!r} is the name of 'No award'")
    if "jury" in category:
        _check_jury_share(category)


def _check_jury_share(category: dict) -> None:
    slug, share = category["slug"], category["jury"]
    if not isinstance(share, dict) or share.keys() != {"weight", "combine"}:
        raise ValueError(f"category {slug}: jury needs exactly a weight and a combine rule")
    weight = share["weight"]
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight < 1:
        raise ValueError(f"category {slug}: the jury's weight must be between 0 and 1")
    if share["combine"] not in COMBINE_RULES:
        raise ValueError(f"category {slug}: unknown combine rule {share['combine']!r}")
    if share["combine"] == "shares" and category.get("method") == "irv":
        raise ValueError(f"category {slug}: an instant runoff combines by rank-points")
    if category.get("no_award"):
        raise ValueError(f"category {slug}: 'No award' cannot be combined with a jury share")


def _check_choices(categories: dict[str, dict], choices: dict) -> None:
    if choices.keys() != categories.keys():
        raise ValueError("the ballot does not answer exactly the election's categories")
    for slug, answer in choices.items():
        error = choice_error(categories[slug], answer)
        if error:
            raise ValueError(f"{slug}: {error}")


def _read_lines(lines: Iterable[bytes]) -> Iterator[_Line]:
    return _read_numbered(enumerate(lines, start=1))


def _read_numbered(numbered: Iterable[tuple[int, bytes]]) -> Iterator[_Line]:
    for number, raw in numbered:
        line = _read_line(number, raw)
        if line is not None:
            yield line


def _read_line(number: int, raw: bytes) -> _Line | None:
    """One line of the board, read; None for a blank line."""
    raw = raw.rstrip(b"\r\n")
    if not raw.strip():
        return None
    fast = _read_ballot_entry(raw)
    if fast is not None:
        return _Line(number, raw, fast, canonical=True)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting: not an entry
        value = None
    return _Line(number, raw, value)


# Nearly every line of a board is a ballot, cast or unsealed, in one fixed shape. These
# patterns read exactly that shape, and only its canonical spelling (keys in order, no
# spaces, hex, integers without leading zeros), so a line they accept is canonical JSON and
# reads as json.loads would read it: about five times faster than parsing it and encoding
# it again. Any other line, or any variation, takes the general path.
_INT = rb"(0|[1-9][0-9]{0,17})"
_HEX = rb"([0-9a-f]{64})"
_BALLOT_CAST = re.compile(
    rb'\{"data":\{(?:"encrypted":"([A-Za-z0-9+/]+={0,2})",)?"sealed":"'
    + _HEX
    + rb'","token":"'
    + _HEX
    + rb'"\},'
    rb'"kind":"ballot\.cast","prev":"' + _HEX + rb'","seq":' + _INT + rb"\}"
)
_BALLOT_UNSEALED = re.compile(
    rb'\{"data":\{"ballot":' + _INT + rb',"choices":(\{[^{}]*\}),"nonce":"([0-9a-f]{1,128})"\},'
    rb'"kind":"ballot\.unsealed","prev":"' + _HEX + rb'","seq":' + _INT + rb"\}"
)


def _read_ballot_entry(raw: bytes) -> dict | None:
    """A ballot entry read by its fixed shape, or None to read the line the general way."""
    if match := _BALLOT_CAST.fullmatch(raw):
        encrypted, sealed, token, prev, seq = match.groups()
        data = {"token": token.decode(), "sealed": sealed.decode()}
        if encrypted is not None:  # with a trustee
            data["encrypted"] = encrypted.decode()
        return {"seq": int(seq), "prev": prev.decode(), "kind": "ballot.cast", "data": data}
    if match := _BALLOT_UNSEALED.fullmatch(raw):
        ballot, choices_raw, nonce, prev, seq = match.groups()
        try:
            choices = json.loads(choices_raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if canonical_json(choices) != choices_raw:
            return None
        return {
            "seq": int(seq),
            "prev": prev.decode(),
            "kind": "ballot.unsealed",
            "data": {"ballot": int(ballot), "choices": choices, "nonce": nonce.decode()},
        }
    return None


# --- Vetting the lines, in chunks: in this process, or spread over worker processes ----------
#
# Most of a board's work is per line and needs no line before it: reading a ballot line by
# its shape, proving it canonical, hashing it as a leaf, hashing the seal its choices open,
# checking a checkpoint's signature. _vet_chunk does that for a chunk of lines and returns
# one compact record per line; the replay (_Replay.read_all) then applies, in file order,
# what does depend on the lines before: seq, the hash chain, the tree, every rule.
#
# A record only ever vouches for a line. A line the chunk cannot vouch for (any other kind
# of line, another spelling, a checkpoint whose signature fails) comes back as _OTHER, and
# the replay reads it the general way, exactly as if nothing had been vetted; a vouched-for
# line whose record does not fit the replay (wrong seq or prev, a rule that would fail) is
# read the general way as well. So the first error in file order is found by the same code,
# with the same message and line number, however the lines were vetted.

_CAST, _UNSEALED, _CHECKPOINT, _OTHER = range(4)
_CHUNK_LINES = 2000
PARALLEL_FROM = 20_000  # lines: below this, starting worker processes costs more than it saves
_canonical_choices_seen: dict[bytes, bool] = {}  # the same few choices recur on every ballot


def _vet_chunk(start: int, raws: list[bytes], key: VerifierKey) -> list[tuple]:
    """One record per non-blank line of *raws* (line numbers from *start*):

    * ``(_CAST, number, seq, prev, leaf, token, sealed, encrypted)`` a ballot.cast line in its
      canonical shape (prev and leaf as bytes, encrypted None without a trustee);
    * ``(_UNSEALED, number, seq, prev, leaf, ballot, choices, seal)`` a ballot.unsealed line in
      its canonical shape, *choices* the canonical bytes of its choices, *seal* the hex SHA-256
      they open with the line's nonce (what seal_choices computes);
    * ``(_CHECKPOINT, number, origin, size, root, note)`` a canonical checkpoint line whose
      note is signed by *key*;
    * ``(_OTHER, number)`` any other line, for the replay to read in full.
    """
    records: list[tuple] = []
    append = records.append
    sha256, unhexlify = hashlib.sha256, binascii.unhexlify
    cast, unsealed = _BALLOT_CAST.fullmatch, _BALLOT_UNSEALED.fullmatch
    seen = _canonical_choices_seen
    for number, raw in enumerate(raws, start):
        raw = raw.rstrip(b"\r\n")
        if match := cast(raw):
            encrypted, sealed, token, prev, seq = match.groups()
            append(
                (
                    _CAST,
                    number,
                    int(seq),
                    unhexlify(prev),
                    sha256(b"\x00" + raw).digest(),
                    token.decode(),
                    sealed.decode(),
                    None if encrypted is None else encrypted.decode(),
                )
            )
            continue
        if match := unsealed(raw):
            ballot, choices, nonce, prev, seq = match.groups()
            canonical = seen.get(choices)
            if canonical is None:
                canonical = _is_canonical_object(choices)
                if len(seen) >= 4096:
                    seen.clear()
                seen[choices] = canonical
            if canonical:
                # The opening as ballot_opening spells it: keys "choices" then "nonce", the
                # choices already canonical, the nonce plain hex (nothing to escape).
                opening = b'{"choices":' + choices + b',"nonce":"' + nonce + b'"}'
                append(
                    (
                        _UNSEALED,
                        number,
                        int(seq),
                        unhexlify(prev),
                        sha256(b"\x00" + raw).digest(),
                        int(ballot),
                        choices,
                        sha256(opening).hexdigest(),
                    )
                )
                continue
        elif raw.startswith(b'{"note":'):
            checkpoint = _vet_checkpoint(raw, key)
            if checkpoint is not None:
                append((_CHECKPOINT, number, *checkpoint))
                continue
        if raw.strip():
            append((_OTHER, number))
    return records


def _is_canonical_object(raw: bytes) -> bool:
    """*raw* is a JSON object in canonical form."""
    try:
        value = json.loads(raw.decode("utf-8"))
        return isinstance(value, dict) and canonical_json(value) == raw
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def _vet_checkpoint(raw: bytes, key: VerifierKey) -> tuple[str, int, bytes, str] | None:
    """A canonical checkpoint line signed by *key*: its origin, size, root and note."""
    try:
        value = json.loads(raw.decode("utf-8"))
        if not isinstance(value, dict) or value.get("type") != "checkpoint":
            return None
        if canonical_json(value) != raw:
            return None
        checkpoint = open_checkpoint(str(value.get("note", "")), key)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.note


class _Vetting:
    """The board's lines after its key, in chunks, each with its records (_vet_chunk), in file
    order. A board of *parallel_from* lines or more, with *workers* above 1, is vetted by a
    pool of worker processes a few chunks ahead of the replay; a shorter one, or one on a
    platform where processes cannot start (or a pool that breaks), in this process. With a
    *start_method* named, there is no such fallback: a pool that fails raises."""

    def __init__(
        self,
        numbered: Iterator[tuple[int, bytes]],
        key: VerifierKey,
        workers: int = 1,
        parallel_from: int = PARALLEL_FROM,
        start_method: str | None = None,
    ) -> None:
        self.numbered, self.key = numbered, key
        self.workers, self.parallel_from, self.start_method = workers, parallel_from, start_method
        self.ahead: deque[list] = deque()  # [start, raws, future or None]: read, not replayed
        self.pool: concurrent.futures.Executor | None = None
        self.parallel = False  # whether a pool was started (for tests)

    def __enter__(self) -> _Vetting:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_pool()

    def __iter__(self) -> Iterator[tuple[int, list[bytes], list[tuple]]]:
        if self.workers > 1:
            while self._lines_ahead() < self.parallel_from and self._read():
                pass
            if self._lines_ahead() >= self.parallel_from:
                self.pool = _start_pool(self.workers, self.start_method)
                self.parallel = self.pool is not None
                if self.pool is None and self.start_method is not None:
                    raise RuntimeError(f"no worker processes by {self.start_method}")
        while True:
            if self.pool is not None:
                self._submit()
            if not self.ahead and not self._read():
                return
            start, raws, future = self.ahead.popleft()
            yield start, raws, self._records(start, raws, future)

    def _lines_ahead(self) -> int:
        return sum(len(chunk[1]) for chunk in self.ahead)

    def _read(self) -> bool:
        chunk = list(itertools.islice(self.numbered, _CHUNK_LINES))
        if not chunk:
            return False
        self.ahead.append([chunk[0][0], [raw for _number, raw in chunk], None])
        return True

    def _submit(self) -> None:
        """Keep the workers a few chunks ahead of the replay."""
        while len(self.ahead) < 3 * self.workers and self._read():
            pass
        for chunk in self.ahead:
            if chunk[2] is None and self.pool is not None:
                try:
                    chunk[2] = self.pool.submit(_vet_chunk, chunk[0], chunk[1], self.key)
                except Exception:  # the processes cannot start or the pool broke
                    self._stop_pool()
                    if self.start_method is not None:
                        raise

    def _records(self, start: int, raws: list[bytes], future: object) -> list[tuple]:
        if isinstance(future, concurrent.futures.Future):
            try:
                return future.result()
            except Exception:  # a worker died or could not run: vet the chunk here
                self._stop_pool()
                if self.start_method is not None:
                    raise
        return _vet_chunk(start, raws, self.key)

    def _stop_pool(self) -> None:
        pool, self.pool = self.pool, None
        for chunk in self.ahead:
            chunk[2] = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def rest_after(self, start: int, raws: list[bytes], index: int) -> Iterator[_Line]:
        """The lines after line *index* of the chunk at *start*, read the general way."""
        later = itertools.chain.from_iterable(
            zip(itertools.count(chunk[0]), chunk[1]) for chunk in list(self.ahead)
        )
        tail = zip(itertools.count(start + index + 1), raws[index + 1 :])
        return _read_numbered(itertools.chain(tail, later, self.numbered))


def _start_pool(workers: int, start_method: str | None) -> concurrent.futures.Executor | None:
    """A pool of *workers* processes (the platform's way to start them, or *start_method*),
    or None where there is none to be had."""
    try:
        import multiprocessing

        context = multiprocessing.get_context(start_method)
        return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)
    except (ImportError, OSError, ValueError, NotImplementedError):
        return None


def _entry_where(seq: int, number: int) -> str:
    return f"entry {seq} (line {number})"


class _Recent:
    """How many entries were read, and the line number of the last, to name it in an error."""

    __slots__ = ("count", "last")

    def __init__(self) -> None:
        self.count = 0
        self.last: int | None = None

    def add(self, number: int) -> None:
        self.count += 1
        self.last = number

    def where(self) -> str:
        assert self.last is not None
        return _entry_where(self.count - 1, self.last)


def _line_type(line: _Line) -> str | None:
    value = line.value
    return value.get("type") if isinstance(value, dict) else None


# Entries a signed checkpoint must follow at once: the fingerprints shown at opening, at the
# sealed tally and at the end of the reveal are then on the board for whoever noted them.
_MILESTONES = {"voting.opened": "opened", "tally.sealed": "sealed"}
MILESTONE_KINDS = ("voting.opened", "tally.sealed", "reveal.step")

# What those fingerprints are called wherever they are shown: this report, the command line,
# the stage, the console, the jury pages and the results (translated there, same words).
FINGERPRINT_LABELS = {
    "opened": "fingerprint at opening",
    "sealed": "fingerprint of the sealed result",
    "revealed": "fingerprint after the reveal",
}


def milestone(kind: str, data: dict) -> str | None:
    """Which milestone an entry is ("opened", "sealed", "revealed"), if any."""
    if kind == "reveal.step" and data.get("show") == "summary":
        return "revealed"
    return _MILESTONES.get(kind)


def fingerprint_line(name: str, checkpoint: Checkpoint) -> str:
    """One milestone as the report and the command line print it."""
    return f"{FINGERPRINT_LABELS[name]}: {checkpoint.fingerprint} (size {checkpoint.size})"


def verify_board(
    lines: Iterable[bytes],
    *,
    partial: bool = False,
    key: str | None = None,
    saved_checkpoint: str | None = None,
    openings: Iterable[bytes] | None = None,
    saved_checkpoints: Sequence[str] = (),
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
    start_method: str | None = None,
) -> BoardReport:
    """Check a board file line by line; raise BoardError naming the first entry that fails.

    *key* pins the log's public key (a vkey line or PEM); without it the board's own key is
    used. *saved_checkpoint* is a checkpoint note kept from earlier: the board must extend
    it. Without *partial* the board must be complete: voting closed and the tally sealed.
    *openings* (the jury's file, before the reveal ends) opens the sealed tally privately.
    *witnesses* (cosignature vkeys) and *quorum* are a witness policy: the board's final
    checkpoint, and each saved one, must carry *quorum* valid cosignatures by those keys.

    With *workers* above 1, a board of *parallel_from* lines or more has the per-line work
    of its lines (parsing, canonical form, leaf and seal hashes, checkpoint signatures)
    shared among that many worker processes, started by *start_method* (the platform's
    default if None); the report, and the first error, are the same either way.

    The steps: read the header and the key, read the saved checkpoint, replay the entries
    and checkpoints one by one, then check that the log is whole.
    """
    numbered = enumerate(lines, start=1)
    header, board_key = _read_head(_read_numbered(numbered), key)
    origin = header["origin"]
    notes = [saved_checkpoint] if saved_checkpoint is not None else []
    saved = [
        _read_saved_checkpoint(note, board_key, origin) for note in [*notes, *saved_checkpoints]
    ]
    policy = _read_witness_policy(witnesses, quorum)
    replay = _Replay(board_key, origin, saved)
    with _Vetting(numbered, board_key, workers, parallel_from, start_method) as chunks:
        replay.read_all(chunks)
    replay.finish()
    witnessed = _check_witness_policy(policy, replay.checkpoints[-1], saved)
    checker = replay.checker
    if checker.definition is None:
        raise BoardError("line 1", "the board defines no election")
    if header.get("election") != checker.definition["slug"]:
        raise BoardError("line 1", "the header names another election than the log")
    if not partial and checker.phase not in ("sealed", "tallied", "revealed"):
        raise BoardError(
            "end of file",
            f"the board ends while the election is {checker.phase}, before the sealed tally "
            "(use --partial to check a board exported while voting is open)",
        )
    tally = checker.tally
    if openings is not None:
        tally = _open_privately(checker, openings, header)
    return BoardReport(
        election=checker.definition["slug"],
        origin=origin,
        entries=replay.entries.count,
        root=frontier_root(replay.peaks),
        state=checker.phase,
        key=board_key,
        key_pinned=key is not None,
        eligible=len(checker.eligible - checker.revoked),
        ballots=len(checker.sealed),
        tally=tally,
        checkpoints=replay.checkpoints,
        milestones=replay.milestones,
        saved_checkpoint=saved[0] if saved else None,
        saved_checkpoints=saved,
        witnessed=witnessed,
        quorum=policy[1] if policy else None,
        named_witnesses=len(checker.definition.get("witnesses", [])),
        kinds=replay.kinds,
        decisions=dict(checker.decisions),
        opened_privately=openings is not None,
        trustee=checker.trustee,
        trustee_released=checker.released,
    )


def _open_privately(checker: _Checker, lines: Iterable[bytes], header: dict) -> list[dict]:
    """Open the sealed tally with the jury's openings file, by the board's own rules, on a
    copy of the replay; if the board has already opened it, both openings must agree."""
    if checker.phase not in ("sealed", "tallied", "revealed"):
        raise BoardError("openings", "the board has no sealed tally to open")
    shadow = checker.sealed_copy()
    parsed = iter(_read_lines(lines))
    first = next(parsed, None)
    value = first.value if first else None
    if not isinstance(value, dict) or value.get("type") != "openings":
        raise BoardError("openings line 1", "not an openings file (no openings header)")
    if value.get("format") != OPENINGS_FORMAT:
        raise BoardError("openings line 1", f"unsupported format {value.get('format')!r}")
    if value.get("origin") != header["origin"] or value.get("election") != header["election"]:
        raise BoardError("openings line 1", "the openings are of another election's log")
    for line in parsed:
        where = f"openings line {line.number}"
        item = line.value
        kind = item.get("type") if isinstance(item, dict) else None
        try:
            if kind == "opening" and shadow.tally is None:
                data = {k: item[k] for k in ("ballot", "choices", "nonce") if k in item}
                shadow.check(-1, "ballot.unsealed", data)
            elif kind == "tally" and shadow.tally is None and isinstance(item.get("data"), dict):
                shadow.check(-1, "tally", item["data"])
            else:
                raise ValueError("expected the ballots' openings, then one tally")
        except ValueError as exc:
            raise BoardError(where, str(exc)) from None
    if shadow.tally is None:
        raise BoardError("openings", "the file ends before the tally")
    if checker.tally is not None and (
        shadow.tally != checker.tally
        or shadow.unsealed != checker.unsealed
        or shadow.jury_unsealed != checker.jury_unsealed
    ):
        raise BoardError("openings", "the openings differ from those the board published")
    return shadow.tally


def _read_head(parsed: Iterator[_Line], key: str | None) -> tuple[dict, VerifierKey]:
    """The header line and the key line; the key checked against *key* when one is pinned."""
    header_line = next(parsed, None)
    if header_line is None or _line_type(header_line) != "board":
        raise BoardError("line 1", "not a board file (no board header)")
    header = header_line.value
    assert isinstance(header, dict)
    _require_canonical(header_line, "header")
    if header.get("format") != FORMAT:
        raise BoardError("line 1", f"unsupported board format {header.get('format')!r}")
    origin = header.get("origin")
    if not isinstance(origin, str) or not origin:
        raise BoardError("line 1", "the header names no origin")
    board_key = _read_key_line(next(parsed, None), origin)
    if key is not None:
        try:
            pinned = load_verifier_key(key, origin)
        except ValueError as exc:
            raise BoardError("--key", str(exc)) from None
        if pinned != board_key:
            raise BoardError("line 2", "the board is signed with another key than the pinned one")
    return header, board_key


def _read_saved_checkpoint(note: str, board_key: VerifierKey, origin: str) -> Checkpoint:
    try:
        saved = open_checkpoint(note, board_key)
    except ValueError as exc:
        raise BoardError("--checkpoint", str(exc)) from None
    if saved.origin != origin:
        raise BoardError("--checkpoint", f"it is a checkpoint of {saved.origin}, not {origin}")
    return saved


class _Replay:
    """The board's lines after the key, one at a time: each entry is checked against the rules
    and chained into the tree, each checkpoint against the tree as it stands."""

    def __init__(self, board_key: VerifierKey, origin: str, saved: list[Checkpoint]) -> None:
        self.board_key, self.origin, self.saved = board_key, origin, saved
        self.saved_at = {checkpoint.size: checkpoint for checkpoint in saved}
        self.checker = _Checker()
        # The file is read as a stream: only the last two entries are kept, for error
        # messages, so memory stays flat however long the board is.
        self.entries = _Recent()
        self.peaks: list[bytes] = []
        self.last_leaf = bytes(32)  # the first entry's prev is all zeros
        self.checkpoints: list[Checkpoint] = []
        self.milestones: dict[str, Checkpoint] = {}
        self.awaiting: str | None = None  # a milestone whose checkpoint must come next
        self.kinds: dict[str, int] = {}

    def read(self, line: _Line, rest: Iterator[_Line]) -> None:
        line_type = None if line.canonical else _line_type(line)
        if line_type == "checkpoint":
            self._checkpoint(line)
            return
        if self.awaiting:
            raise BoardError(
                self.entries.where(), "no signed checkpoint follows this entry, as it must"
            )
        if line_type is not None:
            raise BoardError(f"line {line.number}", f"unexpected {line_type!r} line")
        self._entry(line, rest)

    def read_all(self, chunks: _Vetting) -> None:
        """Every line after the key, in order: a vetted ballot or checkpoint by its record
        when the record fits, any other line (or a record that does not fit) by read()."""
        cast, unsealed = self._vetted_cast, self._vetted_unsealed
        for start, raws, records in chunks:
            for record in records:
                code = record[0]
                if code == _CAST:
                    if cast(record):
                        continue
                elif code == _UNSEALED:
                    if unsealed(record):
                        continue
                elif code == _CHECKPOINT:
                    self._vetted_checkpoint(*record[1:])
                    continue
                index = record[1] - start
                line = _read_line(record[1], raws[index])
                assert line is not None
                self.read(line, chunks.rest_after(start, raws, index))

    def _checkpoint(self, line: _Line) -> None:
        checkpoint = _check_checkpoint(line, self.board_key, self.origin, self.entries, self.peaks)
        self._checkpoint_placed(checkpoint)

    def _vetted_checkpoint(
        self, number: int, origin: str, size: int, root: bytes, note: str
    ) -> None:
        """A checkpoint line already proven canonical and signed by the board's key."""
        checkpoint = Checkpoint(origin, size, root, note)
        _place_checkpoint(checkpoint, number, self.origin, self.entries, self.peaks)
        self._checkpoint_placed(checkpoint)

    def _checkpoint_placed(self, checkpoint: Checkpoint) -> None:
        self.checkpoints.append(checkpoint)
        if self.awaiting:
            self.milestones[self.awaiting] = checkpoint
            self.awaiting = None

    def _entry(self, line: _Line, rest: Iterator[_Line]) -> None:
        index = self.entries.count
        _check_entry_form(index, line)
        entry = line.value
        assert isinstance(entry, dict)
        if entry["prev"] != self.last_leaf.hex():
            raise _broken_link(self.entries, line, rest)
        kind, data = entry["kind"], entry["data"]
        try:
            self.checker.check(index, kind, data)
        except ValueError as exc:
            raise BoardError(_entry_where(index, line.number), str(exc)) from None
        self.awaiting = milestone(kind, data)
        self._entered(line.number, index, leaf_hash(line.raw), kind)

    def _vetted_cast(self, record: tuple) -> bool:
        """A ballot.cast line proven canonical (so of the form _check_entry_form asks, with
        hashes where _ballot_cast wants them): replayed here if it passes every check that
        read() would make, else False for read() to find what fails, nothing changed yet.
        (It takes its record whole: this runs once per ballot.)"""
        _code, number, seq, prev, leaf, token, sealed, encrypted = record
        checker, index = self.checker, self.entries.count
        if (
            seq != index
            or prev != self.last_leaf
            or self.awaiting
            or checker.phase != "open"
            or token not in checker.eligible
            or token in checker.revoked
            or token in checker.spent
            or (encrypted is None) != (checker.trustee is None)
        ):
            return False
        # What _ballot_cast does for a phone ballot (only a paper ballot names its channel,
        # and this shape has none).
        checker.spent.add(token)
        checker.sealed[seq] = sealed
        checker.channels["phone"] += 1
        if encrypted is not None:
            bound = {"token": token, "awards": list(checker.categories)}
            checker._ciphertext(seq, {"encrypted": encrypted}, **bound)
        self._entered(number, index, leaf, "ballot.cast")
        return True

    def _vetted_unsealed(self, record: tuple) -> bool:
        """A ballot.unsealed line proven canonical, with the seal its choices open: replayed
        here if every check of _ballot_unsealed passes, else False (nothing changed)."""
        _code, number, seq, prev, leaf, ballot, choices_raw, seal = record
        checker, index = self.checker, self.entries.count
        if (
            seq != index
            or prev != self.last_leaf
            or self.awaiting
            or checker.phase != "sealed"
            or checker.sealed.get(ballot) != seal
            or ballot in checker.jury_sealed
            or ballot in checker.unsealed
            or ballot in checker.jury_unsealed
        ):
            return False
        choices = checker.valid_choices(choices_raw)
        if choices is None:
            return False
        checker.unsealed[ballot] = choices
        self._entered(number, index, leaf, "ballot.unsealed")
        return True

    def _entered(self, number: int, index: int, leaf: bytes, kind: str) -> None:
        """Entry *index*, on line *number*, passed: chain it and add it to the tree."""
        self.last_leaf = leaf
        frontier_push(self.peaks, index, leaf)
        entries, kinds = self.entries, self.kinds
        entries.count += 1  # entries.add(number), once per entry
        entries.last = number
        kinds[kind] = kinds.get(kind, 0) + 1
        saved = self.saved_at.get(index + 1) if self.saved_at else None
        if saved and frontier_root(self.peaks) != saved.root:
            raise BoardError(
                "--checkpoint",
                f"the board's first {saved.size} entries differ from your saved checkpoint: "
                "the log was rewritten",
            )

    def finish(self) -> None:
        """At the end of the file: every entry covered by a checkpoint, the saved one reached."""
        count = self.entries.count
        saved = max(self.saved, key=lambda checkpoint: checkpoint.size, default=None)
        if self.awaiting:
            raise BoardError(self.entries.where(), "no signed checkpoint follows this entry")
        if not self.checkpoints or self.checkpoints[-1].size != count:
            raise BoardError(
                "end of file",
                "the last entries are covered by no signed checkpoint (truncated or appended?)",
            )
        if saved and saved.size > count:
            raise BoardError(
                "--checkpoint",
                f"your saved checkpoint has {saved.size} entries but the board only {count}: "
                "entries were removed",
            )
        if any(c.size == 0 and c.root != EMPTY_ROOT for c in self.saved):
            raise BoardError(
                "--checkpoint", "the saved checkpoint of an empty log has a wrong root"
            )


def _read_witness_policy(
    witnesses: Sequence[str], quorum: int | None
) -> tuple[list[VerifierKey], int] | None:
    """The witness keys and the quorum the verifier's user trusts; None without any."""
    if not witnesses:
        if quorum is not None:
            raise BoardError("--quorum", "a quorum needs the witnesses' keys (--witness)")
        return None
    keys = []
    for text in witnesses:
        try:
            keys.append(VerifierKey.parse(text, COSIGNATURE_V1))
        except ValueError as exc:
            raise BoardError("--witness", str(exc)) from None
    needed = len(keys) if quorum is None else quorum
    if not 1 <= needed <= len(keys):
        raise BoardError("--quorum", f"must be between 1 and the {len(keys)} witnesses given")
    return keys, needed


def _check_witness_policy(
    policy: tuple[list[VerifierKey], int] | None, final: Checkpoint, saved: list[Checkpoint]
) -> list[Cosignature]:
    """Each checkpoint the policy covers carries the quorum; the final one's cosignatures."""
    if policy is None:
        return []
    keys, quorum = policy
    results = []
    for where, checkpoint in [("final checkpoint", final)] + [("--checkpoint", c) for c in saved]:
        try:
            found = cosignatures(checkpoint.note, keys)
        except ValueError as exc:
            raise BoardError(where, str(exc)) from None
        if len(found) < quorum:
            raise BoardError(
                where,
                f"cosigned by {len(found)} of the witnesses given, fewer than the quorum of "
                f"{quorum} (size {checkpoint.size})",
            )
        results.append(found)
    return results[0]


def _require_canonical(line: _Line, what: str) -> None:
    """Every line is written canonically; another spelling of it means it was edited."""
    if canonical_json(line.value) != line.raw:
        raise BoardError(f"{what} (line {line.number})", "not in canonical JSON form (altered?)")


def _read_key_line(line: _Line | None, origin: str) -> VerifierKey:
    if line is None or _line_type(line) != "key":
        raise BoardError("line 2", "the board does not carry its public key")
    assert isinstance(line.value, dict)
    _require_canonical(line, "key")
    try:
        board_key = VerifierKey.parse(str(line.value.get("vkey", "")))
    except ValueError as exc:
        raise BoardError(f"line {line.number}", str(exc)) from None
    if board_key.name != origin:
        raise BoardError(f"line {line.number}", "the key is named for another log")
    return board_key


def _check_checkpoint(
    line: _Line, board_key: VerifierKey, origin: str, entries: _Recent, peaks: list[bytes]
) -> Checkpoint:
    assert isinstance(line.value, dict)
    _require_canonical(line, "checkpoint")
    try:
        checkpoint = open_checkpoint(str(line.value.get("note", "")), board_key)
    except ValueError as exc:
        raise BoardError(f"checkpoint (line {line.number})", str(exc)) from None
    return _place_checkpoint(checkpoint, line.number, origin, entries, peaks)


def _place_checkpoint(
    checkpoint: Checkpoint, number: int, origin: str, entries: _Recent, peaks: list[bytes]
) -> Checkpoint:
    """A signed checkpoint read on line *number*: of this log, where it stands, for its root."""
    if checkpoint.origin != origin:
        raise BoardError(f"checkpoint (line {number})", f"signed for {checkpoint.origin}")
    if checkpoint.size > entries.count:
        raise BoardError(
            f"entry {entries.count}",
            f"missing: the checkpoint on line {number} counts {checkpoint.size} entries "
            f"but only {entries.count} come before it (deleted?)",
        )
    if checkpoint.size < entries.count:
        raise BoardError(
            f"checkpoint (line {number})",
            f"for size {checkpoint.size} stands after entry {entries.count - 1} (moved?)",
        )
    if frontier_root(peaks) != checkpoint.root:
        raise BoardError(
            entries.where(),
            f"the entries up to here do not match the signed checkpoint on line {number}"
            " (the log was rewritten)",
        )
    return checkpoint


def _check_entry_form(index: int, line: _Line) -> None:
    where = _entry_where(index, line.number)
    entry = line.value
    if entry is None:
        raise BoardError(where, "not valid JSON")
    if not isinstance(entry, dict) or set(entry) != {"seq", "prev", "kind", "data"}:
        raise BoardError(where, "an entry has exactly the keys seq, prev, kind and data")
    if not isinstance(entry["data"], dict) or not isinstance(entry["kind"], str):
        raise BoardError(where, "kind must be a string and data an object")
    if not _is_hash(entry["prev"]):
        raise BoardError(where, "prev must be a SHA-256 hash in lower-case hex")
    if not line.canonical and canonical_json(entry) != line.raw:
        raise BoardError(where, "not in canonical JSON form (altered?)")
    seq = entry["seq"]
    if seq != index:
        if isinstance(seq, int) and seq > index:
            raise BoardError(
                f"entry {index}",
                f"missing here: line {line.number} holds entry {seq} (deleted or moved?)",
            )
        raise BoardError(where, f"carries seq {seq!r} where entry {index} belongs (moved?)")


def _broken_link(entries: _Recent, line: _Line, rest: Iterator[_Line]) -> BoardError:
    """Blame the right entry when *line* does not commit to the entry before it.

    If the next entry still commits to this one, it is intact and the one before was
    altered; if it does not, this entry itself was altered. With no next entry, both are named.
    """
    index = entries.count
    before = entries.last
    if before is None:
        return BoardError(_entry_where(0, line.number), "the first entry's prev must be all zeros")
    following = next((later for later in rest if _line_type(later) is None), None)
    if following is None:
        return BoardError(
            _entry_where(index - 1, before),
            f"altered, or entry {index} was: the prev of entry {index} no longer matches its hash",
        )
    this_hash = leaf_hash(line.raw).hex()
    if isinstance(following.value, dict) and following.value.get("prev") == this_hash:
        return BoardError(
            _entry_where(index - 1, before),
            f"altered: its hash no longer matches the prev of entry {index}",
        )
    return BoardError(
        _entry_where(index, line.number),
        f"prev does not match the hash of entry {index - 1} (altered?)",
    )


# --- The trustee: a jury key split into shares, and ballots encrypted to it -------------------

TRUSTEE_FORMAT = "voting-trustee/1"
# A Mersenne prime above every 32-byte key: Shamir's polynomial lives in this field.
_SHAMIR_PRIME = 2**521 - 1
_BALLOT_INFO = b"voting-ballot/1"
_MAX_SHARES = 255


class TrusteeError(ValueError):
    """A trustee key, share or ciphertext that cannot be used; the message says why."""


@dataclass(frozen=True)
class TrusteeKey:
    """The trustee's public key as the election publishes it: X25519, K of N shares, and a
    SHA-256 commitment to each share, so that a wrong share is refused on sight."""

    election: str
    public_key: bytes
    shares: int
    threshold: int
    commitments: tuple[str, ...]

    @property
    def id(self) -> str:
        return hashlib.sha256(self.public_key).hexdigest()[:16]

    def to_json(self) -> dict:
        return {
            "type": "trustee-key",
            "format": TRUSTEE_FORMAT,
            "election": self.election,
            "public_key": _b64(self.public_key),
            "shares": self.shares,
            "threshold": self.threshold,
            "commitments": list(self.commitments),
        }

    @classmethod
    def from_json(cls, data: object) -> TrusteeKey:
        if not isinstance(data, dict) or data.get("type") != "trustee-key":
            raise TrusteeError("not a trustee public key file")
        if data.get("format") != TRUSTEE_FORMAT:
            raise TrusteeError(f"unsupported trustee format {data.get('format')!r}")
        try:
            public_key = base64.b64decode(str(data["public_key"]), validate=True)
            shares, threshold = int(data["shares"]), int(data["threshold"])
            commitments = tuple(str(c) for c in data["commitments"])
            election = str(data["election"])
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise TrusteeError("the trustee public key file is damaged") from None
        if len(public_key) != 32 or not 1 <= threshold <= shares <= _MAX_SHARES:
            raise TrusteeError("the trustee public key file is damaged")
        if len(commitments) != shares or not all(_HEX_HASH.fullmatch(c) for c in commitments):
            raise TrusteeError("the trustee public key file is damaged")
        return cls(election, public_key, shares, threshold, commitments)


@dataclass(frozen=True)
class TrusteeShare:
    """One juror's share of the trustee's private key (Shamir, K of N)."""

    election: str
    key_id: str  # the public key's id: the share of which key
    index: int  # x, from 1
    value: int  # f(x) in the field

    def commitment(self) -> str:
        return hashlib.sha256(f"{self.key_id}:{self.index}:{self.value:x}".encode()).hexdigest()

    def to_json(self) -> dict:
        return {
            "type": "trustee-share",
            "format": TRUSTEE_FORMAT,
            "election": self.election,
            "key": self.key_id,
            "index": self.index,
            "value": f"{self.value:x}",
        }

    @classmethod
    def from_json(cls, data: object) -> TrusteeShare:
        if not isinstance(data, dict) or data.get("type") != "trustee-share":
            raise TrusteeError("not a trustee key share")
        try:
            share = cls(
                str(data["election"]),
                str(data["key"]),
                int(data["index"]),
                int(str(data["value"]), 16),
            )
        except (KeyError, TypeError, ValueError):
            raise TrusteeError("the key share is damaged") from None
        if not 1 <= share.index <= _MAX_SHARES or not 0 <= share.value < _SHAMIR_PRIME:
            raise TrusteeError("the key share is damaged")
        return share


def trustee_keygen(
    election: str, shares: int, threshold: int
) -> tuple[TrusteeKey, list[TrusteeShare]]:
    """A fresh X25519 key split into *shares*, any *threshold* of which rebuild it."""
    if not 1 <= threshold <= shares <= _MAX_SHARES:
        raise TrusteeError("the threshold must be at least 1 and at most the number of shares")
    private = X25519PrivateKey.generate()
    secret = int.from_bytes(private.private_bytes_raw(), "big")
    coefficients = [secret] + [secrets.randbelow(_SHAMIR_PRIME) for _ in range(threshold - 1)]
    public_key = private.public_key().public_bytes_raw()
    key_id = hashlib.sha256(public_key).hexdigest()[:16]
    made = [
        TrusteeShare(election, key_id, x, _polynomial(coefficients, x))
        for x in range(1, shares + 1)
    ]
    key = TrusteeKey(election, public_key, shares, threshold, tuple(s.commitment() for s in made))
    return key, made


def _polynomial(coefficients: list[int], x: int) -> int:
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % _SHAMIR_PRIME
    return value


def check_share(key: TrusteeKey, share: TrusteeShare) -> None:
    """Refuse a share of another election or key, or one that is not the share it claims."""
    if share.election != key.election:
        raise TrusteeError(
            f"this share belongs to the election {share.election}, not {key.election}"
        )
    if share.key_id != key.id:
        raise TrusteeError("this share belongs to another trustee key")
    if not 1 <= share.index <= key.shares or key.commitments[share.index - 1] != share.commitment():
        raise TrusteeError(f"share {share.index} is not the share the key was made with")


def combine_shares(key: TrusteeKey, shares: Sequence[TrusteeShare]) -> bytes:
    """The trustee's private key from *threshold* or more distinct checked shares."""
    for share in shares:
        check_share(key, share)
    distinct = {share.index: share for share in shares}
    if len(distinct) < len(shares):
        raise TrusteeError("the same share was given twice")
    if len(distinct) < key.threshold:
        raise TrusteeError(
            f"{len(distinct)} shares given; the key needs {key.threshold} of its {key.shares}"
        )
    points = list(distinct.values())[: key.threshold]
    secret = 0
    for share in points:
        numerator = denominator = 1
        for other in points:
            if other.index != share.index:
                numerator = numerator * -other.index % _SHAMIR_PRIME
                denominator = denominator * (share.index - other.index) % _SHAMIR_PRIME
        secret = (
            secret + share.value * numerator * pow(denominator, -1, _SHAMIR_PRIME)
        ) % _SHAMIR_PRIME
    if secret >= 2**256:
        raise TrusteeError("the shares do not rebuild the key")
    private = secret.to_bytes(32, "big")
    check_private_key(key, private)
    return private


def check_private_key(key: TrusteeKey, private: bytes) -> None:
    if len(private) != 32 or (
        X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
        != key.public_key
    ):
        raise TrusteeError("this is not the trustee's private key")


def ballot_context(election: str, token_hash: str, awards: Sequence[str]) -> bytes:
    """What a ballot's ciphertext is bound to (AEAD associated data): moving it to another
    election, token or set of awards makes it fail to open."""
    return canonical_json({"awards": list(awards), "election": election, "token": token_hash})


def jury_ballot_context(election: str, juror: str, award: str) -> bytes:
    """A juror's ballot's associated data: its election, its juror and its one award."""
    return canonical_json({"awards": [award], "election": election, "juror": juror})


def encrypt_ballot(public_key: bytes, plaintext: bytes, context: bytes) -> str:
    """X25519 with a fresh key, HKDF-SHA256, ChaCha20-Poly1305; base64 of the ephemeral
    public key and the ciphertext. Each ballot has its own key, so the nonce is fixed."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    aead = ChaCha20Poly1305(_ballot_key(shared, ephemeral_public, public_key))
    return _b64(ephemeral_public + aead.encrypt(bytes(12), plaintext, context))


def decrypt_ballot(private: bytes, ciphertext: str, context: bytes) -> bytes:
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except binascii.Error:
        raise TrusteeError("the ciphertext is damaged") from None
    if len(raw) < 32 + 16:
        raise TrusteeError("the ciphertext is damaged")
    key = X25519PrivateKey.from_private_bytes(private)
    shared = key.exchange(X25519PublicKey.from_public_bytes(raw[:32]))
    public_key = key.public_key().public_bytes_raw()
    aead = ChaCha20Poly1305(_ballot_key(shared, raw[:32], public_key))
    try:
        return aead.decrypt(bytes(12), raw[32:], context)
    except InvalidTag:
        raise TrusteeError("the ciphertext does not open with this key and context") from None


def _ballot_key(shared: bytes, ephemeral_public: bytes, public_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + public_key, info=_BALLOT_INFO
    ).derive(shared)


# --- A witness a juror runs on a laptop (C2SP tlog-witness) -------------------------------------


@dataclass(frozen=True)
class WitnessAnswer:
    """An HTTP answer to ``add-checkpoint``: status, content type and body."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    """Cosigns a log's checkpoints, each only if it is consistent with the last one it
    cosigned; keeps that one checkpoint per log in *state_dir*, and nothing else.

    *logs* are the logs it witnesses, by origin (their note keys); *clock* gives POSIX
    seconds. Checking the old size and storing the new checkpoint happen under one lock, so
    two racing requests can never roll the witness back."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        name: str,
        logs: Iterable[VerifierKey],
        state_dir: str,
        clock: Callable[[], float],
    ) -> None:
        self.private_key, self.name, self.state_dir, self.clock = (
            private_key,
            name,
            state_dir,
            clock,
        )
        self.key = VerifierKey.from_private(name, private_key, COSIGNATURE_V1)
        self.logs = {log.name: log for log in logs}
        self._lock = threading.Lock()
        os.makedirs(state_dir, exist_ok=True)

    def _path(self, origin: str) -> str:
        return os.path.join(
            self.state_dir, hashlib.sha256(origin.encode()).hexdigest()[:32] + ".checkpoint"
        )

    def latest(self, origin: str) -> Checkpoint | None:
        """The last checkpoint this witness cosigned for *origin*, if any."""
        try:
            with open(self._path(origin), encoding="utf-8") as handle:
                return open_checkpoint(handle.read(), self.logs[origin])
        except FileNotFoundError:
            return None

    def _store(self, origin: str, note: str) -> None:
        path = self._path(origin)
        with open(path + ".new", "w", encoding="utf-8") as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(path + ".new", path)

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        """Answer one ``add-checkpoint`` request as the spec orders its checks."""
        try:
            old_size, proof, note = read_add_checkpoint(body)
            body_text, _ = split_note(note)
            origin = body_text.split("\n", 1)[0]
        except ValueError as exc:
            return WitnessAnswer(400, f"{exc}\n".encode())
        log = self.logs.get(origin)
        if log is None:
            return WitnessAnswer(404, b"this witness does not witness that log\n")
        try:
            checkpoint = open_checkpoint(note, log)
        except ValueError as exc:
            return WitnessAnswer(403, f"{exc}\n".encode())
        if old_size > checkpoint.size:
            return WitnessAnswer(400, b"the old size is larger than the checkpoint's\n")
        with self._lock:
            latest = self.latest(origin)
            known = latest.size if latest else 0
            if old_size != known:
                return WitnessAnswer(409, f"{known}\n".encode(), "text/x.tlog.size")
            if latest and old_size == checkpoint.size:
                if latest.root != checkpoint.root:
                    return WitnessAnswer(409, f"{known}\n".encode(), "text/x.tlog.size")
            elif latest and not verify_consistency(
                latest.size, checkpoint.size, latest.root, checkpoint.root, proof
            ):
                return WitnessAnswer(
                    422, b"the consistency proof does not verify: the log was rewritten\n"
                )
            elif not latest and proof:
                return WitnessAnswer(422, b"the proof must be empty from size 0\n")
            self._store(origin, note)
            cosigned = cosign(self.private_key, self.name, body_text, int(self.clock()))
        return WitnessAnswer(200, cosigned.line.encode("utf-8"))

    def status(self) -> str:
        """A page a person can read: the witness's key and what it holds per log."""
        out = [f"witness {self.name}", f"key {self.key.vkey}"]
        for origin in sorted(self.logs):
            latest = self.latest(origin)
            size = f"size {latest.size}, {latest.fingerprint}" if latest else "nothing cosigned"
            out.append(f"log {origin}: {size}")
        return "\n".join(out) + "\n"


def serve_witness(witness: Witness, host: str, port: int) -> None:
    """Serve ``POST /add-checkpoint`` (and a status page at ``GET /``) until interrupted."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the spec advises

        def _answer(self, answer: WitnessAnswer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "":
                self._answer(WitnessAnswer(404, b"not found\n"))
                return
            self._answer(WitnessAnswer(200, witness.status().encode("utf-8")))

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > 64 * 1024:
                self.close_connection = True
                self._answer(WitnessAnswer(400, b"a body of at most 64 KiB with its length\n"))
                return
            body = self.rfile.read(int(length))
            if self.path != "/add-checkpoint":
                self._answer(WitnessAnswer(404, b"not found\n"))
                return
            self._answer(witness.add_checkpoint(body))

        def log_message(self, format: str, *args: object) -> None:
            print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"witness {witness.name} on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def witness_keygen(name: str, directory: str) -> tuple[str, VerifierKey]:
    """Make a witness key: its file (name and PEM, readable by its owner only) and vkey."""
    if not valid_origin(name):
        raise ValueError("a witness name has no spaces and no '+' (for example juror-laptop-1)")
    private_key = Ed25519PrivateKey.generate()
    key = VerifierKey.from_private(name, private_key, COSIGNATURE_V1)
    stem = os.path.join(directory, re.sub(r"[^A-Za-z0-9._-]", "_", name))
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(stem + ".key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"{name}\n{pem.decode('ascii')}")
    with open(stem + ".vkey", "w", encoding="utf-8") as handle:
        handle.write(key.vkey + "\n")
    return stem + ".key", key


def read_witness_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    """A witness key file as ``witness keygen`` writes it: the name, then the PEM key."""
    name, _, pem = text.partition("\n")
    try:
        private_key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except ValueError:
        raise ValueError("not a witness key file (a name line, then a PEM private key)") from None
    if not isinstance(private_key, Ed25519PrivateKey) or not valid_origin(name.strip()):
        raise ValueError("not a witness key file (a name line, then an Ed25519 key)")
    return name.strip(), private_key


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def main(argv: list[str] | None = None) -> int:
    """``python verify.py BOARD.jsonl [--key K] [--checkpoint C]... [--witness W]... [--quorum
    N] [--partial] [--workers N]``, ``--certificate FILE --key K`` to check a certificate of
    results, or ``python verify.py witness keygen|serve ...`` to run a witness.

    A long board is read by worker processes, one per core unless ``--workers`` says how
    many (1: all in this process). The environment can choose how they start
    (VOTING_VERIFY_START_METHOD: spawn, fork or forkserver) and from how many lines
    (VOTING_VERIFY_PARALLEL_FROM); the report is the same whatever they say."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["witness"]:
        return _main_witness(argv[1:])
    if argv[:1] == ["trustee"]:
        return _main_trustee(argv[1:])
    parser = argparse.ArgumentParser(description="Verify an exported voting board offline.")
    parser.add_argument("board", nargs="?", help="the board file (JSON Lines)")
    parser.add_argument(
        "--key", help="the log's public key to pin (a vkey line, or a file with it or a PEM key)"
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        help="a checkpoint note saved earlier; the board must extend it (repeatable)",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's cosignature key (vkey line or file) you trust (repeatable)",
    )
    parser.add_argument(
        "--quorum",
        type=int,
        help="cosignatures the final checkpoint and each --checkpoint need (default: all)",
    )
    parser.add_argument(
        "--partial", action="store_true", help="accept a board exported while voting is open"
    )
    parser.add_argument(
        "--openings",
        help="the jury's openings file: open the sealed tally before the reveal ends",
    )
    parser.add_argument(
        "--certificate", help="check a certificate of results instead (needs --key)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="processes that share the reading of a long board (default: one per core, "
        "at most 8; 1 reads it in this process)",
    )
    args = parser.parse_args(argv)
    if args.certificate:
        return _main_certificate(args.certificate, args.key)
    if not args.board:
        parser.error("give a board file, or --certificate FILE")
    try:
        key = _key_argument(args.key) if args.key else None
        saved = [_read_text(path) or "" for path in args.checkpoint]
        witnesses = [_key_argument(text) for text in args.witness]
        with contextlib.ExitStack() as files:
            board = files.enter_context(open(args.board, "rb"))
            openings = files.enter_context(open(args.openings, "rb")) if args.openings else None
            report = verify_board(
                board,
                partial=args.partial,
                key=key,
                saved_checkpoints=saved,
                openings=openings,
                witnesses=witnesses,
                quorum=args.quorum,
                **_parallel_options(args.workers),
            )
    except (OSError, UnicodeDecodeError) as exc:
        name = getattr(exc, "filename", None) or "a file"
        print(f"FAILED: cannot read {name}: {exc}", file=sys.stderr)
        return 2
    except BoardError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print("OK: the board verifies")
    return 0


def _parallel_options(workers: int | None) -> dict:
    """How the command line shares out a long board: --workers, else the cores (at most 8);
    the start method and the threshold as the environment sets them (see main)."""
    start_method = os.environ.get("VOTING_VERIFY_START_METHOD") or None
    threshold = os.environ.get("VOTING_VERIFY_PARALLEL_FROM", "")
    return {
        "workers": min(os.cpu_count() or 1, 8) if workers is None else workers,
        "parallel_from": int(threshold) if threshold.isdigit() else PARALLEL_FROM,
        "start_method": start_method,
    }


def _key_argument(text: str) -> str:
    """A key given on the command line: the vkey itself, or a file that holds it."""
    if "+" in text and not os.path.exists(text):
        return text
    with open(text, encoding="utf-8") as handle:
        return handle.read().strip()


def _main_witness(argv: list[str]) -> int:
    """``witness keygen NAME [--out DIR]`` and ``witness serve --key FILE --state DIR --listen
    HOST:PORT --log VKEY...``."""
    parser = argparse.ArgumentParser(
        prog="verify.py witness", description="Run a C2SP tlog-witness for the board."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="make a witness key")
    keygen.add_argument("name", help="the witness's name, e.g. juror-laptop-1")
    keygen.add_argument("--out", default=".", help="where to write NAME.key and NAME.vkey")
    serve = commands.add_parser("serve", help="cosign the log's checkpoints")
    serve.add_argument("--key", required=True, help="the key file keygen wrote")
    serve.add_argument("--state", required=True, help="a folder for the checkpoints it keeps")
    serve.add_argument("--listen", default="127.0.0.1:7380", help="HOST:PORT (127.0.0.1:7380)")
    serve.add_argument(
        "--log",
        action="append",
        required=True,
        help="the key (vkey line or file) of a log to witness, as the jury page shows it",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            path, key = witness_keygen(args.name, args.out)
            print(f"wrote {path} (keep it private) and its public key:")
            print(key.vkey)
            return 0
        name, private_key = read_witness_key(_read_text(args.key) or "")
        logs = [VerifierKey.parse(_key_argument(text)) for text in args.log]
        host, _, port = args.listen.rpartition(":")
        witness = Witness(private_key, name, logs, args.state, time.time)
    except (OSError, ValueError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    print(f"key {witness.key.vkey}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve_witness(witness, host or "127.0.0.1", int(port))
    return 0


def trustee_private_key_json(key: TrusteeKey, private: bytes) -> dict:
    """The rebuilt private key as a file: what the organiser imports at close, and what the
    board publishes when the reveal ends."""
    return {
        "type": "trustee-private-key",
        "format": TRUSTEE_FORMAT,
        "election": key.election,
        "key": key.id,
        "private_key": _b64(private),
    }


def read_trustee_private_key(text: str, key: TrusteeKey) -> bytes:
    """The private key from its file, checked against the trustee's public key."""
    try:
        data = json.loads(text)
        private = base64.b64decode(str(data["private_key"]), validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TrusteeError("not a trustee private key file") from None
    if data.get("type") != "trustee-private-key":
        raise TrusteeError("not a trustee private key file")
    if data.get("election") != key.election:
        raise TrusteeError(f"this key belongs to the election {data.get('election')}")
    check_private_key(key, private)
    return private


def _write_private(path: str, data: dict) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=1) + "\n")


def _main_trustee(argv: list[str]) -> int:
    """``trustee keygen --election SLUG --shares N --threshold K [--out DIR]`` and
    ``trustee decrypt --key PUBLIC --share FILE... --out FILE``."""
    parser = argparse.ArgumentParser(
        prog="verify.py trustee", description="The jury's key to the ballots, in K of N shares."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="make the key and its shares")
    keygen.add_argument("--election", required=True, help="the election's slug")
    keygen.add_argument("--shares", type=int, required=True, help="N: one per juror")
    keygen.add_argument("--threshold", type=int, required=True, help="K: shares that open it")
    keygen.add_argument("--out", default=".", help="where to write the files")
    decrypt = commands.add_parser("decrypt", help="rebuild the private key from K shares")
    decrypt.add_argument("--key", required=True, help="the trustee's public key file")
    decrypt.add_argument("--share", action="append", required=True, help="a share file")
    decrypt.add_argument("--out", required=True, help="the private key file to write")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            key, shares = trustee_keygen(args.election, args.shares, args.threshold)
            stem = os.path.join(args.out, f"trustee-{args.election}")
            for share in shares:
                _write_private(f"{stem}-share-{share.index}.json", share.to_json())
            with open(stem + ".json", "w", encoding="utf-8") as handle:
                handle.write(json.dumps(key.to_json(), indent=1) + "\n")
            print(f"wrote {stem}.json (upload it before opening) and {len(shares)} shares")
            print(
                f"any {key.threshold} of the {key.shares} shares open the ballots; give one "
                "to each juror and delete the rest from this machine"
            )
            return 0
        key = TrusteeKey.from_json(json.loads(_read_text(args.key) or ""))
        shares = [TrusteeShare.from_json(json.loads(_read_text(path) or "")) for path in args.share]
        private = combine_shares(key, shares)
        _write_private(args.out, trustee_private_key_json(key, private))
    except TrusteeError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: the trustee's private key; the organiser imports it at close")
    return 0


def _main_certificate(path: str, key_path: str | None) -> int:
    if not key_path:
        print(
            "FAILED: a certificate is checked against a key you trust: give --key", file=sys.stderr
        )
        return 2
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        key_text = _read_text(key_path) or ""
    except (OSError, UnicodeDecodeError) as exc:
        print(f"FAILED: cannot read a file: {exc}", file=sys.stderr)
        return 2
    try:
        name = key_text.strip().split("+", 1)[0] if "-----BEGIN" not in key_text else ""
        stated = verify_certificate_with(data, key_text, name)
    except ValueError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in stated:
        print(line)
    print("OK: the certificate is signed by the key and unchanged")
    return 0


def verify_certificate_with(data: bytes, key_text: str, name: str) -> list[str]:
    """Check a certificate against a key given as text; the lines of a short report."""
    if not name:
        name = certificate_signer(data)
    stated = verify_certificate(data, load_verifier_key(key_text, name))
    results, checkpoint = stated["results"], stated["checkpoint"]
    lines = [
        f"election: {results.get('election')} ({checkpoint.origin})",
        f"ballots: {results.get('ballots')} of {results.get('eligible')} eligible",
        f"final checkpoint: size {checkpoint.size}, fingerprint {checkpoint.fingerprint}",
    ]
    for category in results.get("categories", []):
        lines.append(
            f"{category.get('slug')}: winner {', '.join(category.get('winners', [])) or 'none'}"
        )
    return lines


def certificate_signer(data: bytes) -> str:
    """The key name a certificate says it is signed with (to be checked, not trusted)."""
    cut = data.rfind(b"\n" + SIGNATURE_MARK)
    line = data[cut + 1 + len(SIGNATURE_MARK) :].decode("utf-8", errors="replace")
    return line.strip().rpartition(" ")[0]


if __name__ == "__main__":
    sys.exit(main())
