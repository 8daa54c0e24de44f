"""Election files: the shipped example loads; every mistake names its key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import EXAMPLE_TOML, definition_toml
from voting.domain.definition import DefinitionError, parse_definition


def errors_of(source: str | bytes) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(source)
    return caught.value.errors


def test_example_has_two_awards_with_fictional_finalists():
    definition = parse_definition(EXAMPLE_TOML.read_bytes())
    assert definition.slug == "ecc2016"
    assert [c.slug for c in definition.categories] == ["cluster-manager", "strategic-partnership"]
    assert "Cluster Manager of the Year" in definition.categories[0].title
    assert "Strategic Cluster Partnership of the Year" in definition.categories[1].title
    for category in definition.categories:
        assert 3 <= len(category.nominees) <= 4
        for nominee in category.nominees:
            assert (
                "Fictional" in nominee.organisation
                or "Imaginary" in nominee.organisation
                or ("Sample" in nominee.organisation or "Example" in nominee.organisation)
            )


def test_schedule_is_read_in_the_election_time_zone():
    definition = parse_definition(
        definition_toml(opens_at="2016-11-23T14:00:00", closes_at="2016-11-24T12:00:00")
    )
    assert definition.opens_at == datetime(2016, 11, 23, 13, 0, tzinfo=UTC)
    assert definition.to_board()["closes_at"] == "2016-11-24T11:00:00Z"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[election\n", "not valid TOML"),
        ("", "election: missing"),
        ('[election]\nslug = "x"\ntitle = "T"\n', "categories: missing"),
        (
            definition_toml().replace('slug = "test-awards"', 'slug = "Test Awards"'),
            "election.slug",
        ),
        (definition_toml().replace('tie_rule = "jury"', 'tie_rule = "coin"'), "election.tie_rule"),
        (definition_toml().replace("Europe/Brussels", "Mars/Olympus"), "election.timezone"),
        (
            definition_toml().replace('slug = "ben"', 'slug = "ann"'),
            "categories[1].nominees[2].slug",
        ),
        (
            definition_toml().replace('name = "Finalist CLEO"', "name = 3"),
            "categories[1].nominees[3].name",
        ),
        (
            definition_toml().replace('name = "Finalist P1"\n', ""),
            "categories[2].nominees[1].name: missing",
        ),
        (definition_toml() + 'colour = "red"\n', "categories[2].nominees[2].colour: unknown key"),
        (
            definition_toml().replace("[election]", '[election]\nmethod = "x"'),
            "election.method: unknown key",
        ),
        (
            definition_toml(opens_at="2016-11-24T12:00:00", closes_at="2016-11-23T12:00:00"),
            "election.closes_at: must be later",
        ),
        (definition_toml(opens_at='"tomorrow"'), "election.opens_at"),
        (definition_toml(opens_at="2016-11-24"), "election.opens_at: needs a date and a time"),
        (definition_toml(categories={"best": ["abstain"]}), "'abstain' is reserved"),
        (b"\xff\xfe[election]", "not UTF-8"),
    ],
)
def test_errors_name_the_key(source, expected):
    errors = errors_of(source)
    assert any(expected in error for error in errors), errors


def test_all_problems_are_reported_at_once():
    source = (
        definition_toml()
        .replace('tie_rule = "jury"', 'tie_rule = "coin"')
        .replace('slug = "ben"', 'slug = "Ben!"')
    )
    assert len(errors_of(source)) == 2
