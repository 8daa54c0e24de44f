"""A fresh install, run from the browser: the first organiser from the one-time link that
`voting init` prints, elections created and copied in the console, staff accounts managed
there, and sign-ins that end on the server."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.helpers import form_on
from tests.staff import PASSWORD, add_user, csrf_of, sign_in, staff_client
from voting.db import get_session
from voting.models import Election

LINK = re.compile(r"http://\S+/setup/(\S+)")


def setup_path(runner) -> str:
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return "/setup/" + LINK.search(result.output).group(1)


def test_the_first_organiser_comes_from_the_one_time_link(app, runner):
    client = app.test_client()
    assert client.get("/setup/not-a-token").status_code == 404
    path = setup_path(runner)
    assert setup_path(runner) == path  # init may run again: it prints the same link
    page = client.get(path)
    assert page.status_code == 200
    form = form_on(page.get_data(as_text=True), path)
    short = client.post(
        path, data=dict(form["fields"], name="olga", password="short", again="short")
    )
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    done = client.post(
        path, data=dict(form["fields"], name="olga", password=PASSWORD, again=PASSWORD)
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin")
    fresh = client.get("/admin").get_data(as_text=True)
    assert "There is no election yet" in fresh
    # Used once: the link is dead, and `voting init` prints no new one.
    assert app.test_client().get(path).status_code == 404
    assert "setup" not in runner.invoke(args=["init"]).output


def test_an_election_is_created_and_copied_in_the_console(app, runner):
    organiser = staff_client(app, runner, "organiser")
    token = csrf_of(organiser, "/admin")
    bad = organiser.post(
        "/admin/elections", data={"csrf_token": token, "title": "", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 422 and "Mars/Olympus" in bad.get_data(as_text=True)
    made = organiser.post(
        "/admin/elections",
        data={
            "csrf_token": token,
            "title": "Øresund Cluster Awards 2027",
            "timezone": "Europe/Copenhagen",
            "tie_rule": "shared",
            "opens_at": "2027-05-04T10:00",
            "languages": ["en", "de"],
        },
    )
    assert (
        made.status_code == 303
        and "election=oresund-cluster-awards-2027" in made.headers["Location"]
    )
    organiser.post(
        "/admin/election/awards?election=oresund-cluster-awards-2027",
        data={"csrf_token": token, "title": "Best Newcomer", "description": ""},
    )
    copy = organiser.post(
        "/admin/elections/copy?election=oresund-cluster-awards-2027",
        data={"csrf_token": token, "title": "Øresund Cluster Awards 2028"},
    )
    assert copy.status_code == 303
    with app.app_context():
        elections = {e.slug: e for e in get_session().scalars(select(Election))}
    assert set(elections) == {"oresund-cluster-awards-2027", "oresund-cluster-awards-2028"}
    assert elections["oresund-cluster-awards-2028"].opens_at is None
    assert "Best Newcomer" in elections["oresund-cluster-awards-2028"].definition
    listed = organiser.get("/admin").get_data(as_text=True)
    assert "Øresund Cluster Awards 2027" in listed and "Øresund Cluster Awards 2028" in listed


def test_signing_out_ends_the_sign_in_on_the_server(app, runner, elections):
    elections.create(attendees=1)
    add_user(runner, "dana", "desk")
    client = app.test_client()
    sign_in(client, "dana")
    assert client.get("/desk").status_code == 200
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    assert stolen.get("/desk").status_code == 200  # the copy works while the sign-in holds
    assert client.get("/desk").headers["Cache-Control"] == "private, no-cache"
    signed_out = client.post("/logout", data={"csrf_token": csrf_of(client, "/desk")})
    assert stolen.get("/desk").status_code == 302  # and not after signing out
    # Staff pages may be kept for back and forward: signing out drops them from the browser.
    assert signed_out.headers["Clear-Site-Data"] == '"cache"'


def test_staff_accounts_in_the_console_and_on_the_command_line(app, runner, elections):
    elections.create(attendees=1)
    organiser = staff_client(app, runner, "organiser", "olga")
    token = csrf_of(organiser, "/admin/staff")
    organiser.post(
        "/admin/staff",
        data={"csrf_token": token, "name": "dana", "role": "desk", "password": PASSWORD},
    )
    desk = app.test_client()
    assert sign_in(desk, "dana").status_code == 303
    assert desk.get("/desk").status_code == 200
    # A new password ends the sign-in; the old password no longer works.
    organiser.post(
        "/admin/staff/dana/password", data={"csrf_token": token, "password": "a new passphrase"}
    )
    assert desk.get("/desk").status_code == 302
    assert sign_in(desk, "dana").status_code == 422
    assert sign_in(desk, "dana", "a new passphrase").status_code == 303
    # Disabled: signed out at once, and cannot sign in again.
    organiser.post("/admin/staff/dana/disable", data={"csrf_token": token, "disabled": "yes"})
    assert desk.get("/desk").status_code == 302
    assert sign_in(desk, "dana", "a new passphrase").status_code == 422
    listed = runner.invoke(args=["users", "list"]).output
    assert "dana\tdesk\tdisabled" in listed and "olga\torganiser\tactive" in listed
    runner.invoke(args=["users", "disable", "dana", "--enable"])
    assert sign_in(desk, "dana", "a new passphrase").status_code == 303
    # The last organiser who can sign in is never disabled.
    last = runner.invoke(args=["users", "disable", "olga"])
    assert last.exit_code != 0 and "last organiser" in last.output
    changed = runner.invoke(
        args=["users", "passwd", "dana", "--password-stdin"], input="another passphrase\n"
    )
    assert changed.exit_code == 0 and desk.get("/desk").status_code == 302
