"""B4: the app's tally of many ballots, against a bare SQL GROUP BY over the same rows.

The tally is what closing the vote seals: the awards loaded, the choices counted, each
award ranked with its tie rule, the turnout counted. The baseline is the GROUP BY alone,
sent through the raw database driver.

    python -m bench.b4_tally [--ballots 100000]
"""

from __future__ import annotations

import argparse

from bench.setup import Instance, closed_elections
from bench.timing import best_of_pairs
from voting.db import get_session
from voting.operations.elections import find_election
from voting.operations.layout import load_categories
from voting.operations.results import count_election

TARGET = 3.0
GROUP_BY = (
    "SELECT category_id, nominee_id, count(*) FROM ballot_choices "
    "WHERE election_id = {0} GROUP BY category_id, nominee_id"
)


def measure_on(where: Instance, ballots: int, rounds: int = 7) -> dict:
    """Time the tally on an instance that already holds *ballots* ballots."""
    app = where.app()
    with app.app_context():
        session = get_session()
        election = find_election(session, "ecc2016")
        engine = session.get_bind()
        raw = engine.raw_connection()
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"

        def bare() -> None:
            cursor = raw.cursor()
            cursor.execute(GROUP_BY.format(marker), (election.id,))
            cursor.fetchall()
            cursor.close()

        def tally() -> None:
            result = count_election(session, election, load_categories(session, election))
            assert result["ballots"] == ballots, result["ballots"]

        tally_seconds, bare_seconds = best_of_pairs(tally, bare, rounds)
        raw.close()
        session.rollback()
    return {
        "database": where.kind,
        "ballots": ballots,
        "tally_seconds": tally_seconds,
        "group_by_seconds": bare_seconds,
        "ratio": tally_seconds / bare_seconds,
    }


def measure(ballots: int = 100_000) -> list[dict]:
    """The tally on both databases, over the very same ballots."""
    with closed_elections(ballots) as (instances, _):
        return [measure_on(where, ballots) for where in instances.values()]


def report(figures: dict) -> str:
    return (
        f"B4 tally of {figures['ballots']} ballots on {figures['database']}: "
        f"{1000 * figures['tally_seconds']:.1f} ms, bare GROUP BY "
        f"{1000 * figures['group_by_seconds']:.1f} ms, ratio {figures['ratio']:.2f} "
        f"(target <= {TARGET:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    args = parser.parse_args()
    for figures in measure(args.ballots):
        print(report(figures))


if __name__ == "__main__":
    main()
