"""Slow work never holds the write lock: ballots are cast while the desk waits on a stalled
mail server, while a staff page is held open, and while 10,000 cards are being printed.

Each test would fail on a build where that work ran inside a write transaction: on SQLite
the casts would queue behind the writer lock until the slow part ended (seconds to minutes).
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import requests
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from tests.helpers import form_on, reach_review
from tests.server import Gunicorn, HttpVoter
from tests.smtp import StallingSmtpServer, send_queue
from tests.staff import PASSWORD, add_user, csrf_of, staff_client
from voting.db import NestedWrite, get_session, writing
from voting.models import ActivityRecord, Attendee, EligibleToken

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}
# A cast takes some milliseconds; one that waits behind slow work waits for all of it.
WELL_UNDER_A_SECOND = 1.0


def ready_voters(app, tokens: list[str]) -> list[tuple[object, dict]]:
    """Voters standing at the review page: only their cast is left to time."""
    voters = []
    for token in tokens:
        client = app.test_client()
        voters.append((client, reach_review(client, token, PICK)))
    return voters


def timed_cast(client, fields: dict) -> float:
    started = time.perf_counter()
    response = client.post("/cast", data=fields)
    took = time.perf_counter() - started
    assert response.status_code == 303, response.get_data(as_text=True)
    return took


def in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_casts_go_through_while_the_worker_waits_on_a_stalled_mail_server(app, runner, elections):
    """The desk's "send again" only queues; the worker then waits on a mail server that says
    nothing, with no write open, while ballots are cast."""
    stalled = StallingSmtpServer(stall=10.0)
    stalled.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=stalled.port, SMTP_TIMEOUT=30)
    election = elections.create(attendees=8)
    desk = staff_client(app, runner, "desk")
    voters = ready_voters(app, election.tokens[1:6])
    with app.app_context():
        person = get_session().scalar(select(Attendee.id).order_by(Attendee.id))
    token = csrf_of(desk, "/desk")
    answer = desk.post(f"/desk/attendees/{person}/send", data={"csrf_token": token})
    assert answer.status_code == 303
    worked = []
    sender = in_thread(lambda: worked.append(send_queue(app)))
    try:
        assert stalled.connected.wait(10), "the worker never reached the mail server"
        times = [timed_cast(client, fields) for client, fields in voters]
        assert sender.is_alive(), "the casts must have happened while the mail server stalled"
        assert max(times) < WELL_UNDER_A_SECOND, times
    finally:
        sender.join(30)
        stalled.stop()
    assert worked[0].retrying == 1  # the server hung up: tried again later
    page = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "on its way" in page and "closed" in page, page
    with app.app_context():
        actions = get_session().scalars(select(ActivityRecord.action)).all()
    assert "link resend queued" in actions


@pytest.fixture
def held_requests(app):
    """Requests sent with the header X-Hold stay open (their session too) until released."""
    from flask import request

    state = {"held": threading.Semaphore(0), "release": threading.Event()}

    @app.after_request
    def hold(response):
        if request.headers.get("X-Hold"):
            state["held"].release()
            state["release"].wait(30)
        return response

    yield state
    state["release"].set()


def test_a_staff_page_held_open_does_not_hold_up_a_burst_of_casts(
    app, runner, elections, held_requests
):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # sending fails at once
    election = elections.create(attendees=12)
    organiser = staff_client(app, runner, "organiser")
    desk = staff_client(app, runner, "desk")
    voters = ready_voters(app, election.tokens[:6])
    hold = {"X-Hold": "1"}
    token = csrf_of(organiser, "/admin")
    pages = [
        lambda: organiser.get("/admin", headers=hold),
        lambda: organiser.get("/admin/attendees?q=attendee", headers=hold),
        lambda: desk.get("/desk?q=attendee 1", headers=hold),
        lambda: organiser.post("/admin/send", data={"csrf_token": token}, headers=hold),
    ]
    answers: list = []
    staff = [in_thread(lambda page=page: answers.append(page())) for page in pages]
    try:
        for _ in pages:
            assert held_requests["held"].acquire(timeout=10), "a staff page never got served"
        times: list[float] = []
        burst = [in_thread(lambda pair=pair: times.append(timed_cast(*pair))) for pair in voters]
        for thread in burst:
            thread.join(15)
        assert len(times) == len(voters), "casts waited behind a staff page held open"
        assert max(times) < 2 * WELL_UNDER_A_SECOND, times
    finally:
        held_requests["release"].set()
        for thread in staff:
            thread.join(15)
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 303]


@pytest.mark.server
def test_casts_go_through_while_ten_thousand_cards_are_printed(
    app, runner, elections, instance_path, database_url
):
    """Over a real gunicorn: one worker renders 10,000 anonymous cards, the others take casts.

    The server is stopped mid-print: the cards were never handed out, so not one of their
    ballots may have joined the eligible set.
    """
    election = elections.create(attendees=8)
    add_user(runner, "olga", "organiser")
    with app.app_context():
        eligible = get_session().scalar(select(func.count()).select_from(EligibleToken))
    server = Gunicorn(instance_path, database_url, workers=3)
    try:
        organiser = requests.Session()
        login = form_on(organiser.get(server.url + "/login", timeout=30).text, "/login")
        organiser.post(
            server.url + "/login",
            data=dict(login["fields"], name="olga", password=PASSWORD),
            timeout=30,
        )
        dashboard = organiser.get(server.url + "/admin", timeout=30).text
        sheet = form_on(dashboard, "/admin/cards/anonymous?election=ecc2016")["fields"]
        voters = [HttpVoter(server.url) for _ in range(5)]
        forms = [
            voter.reach_review(token, PICK)
            for voter, token in zip(voters, election.tokens[:5], strict=True)
        ]
        outcome: list = []

        def print_cards() -> None:
            try:
                outcome.append(
                    organiser.post(
                        server.url + "/admin/cards/anonymous?election=ecc2016",
                        data=dict(sheet, count="10000", layout="a4"),
                        timeout=600,
                    )
                )
            except requests.RequestException as exc:  # the server is stopped mid-print
                outcome.append(exc)

        printing = in_thread(print_cards)
        time.sleep(2)  # the cards are made at once; rendering them takes minutes
        times = []
        for voter, fields in zip(voters, forms, strict=True):
            # After two idle seconds gunicorn may be closing the phone's kept-alive
            # connection (its keepalive is 2 s): cast on a new one, as a browser would
            # after such a reset, so the race is the server's, not the client's.
            voter.http.close()
            started = time.perf_counter()
            assert voter.cast(fields).status_code == 303
            times.append(time.perf_counter() - started)
        assert printing.is_alive(), "the casts must have happened during the print"
        assert max(times) < WELL_UNDER_A_SECOND, times
    finally:
        server.stop()
    printing.join(30)
    assert outcome and isinstance(outcome[0], requests.RequestException), outcome
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(EligibleToken)) == eligible


def test_a_session_writes_only_inside_writing(app, elections):
    """Outside `writing` the database refuses every write, so none can take a lock unseen."""
    elections.create(attendees=2)
    with app.app_context():
        session = get_session()
        with pytest.raises(DBAPIError):
            session.execute(update(Attendee).values(name="Changed"))
        session.rollback()
        with writing(session):
            session.execute(update(Attendee).values(name="Changed"))
            with pytest.raises(NestedWrite), writing(session):
                pass
        assert set(session.scalars(select(Attendee.name))) == {"Changed"}


BOUNDARY = "test-boundary-7c1f"


def multipart(**fields: str | tuple[str, bytes]) -> bytes:
    """A form as a browser posts it. (Werkzeug's test client would spool a large body to a
    temporary file that it never closes.)"""
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, content = value
            head = f'name="{name}"; filename="{filename}"\r\nContent-Type: text/csv'
        else:
            head, content = f'name="{name}"', value.encode()
        parts.append(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; {head}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def test_a_bad_upload_is_refused_without_waiting_for_the_writer(app, runner, elections, tmp_path):
    """An attendee file is parsed and checked before any write begins: while another
    process holds SQLite's write lock, a 50,000-line upload with errors is still refused at
    once, line by line, instead of queueing for the lock."""
    if app.config["DATABASE_URL"].split(":")[0] != "sqlite":
        pytest.skip("SQLite's single writer lock")
    elections.create(attendees=2)
    organiser = staff_client(app, runner, "organiser")
    token = csrf_of(organiser, "/admin/attendees")
    rows = ["name,email"] + [f"Person {i},person{i}@example.org" for i in range(50_000)]
    rows[25_000] = "Broken,not-an-address"
    upload = ("\n".join(rows) + "\n").encode()
    holder = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        response = organiser.post(
            "/admin/attendees/import",
            data=multipart(csrf_token=token, file=("people.csv", upload)),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
        took = time.perf_counter() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 422
    assert "line 25001" in response.get_data(as_text=True)
    assert took < 15, took  # the writer lock was never asked for (its busy timeout is 30 s)
