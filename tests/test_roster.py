"""Attendee CSV files from registration systems: dialects, headers and line-numbered errors."""

from __future__ import annotations

import pytest

from voting.domain.roster import RosterError, parse_roster


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(data)
    return caught.value.errors


def test_plain_comma_file():
    roster = parse_roster(b"name,email,organisation\nAnn,ann@example.org,Acme\n")
    assert [(r.name, r.email, r.organisation) for r in roster.rows] == [
        ("Ann", "ann@example.org", "Acme")
    ]
    assert len(roster.sha256) == 64


def test_semicolon_bom_and_export_headers():
    data = (
        "\ufeffFirst Name;Last Name;E-mail;Company;Order code;Badge colour\r\n"
        "Zoë;Müller;Zoe.Muller@Example.ORG;Clustër GmbH;ABC-1;red\r\n"
        'Jean;Dupont;jean@example.org;"Lyon; Cluster";ABC-2;blue\r\n'
    ).encode()
    roster = parse_roster(data)
    first, second = roster.rows
    assert first.name == "Zoë Müller"
    assert first.email == "zoe.muller@example.org"
    assert first.organisation == "Clustër GmbH" and first.ref == "ABC-1"
    assert second.organisation == "Lyon; Cluster"
    assert roster.warnings == ["line 1: ignoring unknown column 'Badge colour'"]


def test_affiliation_and_tab_separated():
    roster = parse_roster(b"Name\tEmail Address\tAffiliation\nAnn\tann@example.org\tUni\n")
    assert roster.rows[0].organisation == "Uni"


def test_bad_rows_are_reported_by_line():
    data = (
        b"name,email\n"
        b"Ann,ann@example.org\n"
        b",nobody@example.org\n"
        b"Bob,not-an-email\n"
        b"\n"
        b"Cid,ANN@example.org\n"
        b"Dan,\n"
    )
    errors = errors_of(data)
    assert errors[0] == "line 3: missing name"
    assert errors[1].startswith("line 4: invalid email 'not-an-email'")
    assert errors[2] == "line 6: duplicate email ann@example.org (also on line 2)"
    assert errors[3] == "line 7: missing email"
    assert len(errors) == 4


def test_line_numbers_count_quoted_line_breaks():
    data = b'name,email,organisation\n"Ann",ann@example.org,"Two\nlines"\nBob,bad\n'
    assert errors_of(data)[0].startswith("line 4: invalid email")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1: the file is empty"),
        (b"name,organisation\nAnn,Acme\n", "line 1: no email column"),
        (b"email\nann@example.org\n", "line 1: no name column"),
        (b"name,email\n", "line 2: the file has a header but no attendees"),
        (b"name,email\nAnn,ann@example.org\n\xe9t\xe9,x@example.org\n", "line 3: not UTF-8"),
        (b"name,email\nAnn,ann@example.org,extra\n", "line 2: 3 fields"),
        (b"\x00\x01\x02", "not a text file"),
    ],
)
def test_unusable_files(data, expected):
    assert any(expected in error for error in errors_of(data)), errors_of(data)


# --- exports as registration systems write them -----------------------------------------------


def by_ref(roster):
    return {row.ref: row for row in roster.rows}


def test_a_pretix_export_of_order_positions():
    from tests.exports import pretix_export

    roster = parse_roster(pretix_export())
    assert roster.keyed_by == "ref"
    rows = by_ref(roster)
    assert set(rows) == {"GRP7X-1", "GRP7X-2", "GRP7X-3", "SOLO1-1", "ASST1-1", "ASST2-1",
                         "PEND1-1"}  # fmt: skip
    # The attendee's own email, never the buyer's for a group: the third gets a card.
    assert rows["GRP7X-1"].email == "zoe.muller@cluster.example"
    assert rows["GRP7X-3"].email == "" and rows["GRP7X-3"].name == "Дмитрий Иванов"
    # A single ticket without an attendee email: the buyer is the attendee.
    assert rows["SOLO1-1"].email == "jean.dupont@lyon.example"
    # Two people may share an address.
    assert rows["ASST1-1"].email == rows["ASST2-1"].email == "assistant@hub.example"
    # The first "Company" is the attendee's, the second the invoice's; the locale's language.
    assert rows["GRP7X-1"].organisation == "Clustër Nord e.V." and rows["GRP7X-1"].language == "de"
    assert rows["SOLO1-1"].language == "fr"
    assert rows["PEND1-1"].pending and not rows["SOLO1-1"].pending
    skipped = {row.ref: row.status for row in roster.skipped}
    assert skipped == {"CNCL1-1": "canceled", "EXPR1-1": "expired",
                       "GRP7X-4": "no attendee (an add-on?)"}  # fmt: skip
    text = " ".join(roster.warnings)
    assert "1 registration(s) not yet paid" in text and "1 attendee(s) have no email" in text
    assert "repeated column" in text


def test_an_indico_export_of_registrations():
    from tests.exports import indico_export

    roster = parse_roster(indico_export())
    rows = by_ref(roster)
    assert set(rows) == {"1", "2", "5"}
    assert rows["1"].name == "Élodie Lefèvre" and rows["1"].organisation == "Wallonia Cluster"
    assert rows["2"].name == "Ηλίας Παπαδόπουλος" and rows["5"].pending
    assert {row.status for row in roster.skipped} == {"Withdrawn", "Rejected"}


@pytest.mark.parametrize(
    ("status", "meaning"),
    [
        ("c", "cancelled"), ("e", "cancelled"), ("r", "cancelled"), ("n", "pending"),
        ("p", "active"), ("Canceled", "cancelled"), ("cancelled", "cancelled"),
        ("refunded", "cancelled"), ("storniert", "cancelled"), ("annulée", "cancelled"),
        ("Withdrawn", "cancelled"), ("Rejected", "cancelled"), ("pending", "pending"),
        ("Awaiting payment", "pending"), ("ausstehend", "pending"), ("en attente", "pending"),
        ("paid", "active"), ("Completed", "active"), ("", "active"),
    ],
)  # fmt: skip
def test_statuses_in_every_systems_words(status, meaning):
    from voting.domain.roster import registration_status

    assert registration_status(status) == meaning


def test_accented_and_international_addresses_are_kept():
    roster = parse_roster("name,email\nZoë,zoë.müller@example.org\nBo,bo@bücher.example\n".encode())
    assert [row.email for row in roster.rows] == ["zoë.müller@example.org", "bo@bücher.example"]


def test_references_must_be_unique_and_present():
    data = b"name,email,ref\nAnn,a@example.org,R1\nBob,b@example.org,R1\nCid,c@example.org,\n"
    errors = errors_of(data)
    assert errors == [
        "line 3: duplicate reference R1 (also on line 2)",
        "line 4: missing registration reference",
    ]


def test_an_order_code_alone_repeats_in_a_group_order():
    data = b"Order code;Attendee name;Attendee email\nA1;Ann;a@x.org\nA1;Bob;b@x.org\n"
    assert "export the order positions" in errors_of(data)[0]
