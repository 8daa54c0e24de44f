"""The trustee's files through the web: the organiser uploads the jury's public key before
opening (or imports the private key the jury rebuilt on a laptop, after the close); each
juror brings their own share on the jury page. The K-th share opens the ballots."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from voting import workflows
from voting.db import get_session
from voting.errors import N_, VotingError
from voting.models import Election
from voting.operations import trustee_shares
from voting.web.auth import roles_required
from voting.web.common import actor, election_from_request
from voting.web.texts import error_text

bp = Blueprint("trustee", __name__)

MAX_FILE = 64 * 1024  # a key or share file is under 2 KB


@bp.app_template_global()
def trustee_status(election: Election) -> trustee_shares.TrusteeStatus | None:
    return trustee_shares.status(get_session(), election)


def _uploaded() -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise VotingError(N_("choose the file to upload"))
    return upload.read(MAX_FILE)


@bp.post("/admin/election/trustee/key")
@roles_required("organiser")
def upload_key() -> Response:
    election = election_from_request()
    try:
        key_id = workflows.upload_trustee_key(get_session(), actor(), election, _uploaded())
    except VotingError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Ballots will be encrypted to the trustee key %(key)s.", key=key_id))
    return redirect(url_for("editor.show", election=election.slug), 303)


@bp.post("/admin/trustee/open")
@roles_required("organiser")
def import_private_key() -> Response:
    """The private key file `verify.py trustee decrypt` wrote from K shares."""
    election = election_from_request()
    try:
        workflows.open_ballots(get_session(), actor(), election, _uploaded())
    except VotingError as error:
        flash(error_text(error), "error")
    else:
        flash(_("The ballots are decrypted and the tally is sealed."))
    return redirect(url_for("console.dashboard", election=election.slug), 303)


@bp.post("/jury/trustee/share")
@roles_required("jury", "organiser")
def bring_share() -> Response:
    election = election_from_request()
    try:
        count, sealed = workflows.bring_trustee_share(get_session(), actor(), election, _uploaded())
    except VotingError as error:
        flash(error_text(error), "error")
    else:
        if sealed is not None:
            flash(_("Your share completed the key: the ballots are open, the tally is sealed."))
        else:
            flash(
                _(
                    "Your share is kept: %(brought)s of the %(threshold)s shares needed.",
                    brought=count.brought,
                    threshold=count.threshold,
                )
            )
    return redirect(url_for("jury.overview", election=election.slug), 303)
