"""Attendee lists: read a registration system's CSV export into checked rows.

The whole file is checked before anything is stored, and each bad row is reported as
``line N: reason`` with N the line in the file, so the organiser can fix it in a spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

# Header spellings seen in registration exports, compared after lower-casing and removing
# everything but letters and digits ("E-mail Address" -> "emailaddress").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "attendee", "attendeename", "participant", "participantname"),
    "first_name": ("firstname", "givenname", "forename", "vorname", "prenom"),
    "last_name": ("lastname", "surname", "familyname", "nachname", "nom", "nomdefamille"),
    "email": ("email", "emailaddress", "mail", "emailadresse", "courriel", "adresseemail"),
    "organisation": (
        "organisation",
        "organization",
        "company",
        "affiliation",
        "institution",
        "employer",
        "firma",
        "unternehmen",
        "organisme",
        "societe",
        "entreprise",
    ),
    "ref": (
        "ref",
        "reference",
        "ordercode",
        "order",
        "ordernumber",
        "ticket",
        "ticketid",
        "ticketnumber",
        "registrationid",
        "bookingreference",
        "attendeeid",
        "id",
    ),
    "language": ("language", "lang", "locale", "sprache", "langue", "preferredlanguage"),
}
_HEADER_LOOKUP = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_MAX_FIELD = 200
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class RosterError(Exception):
    """The file cannot be imported; ``errors`` holds one ``line N: reason`` per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class AttendeeRow:
    line: int
    name: str
    email: str
    organisation: str = ""
    ref: str = ""
    language: str = ""


@dataclass
class Roster:
    rows: list[AttendeeRow]
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""


def _normalise_header(text: str) -> str:
    folded = text.strip().lower()
    folded = folded.translate(str.maketrans("éèêàçäöüß", "eeeacaous"))
    return "".join(ch for ch in folded if ch.isalnum())


def _sniff_delimiter(header_line: str) -> str:
    """Pick the separator the header uses most: registration tools export ',' or ';' (or tab)."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def parse_roster(data: bytes) -> Roster:
    """Check a whole attendee CSV file; raise RosterError listing every bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError([f"line {line}: not UTF-8 text; save the file as CSV UTF-8"]) from None
    if "\x00" in text:
        raise RosterError(["line 1: this is not a text file"])
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterError(["line 1: the file is empty; it needs a header row"])

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(lines[0]))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RosterError([f"line 1: {exc}"]) from None
    columns, warnings, errors = _map_columns(header)
    if errors:
        raise RosterError(errors)

    rows: list[AttendeeRow] = []
    first_line_of: dict[str, int] = {}
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
        row, problems = _read_row(start, record, columns)
        if row and row.email in first_line_of:
            problems.append(
                f"duplicate email {row.email} (also on line {first_line_of[row.email]})"
            )
        errors.extend(f"line {start}: {problem}" for problem in problems)
        if row and not problems:
            first_line_of[row.email] = start
            rows.append(row)
    if errors:
        raise RosterError(errors)
    if not rows:
        raise RosterError(["line 2: the file has a header but no attendees"])
    return Roster(rows=rows, warnings=warnings, sha256=hashlib.sha256(data).hexdigest())


def _map_columns(header: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    columns: dict[str, int] = {}
    warnings: list[str] = []
    errors: list[str] = []
    for index, title in enumerate(header):
        key = _HEADER_LOOKUP.get(_normalise_header(title))
        if key is None:
            if title.strip():
                warnings.append(f"line 1: ignoring unknown column {title.strip()!r}")
        elif key in columns:
            errors.append(f"line 1: column {title.strip()!r} repeats the {key} column")
        else:
            columns[key] = index
    if "email" not in columns:
        errors.append("line 1: no email column (expected a header such as 'email' or 'E-mail')")
    if "name" not in columns and not {"first_name", "last_name"} & set(columns):
        errors.append("line 1: no name column (expected 'name', or 'first name' and 'last name')")
    return columns, warnings, errors


def _read_row(
    line: int, record: list[str], columns: dict[str, int]
) -> tuple[AttendeeRow | None, list[str]]:
    def cell(key: str) -> str:
        index = columns.get(key)
        if index is None or index >= len(record):
            return ""
        return " ".join(record[index].split())

    problems: list[str] = []
    name = cell("name") or " ".join(p for p in (cell("first_name"), cell("last_name")) if p)
    if not name:
        problems.append("missing name")
    raw_email = cell("email")
    email = ""
    if not raw_email:
        problems.append("missing email")
    else:
        try:
            email = validate_email(raw_email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            problems.append(f"invalid email {raw_email!r}: {exc}")
    language = cell("language").lower()[:2]
    if language and not _LANGUAGE.match(language):
        language = ""
    values = {"name": name, "organisation": cell("organisation"), "ref": cell("ref")}
    for key, value in values.items():
        if len(value) > _MAX_FIELD:
            problems.append(f"{key} is longer than {_MAX_FIELD} characters")
    if problems:
        return None, problems
    return AttendeeRow(line=line, email=email, language=language, **values), []
