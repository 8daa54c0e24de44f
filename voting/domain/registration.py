"""Open registration: who may ask for a ballot by email, and when two addresses are one.

An election file may say ``registration = "open"``: anyone who can read mail at an address
may register it at /register/<election> and gets one personal ballot link. Two spellings of
one mailbox must not give two ballots, so an address is normalised before it is compared:
always Unicode NFC and the domain as IDNA in lower case (email-validator), and as the
organiser chooses (``registration_fold``): "case" (the local part case-folded, as nearly all
mail providers treat it), "plus" (``ann+awards@`` is ``ann@``), "dots" (``a.nn@`` is ``ann@``,
as Gmail treats it; only where the organiser knows their voters' provider does so).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from voting.domain.table_reader import TableReader

MODES = ("list", "open")
FOLDS = ("case", "plus", "dots")
DEFAULT_FOLD = ("case", "plus")


class AddressRefused(ValueError):
    """Not an email address (the reason in words, from email-validator)."""


@dataclass(frozen=True)
class Registration:
    """How attendees get onto the list: from the organiser's list only, or also by
    registering themselves; and how addresses are folded for "one ballot per address"."""

    mode: str = "list"
    fold: tuple[str, ...] = DEFAULT_FOLD

    @property
    def is_open(self) -> bool:
        return self.mode == "open"

    def to_board(self) -> dict:
        return {"mode": self.mode, "fold": list(self.fold)}

    def mailbox(self, address: str) -> tuple[str, str]:
        """(the address to write to, the key that says which mailbox it is)."""
        try:
            valid = validate_email(address.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise AddressRefused(str(exc)) from None
        local = unicodedata.normalize("NFC", valid.local_part)
        domain = valid.ascii_domain.lower()
        if "plus" in self.fold:
            local = local.split("+", 1)[0]
        if "dots" in self.fold:
            local = local.replace(".", "")
        if "case" in self.fold:
            local = local.casefold()
        return valid.normalized, f"{local}@{domain}"


def registration_on_board(definition: dict) -> Registration:
    """The rule as the definition on the board states it (absent: the organiser's list)."""
    found = definition.get("registration") or {}
    return Registration(found.get("mode", "list"), tuple(found.get("fold", DEFAULT_FOLD)))


def read_registration(reader: TableReader, election: dict) -> Registration:
    mode = reader.text(election, "election", "registration", required=False) or "list"
    if mode not in MODES:
        reader.fail("election.registration", f"must be one of {', '.join(MODES)}")
    raw = election.get("registration_fold", list(DEFAULT_FOLD))
    if not isinstance(raw, list) or not all(item in FOLDS for item in raw):
        reader.fail("election.registration_fold", f"must be a list of some of {', '.join(FOLDS)}")
        raw = list(DEFAULT_FOLD)
    if "registration_fold" in election and mode != "open":
        reader.fail("election.registration_fold", 'only for registration = "open"')
    return Registration(mode, tuple(item for item in FOLDS if item in raw))
