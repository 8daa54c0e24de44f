"""What the app knows of each witness of each election: the cosignatures it gave, and where
the submission to it stands (the size it holds, its last answer, when to try again).

Tables of the same metadata as voting/models.py; migrations/env.py imports them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voting.models import Base


class Cosignature(Base):
    """A witness's C2SP cosignature of one of the log's checkpoints."""

    __tablename__ = "cosignatures"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)  # the witness's own clock, POSIX seconds
    line: Mapped[str] = mapped_column(Text)  # the note signature line, as appended to the note


class WitnessState(Base):
    """Submissions to one witness: the checkpoint size it last cosigned, and a lease so one
    process (of any server) talks to it at a time, outside every write transaction."""

    __tablename__ = "witness_states"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, default=0)  # what it holds of this log
    cosigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, for the back-off
    error: Mapped[str | None] = mapped_column(Text)  # its last refusal or failure
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
