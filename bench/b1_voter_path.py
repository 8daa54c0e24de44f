"""B1: the voter's whole path under load, over HTTP, against gunicorn.

The load generator runs in separate processes (threads inside them, one voter per thread).
(a) Throughput: voters back to back, 350 in flight; complete paths per second, and in the
same run, with the same generator, requests per second on the trivial /health endpoint.
(b) The hall: 350 voters arriving within 3 seconds and pacing like people; the latency of
the cast (the POST that spends the token, stores the ballot and appends to the log).

    python -m bench.b1_voter_path [--database sqlite|postgresql] [--seconds 10] [--rounds 3]
                                  [--bare] [--witnesses N] [--trustee]

--bare also runs the same phases against bench/bare_app.py, plain Flask taking the same six
steps with no database: what the framework alone reaches on this machine, each of its
rounds next to one of the app's, and the app's ratio as a share of bare Flask's per pair.
--witnesses N runs N witness processes (verify.py witness serve, ports 8081...) that the
servers' timers submit every checkpoint to, and reports how far they got when the hall ends.
--trustee encrypts every ballot to a jury key at cast (what a trustee adds to the cast path).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass

from bench.fronts import Nginx, Server
from bench.setup import DATABASES, instance, open_election_with
from bench.voter import Browser, in_processes, run_threads, split, vote
from voting import services, verify
from voting.cli.witness_processes import WitnessProcess
from voting.db import get_session
from voting.operations import witnessing
from voting.operations.elections import find_election

IN_FLIGHT = 350
WARM_CASTS = 16  # votes through a fresh cast pool before its hall
CAST_THREADS = 8  # the README's casts pool: a cast mostly waits its turn at the write lock
# Its workers: the README's two on PostgreSQL. On SQLite (one machine, not that section) one:
# every cast waits for the one write lock, and a second process only adds a queue for it
# (2026-12-04, two halls each: p99 80 and 97 ms with one, 145 and 158 ms with two; on
# PostgreSQL 140 and 185 ms with two, 242 and 365 ms with one).
CAST_WORKERS = {"sqlite": 1, "postgresql": 2}
# The README gives the casts service four times the pages service's CPU weight, so that when
# the hall keeps the CPU busy a cast goes first; nice 6 is that ratio here (1.25 per step).
PAGES_NICENESS = 6
PROCESSES = 4
WORKERS = 2
STARTUP = 2.0  # seconds for the generator processes to start before a phase begins
STAGGER = 4.0  # seconds over which the clients of a phase start
WARM_UP = 20.0  # seconds of voter load before the window opens: two paths' time when saturated
TRIVIAL_WARM_UP = STAGGER + 1.0  # a trivial request takes milliseconds: no long warm-up
# Tokens prepared per second of a round, for the app and for the bare reference (whose
# tokens cost nothing): more than either serves. A round whose tokens run out before its
# window closes is refused, not reported: on 2026-12-04 the bare reference served over 300
# paths/s in a fast hour and ran dry, which read as a slow reference.
MAX_PATHS_PER_SECOND = 500
MAX_BARE_PATHS_PER_SECOND = 2000


# --- Generator processes -------------------------------------------------------------------------
# Each phase warms up, then runs a measured window, then lets the last requests drain; only
# what completes inside the window counts, so the 350 in flight at its edges do not. The
# clients start at random moments of the first seconds: started together, they would stay
# in step (the server serves them first come, first served) and finish their paths in waves
# of 350. The warm-up lasts at least two paths' time: with 350 in flight a saturated server
# takes about ten seconds per path here, and a window opened earlier would count only the
# first wave of paths, whatever the server's speed.


@dataclass(frozen=True)
class Window:
    starts: float  # when the clients start
    opens: float
    closes: float

    def holds(self, moment: float) -> bool:
        return self.opens <= moment < self.closes


def _throughput(
    base: str, tokens: list[str], threads: int, window: Window
) -> tuple[int, int, bool]:
    """Back-to-back voters until the window closes; (paths completed in it, paths failed,
    whether the tokens ran out before it closed)."""
    lock = threading.Lock()
    queue = list(tokens)
    done = [0, 0]
    ran_out = [False]

    def voter() -> None:
        while time.time() < window.closes:
            with lock:
                if not queue:
                    ran_out[0] = True
                    return
                token = queue.pop()
            result = vote(base, token)
            finished = time.time()
            with lock:
                if not result.ok:
                    done[1] += 1
                elif window.holds(finished):
                    done[0] += 1

    run_threads(voter, threads, window.starts, STAGGER)
    return done[0], done[1], ran_out[0]


def _trivial(base: str, threads: int, window: Window) -> int:
    """Requests to /health, back to back, completed inside the window."""
    count = [0]
    lock = threading.Lock()

    def client() -> None:
        browser = Browser(base)
        while time.time() < window.closes:
            status = browser.request("GET", "/health")[0]
            if status == 200 and window.holds(time.time()):
                with lock:
                    count[0] += 1
        browser.close()

    run_threads(client, threads, window.starts, STAGGER)
    return count[0]


def _hall(base: str, tokens: list[str], start: float, seed: int) -> list[tuple[bool, float]]:
    """Each token a person: arrives within 3 s of *start*, reads, checks, casts."""
    rng_lock = threading.Lock()
    rng = random.Random(seed)
    results: list[tuple[bool, float]] = []

    def person(token: str) -> None:
        with rng_lock:
            arrival, own = rng.uniform(0, 3), random.Random(rng.random())
        time.sleep(max(0.0, start + arrival - time.time()))
        result = vote(base, token, pace=True, rng=own)
        with rng_lock:
            results.append((result.ok, result.cast_seconds))

    workers = [threading.Thread(target=person, args=(token,)) for token in tokens]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results


def _window(seconds: float, warm_up: float) -> Window:
    starts = time.time() + STARTUP
    return Window(starts, starts + warm_up, starts + warm_up + seconds)


def _rounds(
    base: str, supplies: list[list[str]], seconds: float, processes: int
) -> tuple[list[float], list[float], int]:
    """Per round, a throughput phase then a trivial phase: (paths/s, trivial/s, failed)."""
    threads = [len(part) for part in split(range(IN_FLIGHT), processes)]
    path_rates, trivial_rates, failed = [], [], 0
    for supply in supplies:
        window = _window(seconds, WARM_UP)
        share = split(supply, processes)
        paths = in_processes(
            _throughput, [(base, share[i], threads[i], window) for i in range(processes)]
        )
        failed += sum(p[1] for p in paths)
        if any(p[2] for p in paths):
            raise RuntimeError(
                f"{base} served its {len(supply)} tokens before the window closed: "
                "raise MAX_PATHS_PER_SECOND (or MAX_BARE_PATHS_PER_SECOND)"
            )
        window = _window(seconds / 2, TRIVIAL_WARM_UP)
        trivial = sum(
            in_processes(_trivial, [(base, threads[i], window) for i in range(processes)])
        )
        path_rates.append(sum(p[0] for p in paths) / seconds)
        trivial_rates.append(trivial / (seconds / 2))
    return path_rates, trivial_rates, failed


def _summary(path_rates: list[float], trivial_rates: list[float], failed: int) -> dict:
    """Medians over the rounds; the ratio is taken per round, then its median."""
    ratios = [p / t for p, t in zip(path_rates, trivial_rates, strict=True)]
    return {
        "paths_per_second": statistics.median(path_rates),
        "trivial_per_second": statistics.median(trivial_rates),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "failed_paths": failed,
    }


def _tokens_per_round(seconds: float, per_second: int = MAX_PATHS_PER_SECOND) -> int:
    return int((WARM_UP + seconds + 5) * per_second)


def measure(
    kind: str,
    seconds: float = 10.0,
    rounds: int = 3,
    workers: int = WORKERS,
    processes: int = PROCESSES,
    witnesses: int = 0,
    trustee: bool = False,
    bare: bool = False,
) -> dict:
    """All of B1 on one database: *rounds* of throughput and trivial phases, then the hall;
    with *witnesses* witness processes cosigning every checkpoint meanwhile. With *bare*,
    each round is paired with one against the bare Flask reference, run just before or just
    after it (in turn): the machine's speed drifts over minutes here, and only a ratio taken
    within a pair cancels that drift."""
    with instance(kind) as where:
        app = where.app()
        running = [
            WitnessProcess(f"bench-witness-{i}", where.path.parent / f"witness-{i}", 8080 + i)
            for i in range(1, witnesses + 1)
        ]
        tokens = open_election_with(
            app,
            1 + WARM_CASTS + rounds * _tokens_per_round(seconds) + 2 * IN_FLIGHT,
            witnesses=[w.definition for w in running],
            trustee=verify.trustee_keygen("ecc2016", 3, 2)[0] if trustee else None,
        )
        for witness in running:
            witness.start(log_key(app))
        app.extensions["voting.db"].dispose()
        hall_tokens, pooled_tokens = tokens[:IN_FLIGHT], tokens[IN_FLIGHT : 2 * IN_FLIGHT]
        warm_up = tokens[2 * IN_FLIGHT]
        warm_casts = tokens[2 * IN_FLIGHT + 1 : 2 * IN_FLIGHT + 1 + WARM_CASTS]
        supplies = split(tokens[2 * IN_FLIGHT + 1 + WARM_CASTS :], rounds)  # fresh each round
        server = Server(where.env(), workers)
        reference = _bare_server(workers) if bare else None
        try:
            vote(server.base, warm_up)
            mine: list = []
            theirs: list = []
            for n, supply in enumerate(supplies):
                pair = [(mine, server.base, supply)]
                if reference is not None:
                    pair.append((theirs, reference.base, _bare_tokens(n, seconds)))
                for results, base, round_tokens in pair if n % 2 == 0 else pair[::-1]:
                    results.append(_rounds(base, [round_tokens], seconds, processes))
            hall = _the_hall(server.base, hall_tokens, processes)
            witnessed = _witnessed(app) if running else None
            pooled = _hall_with_cast_pool(where, server, pooled_tokens, warm_casts, processes)
        finally:
            server.stop()
            if reference is not None:
                reference.stop()
            for witness in running:
                witness.stop()
    figures = {
        "database": kind,
        "workers": workers,
        "rounds": rounds,
        "witnesses": witnesses,
        "witnessed": witnessed,
        "trustee": trustee,
        **_summary(*_joined(mine)),
        **_latencies(hall),
        **{f"pooled_{name}": value for name, value in _latencies(pooled).items()},
    }
    if theirs:
        figures["bare"] = _summary(*_joined(theirs))
        figures["of_bare"] = [
            own / other
            for own, other in zip(figures["ratios"], figures["bare"]["ratios"], strict=True)
        ]
    return figures


def _joined(rounds: list[tuple[list[float], list[float], int]]):
    """Single rounds' (paths/s, trivial/s, failed) as one list of each and a total."""
    return (
        [rate for paths, _, _ in rounds for rate in paths],
        [rate for _, trivial, _ in rounds for rate in trivial],
        sum(failed for _, _, failed in rounds),
    )


def _the_hall(base: str, tokens: list[str], processes: int) -> list[tuple[bool, float]]:
    start = time.time() + STARTUP
    jobs = [(base, chunk, start, n) for n, chunk in enumerate(split(tokens, processes))]
    return [result for part in in_processes(_hall, jobs) for result in part]


def _hall_with_cast_pool(
    where, pages: Server, tokens: list[str], warm_casts: list[str], processes: int
) -> list[tuple[bool, float]]:
    """The hall again, through nginx: pages to *pages*, `POST /cast` to a gunicorn pool of
    its own, as the README's several-servers section configures it, the pages
    at a lower CPU priority (B1's last phase: the pages server stops after it). A few
    votes first, as the pages server had: a fresh process compiles its statements and
    opens its connections on its first casts."""
    casts = Server(where.env(), CAST_WORKERS[where.kind], threads=CAST_THREADS)
    pages.yield_cpu(PAGES_NICENESS)
    front = Nginx(where.path.parent / "nginx", [pages.address], [casts.address])
    try:
        warming = [threading.Thread(target=vote, args=(front.base, t)) for t in warm_casts]
        for thread in warming:
            thread.start()
        for thread in warming:
            thread.join()
        return _the_hall(front.base, tokens, processes)
    finally:
        front.stop()
        casts.stop()


def _latencies(hall: list[tuple[bool, float]]) -> dict:
    casts = sorted(cast for ok, cast in hall if ok)
    return {
        "hall_errors": sum(1 for ok, _ in hall if not ok),
        "cast_p50_ms": 1000 * statistics.median(casts) if casts else float("nan"),
        "cast_p99_ms": 1000 * casts[min(len(casts) - 1, int(0.99 * len(casts)))]
        if casts
        else float("nan"),
    }


def log_key(app) -> str:
    with app.app_context():
        election = find_election(get_session(), "ecc2016")
        return services.signer().verifier_key(election.origin).vkey


def _witnessed(app, wait: float = 10.0) -> str:
    """How far the witnesses got: within *wait* seconds of the hall's last cast, how many
    cosigned the log's latest checkpoint."""
    deadline = time.monotonic() + wait
    while True:
        with app.app_context():
            session = get_session()
            summary = witnessing.summary(session, find_election(session, "ecc2016"))
            assert summary is not None
            session.close()
        if summary.current == len(summary.witnesses) or time.monotonic() > deadline:
            return (
                f"{summary.current} of {len(summary.witnesses)} cosigned the latest checkpoint "
                f"(size {summary.latest_size})"
            )
        time.sleep(0.5)


def _bare_server(workers: int) -> Server:
    return Server(
        dict(os.environ), workers, app="bench.bare_app:app", config="python:bench.bare_app"
    )


def _bare_tokens(round_number: int, seconds: float) -> list[str]:
    count = _tokens_per_round(seconds, MAX_BARE_PATHS_PER_SECOND)
    return [f"bare-{round_number}-{n}" for n in range(count)]


def _rates(figures: dict) -> str:
    each = ", ".join(f"{r:.3f}" for r in figures["ratios"])
    return (
        f"{figures['paths_per_second']:.1f} paths/s ({figures['failed_paths']} failed), "
        f"{figures['trivial_per_second']:.0f} trivial requests/s, ratio {figures['ratio']:.3f} "
        f"(median of {each}"
    )


def report(figures: dict) -> str:
    paired = ""
    if "of_bare" in figures:
        each = ", ".join(f"{r:.2f}" for r in figures["of_bare"])
        paired = (
            f"{report_bare(figures['bare'])}, each round beside one of the voter's\n"
            f"B1 {figures['database']} / bare Flask, per pair of rounds: "
            f"{statistics.median(figures['of_bare']):.2f} (median of {each}; target 0.6)\n"
        )
    return paired + (
        f"B1 {figures['database']} ({figures['workers']} gunicorn workers"
        + (", ballots encrypted to a trustee" if figures["trustee"] else "")
        + "): voter "
        f"{_rates(figures)}; target 0.6 times bare Flask's); hall of {IN_FLIGHT}: cast p50 "
        f"{figures['cast_p50_ms']:.1f} ms, p99 {figures['cast_p99_ms']:.1f} ms, "
        f"{figures['hall_errors']} errors; with the cast pool behind nginx: cast p50 "
        f"{figures['pooled_cast_p50_ms']:.1f} ms, p99 {figures['pooled_cast_p99_ms']:.1f} ms "
        f"(target < 100), {figures['pooled_hall_errors']} errors"
        + (
            f"; {figures['witnesses']} witnesses: {figures['witnessed']}"
            if figures["witnesses"]
            else ""
        )
    )


def report_bare(figures: dict) -> str:
    return (
        "B1 bare Flask reference (bench/bare_app.py, same six steps, no database): "
        f"{_rates(figures)})"
    )


def compare(figures: list[dict]) -> str | None:
    """PostgreSQL's voter paths per second as a share of SQLite's, when both ran."""
    rates = {f["database"]: f["paths_per_second"] for f in figures}
    if "sqlite" not in rates or "postgresql" not in rates:
        return None
    return f"B1 PostgreSQL at {rates['postgresql'] / rates['sqlite']:.0%} of SQLite (target >= 80%)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=DATABASES, action="append")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of each measured window"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--processes", type=int, default=PROCESSES, help="load generator processes")
    parser.add_argument(
        "--bare", action="store_true", help="also measure the bare Flask reference app"
    )
    parser.add_argument(
        "--witnesses", type=int, default=0, help="witness processes cosigning meanwhile"
    )
    parser.add_argument("--trustee", action="store_true", help="encrypt ballots to a trustee")
    args = parser.parse_args()
    figures = []
    for kind in args.database or DATABASES:
        figures.append(
            measure(
                kind,
                args.seconds,
                args.rounds,
                args.workers,
                args.processes,
                args.witnesses,
                args.trustee,
                args.bare,
            )
        )
        print(report(figures[-1]), flush=True)
    if line := compare(figures):
        print(line)


if __name__ == "__main__":
    main()
