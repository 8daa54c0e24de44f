"""B5: issuing ballots: personal links as CSV, and QR cards as one PDF.

The cards are measured against the QR library alone (segno) making the same codes;
the links against nothing (they are a keyed hash and a signature each).

    python -m bench.b5_issuance [--attendees 10000]
"""

from __future__ import annotations

import argparse
import csv
import io

import segno

from bench.setup import instance, open_election_with
from bench.timing import best_of_pairs, seconds
from voting import services
from voting.cards import render_cards
from voting.db import get_session
from voting.operations.elections import find_election
from voting.operations.tokens import personal_cards, personal_links
from voting.web.texts import card_howto

TARGET = 3.0


def measure(attendees: int = 10_000, rounds: int = 1) -> dict:
    with instance("sqlite") as where:
        app = where.app()
        open_election_with(app, attendees)
        with app.test_request_context():
            session = get_session()
            election = find_election(session, "ecc2016")
            codec, key = services.codec(), services.keys().delivery_key(election.slug)
            base = "https://vote.example.org"

            def links() -> None:
                out = io.StringIO()
                writer = csv.writer(out)
                writer.writerow(["name", "email", "url"])
                for link in personal_links(session, election, codec, key, base):
                    writer.writerow([link.name, link.email, link.url])

            cards = personal_cards(session, election, codec, key, base)
            pdf: list[bytes] = []

            def render() -> None:
                pdf[:] = [
                    render_cards(
                        cards,
                        title=election.title,
                        entry_url=f"{base}/code",
                        howto=card_howto,
                        layout="a4",
                    )
                ]

            def qr_alone() -> None:
                for card in cards:
                    segno.make(card.url, error="m", micro=False)

            links_seconds = min(seconds(links) for _ in range(rounds))
            cards_seconds, qr_seconds = best_of_pairs(render, qr_alone, rounds)
    return {
        "attendees": attendees,
        "links_seconds": links_seconds,
        "cards_seconds": cards_seconds,
        "qr_seconds": qr_seconds,
        "pdf_megabytes": len(pdf[0]) / 1e6,
        "ratio": cards_seconds / qr_seconds,
    }


def report(figures: dict) -> str:
    count = figures["attendees"]
    return (
        f"B5 issuance for {count} attendees: links CSV {figures['links_seconds']:.2f} s "
        f"({count / figures['links_seconds']:.0f}/s); "
        f"QR cards PDF {figures['cards_seconds']:.1f} s "
        f"({figures['pdf_megabytes']:.1f} MB), segno alone {figures['qr_seconds']:.1f} s, "
        f"ratio {figures['ratio']:.2f} (target <= {TARGET:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=10_000)
    args = parser.parse_args()
    print(report(measure(args.attendees)))


if __name__ == "__main__":
    main()
