"""Long lists of ids in SQL, in pieces: PostgreSQL's protocol binds at most 65,535 parameters
a statement (SQLite, as built, 32,766 or 250,000), and an open vote's attendee list of
100,000 is longer than that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import Session

Item = TypeVar("Item")

IN_LIST = 500  # ids or hashes per IN (...): far below every limit, each statement short


def pieces(items: Sequence[Item], size: int = IN_LIST) -> Iterator[Sequence[Item]]:
    """*items* in consecutive pieces of at most *size*."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(
    session: Session, column: ColumnElement[Any], items: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions "*column* is one of *items*", one per statement to run.

    On PostgreSQL a single array parameter (``= ANY``): pieces of 500 hashes were each
    planned as a scan of the whole election's rows, so withdrawing 66,000 attendees took
    132 scans and about a minute; one array is one scan. Elsewhere IN lists of IN_LIST.
    """
    if session.get_bind().dialect.name == "postgresql":
        if items:
            yield column == any_(bindparam(None, list(items), type_=ARRAY(column.type)))
        return
    for chunk in pieces(items):
        yield column.in_(chunk)
