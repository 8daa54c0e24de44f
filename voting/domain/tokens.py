"""Ballot tokens: signed, URL-safe strings that carry an election and a 128-bit serial.

A token never names an attendee. Personal serials are an HMAC of the attendee under the
election's delivery key, so the server can regenerate a lost link without storing which
token belongs to whom; the database keeps only SHA-256 hashes of serials.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer

SERIAL_BYTES = 16
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Card:
    """One ballot as it reaches a voter, on paper or by email: what the QR code holds (the
    link), the code to type instead, and for a personal ballot whose it is."""

    url: str
    code: str
    name: str = ""  # empty on anonymous cards
    organisation: str = ""
    language: str = ""


class BadToken(Exception):
    """The string is not a ballot token we signed: garbled, truncated, forged or too long."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BallotTokenCodec:
    """Signs and reads ballot tokens with a list of keys, newest last, so keys can rotate.

    The salt names the purpose and the election: a token signed for one election does not
    verify for another even under the same keys.
    """

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one ballot token key is needed")
        self._keys = list(keys)

    def _signer(self, election: str) -> Signer:
        return Signer(self._keys, salt=f"voting.ballot:{election}", digest_method=hashlib.sha256)

    def issue(self, election: str, serial: bytes) -> str:
        payload = f"{election}.{_b64(serial)}"
        return self._signer(election).sign(payload).decode("ascii")

    def read(self, token: str) -> tuple[str, bytes]:
        """Return (election slug, serial) of a token, or raise BadToken."""
        if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
            raise BadToken("not a ballot token")
        election, _, rest = token.partition(".")
        if not SLUG_PATTERN.match(election) or not rest:
            raise BadToken("not a ballot token")
        try:
            payload = self._signer(election).unsign(token).decode("ascii")
            serial = _unb64(payload.partition(".")[2])
        except (BadSignature, binascii.Error, ValueError):
            raise BadToken("not a ballot token") from None
        if len(serial) != SERIAL_BYTES:
            raise BadToken("not a ballot token")
        return election, serial


def personal_serial(delivery_key: bytes, election: str, attendee_id: int, reissue: int) -> bytes:
    """The serial of an attendee's personal token: stable until the desk reissues it."""
    message = f"voting.personal\x00{election}\x00{attendee_id}\x00{reissue}".encode()
    return hmac.new(delivery_key, message, hashlib.sha256).digest()[:SERIAL_BYTES]


def random_serial() -> bytes:
    """The serial of an anonymous card: random, recorded nowhere but as its hash."""
    return secrets.token_bytes(SERIAL_BYTES)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def serial_code(serial: bytes) -> str:
    """A serial as a code a person can type: 26 characters of Crockford base32, grouped."""
    number = int.from_bytes(serial, "big") << 2  # 130 bits, a whole number of characters
    chars = "".join(_CROCKFORD[(number >> (5 * (25 - i))) & 31] for i in range(26))
    return "-".join((chars[0:5], chars[5:10], chars[10:15], chars[15:20], chars[20:]))


def read_serial_code(text: str) -> bytes | None:
    """The serial a typed code stands for (any case, spaces, O for 0), or None."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != 26 or any(ch not in _CROCKFORD for ch in cleaned):
        return None
    number = 0
    for ch in cleaned:
        number = number << 5 | _CROCKFORD.index(ch)
    if number & 3:
        return None
    return (number >> 2).to_bytes(SERIAL_BYTES, "big")


def token_hash(serial: bytes) -> bytes:
    """What the database and the board keep of a token: SHA-256 of its serial."""
    return hashlib.sha256(serial).digest()
