"""The public board: anyone may look a receipt up, no login."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from voting.db import get_session
from voting.operations.audit import find_receipt
from voting.web.errors import message_page

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/receipt/<code>")
def receipt(code: str):
    found = find_receipt(get_session(), code)
    if found is None:
        return message_page(
            _("Receipt not found"),
            _("No ballot has this receipt code. Check the code and try again."),
            404,
        )
    return render_template(
        "board_receipt.html",
        receipt=found.entry.receipt,
        entry=found.entry,
        election=found.election,
        head=found.head,
    )
