"""The public address that ballot links, QR codes and cards point to (``PUBLIC_URL``).

A card printed with the wrong address cannot be fixed after the badges are handed out, so
the address is checked before anything is printed or sent: it must be an http(s) URL with a
host; a loopback or private one is allowed (a hall network, a test) but is worth a warning.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from voting.errors import N_, VotingError


class PublicUrlMissing(VotingError):
    """No public address is configured: links and cards would point to the wrong place."""


MISSING = N_(
    "no public address is set (PUBLIC_URL): ballot links and cards would point to the wrong "
    "place; set it with `voting init --public-url https://vote.example.org` or in the "
    "instance's config.toml"
)
LOCAL = N_(
    "the public address %(url)s is a local or private one: phones outside this network "
    "cannot open its links and QR codes"
)


def check_public_url(url: str) -> str:
    """The address without a trailing slash, or VotingError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VotingError(
            N_("%(url)s is not an address voters can open (http:// or https:// and a host)"),
            url=repr(url[:80]),
        )
    if parts.query or parts.fragment:
        raise VotingError(N_("%(url)s: a public address has no ?query or #fragment"), url=url[:80])
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        raise VotingError(N_("%(url)s: the port is not a number"), url=url[:80]) from None
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def is_local(url: str) -> bool:
    """True for loopback, private and link-local addresses and names that only a LAN knows."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (
            host == "localhost"
            or host.endswith((".localhost", ".local", ".lan"))
            or ("." not in host)
        )
    return address.is_loopback or address.is_private or address.is_link_local


def public_url_problems(url: str | None) -> list[VotingError]:
    """What the organiser should hear about the configured address (none when all is well);
    each says why in a sentence, shown as a warning rather than raised."""
    if not url:
        return [PublicUrlMissing(MISSING)]
    try:
        address = check_public_url(url)
    except VotingError as problem:
        return [problem]
    return [VotingError(LOCAL, url=address)] if is_local(address) else []
