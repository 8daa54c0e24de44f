"""HTTP hygiene on every route: security headers, secure cookies, CSRF on every POST,
no state change on GET, and the reverse-proxy set-up."""

from __future__ import annotations

import pytest

from tests.helpers import RECEIPT, vote_with_client
from tests.staff import staff_client
from tests.test_jury import database_snapshot
from tests.test_roles import path_of
from voting.db import get_session
from voting.models import Attendee

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}


@pytest.fixture
def values(app, elections):
    election = elections.create(attendees=3)
    receipt = vote_with_client(app.test_client(), election.tokens[0], PICK)
    with app.app_context():
        attendee = get_session().query(Attendee).order_by(Attendee.id).first().id
    return {
        "attendee_id": str(attendee),
        "slug": "cluster-manager",
        "award": "cluster-manager",
        "nominee": "jane-doe",
        "code": receipt,
        "token": election.tokens[1],
        "name": "nobody",
    }


def assert_headers(response, path: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "'unsafe-inline'" not in directives.get("script-src", "'self'"), path
    assert directives.get("object-src") == "'none'", path
    assert directives.get("base-uri") == "'none'", path
    assert directives.get("frame-ancestors") == "'none'", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "no-referrer", path


def test_every_route_sends_the_security_headers(app, runner, values):
    organiser = staff_client(app, runner, "organiser")
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        path = "/static/voting.css" if rule.endpoint == "static" else path_of(rule, values)
        for client in (app.test_client(), organiser):
            with client.get(path) as response:
                assert_headers(response, path)


def test_https_gets_hsts_and_secure_cookies(app, elections):
    app.config.update(SESSION_COOKIE_SECURE=True)
    election = elections.create(attendees=1)
    client = app.test_client()
    response = client.get(f"/v/{election.tokens[0]}", base_url="https://vote.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    plain = app.test_client().get("/", base_url="http://vote.example.org")
    assert "Strict-Transport-Security" not in plain.headers


def test_a_browser_votes_over_https_though_it_sends_no_referer(app, elections):
    """Every page says Referrer-Policy: no-referrer, so a browser's form posts carry no
    Referer: over HTTPS the CSRF check must not ask for one (Flask-WTF's SSL-strict check
    would refuse every ballot with "The referrer header is missing")."""
    # The test client's requests come over HTTPS (its default address follows this setting).
    app.config.update(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    election = elections.create(attendees=1)
    client = app.test_client()
    page = client.get("/")
    assert "Strict-Transport-Security" in page.headers
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert RECEIPT.fullmatch(vote_with_client(client, election.tokens[0], PICK))


def test_https_public_url_makes_cookies_secure(tmp_path):
    from voting import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path), "PUBLIC_URL": "https://vote.example.org"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(app, runner, values):
    organiser = staff_client(app, runner, "organiser")
    before = database_snapshot(app)
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & UNSAFE:
            continue
        path = path_of(rule, values)
        for client in (app.test_client(), organiser):
            for token in (None, "not-the-token"):
                data = {"csrf_token": token} if token else {}
                response = client.post(path, data=data)
                assert response.status_code == 400, (path, token, response.status_code)
    assert database_snapshot(app) == before


def test_state_changing_routes_refuse_get_and_no_get_changes_state(app, runner, values):
    organiser = staff_client(app, runner, "organiser")
    before = database_snapshot(app)
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        path = "/static/voting.css" if rule.endpoint == "static" else path_of(rule, values)
        if methods & UNSAFE and "GET" not in methods:
            assert organiser.get(path).status_code == 405, path
        elif "GET" in methods:
            for client in (app.test_client(), organiser):
                with client.get(path):
                    pass
    assert database_snapshot(app) == before


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_address_count(tmp_path, app):
    from voting import create_app

    proxied = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "TRUSTED_PROXIES": 1,
        }
    )
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Host": "vote.example.org",
    }
    response = proxied.test_client().get("/", headers=headers)
    assert "Strict-Transport-Security" in response.headers
    ignored = app.test_client().get("/", headers=headers)  # no proxy configured: not trusted
    assert "Strict-Transport-Security" not in ignored.headers
    proxied.extensions["voting.db"].dispose()
