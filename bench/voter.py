"""The voter as a phone does it: six HTTP requests on one kept-alive connection, one cookie.

Shared by the load benchmarks (B1, B9); deliberately light, because the load generator shares
the machine with the servers it measures.
"""

from __future__ import annotations

import http.client
import multiprocessing
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="([^"]+)"')
CHOICES = {"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"}


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


# --- Running many voters -------------------------------------------------------------------------


def run_threads(target: Callable[[], None], count: int, start: float, stagger: float) -> None:
    """Run *count* threads of *target*, each starting within *stagger* seconds of *start*:
    started together, clients stay in step (the server serves them first come, first
    served) and finish in waves."""

    def staggered() -> None:
        time.sleep(max(0.0, start + random.uniform(0, stagger) - time.time()))  # nosec B311
        target()

    time.sleep(max(0.0, start - time.time()))
    workers = [threading.Thread(target=staggered) for _ in range(count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


def in_processes(function: Callable, jobs: list[tuple]) -> list:
    """*function* on each job's arguments, each in a process of its own (spawned: the
    generator's threads must not share one interpreter's lock with too many others)."""
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        return pool.starmap(function, jobs)


def split(items: Sequence, parts: int) -> list[list]:
    return [list(items[i::parts]) for i in range(parts)]
