"""Staff accounts and the jury's read-only pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import vote_with_client
from tests.staff import PASSWORD, add_user, csrf_of, sign_in
from voting.db import get_session, writing
from voting.models import AuditHead, Base

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "alpine-health"}


def database_snapshot(app) -> dict:
    """Row counts of every table and the log head: what a change of state would move.

    Sign-ins (staff_sessions) are left out: signing in and out is what any account may do.
    """
    with app.app_context():
        session = get_session()
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name != "staff_sessions"
        }
        heads = [(h.size, h.last_hash) for h in session.scalars(select(AuditHead))]
        states = session.execute(select(Base.metadata.tables["elections"].c.state)).all()
    return {"counts": counts, "heads": heads, "states": states}


# --- accounts -------------------------------------------------------------------------------------


def test_users_add_stores_a_hash_and_refuses_bad_input(app, runner):
    result = add_user(runner, "jules", "jury")
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = get_session().execute(select(Base.metadata.tables["users"])).one()
    assert stored.password_hash.startswith("scrypt:") and PASSWORD not in stored.password_hash
    assert "already a user" in add_user(runner, "jules", "desk").output
    assert "at least 10" in add_user(runner, "ann", "desk", "short").output
    assert add_user(runner, "ann", "king").exit_code != 0
    assert "letters" in add_user(runner, "bad name", "desk").output


def test_sign_in_and_out(app, runner, elections):
    elections.create()
    add_user(runner, "jules", "jury")
    client = app.test_client()
    wrong = sign_in(client, "jules", "wrong password")
    unknown = sign_in(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    assert "Wrong user name or password" in wrong.get_data(as_text=True)
    assert "Wrong user name or password" in unknown.get_data(as_text=True)
    response = sign_in(client, "jules")
    assert response.status_code == 303 and response.headers["Location"] == "/jury"
    assert client.get("/jury").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client, "/jury")})
    assert client.get("/jury").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_elsewhere(app, runner, elections):
    elections.create()
    add_user(runner, "jules", "jury")
    response = app.test_client().get("/jury/log")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert (
        sign_in(app.test_client(), "jules", next_path="/jury/log").headers["Location"]
        == "/jury/log"
    )
    for target in ("https://evil.example", "//evil.example", "javascript:alert(1)"):
        assert sign_in(app.test_client(), "jules", next_path=target).headers["Location"] == "/jury"


def test_jury_pages_need_the_jury_or_organiser_role(app, runner, elections):
    elections.create()
    for name, role in (("jules", "jury"), ("olga", "organiser"), ("dan", "desk")):
        add_user(runner, name, role)
    for name, allowed in (("jules", True), ("olga", True), ("dan", False)):
        client = app.test_client()
        sign_in(client, name)
        for path in ("/jury", "/jury/log"):
            assert client.get(path).status_code == (200 if allowed else 403), (name, path)


# --- the jury's pages -----------------------------------------------------------------------------


def test_overview_verifies_the_board_and_offers_the_files(app, runner, elections):
    election = elections.create(attendees=3)
    receipt = vote_with_client(app.test_client(), election.tokens[0], PICK)
    add_user(runner, "jules", "jury")
    client = app.test_client()
    sign_in(client, "jules")
    html = client.get("/jury").get_data(as_text=True)
    assert "The board verifies" in html
    assert "1 of 3" in html
    assert elections.vkey(election.slug) in html
    assert "/board.jsonl?election=ecc2016" in html
    log = client.get(f"/jury/log?receipt={receipt}").get_data(as_text=True)
    assert log.count('<li id="entry-') == 1 and receipt in log
    cast_only = client.get("/jury/log?kind=ballot.cast").get_data(as_text=True)
    assert cast_only.count('<li id="entry-') == 1
    everything = client.get("/jury/log").get_data(as_text=True)
    assert everything.count('<li id="entry-') == 5


def test_overview_reports_a_tampered_database(app, runner, elections):
    election = elections.create(attendees=3)
    vote_with_client(app.test_client(), election.tokens[0], PICK)
    with app.app_context(), writing(get_session()) as session:
        entries = Base.metadata.tables["audit_entries"]
        session.execute(
            entries.update()
            .where(entries.c.kind == "attendees.imported")
            .values(body=entries.c.body + " ")
        )
    add_user(runner, "jules", "jury")
    client = app.test_client()
    sign_in(client, "jules")
    assert "FAILED" in client.get("/jury").get_data(as_text=True)


def test_a_jury_login_can_change_nothing(app, runner, elections):
    """Every route that accepts a state-changing method, tried by a signed-in juror."""
    elections.create(attendees=3)
    client = app.test_client()
    add_user(runner, "jules", "jury")
    sign_in(client, "jules")
    before = database_snapshot(app)
    unsafe = {"POST", "PUT", "PATCH", "DELETE"}
    tried = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & unsafe):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", "x").replace(f"<path:{argument}>", "x")
            token = csrf_of(client, "/jury")
            data = {
                "csrf_token": token,
                "award-cluster-manager": "jane-doe",
                "award-strategic-partnership": "abstain",
            }
            response = client.open(path, method=method, data=data)
            assert response.status_code < 500, (method, path)
            tried.append((method, rule.rule))
            if rule.endpoint == "auth.logout":
                sign_in(client, "jules")
    assert ("POST", "/cast") in tried and ("POST", "/logout") in tried
    assert database_snapshot(app) == before


@pytest.mark.parametrize("path", ["/jury", "/jury/log"])
def test_jury_pages_accept_no_post(app, runner, elections, path):
    elections.create()
    add_user(runner, "jules", "jury")
    client = app.test_client()
    sign_in(client, "jules")
    assert client.post(path, data={"csrf_token": csrf_of(client, "/jury")}).status_code == 405
