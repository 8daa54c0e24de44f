"""Load tools for the attack suites: voters who skip the pages and go straight to the cast.

A browser that reached the review page holds a session cookie with its token and a CSRF
token; these helpers mint exactly that cookie with the app's own session serializer, so
thousands of casts can be fired without first walking thousands of ballots.
"""

from __future__ import annotations

import re
import threading

import requests
from flask import Flask, session
from flask_wtf.csrf import generate_csrf

RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def cast_ready(app: Flask, token: str) -> tuple[str, str]:
    """(session cookie, CSRF token) of a browser at the review step holding *token*."""
    with app.test_request_context("/review"):
        session["ballot_token"] = token
        csrf = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return cookie, csrf


_local = threading.local()


def _http() -> requests.Session:
    if not hasattr(_local, "http"):
        _local.http = requests.Session()
    return _local.http


def cast(base: str, cookie: str, csrf: str, choices: dict[str, str]) -> tuple[int, str | None]:
    """POST the cast; (status, receipt shown to the voter or None)."""
    form = {"csrf_token": csrf, **{f"award-{k}": v for k, v in choices.items()}}
    http = _http()
    http.cookies.clear()
    response = http.post(
        base + "/cast", data=form, cookies={"session": cookie}, allow_redirects=False, timeout=60
    )
    if response.status_code != 303:
        return response.status_code, None
    page = http.get(
        base + "/receipt",
        cookies={"session": response.cookies.get("session", cookie)},
        allow_redirects=False,
        timeout=60,
    )
    match = RECEIPT.search(page.text)
    return response.status_code, match.group(0) if match else None
