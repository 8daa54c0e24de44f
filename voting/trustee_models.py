"""The jury's key shares brought after the close, kept only until enough of them open the
ballots; then deleted. Tables of the same metadata as voting/models.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voting.models import Base


class BroughtShare(Base):
    """One share of the trustee's private key (verify.TrusteeShare JSON), checked against the
    key's commitment when it was brought. Who brought it is in the activity log."""

    __tablename__ = "trustee_shares"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    share: Mapped[str] = mapped_column(Text)
    brought_by: Mapped[str] = mapped_column(String(80))
    brought_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
