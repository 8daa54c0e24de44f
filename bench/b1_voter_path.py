"""B1: the voter's whole path under load, over HTTP, against gunicorn.

The load generator runs in separate processes (threads inside them, one voter per thread).
(a) Throughput: voters back to back, 350 in flight; complete paths per second, and in the
same run, with the same generator, requests per second on the trivial /health endpoint.
(b) The hall: 350 voters arriving within 3 seconds and pacing like people; the latency of
the cast (the POST that spends the token, stores the ballot and appends to the log).

    python -m bench.b1_voter_path [--database sqlite|postgresql] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass

import requests

from bench.setup import ROOT, Instance, instance, open_election_with

IN_FLIGHT = 350
PROCESSES = 4
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="([^"]+)"')
CHOICES = {"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"}


# --- The voter, as a phone would do it ------------------------------------------------------------


@dataclass
class Path:
    ok: bool
    cast_seconds: float


class Browser:
    """A minimal HTTP client (http.client, one kept-alive connection, one cookie).

    Much lighter than a full client library: the generator shares the machine with the
    server, so every CPU cycle it saves is one the server can use.
    """

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.connection: http.client.HTTPConnection | None = None
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, text

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def vote(base: str, token: str, pace: bool = False, rng: random.Random | None = None) -> Path:
    """Open the link, fill in the ballot, review, cast, see the receipt: six requests."""
    browser = Browser(base)
    try:
        if browser.request("GET", f"/v/{token}")[0] != 303:
            return Path(False, 0.0)
        _, ballot = browser.request("GET", "/ballot")
        csrf = CSRF.search(ballot).group(1)
        if pace and rng:
            time.sleep(rng.uniform(3, 6))  # reading the finalists
        posted, _ = browser.request("POST", "/ballot", {"csrf_token": csrf, **CHOICES})
        _, review = browser.request("GET", "/review")
        if pace and rng:
            time.sleep(rng.uniform(1, 2))  # checking the choices
        form = {"csrf_token": CSRF.search(review).group(1), **CHOICES}
        form["attempt"] = ATTEMPT.search(review).group(1)
        started = time.perf_counter()
        cast, _ = browser.request("POST", "/cast", form)
        cast_seconds = time.perf_counter() - started
        receipt, _ = browser.request("GET", "/receipt")
        return Path(posted == 303 and cast == 303 and receipt == 200, cast_seconds)
    except (OSError, http.client.HTTPException, AttributeError):
        return Path(False, 0.0)
    finally:
        browser.close()


# --- Generator processes ------------------------------------------------------------------------------


def _throughput(base: str, tokens: list[str], threads: int, start: float, seconds: float) -> tuple[int, int]:
    """Back-to-back voters until the time is up; (complete paths, failed paths)."""
    lock = threading.Lock()
    queue = list(tokens)
    done = [0, 0]

    def voter() -> None:
        while time.time() < start + seconds:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            result = vote(base, token)
            with lock:
                done[0 if result.ok else 1] += 1

    _run_threads(voter, threads, start)
    return done[0], done[1]


def _trivial(base: str, threads: int, start: float, seconds: float) -> int:
    count = [0]
    lock = threading.Lock()

    def client() -> None:
        browser = Browser(base)
        while time.time() < start + seconds:
            if browser.request("GET", "/health")[0] == 200:
                with lock:
                    count[0] += 1
        browser.close()

    _run_threads(client, threads, start)
    return count[0]


def _hall(base: str, tokens: list[str], start: float, seed: int) -> list[tuple[bool, float]]:
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


def _run_threads(target, count: int, start: float) -> None:
    time.sleep(max(0.0, start - time.time()))
    workers = [threading.Thread(target=target) for _ in range(count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


def _in_processes(function, jobs: list[tuple]) -> list:
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        return pool.starmap(function, jobs)


# --- The server ---------------------------------------------------------------------------------------


class Server:
    def __init__(self, where: Instance, workers: int, port: int = 8071) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--backlog", "4096", "--access-logfile", "/dev/null", "wsgi:app"],
            cwd=ROOT, env=where.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                requests.get(self.base + "/health", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def split(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def measure(kind: str, seconds: float = 20.0, workers: int = 2, threads: int = 1) -> dict:
    """All of B1 on one database; figures in a dict."""
    threads = IN_FLIGHT // PROCESSES
    with instance(kind) as where:
        app = where.app()
        tokens = open_election_with(app, 6000 + IN_FLIGHT)
        app.extensions["voting.db"].engine.dispose()
        hall_tokens, tokens = tokens[:IN_FLIGHT], tokens[IN_FLIGHT:]
        server = Server(where, workers, threads)
        try:
            vote(server.base, tokens.pop())  # warm up the workers
            start = time.time() + 2
            paths = _in_processes(
                _throughput, [(server.base, chunk, threads, start, seconds) for chunk in split(tokens, PROCESSES)]
            )
            completed, failed = sum(p[0] for p in paths), sum(p[1] for p in paths)
            start = time.time() + 2
            trivial = sum(_in_processes(_trivial, [(server.base, threads, start, seconds / 2)] * PROCESSES))
            start = time.time() + 2
            hall = [r for part in _in_processes(
                _hall, [(server.base, chunk, start, n) for n, chunk in enumerate(split(hall_tokens, PROCESSES))]
            ) for r in part]
        finally:
            server.stop()
    casts = sorted(seconds for ok, seconds in hall if ok)
    path_rate = completed / seconds
    trivial_rate = trivial / (seconds / 2)
    return {
        "database": kind,
        "paths_per_second": path_rate,
        "failed_paths": failed,
        "trivial_per_second": trivial_rate,
        "ratio": path_rate / trivial_rate if trivial_rate else 0.0,
        "hall_errors": sum(1 for ok, _ in hall if not ok),
        "cast_p50_ms": 1000 * statistics.median(casts) if casts else float("nan"),
        "cast_p99_ms": 1000 * casts[min(len(casts) - 1, int(0.99 * len(casts)))] if casts else float("nan"),
        "workers": workers,
        "threads": threads,
    }


def report(figures: dict) -> str:
    return (
        f"B1 {figures['database']}: {figures['paths_per_second']:.1f} voter paths/s "
        f"({figures['failed_paths']} failed), {figures['trivial_per_second']:.0f} trivial requests/s, "
        f"ratio {figures['ratio']:.3f} (target >= 0.06); hall of {IN_FLIGHT}: cast p50 "
        f"{figures['cast_p50_ms']:.1f} ms, p99 {figures['cast_p99_ms']:.1f} ms (target < 100), "
        f"{figures['hall_errors']} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for kind in args.database or ["sqlite", "postgresql"]:
        print(report(measure(kind, args.seconds, args.workers, args.threads)), flush=True)


if __name__ == "__main__":
    main()
