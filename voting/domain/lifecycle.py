"""Where an election stands, in words, so no page or operation compares state strings itself.

The mapped Election (voting/models.py) has these words, and so has ElectionRow: the few
columns the voter's way reads, as a plain row. Every page of the way and the cast admit the
token again, and building a mapped object for each cost more than the query itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from voting.domain.times import in_zone


class ElectionLifecycle:
    """The lifecycle of an election (draft, open, closed, revealed) and its own time zone."""

    if TYPE_CHECKING:  # provided by the class this is mixed into
        state: str
        timezone: str
        definition: str

    @property
    def is_draft(self) -> bool:
        """Still being set up: the definition may change, no ballot can be cast."""
        return self.state == "draft"

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def is_closed(self) -> bool:
        """Voting is over and the tally sealed, but the reveal has not ended."""
        return self.state == "closed"

    @property
    def is_revealed(self) -> bool:
        return self.state == "revealed"

    @property
    def is_over(self) -> bool:
        """No more ballots: closed, or closed and revealed."""
        return self.state in ("closed", "revealed")

    @property
    def reveals_at_close(self) -> bool:
        """The election's file says reveal = "at-close": results are public from the close."""
        return json.loads(self.definition).get("reveal") == "at-close"

    def local_time(self, moment: datetime | None) -> datetime | None:
        """A stored UTC moment in the election's own time zone, for display."""
        return in_zone(moment, self.timezone)


@dataclass(frozen=True)
class ElectionRow(ElectionLifecycle):
    """An election as the voter's way needs it: its state, window, title, definition (the
    ballot's layout) and trustee key (the cast encrypts to it)."""

    id: int
    slug: str
    title: str
    translations: dict
    state: str
    timezone: str
    opens_at: datetime | None
    closes_at: datetime | None
    definition: str
    trustee_key: str | None
