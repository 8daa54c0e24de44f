"""A trivial endpoint for load balancers and benchmarks: the app answers, nothing more."""

from __future__ import annotations

from flask import Blueprint, Response

from voting.web.auth import public

bp = Blueprint("health", __name__)


@bp.get("/health")
@public
def health() -> Response:
    return Response("ok\n", mimetype="text/plain")
