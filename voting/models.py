"""The tables, in SQLAlchemy 2 typed style.

Staff accounts and their sign-ins are in voting/staff_models.py. Ballot secrecy is built into
the schema: no column or foreign key leads from attendees to
tokens or ballots. Token rows hold only a hash, have no timestamp, and are kept in hash
order (SQLite ``WITHOUT ROWID``, inserted sorted) so their order reveals nothing either.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from voting.domain.lifecycle import ElectionLifecycle, ElectionRow

ELECTION_STATES = ("draft", "open", "closed", "revealed")

# Constraint names the same on SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Election(ElectionLifecycle, Base):
    __tablename__ = "elections"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'open', 'closed', 'revealed')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    tie_rule: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # The log's name in its signed checkpoints (C2SP origin), fixed when the election is made.
    origin: Mapped[str] = mapped_column(String(255))
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The canonical JSON of the definition last loaded: reloading the same file changes nothing.
    definition: Mapped[str] = mapped_column(Text)
    # Where the reveal on stage stands (0: the sealed result, before the first award).
    reveal_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Per-language texts, {"de": {"title": ...}}; the columns above hold the default language.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the emails add: {"contact": ..., "intro": {"": default, "de": ...}}. Not on the
    # board, and changeable while voting is open.
    mail_texts: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # The jury's trustee public key file (verify.TrusteeKey JSON), for an election with one.
    trustee_key: Mapped[str | None] = mapped_column(Text)

    categories: Mapped[list[Category]] = relationship(
        back_populates="election",
        order_by="Category.position",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Election {self.slug} {self.state}>"


# The voter's way reads an election as a plain ElectionRow (voting/domain/lifecycle.py), the
# rest of the app as the mapped Election: both have the columns and words these functions use.
AnyElection = Election | ElectionRow


class Category(Base):
    """An award."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("election_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(32), default="plurality")
    position: Mapped[int] = mapped_column(Integer)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    election: Mapped[Election] = relationship(back_populates="categories")
    nominees: Mapped[list[Nominee]] = relationship(
        back_populates="category",
        order_by="Nominee.position",
        cascade="all, delete-orphan",
    )


class Nominee(Base):
    """A finalist of one award."""

    __tablename__ = "nominees"
    __table_args__ = (UniqueConstraint("category_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    category: Mapped[Category] = relationship(back_populates="nominees")


class Attendee(Base):
    """A registered attendee. Personal data; never linked to a token or a ballot.

    Known by their registration's reference when the list has one (so several may share an
    email, or have none), else by their email.
    """

    __tablename__ = "attendees"
    __table_args__ = (
        Index("ix_attendees_election_id_ref", "election_id", "ref"),
        Index("ix_attendees_election_id_email", "election_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    ref: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    # Bumped when the desk reissues a lost ballot: the personal token is derived from it.
    reissue: Mapped[int] = mapped_column(Integer, default=0)
    # Emailing the ballot link: pending, sent or failed (with the mail server's reason).
    delivery_status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    delivery_detail: Mapped[str] = mapped_column(String(500), default="", server_default="")
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Name, email, organisation and reference folded for search (voting.domain.text).
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Withdrawn (cancelled, or removed by an organiser): no ballot, no email, not counted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last reminder to vote (at most one per interval the organiser chooses).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ActivityRecord(Base):
    """The organisers' private activity log: who did what, to whom. Never on the board.

    It may name attendees, so it is kept apart from the public log; it never names a token.
    """

    __tablename__ = "activity_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int | None] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")

    attendee: Mapped[Attendee | None] = relationship()


class EligibleToken(Base):
    """A token hash that may cast one ballot. No attendee, no time, no ordered key."""

    __tablename__ = "eligible_tokens"
    __table_args__ = ({"sqlite_with_rowid": False},)

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it was revoked, so its link can say so: replaced, card (an anonymous card was
    # handed over instead) or withdrawn. Names no attendee.
    revoked_reason: Mapped[str | None] = mapped_column(String(16))


class SpentToken(Base):
    """A token hash that has cast its ballot; the primary key makes a second cast fail."""

    __tablename__ = "spent_tokens"
    __table_args__ = ({"sqlite_with_rowid": False},)

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    # The receipt its ballot got, and a hash of the cast form's one-time nonce: the same form
    # sent again (a double tap, a retry after a lost answer) is shown the receipt again;
    # anyone else holding the token is only told the ballot was cast.
    receipt: Mapped[str | None] = mapped_column(String(19))
    attempt: Mapped[str | None] = mapped_column(String(64))


class Ballot(Base):
    """A cast ballot: durable at once, on the public log once its batch is published.

    Keyed by a random id, not by time or position: nothing here orders ballots by when they
    were cast. ``seq`` is its entry on the board, set when its shuffled batch joins the log.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        Index("ix_ballots_election_id_seq", "election_id", "seq"),
        {"sqlite_with_rowid": False},
    )

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    ballot_id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    # What its board entry will say (the spent token's hash and the seal of its choices),
    # and the receipt derived from that; the nonce opens the seal when the reveal ends. With
    # a trustee, nonce and answers stay empty until K of the jury's shares open `encrypted`.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(32))
    # The answers exactly as sealed (canonical JSON, award slug -> answer by its method):
    # what opens the seal. Plurality answers are also rows of ballot_choices, for counting.
    answers: Mapped[str] = mapped_column(Text)
    receipt: Mapped[str] = mapped_column(String(19), unique=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    # "phone" or "paper" (entered twice at the desk); on the board for paper ballots.
    channel: Mapped[str] = mapped_column(String(8), default="phone", server_default="phone")
    encrypted: Mapped[str | None] = mapped_column(Text)  # to the trustee key, as on the board

    choices: Mapped[list[BallotChoice]] = relationship(cascade="all, delete-orphan")


class BallotChoice(Base):
    """One plurality award's answer on a ballot, for the tally's GROUP BY; a null nominee
    is an abstention. (Approvals and rankings are counted from the ballot's choices.)"""

    __tablename__ = "ballot_choices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["election_id", "ballot_id"],
            ["ballots.election_id", "ballots.ballot_id"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )

    election_id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    nominee_id: Mapped[int | None] = mapped_column(ForeignKey("nominees.id"), index=True)


class JuryBallot(Base):
    """A juror's ballot in one award, named (jurors answer for it); once per juror and award."""

    __tablename__ = "jury_ballots"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    juror: Mapped[str] = mapped_column(String(80), primary_key=True)
    award: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(32))
    answers: Mapped[str] = mapped_column(Text)  # {award: answer}, canonical JSON, as sealed
    seq: Mapped[int] = mapped_column(Integer)  # its entry on the board
    encrypted: Mapped[str | None] = mapped_column(Text)  # as an attendee's ballot, with a trustee


class PaperDraft(Base):
    """One person's entry of a paper ballot, until a second person's entry agrees with it
    and the ballot is cast; then every entry of it is deleted. Who entered it is in the
    activity log, never on the ballot or the board."""

    __tablename__ = "paper_drafts"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    staff: Mapped[str] = mapped_column(String(80), primary_key=True)
    hint: Mapped[str] = mapped_column(String(8))  # the code's last characters, to find it
    answers: Mapped[str] = mapped_column(Text)  # canonical JSON, as a ballot's answers


class HeldEntry(Base):
    """A log entry the board gets only when the reveal ends: the opened tally, the jury's
    decisions of ties. Held here so that no public file shows a result before its moment."""

    __tablename__ = "held_entries"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """One line of the public, append-only log: the exact canonical JSON that was hashed."""

    __tablename__ = "audit_entries"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Set on ballot entries: the short code the voter is shown.
    receipt: Mapped[str | None] = mapped_column(String(19), unique=True)


class AuditHead(Base):
    """The tip of an election's log, locked by every append so entries form one chain.

    ``peaks`` holds the roots of the perfect Merkle subtrees (32 bytes each, largest
    first), enough to extend the tree and compute its root without reading the log.
    """

    __tablename__ = "audit_heads"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    size: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    peaks: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # The newest signed checkpoint, so the cast path can tell cheaply when one is due.
    checkpoint_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkpoint_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Checkpoint(Base):
    """A signed note of the log's size and root (C2SP checkpoint), as published."""

    __tablename__ = "checkpoints"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StagedUpload(Base):
    """An attendee file between the console's check and the organiser's confirmation.

    Kept for an hour at most; the check shows what importing it would change, and the import
    applies that only if nothing changed meanwhile.
    """

    __tablename__ = "staged_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
