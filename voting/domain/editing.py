"""Edits the organiser makes in the console, applied to an editable definition.

The stored definition is turned into the nested tables a TOML file would give
(``editable``); each edit changes them in place; the caller then reads them back with
``read_definition``, so an edit is checked by exactly the rules a file is.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from voting.domain.definition import ElectionDefinition, read_definition
from voting.domain.text import fold
from voting.errors import N_, VotingError


def from_board(board: dict) -> ElectionDefinition:
    """Read back a definition as the board (and the database) keeps it."""
    election = {key: board[key] for key in ("slug", "title", "timezone", "tie_rule")}
    for key in ("place", "reveal", "trustee", "opens_at", "closes_at", "translations", "languages"):
        if board.get(key):
            election[key] = board[key]
    return read_definition(_with_witnesses(board, election, board["categories"]), draft=True)


def _with_witnesses(board: dict, election: dict, categories: list) -> dict:
    """The document's tables, with the witnesses and their quorum when the board has them."""
    document = {"election": election, "categories": categories}
    if board.get("witnesses"):
        election["witness_quorum"] = board["witness_quorum"]
        document["witnesses"] = [dict(witness) for witness in board["witnesses"]]
    return document


def editable(definition: ElectionDefinition) -> dict:
    """The definition as the nested tables read_definition takes, times in local time.

    What the organiser's editor changes and reads back, so every edit is checked by the
    same rules as a file.
    """
    zone = ZoneInfo(definition.timezone)

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).replace(tzinfo=None).isoformat() if moment else None

    board = definition.to_board()
    election = {key: board[key] for key in ("slug", "title", "timezone", "tie_rule")}
    for key in ("place", "reveal", "trustee", "translations", "languages"):
        if board.get(key):
            election[key] = board[key]
    for key in ("opens_at", "closes_at"):
        if getattr(definition, key):
            election[key] = local(getattr(definition, key))
    categories = [
        {key: value for key, value in category.items() if value != ""}
        for category in board["categories"]
    ]
    for category in categories:
        category["nominees"] = [
            {key: value for key, value in nominee.items() if value != ""}
            for nominee in category["nominees"]
        ]
    return _with_witnesses(board, election, categories)


class EditError(VotingError):
    """The edit names an award or finalist that is not there."""


def slugify(text: str, taken: set[str]) -> str:
    """A slug made from *text*, unique among *taken* (a suffix -2, -3 ... when needed).

    Any script is spelled in Latin letters first: "Zoë Ström" -> zoe-strom, "Дарья" -> darya.
    """
    base = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:56] or "item"
    if base == "abstain":
        base = "abstain-1"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _category(document: dict, slug: str) -> dict:
    for category in document["categories"]:
        if category["slug"] == slug:
            return category
    raise EditError(N_("there is no award %(slug)s"), slug=repr(slug[:64]))


def _nominee(category: dict, slug: str) -> dict:
    for nominee in category["nominees"]:
        if nominee["slug"] == slug:
            return nominee
    raise EditError(N_("there is no finalist %(slug)s"), slug=repr(slug[:64]))


def _move(items: list[dict], item: dict, delta: int) -> None:
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + delta))
    items.insert(target, items.pop(index))


def _set_texts(table: dict, values: dict[str, str]) -> None:
    for key, value in values.items():
        if value.strip():
            table[key] = value.strip()
        else:
            table.pop(key, None)


Translations = dict[str, dict[str, str]]  # language -> field -> text; "" removes one


def _set_translations(table: dict, values: Translations) -> None:
    translations = table.setdefault("translations", {})
    for language, texts in values.items():
        own = translations.setdefault(language, {})
        _set_texts(own, texts)
        if not own:
            del translations[language]
    if not translations:
        del table["translations"]


def set_details(document: dict, values: dict[str, str], translations: Translations) -> None:
    """Title, place, time zone, tie rule and schedule (local times, empty for none)."""
    _set_texts(document["election"], values)
    _set_translations(document["election"], translations)


def add_category(document: dict, title: str, description: str = "") -> str:
    slug = slugify(title, {c["slug"] for c in document["categories"]})
    category = {"slug": slug, "title": title.strip(), "method": "plurality", "nominees": []}
    _set_texts(category, {"description": description})
    document["categories"].append(category)
    return slug


def update_category(
    document: dict, slug: str, values: dict[str, str], translations: Translations
) -> None:
    category = _category(document, slug)
    _set_texts(category, {key: values.get(key, "") for key in ("title", "description")})
    _set_translations(category, translations)


def set_counting(
    document: dict,
    slug: str,
    method: str,
    max_choices: str,
    points: str,
    no_award: bool,
    jury_weight: str = "",
    jury_combine: str = "rank-points",
) -> None:
    """An award's counting method, its one setting and its jury share, as typed in the
    editor. Whatever does not read as numbers is kept as typed, for the definition's check
    to name."""
    category = _category(document, slug)
    category["method"] = method
    for key in ("max_choices", "points", "no_award", "jury"):
        category.pop(key, None)
    if jury_weight.strip():
        category["jury"] = {"weight": _share(jury_weight), "combine": jury_combine}
    if method == "approval" and max_choices.strip():
        category["max_choices"] = _number(max_choices)
    if method == "points" and points.strip():
        category["points"] = [_number(part) for part in points.replace(";", ",").split(",")]
    if method == "irv" and no_award:
        category["no_award"] = True


def _share(text: str) -> float | str:
    """A share as typed: 0.5, 0,5 or 50 %."""
    typed = text.strip().replace(",", ".")
    percent = typed.endswith("%")
    try:
        value = float(typed.rstrip("% "))
    except ValueError:
        return text.strip()
    return round(value / 100, 6) if percent else value


def _number(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else text


def remove_category(document: dict, slug: str) -> None:
    document["categories"].remove(_category(document, slug))


def move_category(document: dict, slug: str, delta: int) -> None:
    _move(document["categories"], _category(document, slug), delta)


NOMINEE_TEXTS = ("name", "organisation", "country", "description")


def add_nominee(document: dict, category_slug: str, values: dict[str, str]) -> str:
    category = _category(document, category_slug)
    slug = slugify(values.get("name", ""), {n["slug"] for n in category["nominees"]})
    nominee: dict = {"slug": slug}
    _set_texts(nominee, {key: values.get(key, "") for key in NOMINEE_TEXTS})
    category["nominees"].append(nominee)
    return slug


def update_nominee(
    document: dict,
    category_slug: str,
    slug: str,
    values: dict[str, str],
    translations: Translations,
) -> None:
    nominee = _nominee(_category(document, category_slug), slug)
    _set_texts(nominee, {key: values.get(key, "") for key in NOMINEE_TEXTS})
    _set_translations(nominee, translations)


def remove_nominee(document: dict, category_slug: str, slug: str) -> None:
    category = _category(document, category_slug)
    category["nominees"].remove(_nominee(category, slug))


def move_nominee(document: dict, category_slug: str, slug: str, delta: int) -> None:
    category = _category(document, category_slug)
    _move(category["nominees"], _nominee(category, slug), delta)


def add_witness(document: dict, url: str, key: str) -> None:
    """A witness by its address and its cosignature key (whose name it goes by); the
    definition's check names a bad key or address. The first one sets a quorum of 1."""
    name = key.strip().split("+", 1)[0]
    witnesses = document.setdefault("witnesses", [])
    witnesses.append({"name": name, "url": url.strip(), "key": key.strip()})
    document["election"].setdefault("witness_quorum", 1)


def remove_witness(document: dict, name: str) -> None:
    witnesses = document.get("witnesses", [])
    if not any(w["name"] == name for w in witnesses):
        raise EditError(N_("there is no witness %(name)s"), name=repr(name[:80]))
    document["witnesses"] = [w for w in witnesses if w["name"] != name]
    quorum = document["election"].get("witness_quorum", 0)
    if not document["witnesses"]:
        del document["witnesses"]
        document["election"].pop("witness_quorum", None)
    elif isinstance(quorum, int) and quorum > len(document["witnesses"]):
        document["election"]["witness_quorum"] = len(document["witnesses"])


def set_witness_quorum(document: dict, typed: str) -> None:
    document["election"]["witness_quorum"] = _number(typed)
