"""Staff accounts and their sign-ins: the people who run an election (voters have none).

Tables of the same metadata as voting/models.py; migrations/env.py imports both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from voting.models import Base

ROLES = ("organiser", "desk", "jury")


class User(Base):
    """A staff account: organiser, desk or jury. Voters have none; their token is enough."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('organiser', 'desk', 'jury')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # A disabled account cannot sign in; its sessions were ended when it was disabled.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Flask-Login's user protocol. The id it keeps in the cookie names the sign-in as well
    # (see StaffSession), so signing out, a new password or disabling ends it on the server.
    is_authenticated = True
    is_anonymous = False
    staff_session: str = ""

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.staff_session}"


class StaffSession(Base):
    """One sign-in of a staff member: the cookie is worth something only while this lasts."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SetupLink(Base):
    """The one-time link `voting init` prints to create the first organiser account.

    The link's token is an HMAC of this nonce under the instance's secret key: every `voting
    init` prints the same link again without writing, and the database alone cannot forge it.
    """

    __tablename__ = "setup_links"

    nonce: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
