"""Election definitions: read a TOML file into a checked, immutable description.

Every problem is reported with the key it concerns (arrays counted from 1, as a person
counts), all at once, so an organiser fixes a file in one pass.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry

from voting import verify
from voting.domain.registration import Registration, read_registration
from voting.domain.table_reader import TableReader
from voting.domain.trust import WitnessDefinition, read_witnesses

TIE_RULES = {
    "jury": "the jury decides between the finalists tied for first place",
    "shared": "the finalists tied for first place share the award",
}
METHODS = verify.METHODS  # plurality, approval, points, irv: counted in voting/verify.py
# When the tally sealed at close is opened on the public board: when the reveal on stage
# ends, or at once at close (an election with no stage).
REVEAL_MODES = ("stage", "at-close")
# ISO 3166-1 from pycountry, and Kosovo's XK, the user-assigned code the EU and others use.
EXTRA_COUNTRIES = {"XK"}
# Texts that may carry per-language variants, as title_de = "..." or a translations table.
ELECTION_TEXTS = ("title", "place")
CATEGORY_TEXTS = ("title", "description")
NOMINEE_TEXTS = ("name", "organisation", "description")


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
    max_choices: int | None = None  # approval: at most this many ticks (None: all)
    points: tuple[int, ...] = ()  # points: per place, best first (empty: n-1, ..., 0)
    no_award: bool = False  # irv: "No award" is a candidate
    jury_weight: float | None = None  # the jury's share of the result (None: no jury share)
    jury_combine: str = "rank-points"  # how the jury's and the audience's results combine

    def method_settings(self) -> dict:
        """The counting method's published settings, as the board and verify.py name them."""
        settings: dict = {}
        if self.max_choices:
            settings["max_choices"] = self.max_choices
        if self.points:
            settings["points"] = list(self.points)
        if self.no_award:
            settings["no_award"] = True
        if self.jury_weight is not None:
            settings["jury"] = {"weight": self.jury_weight, "combine": self.jury_combine}
        return settings


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
    witnesses: tuple[WitnessDefinition, ...] = ()
    witness_quorum: int = 0
    trustee: bool = False  # choices encrypted to the jury's key, opened by K of its shares
    registration: Registration = field(default_factory=Registration)  # "open": by email

    def to_board(self) -> dict:
        """The definition as published on the board: plain JSON values, UTC times."""

        def when(moment: datetime | None) -> str | None:
            return moment.isoformat().replace("+00:00", "Z") if moment else None

        def with_translations(table: dict, translations: dict) -> dict:
            return {**table, "translations": translations} if translations else table

        languages = {"languages": list(self.languages)} if self.languages else {}
        place = {"place": self.place} if self.place else {}  # boards before it stay the same
        reveal = {"reveal": self.reveal} if self.reveal != "stage" else {}
        trustee = {"trustee": True} if self.trustee else {}
        registration = (
            {"registration": self.registration.to_board()} if self.registration.is_open else {}
        )
        witnesses = (
            {
                "witnesses": [w.to_board() for w in self.witnesses],
                "witness_quorum": self.witness_quorum,
            }
            if self.witnesses
            else {}
        )
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
                **trustee,
                **registration,
                **languages,
                **witnesses,
                "categories": [
                    with_translations(
                        {
                            "slug": c.slug,
                            "title": c.title,
                            "method": c.method,
                            **c.method_settings(),
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
    reader = TableReader()
    reader.unknown_keys(document, "", {"election", "categories", "mail", "witnesses"})
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
            "witness_quorum",
            "trustee",
            "registration",
            "registration_fold",
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
    trustee = reader.flag(election, "election", "trustee")
    registration = read_registration(reader, election)
    opens_at = reader.moment(election, "opens_at", zone)
    closes_at = reader.moment(election, "closes_at", zone)
    if opens_at and closes_at and closes_at <= opens_at:
        reader.fail("election.closes_at", "must be later than opens_at")

    languages = reader.languages(election.get("languages"), "election.languages")
    raw_categories = document.get("categories")
    if draft and raw_categories in (None, []):
        categories: tuple[CategoryDefinition, ...] = ()
    else:
        categories = _read_categories(reader, raw_categories)
    mail = _read_mail(reader, document.get("mail"))
    witnesses, quorum = read_witnesses(
        reader, document.get("witnesses"), election.get("witness_quorum")
    )
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
        witnesses=witnesses,
        witness_quorum=quorum,
        trustee=trustee is True,
        registration=registration,
    )


def _read_mail(reader: TableReader, raw: object) -> MailTexts | None:
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


def _read_categories(reader: TableReader, raw: object) -> tuple[CategoryDefinition, ...]:
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
            table,
            path,
            {"slug", "title", "method", "description", "nominees", "jury", *_METHOD_SETTINGS},
            CATEGORY_TEXTS,
        )
        method = reader.text(table, path, "method", required=False) or "plurality"
        if method not in METHODS:
            reader.fail(f"{path}.method", f"must be one of {', '.join(METHODS)}")
        nominees = _read_nominees(reader, path, table.get("nominees"))
        categories.append(
            CategoryDefinition(
                slug=reader.slug(table, path, seen),
                title=reader.text(table, path, "title"),
                method=method,
                description=reader.text(table, path, "description", required=False),
                nominees=nominees,
                translations=reader.translations(table, path, CATEGORY_TEXTS),
                **_read_method_settings(reader, path, table, method, len(nominees)),
                **_read_jury_share(reader, path, table, method),
            )
        )
    return tuple(categories)


# Each method's own settings; a setting given for another method is refused.
_METHOD_SETTINGS = {"max_choices": "approval", "points": "points", "no_award": "irv"}


def _read_method_settings(
    reader: TableReader, path: str, table: dict, method: str, finalists: int
) -> dict:
    settings: dict = {}
    for key, owner in _METHOD_SETTINGS.items():
        if key in table and method != owner:
            reader.fail(f"{path}.{key}", f'is a setting of method = "{owner}"')
    most = table.get("max_choices")
    if most is not None and method == "approval":
        if not isinstance(most, int) or isinstance(most, bool) or most < 1:
            reader.fail(f"{path}.max_choices", "must be a whole number, 1 or more")
        elif finalists and most > finalists:
            reader.fail(f"{path}.max_choices", f"is more than the {finalists} finalists")
        else:
            settings["max_choices"] = most
    points = table.get("points")
    if points is not None and method == "points":
        whole = isinstance(points, list) and all(
            isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in points
        )
        if not whole or not points:
            reader.fail(f"{path}.points", "must be a list of whole numbers, 0 or more")
        elif any(later > earlier for earlier, later in itertools.pairwise(points)):
            reader.fail(f"{path}.points", "must not give a lower place more than a higher one")
        elif finalists and len(points) > finalists:
            reader.fail(f"{path}.points", f"has more places than the {finalists} finalists")
        else:
            settings["points"] = tuple(points)
    no_award = reader.flag(table, path, "no_award") if method == "irv" else None
    if no_award is not None:
        settings["no_award"] = no_award
    return settings


def _read_jury_share(reader: TableReader, path: str, table: dict, method: str) -> dict:
    """[categories.jury]: the jury's weight and how its result combines with the audience's."""
    share = table.get("jury")
    if share is None:
        return {}
    where = f"{path}.jury"
    if not isinstance(share, dict):
        reader.fail(where, "must be a table with weight and combine")
        return {}
    reader.unknown_keys(share, where, {"weight", "combine"}, ())
    weight = share.get("weight")
    combine = share.get("combine", "rank-points")
    settings: dict = {}
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight < 1:
        reader.fail(f"{where}.weight", "must be a number between 0 and 1, e.g. 0.5")
    else:
        settings["jury_weight"] = float(weight)
    if combine not in verify.COMBINE_RULES:
        reader.fail(f"{where}.combine", f"must be one of {', '.join(verify.COMBINE_RULES)}")
    elif combine == "shares" and method == "irv":
        reader.fail(f"{where}.combine", 'an instant runoff has no vote shares: use "rank-points"')
    else:
        settings["jury_combine"] = combine
    if table.get("no_award") is True:
        reader.fail(where, "cannot be combined with no_award: the jury ranks finalists only")
    return settings


def _read_nominees(reader: TableReader, path: str, raw: object) -> tuple[NomineeDefinition, ...]:
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
        if slug in ("abstain", verify.NO_AWARD):
            reader.fail(f"{where}.slug", f"{slug!r} is reserved (abstain, No award)")
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
