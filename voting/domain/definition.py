"""Election definitions: read a TOML file into a checked, immutable description.

Every problem is reported with the key it concerns (arrays counted from 1, as a person
counts), all at once, so an organiser fixes a file in one pass.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry

from voting.domain.tokens import SLUG_PATTERN

TIE_RULES = {
    "jury": "the jury decides between the finalists tied for first place",
    "shared": "the finalists tied for first place share the award",
}
METHODS = ("plurality",)
# When the tally sealed at close is opened on the public board: when the reveal on stage
# ends, or at once at close (an election with no stage).
REVEAL_MODES = ("stage", "at-close")
# ISO 3166-1 from pycountry, and Kosovo's XK, the user-assigned code the EU and others use.
EXTRA_COUNTRIES = {"XK"}
_LANGUAGE = re.compile(r"^[a-z]{2}$")
# Texts that may carry per-language variants, as title_de = "..." or a translations table.
ELECTION_TEXTS = ("title", "place")
CATEGORY_TEXTS = ("title", "description")
NOMINEE_TEXTS = ("name", "organisation", "description")
_MAX_TEXT = {
    "title": 200,
    "place": 200,
    "name": 200,
    "organisation": 200,
    "description": 2000,
    "contact": 300,
    "intro": 2000,
}


class DefinitionError(Exception):
    """The election file is not a valid definition; ``errors`` lists each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class NomineeDefinition:
    slug: str
    name: str
    organisation: str = ""
    country: str = ""
    description: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryDefinition:
    slug: str
    title: str
    method: str
    nominees: tuple[NomineeDefinition, ...]
    description: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class MailTexts:
    """What the organiser adds to the emails: a contact, and an introduction per language
    ("" for the default). Not part of the published definition: it may change while voting
    is open."""

    contact: str = ""
    intro: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"contact": self.contact, "intro": dict(self.intro)}


def is_country(code: str) -> bool:
    """A two-letter ISO 3166-1 code (or XK)."""
    return len(code) == 2 and (
        code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None
    )


@dataclass(frozen=True)
class ElectionDefinition:
    slug: str
    title: str
    timezone: str
    tie_rule: str
    categories: tuple[CategoryDefinition, ...]
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    mail: MailTexts | None = None  # None: the file has no [mail] table
    languages: tuple[str, ...] = ()  # the languages its texts come in; () for the app's
    place: str = ""  # where the event is held, for the certificate ("Brussels, Belgium")
    reveal: str = "stage"

    def to_board(self) -> dict:
        """The definition as published on the board: plain JSON values, UTC times."""

        def when(moment: datetime | None) -> str | None:
            return moment.isoformat().replace("+00:00", "Z") if moment else None

        def with_translations(table: dict, translations: dict) -> dict:
            return {**table, "translations": translations} if translations else table

        languages = {"languages": list(self.languages)} if self.languages else {}
        place = {"place": self.place} if self.place else {}  # boards before it stay the same
        reveal = {"reveal": self.reveal} if self.reveal != "stage" else {}
        return with_translations(
            {
                "slug": self.slug,
                "title": self.title,
                "timezone": self.timezone,
                "tie_rule": self.tie_rule,
                "opens_at": when(self.opens_at),
                "closes_at": when(self.closes_at),
                **place,
                **reveal,
                **languages,
                "categories": [
                    with_translations(
                        {
                            "slug": c.slug,
                            "title": c.title,
                            "method": c.method,
                            "description": c.description,
                            "nominees": [
                                with_translations(
                                    {
                                        "slug": n.slug,
                                        "name": n.name,
                                        "organisation": n.organisation,
                                        "country": n.country,
                                        "description": n.description,
                                    },
                                    n.translations,
                                )
                                for n in c.nominees
                            ],
                        },
                        c.translations,
                    )
                    for c in self.categories
                ],
            },
            self.translations,
        )


class _Reader:
    """Collects errors while picking typed values out of nested TOML tables."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, key: str, reason: str) -> None:
        self.errors.append(f"{key}: {reason}")

    def unknown_keys(
        self, table: dict, path: str, allowed: set[str], translatable: tuple[str, ...] = ()
    ) -> None:
        for key in sorted(set(table) - allowed):
            field, _, language = key.rpartition("_")
            if key == "translations" and translatable:
                continue
            if field in translatable and _LANGUAGE.match(language):
                continue
            self.fail(f"{path}.{key}" if path else key, "unknown key")

    def translations(
        self, table: dict, path: str, fields: tuple[str, ...]
    ) -> dict[str, dict[str, str]]:
        """Per-language texts: ``title_de = "..."`` keys, or a ``translations`` table."""
        found: dict[str, dict[str, str]] = {}
        nested = table.get("translations", {})
        if not isinstance(nested, dict):
            self.fail(f"{path}.translations", "must be a table of languages")
            nested = {}
        for language, texts in nested.items():
            if not _LANGUAGE.match(language) or not isinstance(texts, dict):
                self.fail(f"{path}.translations.{language}", "must be a two-letter language table")
                continue
            for key in texts:
                if key not in fields:
                    self.fail(f"{path}.translations.{language}.{key}", "unknown key")
            for key in fields:
                value = self.text(texts, f"{path}.translations.{language}", key, required=False)
                if value:
                    found.setdefault(language, {})[key] = value
        for key in table:
            name, _, language = key.rpartition("_")
            if name in fields and _LANGUAGE.match(language):
                value = self.text(table, path, key, required=False)
                if value:
                    found.setdefault(language, {})[name] = value
        return found

    def text(self, table: dict, path: str, key: str, *, required: bool = True) -> str:
        where = f"{path}.{key}"
        value = table.get(key)
        if value is None:
            if required:
                self.fail(where, "missing")
            return ""
        if not isinstance(value, str):
            self.fail(where, f"must be text, not {type(value).__name__}")
            return ""
        value = value.strip()
        if required and not value:
            self.fail(where, "must not be empty")
        limit = _MAX_TEXT.get(key.rsplit("_", 1)[0] if key not in _MAX_TEXT else key)
        if limit and len(value) > limit:
            self.fail(where, f"is longer than {limit} characters")
        return value

    def slug(self, table: dict, path: str, seen: set[str] | None = None) -> str:
        value = self.text(table, path, "slug")
        if value and not SLUG_PATTERN.match(value):
            self.fail(
                f"{path}.slug",
                f"{value!r} is not a slug (lower-case letters, digits and inner hyphens, "
                "at most 64 characters)",
            )
        elif value and seen is not None:
            if value in seen:
                self.fail(f"{path}.slug", f"{value!r} is used twice")
            seen.add(value)
        return value

    def moment(self, table: dict, key: str, zone: ZoneInfo | None) -> datetime | None:
        value = table.get(key)
        where = f"election.{key}"
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                self.fail(where, f"{value!r} is not a date and time like 2016-11-23T14:00:00")
                return None
        if isinstance(value, date | time) and not isinstance(value, datetime):
            self.fail(where, "needs a date and a time, like 2016-11-23T14:00:00")
            return None
        if not isinstance(value, datetime):
            self.fail(where, "must be a date and time")
            return None
        if value.tzinfo is None:
            if zone is None:
                return None
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)


def parse_definition(source: str | bytes) -> ElectionDefinition:
    """Parse and check an election TOML file; raise DefinitionError listing every problem."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DefinitionError([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([f"not valid TOML: {exc}"]) from None
    except RecursionError:
        too_deep = "not an election file: its tables and lists nest too deeply"
        raise DefinitionError([too_deep]) from None
    return read_definition(document)


def read_definition(document: dict, *, draft: bool = False) -> ElectionDefinition:
    """Check a definition given as nested tables (parsed TOML, or the organiser's editor).

    *draft* (the editor) accepts an election with no award yet: opening it needs one.
    """
    reader = _Reader()
    reader.unknown_keys(document, "", {"election", "categories", "mail"})
    election = document.get("election")
    if not isinstance(election, dict):
        reader.fail("election", "missing: the file needs an [election] table")
        election = {}
    reader.unknown_keys(
        election,
        "election",
        {
            "slug",
            "title",
            "place",
            "timezone",
            "tie_rule",
            "reveal",
            "opens_at",
            "closes_at",
            "languages",
        },
        ELECTION_TEXTS,
    )
    slug = reader.slug(election, "election")
    title = reader.text(election, "election", "title")
    place = reader.text(election, "election", "place", required=False)
    timezone = reader.text(election, "election", "timezone", required=False) or "UTC"
    zone: ZoneInfo | None = None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail("election.timezone", f"{timezone!r} is not a known time zone")
    tie_rule = reader.text(election, "election", "tie_rule", required=False) or "jury"
    if tie_rule not in TIE_RULES:
        reader.fail("election.tie_rule", f"must be one of {', '.join(sorted(TIE_RULES))}")
    reveal = reader.text(election, "election", "reveal", required=False) or "stage"
    if reveal not in REVEAL_MODES:
        reader.fail("election.reveal", f"must be one of {', '.join(REVEAL_MODES)}")
    opens_at = reader.moment(election, "opens_at", zone)
    closes_at = reader.moment(election, "closes_at", zone)
    if opens_at and closes_at and closes_at <= opens_at:
        reader.fail("election.closes_at", "must be later than opens_at")

    languages = _read_languages(reader, election.get("languages"))
    raw_categories = document.get("categories")
    if draft and raw_categories in (None, []):
        categories: tuple[CategoryDefinition, ...] = ()
    else:
        categories = _read_categories(reader, raw_categories)
    mail = _read_mail(reader, document.get("mail"))
    if reader.errors:
        raise DefinitionError(reader.errors)
    return ElectionDefinition(
        slug=slug,
        title=title,
        timezone=timezone,
        tie_rule=tie_rule,
        categories=categories,
        opens_at=opens_at,
        closes_at=closes_at,
        translations=reader.translations(election, "election", ELECTION_TEXTS),
        mail=mail,
        languages=languages,
        place=place,
        reveal=reveal,
    )


def _read_languages(reader: _Reader, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(code, str) and _LANGUAGE.match(code) for code in raw
    ):
        reader.fail("election.languages", 'must be a list of two-letter codes, like ["en", "fr"]')
        return ()
    return tuple(dict.fromkeys(raw))


def _read_mail(reader: _Reader, raw: object) -> MailTexts | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        reader.fail("mail", "must be a table")
        return None
    reader.unknown_keys(raw, "mail", {"contact", "intro"}, ("intro",))
    intro = {"": reader.text(raw, "mail", "intro", required=False)}
    for language, texts in reader.translations(raw, "mail", ("intro",)).items():
        intro[language] = texts["intro"]
    return MailTexts(
        contact=reader.text(raw, "mail", "contact", required=False),
        intro={language: text for language, text in intro.items() if text},
    )


def _read_categories(reader: _Reader, raw: object) -> tuple[CategoryDefinition, ...]:
    if not isinstance(raw, list) or not raw:
        reader.fail("categories", "missing: define at least one [[categories]] table")
        return ()
    seen: set[str] = set()
    categories = []
    for number, table in enumerate(raw, start=1):
        path = f"categories[{number}]"
        if not isinstance(table, dict):
            reader.fail(path, "must be a table")
            continue
        reader.unknown_keys(
            table, path, {"slug", "title", "method", "description", "nominees"}, CATEGORY_TEXTS
        )
        method = reader.text(table, path, "method", required=False) or "plurality"
        if method not in METHODS:
            reader.fail(f"{path}.method", f"must be one of {', '.join(METHODS)}")
        categories.append(
            CategoryDefinition(
                slug=reader.slug(table, path, seen),
                title=reader.text(table, path, "title"),
                method=method,
                description=reader.text(table, path, "description", required=False),
                nominees=_read_nominees(reader, path, table.get("nominees")),
                translations=reader.translations(table, path, CATEGORY_TEXTS),
            )
        )
    return tuple(categories)


def _read_nominees(reader: _Reader, path: str, raw: object) -> tuple[NomineeDefinition, ...]:
    # A draft award may still have no finalists; opening the vote requires them.
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.fail(f"{path}.nominees", "must be a list of [[categories.nominees]] tables")
        return ()
    seen: set[str] = set()
    nominees = []
    for number, table in enumerate(raw, start=1):
        where = f"{path}.nominees[{number}]"
        if not isinstance(table, dict):
            reader.fail(where, "must be a table")
            continue
        reader.unknown_keys(
            table, where, {"slug", "name", "organisation", "country", "description"}, NOMINEE_TEXTS
        )
        slug = reader.slug(table, where, seen)
        if slug == "abstain":
            reader.fail(f"{where}.slug", "'abstain' is reserved for the abstain choice")
        country = reader.text(table, where, "country", required=False).upper()
        if country and not is_country(country):
            reader.fail(
                f"{where}.country", f"{country!r} is not a two-letter country code (ISO 3166)"
            )
        nominees.append(
            NomineeDefinition(
                slug=slug,
                name=reader.text(table, where, "name"),
                organisation=reader.text(table, where, "organisation", required=False),
                country=country,
                description=reader.text(table, where, "description", required=False),
                translations=reader.translations(table, where, NOMINEE_TEXTS),
            )
        )
    return tuple(nominees)
