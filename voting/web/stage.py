"""The projector: live turnout while voting is open, then the reveal, award by award.

The page works as a plain page that refreshes itself; stage.js, when it runs, updates the
turnout in place and lets an organiser step the reveal with the keyboard. The step is held
on the server, so a reload or a second screen shows the same moment.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from voting import services
from voting.db import get_session, read_from_replica, writing
from voting.domain.public_address import PublicUrlMissing
from voting.errors import VotingError
from voting.models import Election
from voting.operations import audit, trustee_key, witnessing
from voting.operations.layout import load_categories
from voting.operations.results import turnout
from voting.operations.reveal import RevealState, advance, decide_tie, reveal_state
from voting.web.auth import public, roles_required
from voting.web.charts import bars_chart, runoff_rounds
from voting.web.common import actor, election_or_404
from voting.web.texts import error_text, translated, witnesses_text

bp = Blueprint("stage", __name__, url_prefix="/stage")


@lru_cache(maxsize=32)
def qr_svg(url: str, title: str) -> Markup:
    """The voting address as an inline SVG QR code (no image request, no script), with a
    viewBox and no fixed size, so the page scales it whole."""
    svg = segno.make(url, error="m").svg_inline(
        scale=10, border=2, dark="#000", light="#fff", omitsize=True, title=title
    )
    # segno's own SVG markup, drawn from our public URL: no outside input reaches it.
    return Markup(svg)  # noqa: S704  # nosec B704


def _version(election: Election, state: RevealState) -> str:
    """Changes when the screen must change; turnout updates in place without it."""
    sealed = ":sealed" if state.sealed_fingerprint else ""
    return f"{election.state}:{state.step}{sealed}"


def _view(election: Election) -> dict:
    session = get_session()
    state = reveal_state(session, election)
    cast = turnout(session, election)
    show, award_slug = state.screen
    award = state.award(award_slug)
    try:  # the QR code goes out to every phone in the hall: PUBLIC_URL, as on the cards
        base = services.ballot_base_url()
    except PublicUrlMissing:
        base = None
    vote_url = base + url_for("voter.howto", slug=election.slug) if base else None
    checkpoint = audit.latest_checkpoint(session, election)
    return {
        "election": election,
        "state": state,
        "show": show if election.is_over else election.state,
        "award": award,
        "bars": bars_chart(award.finalists, award.winners, award.unit)
        if award and award.counts_shown
        else None,
        "rounds": runoff_rounds(award.finalists, award.rounds, award.winners)
        if award and award.counts_shown and len(award.rounds) > 1
        else [],
        "categories": load_categories(session, election),
        "turnout": cast,
        "ballots": cast.ballots,
        "eligible": cast.eligible,
        "percent": cast.percent,
        "vote_url": vote_url,
        "vote_host": base.split("://", 1)[-1] if base else None,
        "qr": qr_svg(vote_url, _("QR code to %(address)s", address=vote_url))
        if election.is_open and vote_url
        else None,
        "fingerprint": checkpoint.fingerprint if checkpoint else None,
        "witnesses": witnessing.summary(session, election),
        "opens_at": election.local_time(election.opens_at),
        "version": _version(election, state),
        "organiser": current_user.is_authenticated and current_user.role == "organiser",
        # Closed with a trustee, before K shares opened the ballots: nothing to reveal yet.
        "encrypted": trustee_key.awaiting_shares(session, election),
    }


@bp.get("/<slug>")
@public
def show(slug: str):
    read_from_replica()  # the projector and the room's phones: read from a replica if any
    return render_template("stage/stage.html", **_view(election_or_404(slug)))


@bp.get("/<slug>.json")
@public
def feed(slug: str):
    """What the page polls: turnout always; of each award only what has been revealed."""
    read_from_replica()
    view = _view(election_or_404(slug))
    state: RevealState = view["state"]
    return jsonify(
        {
            "election": slug,
            "state": view["election"].state,
            "version": view["version"],
            "ballots": view["ballots"],
            "eligible": view["eligible"],
            "percent": view["percent"],
            "turnout_text": _(
                "%(ballots)s of %(eligible)s", ballots=view["ballots"], eligible=view["eligible"]
            ),
            "fingerprint": view["fingerprint"],
            "witnesses_text": witnesses_text(view["witnesses"]) if view["witnesses"] else None,
            "fingerprints": state.fingerprints,
            "step": state.step,
            "screen": list(state.screen) if state.sealed_fingerprint else None,
            "sealed_fingerprint": state.sealed_fingerprint,
            "awards": [
                {
                    "slug": a.slug,
                    "title": a.title,
                    "translations": a.translations,
                    "finalists": a.finalists,
                    "winners": a.winners,
                    "decided_by_jury": a.decided_by_jury,
                    "abstentions": a.abstentions,
                }
                for a in state.awards
            ],
        }
    )


SCREEN_LABELS = {
    "intro": _l("the sealed result's fingerprint"),
    "finalists": _l("the finalists of “%(award)s”"),
    "winner": _l("the winner of “%(award)s”"),
    "bars": _l("the votes for “%(award)s”"),
    "summary": _l("all the winners, and the reveal is over"),
}


def screen_label(state: RevealState, screen: tuple[str, str | None] | None) -> str:
    """What a reveal screen shows, in words, with the award's title rather than its slug."""
    if screen is None:
        return _("nothing: the reveal is over")
    show, slug = screen
    award = state.award(slug)
    title = translated(award, "title") if award else ""
    return str(SCREEN_LABELS[show]) % {"award": title}


@bp.get("/<slug>/remote")
@roles_required("organiser")
def remote(slug: str):
    view = _view(election_or_404(slug))
    state: RevealState = view["state"]
    waiting = state.award(state.waiting_for_jury) if state.waiting_for_jury else None
    tied = [f for f in waiting.finalists if f["slug"] in state.tied] if waiting else []
    return render_template(
        "stage/remote.html",
        waiting=waiting,
        tied=tied,
        on_screen=screen_label(state, state.screen),
        up_next=screen_label(state, state.next_screen),
        updated_at=view["election"].local_time(services.now()),
        **view,
    )


@bp.post("/<slug>/next")
@roles_required("organiser")
def next_step(slug: str):
    election = election_or_404(slug)
    session = get_session()
    try:
        with writing(session):
            advance(session, actor(), election, services.signer(), services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    return redirect(_back_to(slug), 303)


@bp.post("/<slug>/tie")
@roles_required("organiser")
def record_tie(slug: str):
    election = election_or_404(slug)
    session = get_session()
    award, winner = request.form.get("award", ""), request.form.get("winner", "")
    try:
        with writing(session):
            decide_tie(session, actor(), election, award, winner, services.now())
    except VotingError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The jury's decision is recorded."))
    return redirect(url_for(".remote", slug=slug), 303)


def _back_to(slug: str) -> str:
    """Back to where the organiser pressed "next": the projector page or the remote."""
    if request.form.get("from") == "stage":
        return url_for(".show", slug=slug)
    return url_for(".remote", slug=slug)
