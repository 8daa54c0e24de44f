"""Limits and hygiene an outside test found: numbers only in ASCII digits, loaders that fail
in one line, form bodies as small as forms, log names the C2SP verifiers accept, addresses
never taken from the Host header, and a server two stalled phones cannot hold."""

from __future__ import annotations

import base64
import contextlib
import io
import socket
import subprocess
import sys
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from tests.helpers import EXAMPLE_TOML, form_on
from tests.nginx import Nginx
from tests.server import ROOT, Gunicorn
from tests.staff import csrf_of, staff_client
from voting import verify
from voting.db import get_session
from voting.instance import set_public_url
from voting.models import Attendee

DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def test_numbers_are_ascii_digits_or_refused(app, runner, elections):
    election = elections.create(attendees=2)
    client = app.test_client()
    assert client.get("/board?page=2").status_code == 200
    for garbled in ("²", "٣", "\N{FULLWIDTH DIGIT ONE}", "-1", "1e3", "0", "9" * 40):
        assert client.get(f"/board?page={garbled}").status_code == 400, garbled
        assert client.get(f"/board.json?page={garbled}").status_code == 400, garbled
    assert client.get("/board/consistency?from=¹&to=2").status_code == 400
    organiser = staff_client(app, runner, "organiser", "olga")
    token = csrf_of(organiser, "/admin")
    cards = organiser.post(
        "/admin/cards/anonymous",
        data={"csrf_token": token, "count": "\N{FULLWIDTH DIGIT ONE}\N{FULLWIDTH DIGIT ZERO}"},
    )
    assert cards.status_code == 400
    reminded = organiser.post(
        f"/admin/emails/remind?election={election.slug}",
        data={"csrf_token": token, "every": "\N{FULLWIDTH DIGIT TWO}\N{FULLWIDTH DIGIT FOUR}"},
        follow_redirects=True,
    )
    assert "Reminders are sent while voting is open" in reminded.get_data(as_text=True)


def test_deeply_nested_files_fail_in_one_line(runner, tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP_TOML)
    loaded = runner.invoke(args=["election", "load", str(deep)])
    # The problem and the summary every failed load ends with: no 3,000-line traceback.
    assert loaded.exit_code != 0 and loaded.output.count("\n") == 2, loaded.output[:500]
    assert "nest too deeply" in loaded.output and "Traceback" not in loaded.output
    board = tmp_path / "board.jsonl"
    board.write_bytes(DEEP_JSON + b"\n")
    checked = runner.invoke(args=["board", "verify", str(board)])
    assert checked.exit_code != 0 and checked.output.startswith("FAILED")
    assert checked.output.count("\n") == 1, checked.output[:500]
    alone = subprocess.run(
        [sys.executable, str(ROOT / "voting" / "verify.py"), str(board)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert alone.returncode != 0 and "Traceback" not in alone.stdout + alone.stderr


def test_forms_take_what_a_form_needs_and_uploads_keep_their_limit(app, runner, elections):
    election = elections.create(open_voting=False, attendees=0)
    client = app.test_client()
    form = form_on(client.get("/code").get_data(as_text=True), "/code")
    padded = dict(form["fields"], code="x", padding="y" * 300_000)
    assert client.post("/code", data=padded).status_code == 413
    organiser = staff_client(app, runner, "organiser", "olga")
    # Past the limit of forms, and under the size at which the test client spools to a file.
    rows = ["name,email"] + [f"Attendee {n},attendee{n}@example.org" for n in range(9_000)]
    upload = "\n".join(rows).encode()
    assert 300_000 < len(upload) < 500_000
    checked = organiser.post(
        f"/admin/attendees/import?election={election.slug}",
        data={
            "csrf_token": csrf_of(organiser, "/admin/attendees"),
            "file": (io.BytesIO(upload), "attendees.csv"),
        },
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200 and "9000 attendees added" in checked.get_data(as_text=True)


@pytest.mark.parametrize("origin", ["vote example.org", "vote.example.org+x"])
def test_a_log_name_the_verifiers_would_refuse_is_refused_at_creation(app, runner, origin):
    app.config["BOARD_ORIGIN"] = origin
    result = runner.invoke(args=["election", "load", str(EXAMPLE_TOML)])
    assert result.exit_code != 0 and "would hold a space or a “+”" in result.output
    app.config["BOARD_ORIGIN"] = "vote.example.org"
    assert runner.invoke(args=["election", "load", str(EXAMPLE_TOML)]).exit_code == 0


def signed_note(body: str) -> tuple[str, verify.VerifierKey]:
    private = Ed25519PrivateKey.generate()
    origin = body.split("\n", 1)[0]
    key = verify.VerifierKey.from_private(origin, private)
    signature = base64.b64encode(key.id + private.sign(body.encode())).decode()
    return f"{body}\n— {origin} {signature}\n", key


def test_the_verifier_reads_sizes_and_roots_only_as_the_format_writes_them():
    root = bytes(range(32))
    canonical = base64.b64encode(root).decode()
    good, key = signed_note(f"vote.example.org/x\n12\n{canonical}\n")
    assert verify.open_checkpoint(good, key).size == 12
    # The last character before "=" carries two bits the format leaves zero.
    loose = canonical[:42] + chr(ord(canonical[42]) + 1) + canonical[43:]
    assert base64.b64decode(loose) == root
    for body in (
        f"vote.example.org/x\n\N{FULLWIDTH DIGIT ONE}\N{FULLWIDTH DIGIT TWO}\n{canonical}\n",
        f"vote.example.org/x\n²\n{canonical}\n",
        f"vote.example.org/x\n012\n{canonical}\n",
        f"vote.example.org/x\n12\n{loose}\n",
    ):
        note, key = signed_note(body)
        with pytest.raises(ValueError):
            verify.open_checkpoint(note, key)


def test_links_and_qr_codes_never_come_from_the_host_header(app, elections, instance_path):
    election = elections.create(attendees=1)
    client = app.test_client()
    page = client.get(f"/stage/{election.slug}", headers={"Host": "evil.example"})
    assert "evil.example" not in page.get_data(as_text=True)
    assert "http://localhost/vote/" in page.get_data(as_text=True)
    app.config["PUBLIC_URL"] = ""
    page = client.get(f"/stage/{election.slug}", headers={"Host": "evil.example"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "evil.example" not in html and "<svg" not in html
    set_public_url(instance_path, "http://localhost")


STALLED_HEADERS = b"GET /health HTTP/1.1\r\nHost: x\r\n"  # and then nothing
STALLED_BODY = b"POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ncode="


@contextlib.contextmanager
def stalled_connections(port: int, beginnings: list[bytes]):
    """Connections that each send the beginning of a request, then nothing more."""
    stalled = []
    try:
        for beginning in beginnings:
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(beginning)
            stalled.append(connection)
        time.sleep(0.5)
        yield
    finally:
        for connection in stalled:
            connection.close()


@pytest.mark.server
def test_two_stalled_connections_do_not_stall_the_server(app, instance_path, database_url):
    server = Gunicorn(instance_path, database_url, workers=2)
    try:
        # More than there are workers, fewer than one worker's threads (four: each stalled
        # connection holds one; nginx in front holds them all, see the next test).
        with stalled_connections(server.port, [STALLED_HEADERS] * 3):
            # Sync workers would each sit on a stalled connection: this would time out.
            assert requests.get(server.url + "/health", timeout=10).status_code == 200
    finally:
        server.stop()


@pytest.mark.server
def test_behind_nginx_no_number_of_stalled_phones_holds_a_thread(
    app, instance_path, database_url, tmp_path
):
    """Straight to gunicorn, each connection that stalls mid-request holds one of a worker's
    threads; nginx reads whole requests before it passes them on, so behind it none does."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the database plays no part")
    server = Gunicorn(instance_path, database_url, workers=1)
    proxy = Nginx(tmp_path / "nginx", [f"127.0.0.1:{server.port}"])
    try:
        # Many times the worker's threads, stalled in the headers or in the body.
        with stalled_connections(proxy.port, [STALLED_HEADERS, STALLED_BODY] * 20):
            assert requests.get(proxy.url + "/health", timeout=10).status_code == 200
    finally:
        proxy.stop()
        server.stop()


def test_numbers_in_paths_are_ascii_digits(app, runner, elections):
    elections.create(attendees=2)
    desk = staff_client(app, runner, "desk", "dana")
    with app.app_context():
        first = get_session().scalars(select(Attendee.id).order_by(Attendee.id)).first()
    assert desk.get(f"/desk/attendees/{first}").status_code == 200
    eastern = str(first).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert desk.get(f"/desk/attendees/{eastern}").status_code == 404
