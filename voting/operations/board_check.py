"""The server's own run of the one-file verifier over its board, for the jury's overview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from voting import verify
from voting.models import Election
from voting.operations.audit import LogSigner, export_board, tree_head


@dataclass(frozen=True)
class BoardCheck:
    """The server's own run of the verifier over its board, for the jury's overview."""

    size: int
    report: verify.BoardReport | None
    failure: str | None


def check_board(
    session: Session,
    election: Election,
    signer: LogSigner,
    openings: Sequence[bytes] | None = None,
) -> BoardCheck:
    """Export the board and verify it, as a juror would (partial while voting goes on), with
    the jury's *openings* of a sealed tally when given."""
    lines = list(export_board(session, election, signer))
    size = tree_head(session, election).size
    try:
        report = verify.verify_board(
            lines,
            partial=not election.is_over,
            key=signer.verifier_key(election.origin).vkey,
            openings=openings,
        )
    except verify.BoardError as exc:
        return BoardCheck(size=size, report=None, failure=str(exc))
    return BoardCheck(size=size, report=report, failure=None)
