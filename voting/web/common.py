"""Small helpers the blueprints share."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from voting import workflows
from voting.db import get_session
from voting.errors import NotFound, VotingError
from voting.models import Attendee, Election
from voting.operations.elections import find_election, list_elections
from voting.web.texts import error_text


def election_or_404(slug: str | None) -> Election:
    """The election with this slug (or the only one when None); 404 with the reason otherwise."""
    try:
        return find_election(get_session(), slug)
    except NotFound as exc:
        abort(404, description=error_text(exc))


def attendee_or_404(attendee_id: int) -> tuple[Election, Attendee]:
    """An attendee and their election, or a 404 page."""
    attendee = get_session().get(Attendee, attendee_id)
    if attendee is None:
        abort(404, description=_("No such attendee."))
    return get_session().get_one(Election, attendee.election_id), attendee


def election_from_request() -> Election:
    """The election named by ?election= (or a form field), or the only one. Otherwise a 404:
    for a page, one that lists the elections to choose from (or says there is none yet)."""
    slug = request.values.get("election") or None
    if slug is None and request.method == "GET":
        elections = list_elections(get_session())
        if len(elections) != 1:
            abort(Response(render_template("choose.html", elections=elections), 404))
    return election_or_404(slug)


def actor() -> str:
    """Who is acting, for the activity log: the signed-in staff member."""
    return current_user.name if current_user.is_authenticated else "anonymous"


MAX_PAGE = 1_000_000


def ascii_number(text: str | None, limit: int = 10**12) -> int | None:
    """A whole number typed in a query or a form: ASCII digits only (str.isdigit also takes
    "²", which int() refuses), below *limit*; None otherwise."""
    if not text or len(text) > 13 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number < limit else None


def page_number() -> int:
    """?page= as a page number: 1 when missing, a 400 page when it is not one."""
    text = request.args.get("page")
    if not text:
        return 1
    number = ascii_number(text, MAX_PAGE)
    if not number:
        abort(400, description=_("A page number is written with the digits 0 to 9."))
    return number


def pdf_response(pdf: bytes, name: str) -> Response:
    """A PDF to download (cards, certificate), under the file name given; never stored, as
    cards carry ballots."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def cards_download(election: Election, file_name: str, *, layout: str, **which) -> Response:
    """The print-cards workflow as a PDF download (*which*: count= for anonymous cards, or
    nothing for everyone's); a refusal is a 400 page in the reader's language. The desk's
    single card is a reprint: workflows.reprint_card."""
    try:
        printed = workflows.print_cards(get_session(), actor(), election, layout=layout, **which)
    except VotingError as exc:
        abort(400, description=error_text(exc))
    return pdf_response(printed.pdf, file_name)
