"""The verifier's fast reading of ballot lines agrees with reading them as JSON.

Most lines of a board are ballots in one fixed shape, which the verifier reads with a
pattern instead of a JSON parser. That is only sound if every line the pattern accepts is
canonical JSON that means exactly what json.loads says it means; anything else must fall
back to the general path (which then checks the canonical form itself).
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from voting import verify

hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)
counts = st.integers(min_value=0, max_value=10**12)
slugs = st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)
texts = st.text(max_size=12)  # quotes, backslashes, braces, unicode: the fast path must cope
choices = st.dictionaries(st.one_of(slugs, texts), st.one_of(st.none(), slugs, texts), max_size=4)


def cast_entry(seq: int, prev: str, token: str, sealed: str) -> dict:
    return {
        "seq": seq,
        "prev": prev,
        "kind": "ballot.cast",
        "data": {"token": token, "sealed": sealed},
    }


def unsealed_entry(seq: int, prev: str, ballot: int, chosen: dict, nonce: str) -> dict:
    return {
        "seq": seq,
        "prev": prev,
        "kind": "ballot.unsealed",
        "data": {"ballot": ballot, "choices": chosen, "nonce": nonce},
    }


entries = st.one_of(
    st.builds(cast_entry, counts, hashes, hashes, hashes),
    st.builds(unsealed_entry, counts, hashes, counts, choices, hashes.map(lambda h: h[:32])),
)


def assert_sound(raw: bytes) -> None:
    read = verify._read_ballot_entry(raw)
    if read is not None:
        assert read == json.loads(raw)
        assert verify.canonical_json(read) == raw


@given(entries)
def test_a_canonical_ballot_line_reads_as_json_reads_it(entry):
    raw = verify.canonical_json(entry)
    assert_sound(raw)


@given(st.builds(cast_entry, counts, hashes, hashes, hashes))
def test_every_cast_line_the_server_writes_takes_the_fast_path(entry):
    assert verify._read_ballot_entry(verify.canonical_json(entry)) == entry


@given(
    st.builds(
        unsealed_entry,
        counts,
        hashes,
        counts,
        st.dictionaries(slugs, st.one_of(st.none(), slugs)),
        hashes,
    )
)
def test_every_unsealed_line_with_slugs_takes_the_fast_path(entry):
    assert verify._read_ballot_entry(verify.canonical_json(entry)) == entry


@given(entries, st.sampled_from(["spaces", "ascii", "unsorted", "zero", "upper"]))
def test_other_spellings_of_a_ballot_line_never_pass_as_canonical(entry, spelling):
    if spelling == "spaces":
        raw = json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()
    elif spelling == "ascii":
        raw = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    elif spelling == "unsorted":
        raw = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
    elif spelling == "zero":
        raw = verify.canonical_json(entry).replace(b'"seq":', b'"seq":0', 1)
    else:
        raw = verify.canonical_json(entry).upper()
    assert_sound(raw)
    if raw != verify.canonical_json(entry):
        assert verify._read_ballot_entry(raw) is None


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_never_misread(raw):
    assert_sound(raw)
