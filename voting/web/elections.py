"""Elections in the console (under /admin/elections): the list, a new election from a form,
and an election copied as the template of the next. What a fresh install shows at /admin.
"""

from __future__ import annotations

import json
from zoneinfo import available_timezones

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from voting import services
from voting.db import get_session, writing
from voting.domain.definition import DefinitionError, read_definition
from voting.domain.editing import from_board, slugify
from voting.errors import VotingError
from voting.operations.elections import create_election, list_elections
from voting.web.auth import roles_required
from voting.web.common import actor, election_from_request
from voting.web.texts import TIE_RULE_LABELS, error_text

bp = Blueprint("elections", __name__, url_prefix="/admin/elections")
ORGANISER = "organiser"
FIELDS = ("title", "slug", "timezone", "tie_rule", "opens_at", "closes_at")


def overview(errors: list[str] | None = None, values: dict | None = None, status: int = 200):
    """Every election, and the form for a new one (all a fresh install has)."""
    values = values or {"timezone": "UTC", "tie_rule": "jury"}
    return (
        render_template(
            "console/elections.html",
            elections=list_elections(get_session()),
            timezones=sorted(available_timezones()),
            tie_rules=TIE_RULE_LABELS,
            app_languages=current_app.config["LANGUAGES"],
            errors=errors or [],
            values=values,
        ),
        status,
    )


@bp.route("", methods=["GET", "POST"])
@roles_required(ORGANISER)
def index():
    """The list and the form; a POST creates the election the form describes."""
    if request.method == "GET":
        return overview()
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    languages = [code for code in request.form.getlist("languages") if code]
    table = {name: value for name, value in values.items() if value}
    table.setdefault("slug", slugify(values["title"], _taken()) if values["title"] else "")
    if languages:
        table["languages"] = languages
    try:
        definition = read_definition({"election": table}, draft=True)
    except DefinitionError as exc:
        return overview(errors=exc.errors, values={**values, "languages": languages}, status=422)
    return _store(definition)


def _taken() -> set[str]:
    return {election.slug for election in list_elections(get_session())}


@bp.post("/copy")
@roles_required(ORGANISER)
def copy():
    """A copy of this election's awards and finalists, as the draft of the next event."""
    template = election_from_request()
    board = json.loads(template.definition)
    title = request.form.get("title", "").strip() or template.title
    board.update(title=title, slug=request.form.get("slug", "").strip() or slugify(title, _taken()))
    for moment in ("opens_at", "closes_at"):
        board.pop(moment, None)
    for texts in board.get("translations", {}).values():
        texts.pop("title", None)
    try:
        definition = from_board(board)
    except DefinitionError as exc:
        return overview(errors=exc.errors, status=422)
    return _store(definition, template)


def _store(definition, template=None):  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        with writing(session):
            election = create_election(
                session,
                actor(),
                definition,
                services.now(),
                ensure_delivery_key=services.keys().ensure_delivery_key,
                origin_base=services.board_origin_base(),
                template=template,
            )
    except VotingError as exc:
        return overview(errors=[error_text(exc)], status=409)
    return redirect(url_for("editor.show", election=election.slug), 303)
