"""An open vote's attendee list is longer than a statement can bind: PostgreSQL's protocol
takes at most 65,535 parameters. Whatever names attendees or their tokens one by one
(queueing everyone's link, withdrawing the missing, printing a selection of cards) does so
in pieces. Found by bench/b9_public_vote.py, whose 100,000 links could not be queued."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from tests.helpers import roster_csv
from voting import services
from voting.db import get_session
from voting.mail.sending import queue_links
from voting.models import Attendee, EligibleToken
from voting.operations.elections import find_election
from voting.operations.tokens import live_attendees

PAST_THE_LIMIT = 66_000
DATABASES = os.environ.get("VOTING_TEST_DATABASES", "sqlite,postgresql").split(",")


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# SQLite, as Debian builds it, binds 250,000: the limit that bites is PostgreSQL's.
@pytest.mark.parametrize("database_url", [d for d in DATABASES if d == "postgresql"], indirect=True)
def test_more_attendees_than_a_statement_can_bind(app, runner, elections, tmp_path):
    handle = elections.create(attendees=0, open_voting=False)
    everyone = tmp_path / "registrations.csv"
    everyone.write_bytes(roster_csv(PAST_THE_LIMIT))
    imported = runner.invoke(args=["attendees", "import", str(everyone)])
    assert imported.exit_code == 0, imported.output
    opened = runner.invoke(args=["open"])
    assert opened.exit_code == 0, opened.output

    with app.app_context():
        session = get_session()
        election = find_election(session, handle.slug)
        assert queue_links(session, "organiser", election).count == PAST_THE_LIMIT
        assert count(session, Attendee, Attendee.delivery_status == "queued") == PAST_THE_LIMIT
        key = services.keys().delivery_key(handle.slug)
        chosen = list(session.scalars(select(Attendee.id).order_by(Attendee.id).limit(600)))
        assert [a.id for a in live_attendees(session, election, key, chosen)] == chosen
        session.rollback()

    # The list shrinks to ten: everyone else is withdrawn, their unused ballots revoked.
    ten = tmp_path / "ten.csv"
    ten.write_bytes(roster_csv(10))
    again = runner.invoke(args=["attendees", "import", str(ten), "--withdraw-missing"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        session = get_session()
        assert count(session, Attendee, Attendee.withdrawn_at.is_(None)) == 10
        assert count(session, EligibleToken, EligibleToken.revoked.is_(True)) == PAST_THE_LIMIT - 10
