"""Attendee lists: read a registration system's CSV export into checked rows.

Exports come as they are: pretix's order positions (one buyer, several tickets; the attendee's
own email beside the buyer's; "Company" twice), Indico's registrations, or a plain list. The
whole file is checked before anything is stored, every bad row is reported as ``line N:
reason`` (N the line in the file, so the organiser can fix it in a spreadsheet), and rows
whose registration was cancelled are skipped and counted.

Who an attendee is: the registration's reference when the file has one (pretix's order code
and position, Indico's ID, a ``ref`` column), so attendees may share an email or have none;
otherwise their email, which must then be unique.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

# Header spellings seen in registration exports, compared after folding to lower-case letters
# and digits ("E-mail Address" -> "emailaddress"). The first column with a known meaning
# wins: pretix writes "Company" twice, the attendee's first and the invoice's second.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "fullname", "attendee", "attendeename", "participant", "participantname",
        "nameoftheattendee", "teilnehmername", "nomcomplet",
    ),
    "title": ("attendeenametitle", "nametitle"),
    "first_name": (
        "firstname", "givenname", "forename", "vorname", "prenom", "attendeenamegivenname",
        "attendeenamefirstname",
    ),
    "last_name": (
        "lastname", "surname", "familyname", "nachname", "nom", "nomdefamille",
        "attendeenamefamilyname", "attendeenamelastname",
    ),
    "attendee_email": (
        "attendeeemail", "attendeeemailaddress", "attendeeemailadresse", "participantemail",
        "teilnehmeremail",
    ),
    "email": ("email", "emailaddress", "mail", "emailadresse", "courriel", "adresseemail"),
    "organisation": (
        "organisation", "organization", "company", "affiliation", "institution", "employer",
        "firma", "unternehmen", "organisme", "societe", "entreprise", "attendeecompany",
    ),
    "order": ("ordercode", "order", "ordernumber", "bestellnummer", "bookingreference"),
    "position": ("positionid", "positionsid", "orderpositionid"),
    "ref": (
        "ref", "reference", "ticket", "ticketid", "ticketnumber", "registrationid",
        "registrationnumber", "attendeeid", "id", "referenz",
    ),
    "status": (
        "status", "orderstatus", "registrationstate", "registrationstatus", "state",
        "bestellstatus", "statut",
    ),
    "language": (
        "language", "lang", "locale", "orderlocale", "sprache", "langue", "preferredlanguage",
    ),
}  # fmt: skip
_HEADER_LOOKUP = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_MAX_FIELD = 200
_LANGUAGE = re.compile(r"^[a-z]{2}")

# Registration statuses, as pretix (codes and names), Indico and other systems write them, in
# English, German and French. Cancelled registrations are skipped; pending ones imported.
_CANCELLED_CODES = {"c", "e", "r"}
_CANCELLED_WORDS = (
    "cancel", "refund", "expir", "reject", "withdraw", "declin", "void", "storn", "erstatt",
    "abgelaufen", "abgelehnt", "zurückgezogen", "annul", "rembours", "refus", "retir",
)  # fmt: skip
_PENDING_CODES = {"n"}
_PENDING_WORDS = ("pending", "await", "unpaid", "not paid", "ausstehend", "unbezahlt", "attente")


class RosterError(Exception):
    """The file cannot be imported; ``errors`` holds one ``line N: reason`` per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class AttendeeRow:
    line: int
    name: str
    email: str  # "" when the attendee has none of their own
    organisation: str = ""
    ref: str = ""
    language: str = ""
    pending: bool = False  # registered but not yet paid or approved


@dataclass(frozen=True)
class SkippedRow:
    """A row whose registration was cancelled: not imported, but it may withdraw someone."""

    line: int
    status: str
    name: str = ""
    email: str = ""
    ref: str = ""


@dataclass
class Roster:
    rows: list[AttendeeRow]
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    keyed_by: str = "email"  # "ref" when the file names each registration
    sha256: str = ""
    fields: frozenset[str] = frozenset({"name", "email"})  # the details the file gives


def registration_status(text: str) -> str:
    """ "cancelled", "pending" or "active", from a status cell in any system's words."""
    folded = text.strip().lower()
    if folded in _CANCELLED_CODES or any(word in folded for word in _CANCELLED_WORDS):
        return "cancelled"
    if folded in _PENDING_CODES or any(word in folded for word in _PENDING_WORDS):
        return "pending"
    return "active"


def check_email(text: str) -> str:
    """An email address as stored: normalised, lower case, accents and IDN domains kept.

    Raises ValueError with the validator's reason.
    """
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _normalise_header(text: str) -> str:
    folded = text.strip().lower()
    folded = folded.translate(str.maketrans("éèêàçäöüß", "eeeacaous"))
    return "".join(ch for ch in folded if ch.isalnum())


def _sniff_delimiter(header_line: str) -> str:
    """Pick the separator the header uses most: registration tools export ',' or ';' (or tab)."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError([f"line {line}: not UTF-8 text; save the file as CSV UTF-8"]) from None
    if "\x00" in text:
        raise RosterError(["line 1: this is not a text file"])
    if not text.strip():
        raise RosterError(["line 1: the file is empty; it needs a header row"])
    return text


def parse_roster(data: bytes) -> Roster:
    """Check a whole attendee CSV file; raise RosterError listing every bad line."""
    text = _decode(data)
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RosterError([f"line 1: {exc}"]) from None
    columns, warnings, errors = _map_columns(header)
    if errors:
        raise RosterError(errors)
    keyed_by = "ref" if {"ref", "order"} & set(columns) else "email"
    records: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {line}: {exc}")
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            errors.append(
                f"line {start}: {len(record)} fields but the header has {len(header)}"
                " (a separator inside a value needs quotes)"
            )
            continue
        records.append((start, _cells(record, columns)))
    rows, skipped = _read_rows(records, keyed_by, errors, warnings)
    if errors:
        raise RosterError(errors)
    if not rows and not skipped:
        raise RosterError(["line 2: the file has a header but no attendees"])
    given = {"name", "ref"} if keyed_by == "ref" else {"name", "email"}
    given |= {"email"} if {"email", "attendee_email"} & set(columns) else set()
    given |= {key for key in ("organisation", "language") if key in columns}
    return Roster(
        rows=rows,
        skipped=skipped,
        warnings=warnings,
        keyed_by=keyed_by,
        sha256=hashlib.sha256(data).hexdigest(),
        fields=frozenset(given),
    )


def _map_columns(header: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    columns: dict[str, int] = {}
    unused: list[str] = []
    repeated: list[str] = []
    for index, title in enumerate(header):
        key = _HEADER_LOOKUP.get(_normalise_header(title))
        if key is None:
            if title.strip():
                unused.append(title.strip())
        elif key in columns:
            repeated.append(title.strip())
        else:
            columns[key] = index
    warnings = []
    if len(unused) == 1:
        warnings.append(f"line 1: ignoring unknown column {unused[0]!r}")
    elif unused:
        listed = ", ".join(repr(title) for title in unused)
        warnings.append(f"line 1: ignoring {len(unused)} unknown columns: {listed}")
    if repeated:
        warnings.append(
            f"line 1: the first of each repeated column is used; ignored: "
            f"{', '.join(repr(t) for t in repeated)}"
        )
    errors = []
    if not {"email", "attendee_email", "ref", "order"} & set(columns):
        errors.append("line 1: no email column (expected a header such as 'email' or 'E-mail')")
    if "name" not in columns and not {"first_name", "last_name"} & set(columns):
        errors.append("line 1: no name column (expected 'name', or 'first name' and 'last name')")
    return columns, warnings, errors


def _cells(record: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {
        key: " ".join(record[index].split()) if index < len(record) else ""
        for key, index in columns.items()
    }


def _read_rows(
    records: list[tuple[int, dict[str, str]]],
    keyed_by: str,
    errors: list[str],
    warnings: list[str],
) -> tuple[list[AttendeeRow], list[SkippedRow]]:
    """Rows in, attendees and skipped registrations out; problems appended to *errors*."""
    statuses = {line: registration_status(cells.get("status", "")) for line, cells in records}
    names = {line: _name(cells) for line, cells in records}
    # A buyer's email stands for the attendee only in an order of one live ticket: a buyer
    # of several tickets must not receive everyone's ballot.
    orders = Counter(
        cells["order"]
        for line, cells in records
        if cells.get("order") and statuses[line] != "cancelled" and names[line]
    )
    rows: list[AttendeeRow] = []
    skipped: list[SkippedRow] = []
    first_line_of: dict[str, int] = {}
    pending: list[int] = []
    without_email = 0
    for line, cells in records:
        name, ref = names[line], _reference(cells)
        own = cells.get("attendee_email", "")
        buyer = cells.get("email", "")
        order = cells.get("order", "")
        raw_email = own or (buyer if not order or orders[order] == 1 else "")
        if statuses[line] == "cancelled":
            skipped.append(SkippedRow(line, cells.get("status", ""), name, raw_email.lower(), ref))
            continue
        if not name and not own and order and orders[order]:
            # A position of an order whose ticket holder has a row of their own: an add-on.
            skipped.append(SkippedRow(line, "no attendee (an add-on?)", "", "", ref))
            continue
        problems: list[str] = []
        email = ""
        if raw_email:
            try:
                email = check_email(raw_email)
            except ValueError as exc:
                problems.append(f"invalid email {raw_email!r}: {exc}")
        elif keyed_by == "email":
            problems.append("missing email")
        if not name:
            problems.append("missing name")
        if keyed_by == "ref" and not ref:
            problems.append("missing registration reference")
        key = ref if keyed_by == "ref" else email
        if key and key in first_line_of:
            what = "reference" if keyed_by == "ref" else "email"
            hint = (
                " (a group order? export the order positions, with 'Position ID')"
                if "order" in cells and "position" not in cells and "ref" not in cells
                else ""
            )
            problems.append(f"duplicate {what} {key} (also on line {first_line_of[key]}){hint}")
        for label, value in (("name", name), ("organisation", cells.get("organisation", ""))):
            if len(value) > _MAX_FIELD:
                problems.append(f"{label} is longer than {_MAX_FIELD} characters")
        if len(ref) > _MAX_FIELD:
            problems.append(f"reference is longer than {_MAX_FIELD} characters")
        errors.extend(f"line {line}: {problem}" for problem in problems)
        if problems:
            continue
        first_line_of[key] = line
        language = cells.get("language", "").lower()
        is_pending = statuses[line] == "pending"
        if is_pending:
            pending.append(line)
        if not email:
            without_email += 1
        rows.append(
            AttendeeRow(
                line=line,
                name=name,
                email=email,
                organisation=cells.get("organisation", ""),
                ref=ref,
                language=language[:2] if _LANGUAGE.match(language) else "",
                pending=is_pending,
            )
        )
    if pending:
        listed = ", ".join(str(line) for line in pending[:10]) + (
            ", ..." if len(pending) > 10 else ""
        )
        warnings.append(
            f"{len(pending)} registration(s) not yet paid or approved, imported anyway "
            f"(lines {listed})"
        )
    if without_email:
        warnings.append(
            f"{without_email} attendee(s) have no email of their own: give them their card "
            "at the desk or print it on their badge"
        )
    return rows, skipped


def _name(cells: dict[str, str]) -> str:
    parts = (cells.get("title"), cells.get("first_name"), cells.get("last_name"))
    return cells.get("name") or " ".join(part for part in parts if part)


def _reference(cells: dict[str, str]) -> str:
    """The registration's reference: ref, or the order code and the position in it."""
    if cells.get("ref"):
        return cells["ref"]
    order, position = cells.get("order", ""), cells.get("position", "")
    return f"{order}-{position}" if order and position else order
