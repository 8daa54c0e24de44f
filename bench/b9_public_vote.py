"""B9: an online public vote on PostgreSQL, from the registration export to the verified board,
its ballots cast over HTTP through nginx on one app server, then on two.

The issue asked for it as "B6 (new)"; B6 was the import benchmark already, so it is B9 here.
Every phase runs as an organiser and voters would run it, and prints its rate:

1. import: a pretix "Order positions" export of N paid attendees (accented and non-Latin
   names, a few cancelled orders skipped), `voting attendees import`;
2. open: `voting open` commits the eligible set; issue: `voting tokens links --out`;
   queue: every attendee's link put in the mail queue (one write; no worker sends it here,
   B8 measures sending);
3. cast: voters back to back, each the phone's six requests, through nginx (pages and
   `POST /cast` in pools of their own, as the README's several-servers section has it) on
   one app server for --first ballots, then on two for the rest; paths per second, cast
   p50 and p99, errors, and the rate on two servers over the rate on one;
4. close: `voting close` (the last batch, every ballot unsealed, the tally sealed), the
   reveal stepped to its end, `voting tally --json`, `voting board export`, and the one-file
   verifier on the exported board, which must count one ballot per receipt a voter saw.

    python -m bench.b9_public_vote [--attendees 100000] [--ballots 100000] [--first 20000]
                                   [--server-workers 1] [--voters 32]

Each app server is gunicorn with --server-workers workers and an instance folder of its own
holding the same config.toml and keys; limits are counted in Redis when it answers on
127.0.0.1:6379. On a 2-core machine the servers, nginx, PostgreSQL and the load generator
all share the two cores: one worker per server is what lets a second server add a core.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.fronts import Nginx, Server
from bench.setup import EXAMPLE, ROOT, Instance, instance, reveal_to_the_end
from bench.voter import in_processes, run_threads, split, vote
from tests.exports import PRETIX_HEADER, pretix_row
from voting import verify
from voting.db import get_session
from voting.mail.sending import queue_links
from voting.operations.elections import find_election

GENERATORS = 2  # load generator processes; their threads are the voters in flight
STARTUP = 2.0  # seconds for the generator processes to start before a phase begins
STAGGER = 2.0  # seconds over which the voters of a phase start
WARM_CASTS = 16  # votes through a fresh server before its phase, as B1 warms its servers
GIVEN = ["Zoë", "Björn", "Дмитрий", "Ηλίας", "Jean", "Małgorzata", "Søren", "Αθηνά", "Lucía"]
FAMILY = ["Müller", "Ström", "Иванов", "Παπαδόπουλος", "Dupont", "Wójcik", "Ørsted", "García"]


def registration_export(attendees: int, cancelled: int) -> bytes:
    """pretix's order positions export: *attendees* paid tickets, *cancelled* cancelled."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PRETIX_HEADER)
    for i in range(attendees + cancelled):
        given, family = GIVEN[i % len(GIVEN)], FAMILY[i % len(FAMILY)]
        status = "canceled" if i < cancelled else "paid"
        email = f"voter.{i}@cluster-{i % 97}.example"
        writer.writerow(
            pretix_row(f"O{i:07d}", 1, status, email, given, family, email, f"Hub {i % 80}")
        )
    return out.getvalue().encode("utf-8")


def organiser(where: Instance, *arguments: str) -> tuple[float, str]:
    """Run `voting ARGUMENTS` as the organiser would; its wall time and its output."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("voting")), *arguments],
        cwd=where.path.parent,
        env=where.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.stdout


def configure(where: Instance) -> None:
    """What every server of a public vote adds to config.toml: its public address, a proxy
    in front, limits in Redis for all servers, and mail sent by workers of its own."""
    lines = [
        'PUBLIC_URL = "https://vote.example.org"',
        "TRUSTED_PROXIES = 1",
        'MAIL_WORKER = "separate"',
    ]
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
        lines.append('RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"')
        lines.append(f'RATELIMIT_KEY_PREFIX = "bench-{uuid.uuid4().hex[:8]}"')
    except redis.RedisError:
        print("Redis does not answer on 127.0.0.1:6379: limits counted in each process")
    with (where.path / "config.toml").open("a", encoding="utf-8") as config:
        config.write("\n" + "\n".join(lines) + "\n")


def tokens_from(links: Path) -> list[str]:
    with links.open(encoding="utf-8", newline="") as rows:
        return [row["url"].rsplit("/v/", 1)[1] for row in csv.DictReader(rows)]


# --- Casting -------------------------------------------------------------------------------------


def _voters(
    base: str, tokens: list[str], threads: int, start: float
) -> tuple[list[tuple[bool, float, str]], float]:
    """Voters back to back from *start* until *tokens* run out: (receipt seen, cast seconds,
    what failed) for each path, and when the last one ended."""
    lock = threading.Lock()
    queue = list(tokens)
    paths: list[tuple[bool, float, str]] = []

    def voter() -> None:
        while True:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            path = vote(base, token)
            with lock:
                paths.append((path.ok, path.cast_seconds, path.failure))

    run_threads(voter, threads, start, STAGGER)
    return paths, time.time()


@dataclass
class Casting:
    servers: int
    ballots: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    failures: dict[str, int]  # how many paths failed at which step, with what status

    @property
    def per_second(self) -> float:
        return (self.ballots - self.errors) / self.seconds


def cast_through(front: Nginx, tokens: list[str], voters: int, servers: int) -> Casting:
    """Cast a ballot for every token through *front*, *voters* in flight."""
    start = time.time() + STARTUP
    threads = [len(part) for part in split(range(voters), GENERATORS)]
    jobs = [
        (front.base, part, threads[i], start) for i, part in enumerate(split(tokens, GENERATORS))
    ]
    parts = in_processes(_voters, jobs)
    ended = max(finished for _paths, finished in parts)
    paths = [path for part, _finished in parts for path in part]
    casts = sorted(seconds for ok, seconds, _ in paths if ok)
    return Casting(
        servers=servers,
        ballots=len(paths),
        seconds=ended - start,
        errors=sum(1 for ok, _, _ in paths if not ok),
        p50_ms=1000 * statistics.median(casts),
        p99_ms=1000 * casts[min(len(casts) - 1, int(0.99 * len(casts)))],
        failures=dict(Counter(failure for ok, _, failure in paths if not ok).most_common()),
    )


def warm(base: str, tokens: list[str]) -> int:
    """A few votes through a fresh server (it compiles its statements and opens its
    connections on its first requests); how many saw their receipt."""
    seen = []
    threads = [threading.Thread(target=lambda t=t: seen.append(vote(base, t).ok)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(seen)


def cast_all(where: Instance, tokens: list[str], first: int, workers: int, voters: int):
    """*first* ballots through nginx on one app server, then the rest on two; the two
    phases' figures and how many warm-up votes saw a receipt."""
    other = where.path.parent / "instance-b"
    shutil.copytree(where.path, other)  # the second server's folder: same config and keys
    logs = where.path.parent
    one = Server(where.env(), workers, log=logs / "server-1.log")
    two = None
    fronts: list[Nginx] = []
    try:
        fronts.append(Nginx(where.path.parent / "nginx-1", [one.address], [one.address]))
        warmed = warm(fronts[0].base, tokens[:WARM_CASTS])
        tokens = tokens[WARM_CASTS:]
        alone = cast_through(fronts[0], tokens[:first], voters, servers=1)
        print(f"B9 {alone}", file=sys.stderr, flush=True)
        two = Server(
            dict(where.env(), VOTING_INSTANCE=str(other)), workers, log=logs / "server-2.log"
        )
        pool = [one.address, two.address]
        fronts.append(Nginx(where.path.parent / "nginx-2", pool, pool))
        warmed += warm(two.base, tokens[first : first + WARM_CASTS])
        together = cast_through(fronts[1], tokens[first + WARM_CASTS :], voters, servers=2)
    finally:
        for process in [*fronts, one, *([two] if two else [])]:
            process.stop()
        complaints(logs)
    return alone, together, warmed


def complaints(folder: Path, most: int = 12) -> None:
    """The app servers' and nginx's complaints during the run, the commonest first: what a
    failed path met on the server side."""
    seen: Counter[str] = Counter()
    words = ("Error", "error", "TIMEOUT", "upstream", "Exception")
    for log in [*folder.glob("server-*.log"), *folder.glob("nginx-*/error.log")]:
        source = log.parent.name if log.name == "error.log" else log.stem
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(word in line for word in words):
                seen[f"{source}: {_complaint(line)}"] += 1
    for line, count in seen.most_common(most):
        print(f"B9 complaint x{count}: {line}", file=sys.stderr, flush=True)


# --- The whole vote ------------------------------------------------------------------------------


class Phases(dict[str, float]):
    """Each phase's seconds, printed as it ends: a long run shows how far it got."""

    def __setitem__(self, phase: str, seconds: float) -> None:
        print(f"B9 {phase}: {seconds:.1f} s", file=sys.stderr, flush=True)
        super().__setitem__(phase, seconds)


def measure(
    attendees: int, ballots: int, first: int, workers: int, voters: int
) -> tuple[dict, list[Casting]]:
    phases = Phases()
    with instance("postgresql") as where:
        configure(where)
        folder = where.path.parent
        export = folder / "pretix-orders.csv"
        export.write_bytes(registration_export(attendees, cancelled=max(1, attendees // 200)))
        organiser(where, "election", "load", str(EXAMPLE))
        phases["import"], _ = organiser(where, "attendees", "import", str(export))
        phases["open"], _ = organiser(where, "open")
        phases["issue"], _ = organiser(where, "tokens", "links", "--out", str(folder / "links.csv"))
        tokens = tokens_from(folder / "links.csv")
        random.Random(9).shuffle(tokens)
        app = where.app()
        with app.app_context():
            session = get_session()
            started = time.perf_counter()
            queued = queue_links(session, "benchmark", find_election(session, "ecc2016")).count
            phases["queue"] = time.perf_counter() - started
        app.extensions["voting.db"].dispose()
        needed = ballots + 2 * WARM_CASTS
        alone, together, warmed = cast_all(where, tokens[:needed], first, workers, voters)
        phases["close"], _ = organiser(where, "close")
        started = time.perf_counter()
        reveal_to_the_end(app)
        phases["reveal"] = time.perf_counter() - started
        app.extensions["voting.db"].dispose()
        phases["tally"], _ = organiser(where, "tally", "--json")
        board = folder / "board.jsonl"
        phases["export"], _ = organiser(where, "board", "export", str(board))
        report, phases["verify"] = verify_as_a_juror(app, board)
        megabytes = board.stat().st_size / 1e6
    receipts = warmed + sum(c.ballots - c.errors for c in (alone, together))
    return {
        "attendees": attendees,
        "queued": queued,
        "tokens": len(tokens),
        "receipts": receipts,
        "on_board": report.ballots,
        "state": report.state,
        "megabytes": megabytes,
        "phases": phases,
        "workers": workers,
        "voters": voters,
    }, [alone, together]


def verify_as_a_juror(app, board: Path) -> tuple[verify.BoardReport, float]:
    """The one-file verifier, copied alone and run on the exported board with the pinned key;
    its wall time, and its report read in this process (for the ballot count)."""
    single, key = board.with_name("verify.py"), board.with_name("key.txt")
    shutil.copy(ROOT / "voting" / "verify.py", single)
    with app.test_client() as client:
        key.write_bytes(client.get("/board/key").get_data())
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(single), str(board), "--key", str(key)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    with board.open("rb") as lines:
        return verify.verify_board(lines, key=key.read_text().strip()), seconds


def _complaint(line: str) -> str:
    """A log line as a kind of complaint: nginx's message and request, numbers and tokens out."""
    message = line.split("] ", 1)[-1].split(", client:")[0]
    request = re.search(r'request: "(\S+ /[a-z]*)', line)
    kind = f"{message} ({request[1]})" if request else message
    return re.sub(r"[0-9]+", "N", kind)[:200]


def _failures(casting: Casting) -> str:
    """Where the failed paths stopped, e.g. " (12 cast 503, 3 link ConnectionResetError)"."""
    if not casting.failures:
        return ""
    return " (" + ", ".join(f"{n} {what}" for what, n in casting.failures.items()) + ")"


def report(figures: dict, casting: list[Casting]) -> str:
    phases, count = figures["phases"], figures["attendees"]
    alone, together = casting
    lines = [
        f"B9 public vote on PostgreSQL, {count:,} attendees, {figures['tokens']:,} links:",
        f"  import {phases['import']:.1f} s ({count / phases['import']:,.0f}/s), "
        f"open {phases['open']:.1f} s, links issued {phases['issue']:.1f} s "
        f"({count / phases['issue']:,.0f}/s), {figures['queued']:,} queued in "
        f"{phases['queue']:.1f} s ({figures['queued'] / phases['queue']:,.0f}/s)",
    ]
    for c in casting:
        lines.append(
            f"  cast on {c.servers} app server(s) x {figures['workers']} worker(s), "
            f"{figures['voters']} voters in flight through nginx: {c.ballots:,} paths in "
            f"{c.seconds:.0f} s = {c.per_second:.1f} ballots/s, cast p50 {c.p50_ms:.0f} ms, "
            f"p99 {c.p99_ms:.0f} ms, {c.errors} errors" + _failures(c)
        )
    lines += [
        f"  two app servers / one: {together.per_second / alone.per_second:.2f}x",
        f"  close {phases['close']:.1f} s, reveal {phases['reveal']:.1f} s, tally "
        f"{phases['tally']:.1f} s, export {phases['export']:.1f} s "
        f"({figures['megabytes']:.0f} MB), one-file verifier {phases['verify']:.1f} s",
        f"  receipts seen {figures['receipts']:,}, ballots on the verified board "
        f"{figures['on_board']:,} ({figures['state']})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=100_000, help="cast over HTTP")
    parser.add_argument("--first", type=int, help="of them on one server (default a fifth)")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--voters", type=int, default=32, help="in flight")
    args = parser.parse_args()
    ballots = min(args.ballots, args.attendees - 2 * WARM_CASTS)
    first = args.first if args.first is not None else ballots // 5
    figures, casting = measure(args.attendees, ballots, first, args.server_workers, args.voters)
    print(report(figures, casting))


if __name__ == "__main__":
    main()
