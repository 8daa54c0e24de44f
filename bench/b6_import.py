"""B6: importing a large attendee list, and how long its write holds the lock.

The file is parsed and checked with no write open (every cast goes on meanwhile); only the
store itself runs in the one short write. Both are timed on SQLite and on PostgreSQL, for a
first import and for a re-import of the same file with one attendee in a hundred changed.

    python -m bench.b6_import [--attendees 100000]
"""

from __future__ import annotations

import argparse

from bench.setup import DATABASES, EXAMPLE, instance
from bench.timing import seconds
from voting import services
from voting.db import get_session, writing
from voting.domain.definition import parse_definition
from voting.domain.roster import parse_roster
from voting.operations.attendees import import_roster
from voting.operations.elections import load_election

ACTOR = "benchmark"


def attendee_file(count: int, changed_every: int = 0) -> bytes:
    """A registration export of *count* people with accented names; every *changed_every*th
    one moved to another organisation."""
    rows = ["Name;E-mail;Company"]
    for i in range(count):
        company = "Moved Cluster" if changed_every and i % changed_every == 0 else f"Hub {i % 80}"
        rows.append(f"Zoë Ström {i};zoe.strom.{i}@example.org;{company}")
    return ("\n".join(rows) + "\n").encode("utf-8")


def measure(kind: str, attendees: int = 100_000) -> dict:
    first, again = attendee_file(attendees), attendee_file(attendees, changed_every=100)
    with instance(kind) as where:
        app = where.app()
        with app.app_context():
            session = get_session()
            with writing(session):
                election = load_election(
                    session,
                    ACTOR,
                    parse_definition(EXAMPLE.read_bytes()),
                    services.now(),
                    ensure_delivery_key=services.keys().ensure_delivery_key,
                ).election
            figures = {"database": kind, "attendees": attendees}
            for label, data in (("first", first), ("again", again)):
                roster = parse_roster(data)
                figures[f"{label}_parse_seconds"] = seconds(lambda data=data: parse_roster(data))

                def store(roster=roster) -> None:
                    with writing(session):
                        import_roster(
                            session, ACTOR, election, roster, services.now(), delivery_key=bytes
                        )

                figures[f"{label}_write_seconds"] = seconds(store)
        app.extensions["voting.db"].dispose()
    return figures


def report(figures: dict) -> str:
    return (
        f"B6 import of {figures['attendees']} attendees on {figures['database']}: parsed in "
        f"{figures['first_parse_seconds']:.2f} s with no write open, stored in "
        f"{figures['first_write_seconds']:.2f} s (the write); again with 1% changed: "
        f"{figures['again_parse_seconds']:.2f} s + {figures['again_write_seconds']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=100_000)
    parser.add_argument("--database", choices=DATABASES)
    args = parser.parse_args()
    for kind in [args.database] if args.database else DATABASES:
        print(report(measure(kind, args.attendees)))


if __name__ == "__main__":
    main()
