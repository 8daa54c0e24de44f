"""What the organiser must hear before it is too late, at the top of the dashboard: links
and cards that would point to the wrong address, emails that failed or stopped half-way,
and a tie that will stop the reveal until the jury decides."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _

from voting.db import DatabaseSession
from voting.domain.public_address import PublicUrlMissing, public_url_problems
from voting.models import Election
from voting.operations.reveal import ties_for_the_jury
from voting.web.texts import error_text


@dataclass(frozen=True)
class Warning:
    text: str
    link: str | None = None
    link_text: str | None = None
    blocking: bool = False  # something is refused until it is fixed


def dashboard_warnings(
    session: DatabaseSession, election: Election, deliveries: dict[str, int]
) -> list[Warning]:
    warnings = []
    if not current_app.config.get("VOTING_DEMO") and not election.is_over:
        warnings += [
            Warning(error_text(problem), blocking=isinstance(problem, PublicUrlMissing))
            for problem in public_url_problems(current_app.config.get("PUBLIC_URL"))
        ]
    emails = url_for("emails.page", election=election.slug)
    if deliveries["failed"] and not election.is_over:
        warnings.append(
            Warning(
                _("%(count)s ballot emails failed.", count=deliveries["failed"]),
                emails,
                _("See why, and send them again"),
            )
        )
    if deliveries["deferred"] and not election.is_over:
        warnings.append(
            Warning(
                _(
                    "%(count)s ballot emails were deferred by the mail server; they are tried "
                    "again.",
                    count=deliveries["deferred"],
                ),
                emails,
                _("See why"),
            )
        )
    if deliveries["uncertain"] and not election.is_over:
        warnings.append(
            Warning(
                _(
                    "%(count)s ballot emails may not have arrived: the sender stopped while "
                    "the mail server was answering.",
                    count=deliveries["uncertain"],
                ),
                emails,
                _("Ask those attendees, and resend from the desk"),
            )
        )
    for award in ties_for_the_jury(session, election):
        warnings.append(
            Warning(
                _(
                    "%(award)s is tied for first place: the reveal stops there until the "
                    "jury's decision is recorded.",
                    award=award,
                ),
                url_for("stage.remote", slug=election.slug),
                _("Record it on the remote"),
            )
        )
    return warnings
