"""Long lists of ids in SQL, in pieces: PostgreSQL's protocol binds at most 65,535 parameters
a statement (SQLite, as built, 32,766 or 250,000), and an open vote's attendee list of
100,000 is longer than that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

Item = TypeVar("Item")

IN_LIST = 500  # ids or hashes per IN (...): far below every limit, each statement short


def pieces(items: Sequence[Item], size: int = IN_LIST) -> Iterator[Sequence[Item]]:
    """*items* in consecutive pieces of at most *size*."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
