"""Casts share an election; closing takes it alone.

So a cast either commits before the close looks for the last batch, or waits and then finds
voting closed: no voter holds a receipt for a ballot the last batch missed. On PostgreSQL
this is an advisory lock per election. Casts used to share the election's row (FOR SHARE),
and many casts share-locking one row make PostgreSQL write the row's lock and build a
multixact for each cast; B1 without any lock ran about a quarter faster (docs/performance.md).
On SQLite the one writer lock already orders every write.

Take it before the election is read, in a statement of its own: a statement that waits for
an advisory lock still answers from the snapshot it began with, which may predate the close.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

# The first key of the two-key advisory lock: this lock's namespace in the database.
_NAMESPACE = 0x766F7465  # "vote"
_SHARE = select(func.pg_advisory_xact_lock_shared(_NAMESPACE, func.hashtext(bindparam("slug"))))
_ALONE = select(func.pg_advisory_xact_lock(_NAMESPACE, func.hashtext(bindparam("slug"))))


def share_for_cast(session: Session, slug: str) -> None:
    """Held to the end of the cast's transaction; waits while a close holds it alone."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SHARE, {"slug": slug})


def take_alone_for_close(session: Session, slug: str) -> None:
    """Held to the end of the close's transaction; waits for the casts in flight."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ALONE, {"slug": slug})
