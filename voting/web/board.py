"""The public audit board: anyone may read the log, look a receipt up and fetch proofs.

No login and no personal data: the log names no attendee. While voting is open, ballots
are sealed, so nothing here shows a partial result.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from voting import services, verify
from voting.db import get_session, primary_session, read_from_replica, uses_replica
from voting.models import Election
from voting.operations import audit, batches, witnessing
from voting.web.auth import public
from voting.web.board_entries import KINDS, describe
from voting.web.common import ascii_number, election_from_request, page_number
from voting.web.errors import message_page

bp = Blueprint("board", __name__)
PER_PAGE = 50
# Every page here is public and writes nothing: with a replica it serves them.
bp.before_request(read_from_replica)


def _election() -> Election:
    return election_from_request()


def board_page(election: Election, *, kind: str | None, receipt: str | None, page: int) -> dict:
    """What the board (and the jury's log) shows: checkpoint, size and a page of entries."""
    session = get_session()
    entries, pages = audit.find_entries(
        session, election, kind=kind, receipt=receipt, page=page, per_page=PER_PAGE
    )
    return {
        "election": election,
        "head": audit.tree_head(session, election),
        "checkpoint": _cosigned(session, election, audit.latest_checkpoint(session, election)),
        "witnesses": witnessing.summary(session, election),
        "entries": [describe(entry) for entry in entries],
        "page": min(page, pages),
        "pages": pages,
        "kind": kind,
        "kinds": KINDS,
    }


def _cosigned(session, election: Election, checkpoint):  # type: ignore[no-untyped-def]
    """The checkpoint as shown: its note with the witnesses' cosignatures."""
    return witnessing.cosigned(session, election, checkpoint) if checkpoint else None


def _checkpoint_json(checkpoint) -> dict | None:
    if checkpoint is None:
        return None
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": checkpoint.root.hex(),
        "fingerprint": checkpoint.fingerprint,
        "note": checkpoint.note,
    }


@bp.get("/board")
@public
def index():
    election = _election()
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    return render_template(
        "board.html", **board_page(election, kind=kind, receipt=None, page=page_number())
    )


@bp.get("/board.json")
@public
def index_json():
    election = _election()
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    view = board_page(election, kind=kind, receipt=None, page=page_number())
    return jsonify(
        {
            "election": election.slug,
            "title": election.title,
            "state": election.state,
            "origin": election.origin,
            "size": view["head"].size,
            "checkpoint": _checkpoint_json(view["checkpoint"]),
            "page": view["page"],
            "pages": view["pages"],
            "entries": [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "leaf_hash": e.leaf_hash,
                    "receipt": e.receipt,
                    "entry": e.entry,
                }
                for e in view["entries"]
            ],
        }
    )


@bp.get("/board.jsonl")
@public
def export():
    election = _election()
    lines = audit.export_board(get_session(), election, services.signer())
    return Response(
        b"".join(lines),
        mimetype="application/jsonl",
        headers={"Content-Disposition": f'attachment; filename="board-{election.slug}.jsonl"'},
    )


@bp.get("/board/key")
@public
def key():
    election = _election()
    vkey = services.signer().verifier_key(election.origin).vkey
    return Response(vkey + "\n", mimetype="text/plain")


@bp.get("/board/verify.py")
@public
def verifier():
    """The one-file offline verifier, to run on a juror's own machine."""
    source = Path(verify.__file__).read_bytes()
    return Response(
        source,
        mimetype="text/x-python",
        headers={"Content-Disposition": 'attachment; filename="verify.py"'},
    )


@bp.get("/board/checkpoint")
@public
def checkpoint():
    """The latest checkpoint as a note file, with its cosignatures: what a juror saves to
    check the log later."""
    election, session = _election(), get_session()
    current = audit.current_checkpoint(session, election, services.signer())
    note = witnessing.cosigned(session, election, current).note
    return Response(note, mimetype="text/plain")


@bp.get("/board/receipt")
@public
def receipt_search():
    code = request.args.get("code", "")
    return redirect(url_for(".receipt", code=code) if code.strip() else url_for(".index"), 303)


def _receipt_proof(code: str):
    session = get_session()
    found = audit.prove_receipt(session, services.log_trees(), services.signer(), code)
    if found is None:
        return None
    cosigned = witnessing.cosigned(session, found.election, found.checkpoint)
    return dataclasses.replace(found, checkpoint=cosigned)


def _recorded(code: str) -> bool:
    """Not on the board this page reads, but cast: waiting for its batch, or (read from a
    replica that lags) already on the primary's board. Either way "not yet visible"."""
    primary = primary_session() if uses_replica() else get_session()
    return batches.recorded_receipt(primary, code) is not None


@bp.get("/board/receipt/<code>")
@public
def receipt(code: str):
    found = _receipt_proof(code)
    if found is None and _recorded(code):
        return message_page(
            _("Your ballot is recorded"),
            _(
                "Ballots join the public board in batches, in random order, so that nobody "
                "can tell from the board when a ballot was cast. Yours is recorded and will "
                "appear with the next batch, usually within a minute: look it up again then."
            ),
            200,
        )
    if found is None:
        return message_page(
            _("Receipt not found"),
            _("No ballot has this receipt code. Check the code and try again."),
            404,
        )
    return render_template(
        "board_receipt.html",
        found=found,
        entry=describe(found.entry),
        proof=[node.hex() for node in found.proof],
    )


@bp.get("/board/receipt/<code>.json")
@public
def receipt_json(code: str):
    found = _receipt_proof(code)
    if found is None:
        if _recorded(code):
            # Accepted, not yet on the board: it comes with the next batch.
            return jsonify({"receipt": verify.normalize_receipt(code), "status": "pending"}), 202
        return jsonify({"error": "no ballot has this receipt code"}), 404
    return jsonify(
        {
            "receipt": found.entry.receipt,
            "election": found.election.slug,
            "seq": found.entry.seq,
            "entry": found.entry.body,
            "leaf_hash": found.entry.leaf_hash.hex(),
            "checkpoint": _checkpoint_json(found.checkpoint),
            "signed_now": found.signed_now,
            "proof": [node.hex() for node in found.proof],
            "key": services.signer().verifier_key(found.election.origin).vkey,
        }
    )


@bp.get("/board/consistency")
@public
def consistency():
    election = _election()
    old, new = ascii_number(request.args.get("from")), ascii_number(request.args.get("to"))
    if old is None or new is None:
        return jsonify({"error": "give from and to as tree sizes, e.g. ?from=10&to=20"}), 400
    try:
        old_root, new_root, proof = audit.consistency(
            get_session(), services.log_trees(), election, old, new
        )
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(
        {
            "election": election.slug,
            "from": int(old),
            "to": int(new),
            "from_root": old_root.hex(),
            "to_root": new_root.hex(),
            "proof": [node.hex() for node in proof],
        }
    )
