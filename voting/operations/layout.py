"""The ballot's layout (awards and finalists) as plain frozen values, cached per process.

Every voter page needs the awards and their finalists; reading them through the ORM on each
request cost more than the rest of the page. Once voting is open they cannot change, and in
draft the cache key includes the definition itself, so a stale layout is never served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from voting.bounded_cache import BoundedCache
from voting.models import AnyElection, Category, Election, Nominee


@dataclass(frozen=True)
class NomineeView:
    id: int
    slug: str
    name: str
    organisation: str
    country: str
    description: str
    translations: dict


@dataclass(frozen=True)
class CategoryView:
    id: int
    slug: str
    title: str
    description: str
    method: str
    translations: dict
    nominees: tuple[NomineeView, ...]
    # The award as the board publishes it (its method's settings with it): what
    # verify.choice_error checks an answer against and verify.count_category counts by.
    board: dict

    @property
    def ranked(self) -> bool:
        return self.method in ("points", "irv")


def load_categories(session: Session, election: Election) -> list[Category]:
    """The awards with their finalists as rows, in ballot order, in two queries."""
    return list(
        session.execute(
            select(Category)
            .where(Category.election_id == election.id)
            .order_by(Category.position)
            .options(selectinload(Category.nominees))
        ).scalars()
    )


_layouts: BoundedCache[tuple[CategoryView, ...]] = BoundedCache(64)


def ballot_layout(session: Session, election: AnyElection) -> tuple[CategoryView, ...]:
    """The awards with their finalists, in ballot order."""
    # The definition itself is part of the key: an edit in draft, or a database replaced
    # under a running process, can never bring back a stale layout.
    digest = hashlib.sha256(election.definition.encode("utf-8")).hexdigest()
    key = (str(session.get_bind().url), election.id, digest)
    return _layouts.get_or_make(key, lambda: _read(session, election))


def _read(session: Session, election: AnyElection) -> tuple[CategoryView, ...]:
    categories = (
        session.execute(
            select(Category).where(Category.election_id == election.id).order_by(Category.position)
        )
        .scalars()
        .all()
    )
    published = {c["slug"]: c for c in json.loads(election.definition)["categories"]}
    nominees: dict[int, list[NomineeView]] = {c.id: [] for c in categories}
    rows = session.execute(
        select(Nominee)
        .where(Nominee.category_id.in_(list(nominees)))
        .order_by(Nominee.category_id, Nominee.position)
    ).scalars()
    for nominee in rows:
        nominees[nominee.category_id].append(
            NomineeView(
                id=nominee.id,
                slug=nominee.slug,
                name=nominee.name,
                organisation=nominee.organisation,
                country=nominee.country,
                description=nominee.description,
                translations=dict(nominee.translations or {}),
            )
        )
    return tuple(
        CategoryView(
            id=c.id,
            slug=c.slug,
            title=c.title,
            description=c.description,
            method=c.method,
            translations=dict(c.translations or {}),
            nominees=tuple(nominees[c.id]),
            board=published[c.slug],
        )
        for c in categories
    )
