"""Public results: what the reveal has shown so far, then everything with exports.

Nothing is shown here before its moment on stage: an award's counts appear when its bars
have been shown, the exports and the certificate when the reveal is over.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template
from flask_babel import gettext as _

from voting import services, verify
from voting.certificate import make_certificate
from voting.db import get_session, read_from_replica
from voting.domain.spreadsheet import BOM, CsvLines
from voting.models import Election
from voting.operations import audit, sealed
from voting.operations.reveal import final_results, reveal_state
from voting.web.auth import public
from voting.web.charts import bars_chart
from voting.web.common import election_or_404, pdf_response

bp = Blueprint("results", __name__, url_prefix="/results")
bp.before_request(read_from_replica)  # public pages that write nothing


def _final(slug: str) -> tuple[Election, dict]:
    election = election_or_404(slug)
    if not election.is_revealed:
        abort(409, description=_("The results are published once the reveal on stage has ended."))
    return election, final_results(get_session(), election)


@bp.get("/<slug>")
@public
def show(slug: str):
    election = election_or_404(slug)
    state = reveal_state(get_session(), election)
    awards = [
        (
            award,
            bars_chart(award.finalists, award.winners, award.unit) if award.counts_shown else None,
        )
        for award in state.awards
    ]
    published = sealed.tally(get_session(), election) if election.is_revealed else None
    channels = (published or {}).get("channels")
    return render_template(
        "results.html", election=election, state=state, awards=awards, channels=channels
    )


@bp.get("/<slug>.json")
@public
def as_json(slug: str):
    return jsonify(_final(slug)[1])


@bp.get("/<slug>.csv")
@public
def as_csv(slug: str):
    """The results for a spreadsheet: UTF-8 with the mark Excel needs, ranks shared on a tie."""
    election, results = _final(slug)
    csv = CsvLines()
    lines = [
        BOM,
        csv.text(
            [
                "award",
                "award_title",
                "rank",
                "nominee",
                "name",
                "organisation",
                "votes",
                "winner",
                "decided_by_jury",
                "score",
            ]
        ),
    ]
    for category in results["categories"]:
        for row in category["results"]:
            won = row["nominee"] in category["winners"]
            lines.append(
                csv.text(
                    [
                        category["slug"],
                        category["title"],
                        row["rank"],
                        row["nominee"],
                        row["name"],
                        row["organisation"],
                        row.get("votes", ""),
                        "yes" if won else "no",
                        "yes" if won and category["decided_by_jury"] else "no",
                        verify.row_score(row),  # what the award is won on, by its method
                    ]
                )
            )
        lines.append(
            csv.text(
                [
                    category["slug"],
                    category["title"],
                    "",
                    "",
                    "(abstentions)",
                    "",
                    category["abstentions"],
                    "",
                    "",
                    "",
                ]
            )
        )
    return Response(
        "".join(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="results-{election.slug}.csv"'},
    )


@bp.get("/<slug>/certificate.pdf")
@public
def certificate(slug: str):
    election, results = _final(slug)
    final = audit.current_checkpoint(get_session(), election, services.signer())
    pdf = make_certificate(results, final, services.signer())
    return pdf_response(pdf, f"certificate-{election.slug}.pdf")
