"""Picking typed values out of nested TOML tables, collecting every problem with the key it
concerns (arrays counted from 1, as a person counts): the election file's reader."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from voting.domain.tokens import SLUG_PATTERN

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
# The longest each text may be, by key (and by its per-language variants, title_de, ...).
_MAX_TEXT = {
    "title": 200,
    "place": 200,
    "name": 200,
    "organisation": 200,
    "description": 2000,
    "contact": 300,
    "intro": 2000,
}


class TableReader:
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
            if field in translatable and LANGUAGE_CODE.match(language):
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
            if not LANGUAGE_CODE.match(language) or not isinstance(texts, dict):
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
            if name in fields and LANGUAGE_CODE.match(language):
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

    def languages(self, raw: object, where: str) -> tuple[str, ...]:
        """A list of two-letter language codes, each once, in the file's order."""
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(
            isinstance(code, str) and LANGUAGE_CODE.match(code) for code in raw
        ):
            self.fail(where, 'must be a list of two-letter codes, like ["en", "fr"]')
            return ()
        return tuple(dict.fromkeys(raw))

    def flag(self, table: dict, path: str, key: str) -> bool | None:
        """A true-or-false setting; None when it is not given (or not true or false)."""
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(f"{path}.{key}", "must be true or false")
            return None
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
