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
    failure: str = ""  # the step that went wrong and what came back, e.g. "cast 503"


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
    step = "link"
    try:
        status, _ = browser.request("GET", f"/v/{token}")
        if status != 303:
            return Path(False, 0.0, f"link {status}")
        step = "ballot"
        status, ballot = browser.request("GET", "/ballot")
        csrf = _field(CSRF, ballot, f"ballot {status}")
        if pace and rng:
            time.sleep(rng.uniform(3, 6))  # reading the finalists
        step = "choices"
        posted, _ = browser.request("POST", "/ballot", {"csrf_token": csrf, **CHOICES})
        if posted != 303:
            return Path(False, 0.0, f"choices {posted}")
        step = "review"
        status, review = browser.request("GET", "/review")
        form = {"csrf_token": _field(CSRF, review, f"review {status}"), **CHOICES}
        form["attempt"] = _field(ATTEMPT, review, f"review {status}")
        if pace and rng:
            time.sleep(rng.uniform(1, 2))  # checking the choices
        step = "cast"
        started = time.perf_counter()
        cast, _ = browser.request("POST", "/cast", form)
        cast_seconds = time.perf_counter() - started
        if cast != 303:
            return Path(False, cast_seconds, f"cast {cast}")
        step = "receipt"
        receipt, _ = browser.request("GET", "/receipt")
        return Path(receipt == 200, cast_seconds, "" if receipt == 200 else f"receipt {receipt}")
    except _Unexpected as page:
        return Path(False, 0.0, str(page))
    except (OSError, http.client.HTTPException) as error:
        return Path(False, 0.0, f"{step} {type(error).__name__}")
    finally:
        browser.close()


class _Unexpected(Exception):
    """A page without the form field the next step needs (an error page, say)."""


def _field(pattern: re.Pattern[str], page: str, failure: str) -> str:
    found = pattern.search(page)
    if found is None:
        raise _Unexpected(failure)
    return found.group(1)


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
