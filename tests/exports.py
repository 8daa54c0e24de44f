"""Registration exports in the shapes pretix and Indico write them, for the import tests.

pretix: the "Order data" exporter's "Order positions" sheet as CSV (its header row, column
for column, with the name scheme "given and family name", one question, and the invoice
address columns after it, so "Company" appears twice). Indico: the registrants' CSV export
(ID, Name, the form's personal data fields, then the registration's state).
"""

from __future__ import annotations

import csv
import io

PRETIX_HEADER = [
    "Event slug", "Order code", "Position ID", "Status", "Email", "Phone number", "Order date",
    "Order time", "Product", "Variation", "Price", "Tax rate", "Tax rule", "Tax value",
    "Attendee name", "Attendee name: Given name", "Attendee name: Family name",
    "Attendee email", "Company", "Address", "ZIP code", "City", "Country", "State", "Voucher",
    "Pseudonymization ID", "Seat ID", "Seat name", "Seat zone", "Seat row", "Seat number",
    "Order comment", "Follow-up date", "Dietary requirements", "Company",
    "Invoice address name", "Invoice address name: Given name",
    "Invoice address name: Family name", "Address", "ZIP code", "City", "Country", "State",
    "VAT ID", "Sales channel", "Order locale", "E-mail address verified", "Payment providers",
]  # fmt: skip


def pretix_row(
    code: str,
    position: int,
    status: str,
    buyer: str,
    given: str,
    family: str,
    attendee_email: str = "",
    company: str = "",
    locale: str = "en",
    product: str = "Conference ticket",
    invoice_company: str = "Invoicing Dept. Ltd",
) -> list[str]:
    name = f"{given} {family}".strip()
    values = {
        "Event slug": "ecc2016",
        "Order code": code,
        "Position ID": str(position),
        "Status": status,
        "Email": buyer,
        "Order date": "2016-10-01",
        "Order time": "10:00:00",
        "Product": product,
        "Price": "450.00",
        "Tax rate": "21.00",
        "Attendee name": name,
        "Attendee name: Given name": given,
        "Attendee name: Family name": family,
        "Attendee email": attendee_email,
        "Order locale": locale,
        "Sales channel": "web",
        "E-mail address verified": "No",
        "Payment providers": "Bank transfer",
    }
    row = [values.get(title, "") for title in PRETIX_HEADER]
    companies = [i for i, title in enumerate(PRETIX_HEADER) if title == "Company"]
    row[companies[0]], row[companies[1]] = company, invoice_company
    return row


def pretix_export(extra: list[list[str]] | None = None) -> bytes:
    """A group order with a shared buyer, single orders, a cancelled and an expired order,
    a pending one, an add-on position without an attendee, accents and non-Latin names."""
    rows = [
        # A buyer orders three tickets for colleagues: two give their own address.
        pretix_row("GRP7X", 1, "paid", "office@cluster.example", "Zoë", "Müller",
                   "zoe.muller@cluster.example", "Clustër Nord e.V.", "de-informal"),
        pretix_row("GRP7X", 2, "paid", "office@cluster.example", "Björn", "Ström",
                   "bjorn@cluster.example", "Clustër Nord e.V.", "de-informal"),
        pretix_row("GRP7X", 3, "paid", "office@cluster.example", "Дмитрий", "Иванов",
                   "", "Clustër Nord e.V.", "de-informal"),
        pretix_row("GRP7X", 4, "paid", "office@cluster.example", "", "", "",
                   product="Gala dinner"),
        # One ticket, no attendee email asked: the buyer is the attendee.
        pretix_row("SOLO1", 1, "paid", "jean.dupont@lyon.example", "Jean", "Dupont", "",
                   "Lyon Cluster", "fr"),
        # Two single orders bought by the same assistant for two people.
        pretix_row("ASST1", 1, "paid", "assistant@hub.example", "Lars", "Andersson",
                   "assistant@hub.example", "Nordic Hub"),
        pretix_row("ASST2", 1, "paid", "assistant@hub.example", "Anna", "Lars",
                   "assistant@hub.example", "Nordic Hub"),
        pretix_row("CNCL1", 1, "canceled", "gone@example.org", "Carl", "Cancelled",
                   "gone@example.org"),
        pretix_row("EXPR1", 1, "expired", "late@example.org", "Eve", "Expired",
                   "late@example.org"),
        pretix_row("PEND1", 1, "pending", "soon@example.org", "Pia", "Pending",
                   "soon@example.org", locale="de"),
    ]  # fmt: skip
    return _csv([PRETIX_HEADER, *rows, *(extra or [])], delimiter=",")


INDICO_HEADER = [
    "ID", "Name", "First Name", "Last Name", "Email Address", "Affiliation", "Position",
    "Phone", "Country", "Registration date", "Registration state", "Price", "Checked in",
]  # fmt: skip


def indico_export() -> bytes:
    def row(number: int, first: str, last: str, email: str, affiliation: str, state: str):
        return [
            str(number), f"{first} {last}", first, last, email, affiliation, "Cluster manager",
            "", "Belgium", "2016-10-02 09:00:00", state, "0", "No",
        ]  # fmt: skip

    rows = [
        row(1, "Élodie", "Lefèvre", "elodie@wallonia.example", "Wallonia Cluster", "Completed"),
        row(2, "Ηλίας", "Παπαδόπουλος", "ilias@athens.example", "Athens Cluster", "Completed"),
        row(3, "Piet", "de Vries", "piet@nl.example", "Dutch Cluster", "Withdrawn"),
        row(4, "Rita", "Rejected", "rita@example.org", "", "Rejected"),
        row(5, "Una", "Unpaid", "una@example.org", "Somewhere", "Awaiting payment"),
    ]
    return _csv([INDICO_HEADER, *rows], delimiter=",")


def _csv(rows: list[list[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")
