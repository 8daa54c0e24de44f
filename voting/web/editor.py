"""The awards editor (under /admin/election): the organiser changes the draft election in the
browser, one award or finalist at a time, instead of loading a TOML file.

Each change is applied to the definition as a whole and checked exactly like a file
(voting/domain/editing.py, then voting/domain/definition.py), then stored by one operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting import services
from voting.db import get_session, writing
from voting.domain import editing
from voting.domain.definition import (
    CATEGORY_TEXTS,
    ELECTION_TEXTS,
    NOMINEE_TEXTS,
    DefinitionError,
    read_definition,
)
from voting.domain.editing import editable, from_board
from voting.errors import VotingError
from voting.models import Election
from voting.operations.elections import edit_election
from voting.web.auth import roles_required
from voting.web.common import actor, election_from_request
from voting.web.language import NAMES
from voting.web.texts import COMBINE_LABELS, METHOD_LABELS, TIE_RULE_LABELS, error_text

bp = Blueprint("editor", __name__, url_prefix="/admin/election")
ORGANISER = "organiser"


def _document(election: Election) -> dict:
    return editable(from_board(json.loads(election.definition)))


def _other_languages(document: dict) -> list[str]:
    """The languages besides the default that the election's texts may be given in."""
    languages = document["election"].get("languages") or current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return [code for code in languages if code != default]


def _back(election: Election):
    return redirect(url_for(".show", election=election.slug), 303)


@bp.get("")
@roles_required(ORGANISER)
def show(errors: list[str] | None = None, status: int = 200):
    election = election_from_request()
    document = _document(election)
    return (
        render_template(
            "console/editor.html",
            election=election,
            document=document,
            tie_rules=TIE_RULE_LABELS,
            method_labels=METHOD_LABELS,
            combine_labels=COMBINE_LABELS,
            errors=errors or [],
            editable=election.is_draft,
            other_languages=[(code, NAMES.get(code, code)) for code in _other_languages(document)],
        ),
        status,
    )


def _edit(change: Callable[[dict], object], what: str):
    """Apply one edit to the draft definition, check it like a file, store it, log it."""
    election = election_from_request()
    if not election.is_draft:
        flash(_("Voting has opened: the awards can no longer change."), "error")
        return _back(election)
    document = _document(election)
    try:
        change(document)
        definition = read_definition(document)
    except editing.EditError as exc:
        return show(errors=[error_text(exc)], status=422)
    except DefinitionError as exc:
        return show(errors=exc.errors, status=422)
    session = get_session()
    try:
        with writing(session):
            edit_election(
                session,
                actor(),
                election,
                definition,
                services.now(),
                change=what,
                ensure_delivery_key=services.keys().ensure_delivery_key,
            )
    except VotingError as exc:
        flash(error_text(exc), "error")
        return _back(election)
    flash(_("Saved."))
    return _back(election)


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _translations(*names: str) -> editing.Translations:
    """The per-language texts a form sent, as fields named "title@de"; only those it has."""
    languages = _other_languages(_document(election_from_request()))
    return {
        language: {
            name: request.form[f"{name}@{language}"]
            for name in names
            if f"{name}@{language}" in request.form
        }
        for language in languages
    }


def _delta() -> int:
    return {"up": -1, "down": 1}.get(request.form.get("move", ""), 0)


def _named(items: list[dict], slug: str) -> dict | None:
    return next((item for item in items if item["slug"] == slug), None)


def _confirmed_removal(what: str, detail: str):
    """Removing cannot be undone in one click: the first press shows what would go."""
    if request.form.get("confirm") == "yes":
        return None
    election = election_from_request()
    return render_template(
        "console/confirm_remove.html",
        election=election,
        what=what,
        detail=detail,
        action=url_for(request.endpoint or "", election=election.slug, **(request.view_args or {})),
    )


@bp.post("/details")
@roles_required(ORGANISER)
def edit_details():
    values = _form("title", "place", "timezone", "tie_rule", "opens_at", "closes_at")
    translations = _translations(*ELECTION_TEXTS)
    return _edit(lambda doc: editing.set_details(doc, values, translations), "details")


@bp.post("/awards")
@roles_required(ORGANISER)
def add_award():
    values = _form("title", "description")
    return _edit(
        lambda doc: editing.add_category(doc, values["title"], values["description"]),
        f"award added: {values['title']}",
    )


@bp.post("/awards/<slug>")
@roles_required(ORGANISER)
def change_award(slug: str):
    if request.form.get("delete") == "yes":
        category = _named(_document(election_from_request())["categories"], slug)
        if category is not None:
            confirm = _confirmed_removal(
                category["title"],
                _(
                    "The award and its %(count)s finalists will be removed.",
                    count=len(category["nominees"]),
                ),
            )
            if confirm:
                return confirm
        return _edit(lambda doc: editing.remove_category(doc, slug), f"award removed: {slug}")
    if _delta():
        delta = _delta()
        return _edit(lambda doc: editing.move_category(doc, slug, delta), f"award moved: {slug}")
    if request.form.get("counting") == "yes":
        method = request.form.get("method", "plurality")[:16]
        most, points = request.form.get("max_choices", "")[:8], request.form.get("points", "")[:200]
        no_award = request.form.get("no_award") == "yes"
        weight = request.form.get("jury_weight", "")[:16]
        combine = request.form.get("jury_combine", "rank-points")[:16]
        return _edit(
            lambda doc: editing.set_counting(
                doc, slug, method, most, points, no_award, weight, combine
            ),
            f"award counted by {method}: {slug}",
        )
    values = _form("title", "description")
    translations = _translations(*CATEGORY_TEXTS)
    return _edit(
        lambda doc: editing.update_category(doc, slug, values, translations),
        f"award changed: {slug}",
    )


@bp.post("/awards/<slug>/finalists")
@roles_required(ORGANISER)
def add_finalist(slug: str):
    values = _form(*editing.NOMINEE_TEXTS)
    return _edit(
        lambda doc: editing.add_nominee(doc, slug, values), f"finalist added: {values['name']}"
    )


@bp.post("/awards/<slug>/finalists/<nominee>")
@roles_required(ORGANISER)
def change_finalist(slug: str, nominee: str):
    what = f"{slug}/{nominee}"
    if request.form.get("delete") == "yes":
        category = _named(_document(election_from_request())["categories"], slug)
        finalist = category and _named(category["nominees"], nominee)
        if category is not None and finalist is not None:
            confirm = _confirmed_removal(
                finalist["name"],
                _(
                    "%(name)s will no longer be a finalist of %(award)s.",
                    name=finalist["name"],
                    award=category["title"],
                ),
            )
            if confirm:
                return confirm
        return _edit(
            lambda doc: editing.remove_nominee(doc, slug, nominee), f"finalist removed: {what}"
        )
    if _delta():
        delta = _delta()
        return _edit(
            lambda doc: editing.move_nominee(doc, slug, nominee, delta), f"finalist moved: {what}"
        )
    values = _form(*editing.NOMINEE_TEXTS)
    translations = _translations(*NOMINEE_TEXTS)
    return _edit(
        lambda doc: editing.update_nominee(doc, slug, nominee, values, translations),
        f"finalist changed: {what}",
    )


@bp.post("/witnesses")
@roles_required(ORGANISER)
def add_witness():
    url, key = request.form.get("url", "")[:300], request.form.get("key", "")[:300]
    return _edit(lambda doc: editing.add_witness(doc, url, key), f"witness added: {url}")


@bp.post("/witnesses/quorum")
@roles_required(ORGANISER)
def set_witness_quorum():
    typed = request.form.get("quorum", "")[:8]
    return _edit(lambda doc: editing.set_witness_quorum(doc, typed), f"witness quorum: {typed}")


@bp.post("/witnesses/remove")
@roles_required(ORGANISER)
def remove_witness():
    name = request.form.get("name", "")[:200]  # added again in one step: no confirmation
    return _edit(lambda doc: editing.remove_witness(doc, name), f"witness removed: {name}")


@bp.post("/trustee")
@roles_required(ORGANISER)
def set_trustee():
    """Ask for a trustee (ballots encrypted to the jury's key), or no longer, in a draft."""
    wanted = request.form.get("trustee") == "yes"

    def change(document: dict) -> None:
        document["election"]["trustee"] = wanted

    return _edit(change, f"trustee: {'yes' if wanted else 'no'}")
