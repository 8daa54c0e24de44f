"""The role matrix: every route declares who may use it, and every role gets exactly that."""

from __future__ import annotations

import re

import pytest

from tests.helpers import vote_with_client
from tests.staff import csrf_of, staff_client
from voting.db import get_session
from voting.models import Attendee
from voting.web.auth import PUBLIC

ROLES = ("organiser", "desk", "jury")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def declared_roles(app, endpoint: str) -> tuple[str, ...]:
    return app.view_functions[endpoint].allowed_roles


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "allowed_roles")
    ]
    assert undeclared == []


@pytest.fixture
def world(app, runner, elections):
    """An open election with a cast ballot, and one signed-in browser per role."""
    election = elections.create(attendees=4)
    receipt = vote_with_client(
        app.test_client(),
        election.tokens[0],
        {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    )
    with app.app_context():
        attendee = get_session().query(Attendee).order_by(Attendee.id).first().id
    values = {
        "attendee_id": str(attendee),
        "slug": "cluster-manager",
        "award": "cluster-manager",
        "nominee": "jane-doe",
        "code": receipt,
        "token": election.tokens[1],
        "name": "desk-user",
    }
    clients = {role: staff_client(app, runner, role) for role in ROLES}
    return values, clients


def path_of(rule, values: dict[str, str]) -> str:
    """The rule with each <converter:argument> filled in from *values*."""
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)


def outcome(response) -> str:
    """allowed, forbidden (by role) or login; a voter page may refuse for want of a ballot."""
    if response.status_code == 403 and "This page is for:" in response.get_data(as_text=True):
        return "forbidden"
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    return "allowed"


def expected(roles: tuple[str, ...], who: str) -> str:
    if roles == PUBLIC:
        return "allowed"
    if who == "anonymous":
        return "login"
    return "allowed" if who in roles else "forbidden"


def test_get_routes_give_each_role_exactly_what_it_may(app, world):
    values, clients = world
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        roles = declared_roles(app, rule.endpoint)
        path = path_of(rule, values)
        for who in ("anonymous", *ROLES):
            client = clients.get(who) or app.test_client()
            response = client.get(path)
            assert response.status_code < 500, (path, who)
            assert outcome(response) == expected(roles, who), (path, who, response.status_code)
            checked += 1
    assert checked > 80


def test_state_changing_routes_refuse_whoever_may_not(app, runner, world):
    """Wrong roles and strangers are turned away before anything happens."""
    values, clients = world
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & UNSAFE:
            continue
        roles = declared_roles(app, rule.endpoint)
        path = path_of(rule, values)
        for who in ("anonymous", *ROLES):
            if expected(roles, who) == "allowed":
                continue
            client = clients.get(who) or app.test_client()
            response = client.post(path, data={"csrf_token": csrf_of(client)})
            assert outcome(response) == expected(roles, who), (path, who, response.status_code)


def test_state_changing_routes_let_in_whoever_may(app, runner, world):
    values, _ = world
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & UNSAFE:
            continue
        roles = declared_roles(app, rule.endpoint)
        for who in ROLES if roles != PUBLIC else ("organiser",):
            if roles != PUBLIC and who not in roles:
                continue
            # A fresh sign-in each time: some of these routes sign out or close voting.
            client = staff_client(app, runner, who, f"{who}-{rule.endpoint}")
            response = client.post(path_of(rule, values), data={"csrf_token": csrf_of(client)})
            assert response.status_code < 500, (rule.rule, who)
            assert outcome(response) == "allowed", (rule.rule, who, response.status_code)
