"""The trustee key in the one-file verifier: Shamir shares (K of N), their refusals, and
ballots encrypted to the key, bound to their election, token and awards."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys

import pytest

from voting import verify
from voting.cli.witness_processes import VERIFIER


@pytest.fixture(scope="module")
def made():
    return verify.trustee_keygen("ecc-2026", shares=5, threshold=3)


def private_of(key, shares) -> bytes:
    return verify.combine_shares(key, shares)


def test_any_k_of_n_shares_rebuild_the_key_and_k_minus_1_do_not(made):
    key, shares = made
    rebuilt = {private_of(key, list(chosen)) for chosen in itertools.combinations(shares, 3)}
    assert len(rebuilt) == 1
    verify.check_private_key(key, rebuilt.pop())
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(verify.TrusteeError, match="needs 3 of its 5"):
            verify.combine_shares(key, list(chosen))
    assert private_of(key, shares) == private_of(key, shares[:3])  # more than K is fine


def test_wrong_foreign_and_repeated_shares_are_refused(made):
    key, shares = made
    wrong = dataclasses.replace(shares[0], value=shares[0].value + 1)
    with pytest.raises(verify.TrusteeError, match="share 1 is not the share"):
        verify.combine_shares(key, [wrong, *shares[1:3]])
    other_key, other_shares = verify.trustee_keygen("ecc-2026", shares=5, threshold=3)
    with pytest.raises(verify.TrusteeError, match="another trustee key"):
        verify.combine_shares(key, [other_shares[0], *shares[1:3]])
    _, elsewhere = verify.trustee_keygen("other-awards", shares=5, threshold=3)
    with pytest.raises(verify.TrusteeError, match="election other-awards"):
        verify.check_share(key, elsewhere[0])
    with pytest.raises(verify.TrusteeError, match="twice"):
        verify.combine_shares(key, [shares[0], shares[0], shares[1]])
    with pytest.raises(verify.TrusteeError, match="not the trustee's private key"):
        verify.check_private_key(key, private_of(other_key, other_shares))


def test_key_and_share_files_read_back_and_damage_is_refused(made):
    key, shares = made
    assert verify.TrusteeKey.from_json(json.loads(json.dumps(key.to_json()))) == key
    assert verify.TrusteeShare.from_json(json.loads(json.dumps(shares[2].to_json()))) == shares[2]
    for damaged in (
        {**key.to_json(), "threshold": 6},
        {**key.to_json(), "public_key": "AAAA"},
        {**key.to_json(), "commitments": key.commitments[:4]},
        shares[0].to_json(),
    ):
        with pytest.raises(verify.TrusteeError):
            verify.TrusteeKey.from_json(damaged)
    with pytest.raises(verify.TrusteeError):
        verify.TrusteeShare.from_json({**shares[0].to_json(), "value": "not hex"})
    with pytest.raises(verify.TrusteeError):
        verify.trustee_keygen("x", shares=2, threshold=3)


def test_a_ballot_opens_only_with_the_key_in_its_own_context(made):
    key, shares = made
    private = private_of(key, shares[:3])
    context = verify.ballot_context("ecc-2026", "ab" * 32, ["best-manager", "best-partnership"])
    plaintext = verify.canonical_json({"choices": {"best-manager": "ann"}, "nonce": "00" * 16})
    ciphertext = verify.encrypt_ballot(key.public_key, plaintext, context)
    assert verify.decrypt_ballot(private, ciphertext, context) == plaintext
    assert b"ann" not in ciphertext.encode() and "best-manager" not in ciphertext
    assert verify.encrypt_ballot(key.public_key, plaintext, context) != ciphertext  # fresh key
    for other in (
        verify.ballot_context("other", "ab" * 32, ["best-manager", "best-partnership"]),
        verify.ballot_context("ecc-2026", "cd" * 32, ["best-manager", "best-partnership"]),
        verify.ballot_context("ecc-2026", "ab" * 32, ["best-manager"]),
    ):
        with pytest.raises(verify.TrusteeError, match="does not open"):
            verify.decrypt_ballot(private, ciphertext, other)
    other_key, other_shares = verify.trustee_keygen("ecc-2026", shares=1, threshold=1)
    with pytest.raises(verify.TrusteeError, match="does not open"):
        verify.decrypt_ballot(private_of(other_key, other_shares), ciphertext, context)


def trustee(*args: object) -> subprocess.CompletedProcess:
    """`python verify.py trustee ARGS`, as a juror runs it."""
    command = [sys.executable, str(VERIFIER), "trustee", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_command_line_makes_shares_and_rebuilds_the_key(tmp_path):
    made = trustee(
        "keygen", "--election", "ecc-2026", "--shares", 3, "--threshold", 2, "--out", tmp_path
    )
    assert made.returncode == 0, made.stderr
    public = tmp_path / "trustee-ecc-2026.json"
    share_files = sorted(tmp_path.glob("trustee-ecc-2026-share-*.json"))
    assert public.exists() and len(share_files) == 3
    assert all(path.stat().st_mode & 0o077 == 0 for path in share_files)
    out = tmp_path / "trustee-ecc-2026.key"
    one = trustee("decrypt", "--key", public, "--share", share_files[0], "--out", out)
    assert one.returncode == 1 and "needs 2 of its 3" in one.stderr and not out.exists()
    two = trustee(
        "decrypt",
        "--key",
        public,
        "--share",
        share_files[0],
        "--share",
        share_files[2],
        "--out",
        out,
    )
    assert two.returncode == 0, two.stderr
    key = verify.TrusteeKey.from_json(json.loads(public.read_text()))
    verify.check_private_key(key, verify.read_trustee_private_key(out.read_text(), key))
