"""The audit board's format and its offline verifier, in one self-contained file.

A juror copies this single file to a laptop and runs ``python verify.py board.jsonl``;
it needs nothing but the standard library. The server imports the same hashing,
Merkle and counting code from here, so the board is written and checked by one
implementation.

Board file (JSON Lines), in this order:

* a header ``{"type": "board", "format": "voting-board/1", "election": SLUG, ...}``;
* the log entries, each the exact canonical JSON line that was hashed:
  ``{"data": {...}, "kind": "...", "prev": HEX, "seq": N}``;
* a head ``{"type": "head", "size": N, "root": HEX}``: the RFC 6962 Merkle root of the entries.

Entry hashes follow RFC 6962: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
``prev`` is the leaf hash of the entry before (64 zeros for the first), so each entry commits
to all entries before it.

Ballots are sealed while voting is open: ``ballot.cast`` carries the spent token hash and a
SHA-256 commitment to the choices, so the public board shows no partial result. At close the
server appends one ``ballot.unsealed`` entry per ballot with the choices and the nonce, and the
verifier checks each against its commitment before recounting.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

FORMAT = "voting-board/1"
ZERO_HASH = "0" * 64
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# --- Canonical JSON and hashes ------------------------------------------------------------------


def canonical_json(value: object) -> bytes:
    """Serialise *value* the one way the board allows: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def seal_choices(choices: dict[str, str | None], nonce: str) -> str:
    """The commitment a sealed ballot carries: SHA-256 of its choices and a random nonce."""
    return hashlib.sha256(canonical_json({"choices": choices, "nonce": nonce})).hexdigest()


# --- RFC 6962 Merkle tree -----------------------------------------------------------------------


def frontier_append(peaks: list[bytes], size: int, leaf: bytes) -> list[bytes]:
    """Add one leaf to the roots of the perfect subtrees of a tree of *size* leaves.

    Keeping only these O(log n) peaks lets the server extend the tree on every append
    without reading earlier leaves.
    """
    peaks = list(peaks)
    node = leaf
    while size & 1:
        node = node_hash(peaks.pop(), node)
        size >>= 1
    peaks.append(node)
    return peaks


def frontier_root(peaks: list[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of a tree given by its peaks, largest first."""
    if not peaks:
        return hashlib.sha256(b"").digest()
    root = peaks[-1]
    for peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over already-hashed leaves."""
    peaks: list[bytes] = []
    for size, leaf in enumerate(leaves):
        peaks = frontier_append(peaks, size, leaf)
    return frontier_root(peaks)


def token_set_root(token_hashes: Iterable[str]) -> str:
    """Merkle root of a sorted list of hex token hashes, each hashed as an RFC 6962 leaf."""
    return merkle_root(leaf_hash(bytes.fromhex(h)) for h in token_hashes).hex()


# --- Short codes people read aloud or type -------------------------------------------------------


def _crockford(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = len(data) * 8 // 5
    return "".join(CROCKFORD[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def receipt_code(leaf: bytes) -> str:
    """A voter's receipt: the first 80 bits of their ballot's leaf hash, as XXXX-XXXX-XXXX-XXXX."""
    code = _crockford(leaf[:10])
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


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
    order = {n["slug"]: i for i, n in enumerate(category["nominees"])}
    results = sorted(
        (
            {"nominee": n["slug"], "name": n["name"], "votes": votes.get(n["slug"], 0)}
            for n in category["nominees"]
        ),
        key=lambda r: (-r["votes"], order[r["nominee"]]),
    )
    top = results[0]["votes"] if results else 0
    winners = [r["nominee"] for r in results if r["votes"] == top] if top > 0 else []
    return {
        "slug": category["slug"],
        "title": category["title"],
        "method": category.get("method", "plurality"),
        "results": results,
        "abstentions": abstentions,
        "winners": winners,
        "tie": len(winners) > 1,
    }


def count_ballots(definition: dict, ballots: Iterable[dict[str, str | None]]) -> list[dict]:
    """Count unsealed ballots (category slug -> nominee slug or None) into per-award results."""
    votes: dict[str, dict[str, int]] = {c["slug"]: {} for c in definition["categories"]}
    abstentions = dict.fromkeys(votes, 0)
    for choices in ballots:
        for slug, nominee in choices.items():
            if nominee is None:
                abstentions[slug] += 1
            else:
                votes[slug][nominee] = votes[slug].get(nominee, 0) + 1
    return [
        category_result(c, votes[c["slug"]], abstentions[c["slug"]])
        for c in definition["categories"]
    ]


# --- Verification -------------------------------------------------------------------------------


class BoardError(Exception):
    """The board fails verification; ``where`` names the first entry or line that fails."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass
class _Line:
    number: int
    raw: bytes
    value: object


@dataclass
class BoardReport:
    """What a verified board says: printed by the command line, shown on the jury pages."""

    election: str
    entries: int
    root: bytes
    state: str
    eligible: int = 0
    ballots: int = 0
    tally: list[dict] | None = None
    kinds: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [
            f"election: {self.election}",
            f"entries: {self.entries}, state: {self.state}",
            f"ballots: {self.ballots} of {self.eligible} eligible",
            f"root: {self.root.hex()}",
            f"fingerprint: {fingerprint(self.root)}",
        ]
        for category in self.tally or []:
            winners = ", ".join(category["winners"]) or "none"
            tie = " (tie)" if category["tie"] else ""
            out.append(f"{category['slug']}: winner {winners}{tie}")
        return out


_PHASES = ("draft", "open", "closed", "tallied")


class _Checker:
    """Replays the log entry by entry and keeps what each rule needs."""

    def __init__(self) -> None:
        self.phase = "draft"
        self.definition: dict | None = None
        self.committed = False
        self.eligible: set[str] = set()
        self.revoked: set[str] = set()
        self.spent: set[str] = set()
        self.sealed: dict[int, str] = {}
        self.unsealed: dict[int, dict[str, str | None]] = {}
        self.tally: list[dict] | None = None

    def check(self, seq: int, kind: str, data: dict) -> None:
        handler = getattr(self, "_" + kind.replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"unknown kind {kind!r}")
        handler(seq, data)

    def _require(self, *phases: str) -> None:
        if self.phase not in phases:
            raise ValueError(f"not allowed while the election is {self.phase}")

    def _election_defined(self, seq: int, data: dict) -> None:
        self._require("draft")
        if self.committed:
            raise ValueError("the definition changed after the eligible tokens were committed")
        _check_definition(data)
        self.definition = data

    def _attendees_imported(self, seq: int, data: dict) -> None:
        self._require("draft", "open")
        _expect_int(data, "count")

    def _tokens_committed(self, seq: int, data: dict) -> None:
        self._require("draft")
        if self.definition is None:
            raise ValueError("tokens committed before the election was defined")
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

    def _voting_opened(self, seq: int, data: dict) -> None:
        self._require("draft")
        if not self.committed:
            raise ValueError("voting opened before the eligible tokens were committed")
        self.phase = "open"

    def _tokens_added(self, seq: int, data: dict) -> None:
        self._require("open")
        hashes = _expect_hashes(data, "token_hashes")
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

    def _ballot_cast(self, seq: int, data: dict) -> None:
        if self.phase != "open":
            raise ValueError(f"a ballot was cast while the election was {self.phase}")
        token = _expect_hash(data, "token")
        _expect_hash(data, "sealed")
        if token not in self.eligible:
            raise ValueError(f"token {token} is not in the eligible set")
        if token in self.revoked:
            raise ValueError(f"token {token} was revoked")
        if token in self.spent:
            raise ValueError(f"token {token} was used twice")
        self.spent.add(token)
        self.sealed[seq] = data["sealed"]

    def _voting_closed(self, seq: int, data: dict) -> None:
        self._require("open")
        self.phase = "closed"

    def _ballot_unsealed(self, seq: int, data: dict) -> None:
        self._require("closed")
        ballot = _expect_int(data, "ballot")
        if ballot not in self.sealed:
            raise ValueError(f"entry {ballot} is not a ballot")
        if ballot in self.unsealed:
            raise ValueError(f"ballot {ballot} was unsealed twice")
        choices = data.get("choices")
        nonce = data.get("nonce")
        if not isinstance(nonce, str) or not isinstance(choices, dict):
            raise ValueError("choices and nonce are required")
        if seal_choices(choices, nonce) != self.sealed[ballot]:
            raise ValueError(f"choices do not match the seal of ballot {ballot}")
        assert self.definition is not None
        _check_choices(self.definition, choices)
        self.unsealed[ballot] = choices

    def _tally(self, seq: int, data: dict) -> None:
        self._require("closed")
        missing = sorted(set(self.sealed) - set(self.unsealed))
        if missing:
            raise ValueError(f"ballot {missing[0]} was never unsealed")
        assert self.definition is not None
        expected = {
            "ballots": len(self.sealed),
            "eligible": len(self.eligible - self.revoked),
            "categories": count_ballots(self.definition, self.unsealed.values()),
        }
        if data != expected:
            raise ValueError("the sealed tally differs from the recount of the ballots")
        self.tally = expected["categories"]
        self.phase = "tallied"


def _expect_int(data: dict, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value


def _is_hash(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 64
        and all(ch in "0123456789abcdef" for ch in value)
    )


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
    if not isinstance(data.get("slug"), str) or not isinstance(categories, list) or not categories:
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


def _check_choices(definition: dict, choices: dict) -> None:
    categories = {c["slug"]: {n["slug"] for n in c["nominees"]} for c in definition["categories"]}
    if set(choices) != set(categories):
        raise ValueError("the ballot does not answer exactly the election's categories")
    for slug, nominee in choices.items():
        if nominee is not None and nominee not in categories[slug]:
            raise ValueError(f"{nominee!r} is not a nominee of {slug}")


def _read_lines(lines: Iterable[bytes]) -> Iterator[_Line]:
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            value = None
        yield _Line(number, raw, value)


def _entry_where(seq: int, line: _Line) -> str:
    return f"entry {seq} (line {line.number})"


def verify_board(lines: Iterable[bytes], *, partial: bool = False) -> BoardReport:
    """Check a board file line by line; raise BoardError naming the first entry that fails.

    Without *partial* the board must be complete: voting closed and the tally sealed.
    """
    parsed = list(_read_lines(lines))
    if (
        not parsed
        or not isinstance(parsed[0].value, dict)
        or parsed[0].value.get("type") != "board"
    ):
        raise BoardError("line 1", "not a board file (no board header)")
    header = parsed[0].value
    if header.get("format") != FORMAT:
        raise BoardError("line 1", f"unsupported board format {header.get('format')!r}")

    entries: list[_Line] = []
    head: _Line | None = None
    for line in parsed[1:]:
        value = line.value
        if isinstance(value, dict) and value.get("type") == "head" and head is None:
            head = line
        elif head is not None:
            raise BoardError(f"line {line.number}", "unexpected line after the head")
        elif isinstance(value, dict) and "type" in value:
            raise BoardError(f"line {line.number}", f"unexpected {value['type']!r} line")
        else:
            entries.append(line)

    checker = _Checker()
    leaves: list[bytes] = []
    kinds: dict[str, int] = {}
    for index, line in enumerate(entries):
        where = _entry_where(index, line)
        _check_entry_form(index, line, where)
        entry = line.value
        assert isinstance(entry, dict)
        expected_prev = leaves[-1].hex() if leaves else ZERO_HASH
        if entry["prev"] != expected_prev:
            raise _broken_link(entries, leaves, index)
        try:
            checker.check(index, entry["kind"], entry["data"])
        except ValueError as exc:
            raise BoardError(where, str(exc)) from None
        leaves.append(leaf_hash(line.raw))
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1

    root = merkle_root(leaves)
    if head is None:
        raise BoardError("end of file", "the board has no head line (truncated?)")
    head_value = head.value
    assert isinstance(head_value, dict)
    if isinstance(head_value.get("size"), int) and head_value["size"] > len(entries):
        raise BoardError(
            f"entry {len(entries)}",
            f"missing: the head counts {head_value['size']} entries but the board has "
            f"{len(entries)} (deleted or truncated?)",
        )
    if head_value.get("size") != len(entries):
        raise BoardError(
            f"line {head.number}",
            f"the head says {head_value.get('size')} entries but the board has {len(entries)}",
        )
    if head_value.get("root") != root.hex():
        last = len(entries) - 1
        where = _entry_where(last, entries[last]) if entries else f"line {head.number}"
        raise BoardError(where, "the Merkle root of the entries does not match the head")

    if checker.definition is None:
        raise BoardError("line 1", "the board defines no election")
    if header.get("election") != checker.definition["slug"]:
        raise BoardError("line 1", "the header names another election than the log")
    if not partial and checker.phase != "tallied":
        raise BoardError(
            "end of file",
            f"the board ends while the election is {checker.phase}, before the sealed tally "
            "(use --partial to check a board exported while voting is open)",
        )
    return BoardReport(
        election=checker.definition["slug"],
        entries=len(entries),
        root=root,
        state=checker.phase,
        eligible=len(checker.eligible - checker.revoked),
        ballots=len(checker.sealed),
        tally=checker.tally,
        kinds=kinds,
    )


def _check_entry_form(index: int, line: _Line, where: str) -> None:
    entry = line.value
    if entry is None:
        raise BoardError(where, "not valid JSON")
    if not isinstance(entry, dict) or set(entry) != {"seq", "prev", "kind", "data"}:
        raise BoardError(where, "an entry has exactly the keys seq, prev, kind and data")
    if not isinstance(entry["data"], dict) or not isinstance(entry["kind"], str):
        raise BoardError(where, "kind must be a string and data an object")
    if not _is_hash(entry["prev"]):
        raise BoardError(where, "prev must be a SHA-256 hash in lower-case hex")
    if canonical_json(entry) != line.raw:
        raise BoardError(where, "not in canonical JSON form (altered?)")
    seq = entry["seq"]
    if seq != index:
        if isinstance(seq, int) and seq > index:
            raise BoardError(
                f"entry {index}",
                f"missing here: line {line.number} holds entry {seq} (deleted or moved?)",
            )
        raise BoardError(where, f"carries seq {seq!r} where entry {index} belongs (moved?)")


def _broken_link(entries: list[_Line], leaves: list[bytes], index: int) -> BoardError:
    """Blame the right entry when entry *index* does not commit to the one before it.

    If the entry after it still commits to it, this entry is intact and the one before
    was altered; otherwise this entry itself was altered.
    """
    before = index - 1
    following = entries[index + 1] if index + 1 < len(entries) else None
    if following is None:
        return BoardError(
            _entry_where(before, entries[before]),
            f"altered, or entry {index} was: the prev of entry {index} no longer matches its hash",
        )
    this_hash = leaf_hash(entries[index].raw).hex()
    if isinstance(following.value, dict) and following.value.get("prev") == this_hash:
        return BoardError(
            _entry_where(before, entries[before]),
            f"altered: its hash no longer matches the prev of entry {index}",
        )
    return BoardError(
        _entry_where(index, entries[index]),
        f"prev does not match the hash of entry {before} (altered?)",
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m voting.verify BOARD.jsonl [--partial]``."""
    parser = argparse.ArgumentParser(description="Verify an exported voting board offline.")
    parser.add_argument("board", help="the board file (JSON Lines)")
    parser.add_argument(
        "--partial", action="store_true", help="accept a board exported while voting is open"
    )
    args = parser.parse_args(argv)
    try:
        with open(args.board, "rb") as handle:
            report = verify_board(handle, partial=args.partial)
    except OSError as exc:
        print(f"FAILED: cannot read {args.board}: {exc.strerror}", file=sys.stderr)
        return 2
    except BoardError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print("OK: the board verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
