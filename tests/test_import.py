"""Importing real registration exports: pretix group orders and Indico registrations, dry
runs, re-imports that withdraw cancelled registrations, and attendees edited or withdrawn."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.exports import indico_export, pretix_export, pretix_row
from tests.helpers import EXAMPLE_TOML, form_on, vote_with_client
from tests.staff import csrf_of, staff_client
from tests.test_write_lock import BOUNDARY, multipart
from voting import services, verify
from voting.db import get_session
from voting.models import ActivityRecord, Attendee
from voting.operations.elections import find_election
from voting.operations.tokens import personal_token

PICK = {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"}


def invoke(runner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(args=list(args))
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def attendees(app) -> dict[str, Attendee]:
    with app.app_context():
        return {a.ref or a.email: a for a in get_session().scalars(select(Attendee))}


def token_of(app, ref: str) -> str:
    """The personal ballot token of the attendee with this reference."""
    with app.app_context():
        session = get_session()
        election = find_election(session)
        attendee = session.scalars(select(Attendee).where(Attendee.ref == ref)).one()
        key = services.keys().delivery_key(election.slug)
        return personal_token(services.codec(), key, election, attendee)


@pytest.fixture
def pretix_file(tmp_path):
    path = tmp_path / "pretix-positions.csv"
    path.write_bytes(pretix_export())
    return path


@pytest.fixture
def loaded(runner):
    invoke(runner, "election", "load", str(EXAMPLE_TOML))


def test_a_pretix_export_imports_registrations_not_emails(app, runner, loaded, pretix_file):
    output = invoke(runner, "attendees", "import", str(pretix_file))
    assert "7 added, 0 updated, 0 unchanged, 0 kept from before; 7 attendees" in output
    assert "3 row(s) skipped" in output and "canceled" in output and "expired" in output
    people = attendees(app)
    assert people["GRP7X-3"].email == "" and people["GRP7X-3"].name == "Дмитрий Иванов"
    assert people["ASST1-1"].email == people["ASST2-1"].email == "assistant@hub.example"
    assert people["SOLO1-1"].email == "jean.dupont@lyon.example"
    assert people["GRP7X-1"].language == "de" and people["GRP7X-1"].organisation == (
        "Clustër Nord e.V."
    )
    # The board counts attendees and names none.
    invoke(runner, "open")
    board = b"".join(runner.app.test_client().get("/board.jsonl").data.splitlines())
    assert b'"count":7' in board and "Müller".encode() not in board
    # Again, unchanged: nothing to do.
    again = invoke(runner, "attendees", "import", str(pretix_file))
    assert "0 added, 0 updated, 7 unchanged" in again


def test_a_dry_run_writes_nothing(app, runner, loaded, pretix_file):
    before = len(attendees(app))
    output = invoke(runner, "attendees", "import", str(pretix_file), "--dry-run")
    assert "dry run, nothing written; the import would give: 7 added" in output
    assert len(attendees(app)) == before == 0


def test_an_indico_export_imports(app, runner, loaded, tmp_path):
    path = tmp_path / "indico.csv"
    path.write_bytes(indico_export())
    output = invoke(runner, "attendees", "import", str(path))
    assert "3 added" in output and "Withdrawn" in output and "Rejected" in output
    assert attendees(app)["2"].name == "Ηλίας Παπαδόπουλος"
    assert "not yet paid" in output


def test_a_cancelled_registration_is_withdrawn_when_asked_and_its_ballot_revoked(
    app, runner, loaded, pretix_file, tmp_path
):
    invoke(runner, "attendees", "import", str(pretix_file))
    invoke(runner, "open")
    voter = app.test_client()
    vote_with_client(voter, token_of(app, "GRP7X-1"), PICK)  # Zoë votes, then cancels
    solo, zoe = token_of(app, "SOLO1-1"), token_of(app, "GRP7X-1")
    later = pretix_export().replace(b"SOLO1,1,paid", b"SOLO1,1,canceled")
    later = later.replace(b"GRP7X,1,paid", b"GRP7X,1,canceled")
    later = b"\r\n".join(line for line in later.split(b"\r\n") if b"ASST2" not in line)
    path = tmp_path / "later.csv"
    path.write_bytes(later)
    kept = invoke(runner, "attendees", "import", str(path))
    assert "3 on the list but not in the file, or cancelled: kept" in kept
    assert "Jean Dupont (SOLO1-1): cancelled (canceled)" in kept
    assert "Anna Lars (ASST2-1): not in the file" in kept
    assert not attendees(app)["SOLO1-1"].is_withdrawn
    done = invoke(runner, "attendees", "import", str(path), "--withdraw-missing")
    assert "3 withdrawn" in done and "2 ballots revoked" in done
    people = attendees(app)
    assert people["SOLO1-1"].is_withdrawn and people["ASST2-1"].is_withdrawn
    page = app.test_client().get(f"/v/{solo}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert app.test_client().get(f"/v/{zoe}").status_code == 409  # cast, and counted
    with app.test_client() as client:
        lines = client.get("/board.jsonl").data.splitlines(keepends=True)
    report = verify.verify_board(lines, partial=True)
    assert report.ballots == 1 and report.eligible == 5
    revoked = [json.loads(line) for line in lines if b'"kind":"tokens.revoked"' in line]
    assert len(revoked[-1]["data"]["token_hashes"]) == 2
    # Registered again: back on the list with a fresh ballot.
    invoke(runner, "attendees", "import", str(pretix_file))
    assert not attendees(app)["SOLO1-1"].is_withdrawn
    fresh = token_of(app, "SOLO1-1")
    assert fresh != solo and app.test_client().get(f"/v/{fresh}").status_code == 303


def test_edit_and_withdraw_from_the_command_line(app, runner, loaded, pretix_file):
    invoke(runner, "attendees", "import", str(pretix_file))
    invoke(runner, "open")
    edited = invoke(
        runner,
        "attendees",
        "edit",
        "GRP7X-3",
        "--email",
        "Dmitry@Cluster.example",
        "--language",
        "ru",
    )
    assert "email, language changed" in edited
    assert attendees(app)["GRP7X-3"].email == "dmitry@cluster.example"
    shared = invoke(runner, "attendees", "edit", "assistant@hub.example", "--name", "X", ok=False)
    assert "2 attendees have the email" in shared
    assert "not a valid email" in invoke(
        runner, "attendees", "edit", "SOLO1-1", "--email", "nope", ok=False
    )
    token = token_of(app, "SOLO1-1")
    assert "their ballot no longer works" in invoke(
        runner, "attendees", "withdraw", "jean.dupont@lyon.example"
    )
    assert app.test_client().get(f"/v/{token}").status_code == 410
    assert "already withdrawn" in invoke(runner, "attendees", "withdraw", "SOLO1-1", ok=False)
    with app.app_context():
        actions = get_session().scalars(select(ActivityRecord.action)).all()
    assert "attendee edited" in actions and "attendee withdrawn" in actions


def test_the_console_checks_then_imports_and_refuses_a_stale_check(app, runner, elections):
    elections.create(open_voting=False, attendees=0)
    organiser = staff_client(app, runner, "organiser")
    token = csrf_of(organiser, "/admin/attendees")

    def upload(data: bytes):
        return organiser.post(
            "/admin/attendees/import",
            data=multipart(csrf_token=token, file=("positions.csv", data)),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )

    check = upload(pretix_export()).get_data(as_text=True)
    assert "7 attendees added" in check and "3 rows skipped" in check
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Attendee)) == 0
    confirm = form_on(check, "/admin/attendees/import/confirm?election=ecc2016")["fields"]
    # Meanwhile someone else imports a newer list: the first check no longer tells the truth.
    late = pretix_row("LATE1", 1, "paid", "l@example.org", "Late", "Comer", "l@example.org")
    other = upload(pretix_export([late])).get_data(as_text=True)
    other_confirm = form_on(other, "/admin/attendees/import/confirm?election=ecc2016")["fields"]
    done = organiser.post("/admin/attendees/import/confirm?election=ecc2016", data=other_confirm)
    assert "8 added" in done.get_data(as_text=True)
    stale = organiser.post("/admin/attendees/import/confirm?election=ecc2016", data=confirm)
    assert stale.status_code == 409 and "changed since the file was checked" in stale.get_data(
        as_text=True
    )
    # Edit and withdraw in the console.
    person = attendees(app)["GRP7X-3"].id
    page_token = csrf_of(organiser, f"/desk/attendees/{person}")
    organiser.post(
        f"/admin/attendees/{person}/edit",
        data={
            "csrf_token": page_token,
            "name": "Dmitry Ivanov",
            "email": "",
            "organisation": "",
            "language": "ru",
        },
    )
    assert attendees(app)["GRP7X-3"].name == "Dmitry Ivanov"
    organiser.post(f"/admin/attendees/{person}/withdraw", data={"csrf_token": page_token})
    assert not attendees(app)["GRP7X-3"].is_withdrawn  # not confirmed
    organiser.post(
        f"/admin/attendees/{person}/withdraw", data={"csrf_token": page_token, "confirm": "yes"}
    )
    assert attendees(app)["GRP7X-3"].is_withdrawn
    listed = organiser.get("/admin/attendees?q=dmitry").get_data(as_text=True)
    assert "withdrawn" in listed
