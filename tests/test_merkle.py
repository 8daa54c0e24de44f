"""RFC 6962 Merkle Tree Hash: the reference vectors, and the server's incremental peaks."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from voting.verify import (
    MerkleTree,
    frontier_append,
    frontier_root,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

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


# Inclusion paths and consistency proofs for the same eight leaves (CT / transparency-dev).
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (0, 1): [],
}
CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def vector_tree() -> MerkleTree:
    return MerkleTree(leaf_hash(data) for data in LEAVES)


def test_inclusion_proof_vectors():
    tree = vector_tree()
    for (index, size), expected in INCLUSION.items():
        proof = tree.inclusion_proof(index, size)
        assert [node.hex() for node in proof] == expected, (index, size)
        root = bytes.fromhex(ROOTS[size - 1])
        assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, root)


def test_consistency_proof_vectors():
    tree = vector_tree()
    for (old, new), expected in CONSISTENCY.items():
        proof = tree.consistency_proof(old, new)
        assert [node.hex() for node in proof] == expected, (old, new)
        assert verify_consistency(
            old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), proof
        )


def test_tree_roots_match_vectors_at_every_size():
    tree = vector_tree()
    assert tree.root(0) == hashlib.sha256(b"").digest()
    for size in range(1, 9):
        assert tree.root(size).hex() == ROOTS[size - 1]


def _alterations(proof: list[bytes]) -> list[list[bytes]]:
    """Every way a proof can be damaged: a flipped bit in each node, one dropped, one added."""
    variants = []
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        variants.append(flipped)
    if proof:
        variants.append(proof[:-1])
        variants.append(proof[1:])
    variants.append([*proof, b"\x00" * 32])
    variants.append([b"\x00" * 32, *proof])
    return variants


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_proof_verifies_and_every_altered_proof_fails(size, data):
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = MerkleTree(leaves)
    root = tree.root()
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index, size)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    for altered in _alterations(proof):
        assert not verify_inclusion(leaves[index], index, size, altered, root)
    if size > 1:
        assert not verify_inclusion(leaves[index], index, size, proof, tree.root(size - 1))
        assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)

    old = data.draw(st.integers(min_value=1, max_value=size))
    consistency = tree.consistency_proof(old, size)
    old_root = tree.root(old)
    assert verify_consistency(old, size, old_root, root, consistency)
    if old < size:
        for altered in _alterations(consistency):
            assert not verify_consistency(old, size, old_root, root, altered)
        assert not verify_consistency(old, size, root, root, consistency)
