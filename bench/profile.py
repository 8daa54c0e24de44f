"""Profiles behind docs/performance.md: where the time of each benchmark goes.

    python -m bench.profile voter-path [--database postgresql]
    python -m bench.profile voter-steps [--database postgresql]
    python -m bench.profile verify | tally | cards

Each runs the work in this one process under pyinstrument and prints the call tree. The
voter path runs through Flask's test client, so the profile shows the app alone, without
gunicorn or the load generator; voter-steps times each of its requests there, beside the
bare Flask reference's (bench/bare_app.py), with no profiler.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pyinstrument import Profiler

from bench.setup import DATABASES, closed_elections, instance, open_election_with

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="([^"]+)"')
CHOICES = {"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"}


def voter_path(client, token: str) -> None:
    """The six requests of B1's voter, in process."""
    client.get(f"/v/{token}")
    ballot = client.get("/ballot").get_data(as_text=True)
    client.post("/ballot", data={"csrf_token": CSRF.search(ballot).group(1), **CHOICES})
    review = client.get("/review").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(review).group(1), "attempt": ATTEMPT.search(review).group(1)}
    client.post("/cast", data={**form, **CHOICES})
    client.get("/receipt")


def profile_voter_path(kind: str, paths: int = 500) -> Profiler:
    with instance(kind) as where:
        app = where.app()
        tokens = open_election_with(app, paths + 20)
        for token in tokens[:20]:
            voter_path(app.test_client(), token)  # warm caches and connections
        profiler = Profiler(interval=0.0005)
        with profiler:
            for token in tokens[20:]:
                voter_path(app.test_client(), token)
    return profiler


def voter_steps(kind: str, paths: int = 300) -> str:
    """Milliseconds per request of each step, the app's and the bare reference's, and the
    B1 ratio (paths per trivial request) each gives in process."""
    import bench.bare_app as bare

    def timed_path(client, token: str, times: dict[str, float]) -> None:
        def step(name: str, call):
            started = time.perf_counter()
            response = call()
            times[name] += time.perf_counter() - started
            return response.get_data(as_text=True)

        step("GET /v/<token>", lambda: client.get(f"/v/{token}"))
        ballot = step("GET /ballot", lambda: client.get("/ballot"))
        chosen = {"csrf_token": CSRF.search(ballot).group(1), **CHOICES}
        step("POST /ballot", lambda: client.post("/ballot", data=chosen))
        review = step("GET /review", lambda: client.get("/review"))
        form = {"csrf_token": CSRF.search(review).group(1), **CHOICES}
        form["attempt"] = ATTEMPT.search(review).group(1)
        step("POST /cast", lambda: client.post("/cast", data=form))
        step("GET /receipt", lambda: client.get("/receipt"))
        step("GET /health", lambda: client.get("/health"))

    def run(app, tokens: list[str]) -> dict[str, float]:
        times: dict[str, float] = defaultdict(float)
        for token in tokens[:20]:
            timed_path(app.test_client(), token, defaultdict(float))  # warm up
        for token in tokens[20:]:
            timed_path(app.test_client(), token, times)
        return {name: 1000 * seconds / (len(tokens) - 20) for name, seconds in times.items()}

    reference = run(bare.app, [f"bare-{n}" for n in range(paths + 20)])
    with instance(kind) as where:
        app = where.app()
        measured = run(app, open_election_with(app, paths + 20))
    lines = [f"{'request':16} {'app ms':>8} {'bare ms':>8}"]
    lines += [f"{name:16} {measured[name]:8.2f} {reference[name]:8.2f}" for name in measured]

    def ratio(times: dict[str, float]) -> float:
        return times["GET /health"] / sum(v for k, v in times.items() if k != "GET /health")

    lines.append(
        f"paths per trivial request: app {ratio(measured):.3f}, bare {ratio(reference):.3f}, "
        f"app / bare {ratio(measured) / ratio(reference):.2f}"
    )
    return "\n".join(lines)


def profile_verify(ballots: int) -> Profiler:
    from bench.b3_verification import export
    from voting import verify

    with closed_elections(ballots) as (instances, _), tempfile.TemporaryDirectory() as folder:
        board, _key = export(instances["sqlite"], Path(folder))
        lines = board.read_bytes().splitlines()
    profiler = Profiler(interval=0.0005)
    with profiler:
        verify.verify_board(lines)
    return profiler


def profile_tally(ballots: int, kind: str) -> Profiler:
    from voting.db import get_session
    from voting.operations.elections import find_election
    from voting.operations.layout import load_categories
    from voting.operations.results import count_election

    with closed_elections(ballots) as (instances, _):
        app = instances[kind].app()
        with app.app_context():
            session = get_session()
            election = find_election(session, "ecc2016")
            profiler = Profiler(interval=0.0001)
            with profiler:
                for _ in range(10):
                    count_election(session, election, load_categories(session, election))
    return profiler


def profile_cards(attendees: int) -> Profiler:
    from bench import b5_issuance

    profiler = Profiler(interval=0.001)
    with profiler:
        b5_issuance.measure(attendees)
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["voter-path", "voter-steps", "verify", "tally", "cards"])
    parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument("--size", type=int, help="paths, ballots or attendees")
    args = parser.parse_args()
    if args.what == "voter-steps":
        print(voter_steps(args.database, args.size or 300))
        return
    if args.what == "voter-path":
        profiler = profile_voter_path(args.database, args.size or 500)
    elif args.what == "verify":
        profiler = profile_verify(args.size or 20_000)
    elif args.what == "tally":
        profiler = profile_tally(args.size or 20_000, args.database)
    else:
        profiler = profile_cards(args.size or 1_000)
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
