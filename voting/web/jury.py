"""The jury's pages: read-only. Overview, the log with filters, and the files to take home,
among them the openings of the sealed result, which only the jury has before the reveal ends."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from voting import services
from voting.db import get_session
from voting.models import Election
from voting.operations import audit, board_check, sealed, witnessing
from voting.operations.results import eligible_count, turnout
from voting.web.auth import roles_required
from voting.web.board import board_page
from voting.web.board_entries import KINDS
from voting.web.common import election_from_request, page_number

bp = Blueprint("jury", __name__, url_prefix="/jury")


def _election() -> Election:
    return election_from_request()


@bp.get("")
@roles_required("jury", "organiser")
def overview():
    election = _election()
    session = get_session()
    held = sealed.is_held(session, election)
    openings = list(sealed.openings_file(session, election)) if held else None
    return render_template(
        "jury/overview.html",
        election=election,
        turnout=turnout(session, election),
        eligible=eligible_count(session, election),
        head=audit.tree_head(session, election),
        checkpoint=audit.latest_checkpoint(session, election),
        witnesses=witnessing.summary(session, election),
        fingerprints=audit.fingerprints_shown(session, election),
        check=board_check.check_board(session, election, services.signer(), openings=openings),
        openings_ready=sealed.tally(session, election) is not None,
        vkey=services.signer().verifier_key(election.origin).vkey,
    )


@bp.get("/log")
@roles_required("jury", "organiser")
def log():
    election = _election()
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    receipt = request.args.get("receipt", "").strip() or None
    view = board_page(election, kind=kind, receipt=receipt, page=page_number())
    return render_template("jury/log.html", receipt=receipt or "", **view)


@bp.get("/openings.jsonl")
@roles_required("jury", "organiser")
def openings():
    """The openings of the sealed tally: the result, checkable before the stage reveals it."""
    election = _election()
    if sealed.tally(get_session(), election) is None:
        abort(409, description=_("The openings exist once voting has closed."))
    return Response(
        b"".join(sealed.openings_file(get_session(), election)),
        mimetype="application/jsonl",
        headers={
            "Content-Disposition": f'attachment; filename="openings-{election.slug}.jsonl"',
            "Cache-Control": "no-store",
        },
    )
