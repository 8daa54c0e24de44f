"""RFC 6962 Merkle Tree Hash: the reference vectors, and the server's incremental peaks."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from voting.verify import frontier_append, frontier_root, leaf_hash, merkle_root, node_hash

# From the Certificate Transparency reference implementation's tests (RFC 6962 section 2.1).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 defines it, recursively: the yardstick for the fast version."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(reference_root(leaves[:split]), reference_root(leaves[split:]))


def test_empty_tree_is_hash_of_nothing():
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()


def test_reference_vectors():
    for size in range(1, 9):
        leaves = [leaf_hash(data) for data in LEAVES[:size]]
        assert merkle_root(leaves).hex() == ROOTS[size - 1], size


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_incremental_peaks_match_the_recursive_definition(data):
    leaves = [leaf_hash(item) for item in data]
    peaks: list[bytes] = []
    for size, leaf in enumerate(leaves):
        peaks = frontier_append(peaks, size, leaf)
        assert frontier_root(peaks) == reference_root(leaves[: size + 1])
    # Never more peaks than bits in the size.
    assert len(peaks) == bin(len(leaves)).count("1")
