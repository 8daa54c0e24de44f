"""The mail queue: every email the app sends waits here until a worker takes it, so a web
request only writes a row, and several workers on several servers send each message once.

A row says whom to write and what kind of message, never its text: a ballot link is made
from the delivery key when the message is sent, so the database never holds one. Tables of
the same metadata as voting/models.py; migrations/env.py imports them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voting.models import Base

# queued: waiting (perhaps for a retry); sending: a worker has it, nothing handed over yet;
# handed: its text is going to the mail server; sent; failed (for good, with the reason);
# uncertain: the worker stopped while the mail server was answering, so it may have arrived
# and is not sent again without a person deciding so (the desk's "send again").
STATES = ("queued", "sending", "handed", "sent", "failed", "uncertain")
OPEN_STATES = ("queued", "sending", "handed")


class QueuedMail(Base):
    __tablename__ = "mail_queue"
    __table_args__ = (
        Index("ix_mail_queue_state_not_before", "state", "not_before"),
        Index("ix_mail_queue_election_id_state", "election_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    # link, link again, reminder, new card, notice (voting/mail/worker.py writes each)
    kind: Mapped[str] = mapped_column(String(20))
    # What the kind needs besides the attendee: a notice's ballot status; emptied once sent.
    variant: Mapped[str] = mapped_column(String(40), default="", server_default="")
    actor: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(12), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")


class MailPace(Base):
    """One row: the earliest moment the next message may go out, shared by every worker so
    that MAIL_RATE holds for all of them together."""

    __tablename__ = "mail_pace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_slot: Mapped[datetime] = mapped_column(DateTime(timezone=True))
