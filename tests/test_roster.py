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
        (b"name,email,email\n", "repeats the email column"),
        (b"name,email\nAnn,ann@example.org,extra\n", "line 2: 3 fields"),
        (b"\x00\x01\x02", "not a text file"),
    ],
)
def test_unusable_files(data, expected):
    assert any(expected in error for error in errors_of(data)), errors_of(data)
