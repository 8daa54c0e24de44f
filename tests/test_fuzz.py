"""Garbage in, no 500 out: property tests over every form, URL, token, file loader and board.

Whatever arrives, the answer is a page with a 4xx (or a success), never a server error or a
traceback, and a refused input changes nothing.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import EXAMPLE_TOML, vote_with_client
from tests.staff import csrf_of, staff_client
from tests.test_jury import database_snapshot
from voting import verify
from voting.domain.definition import DefinitionError, parse_definition
from voting.domain.roster import RosterError, parse_roster

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
nasty = st.one_of(
    text,
    st.sampled_from(
        ["", "abstain", "../../etc/passwd", "%00", "<script>", "' OR 1=1 --", "\u202e", "9" * 400]
    ),
)


@pytest.fixture
def election(elections):
    """One open election for all the examples of a test (hypothesis reuses the fixture)."""
    return elections.create(attendees=3)


@pytest.fixture
def voter(app, election):
    client = app.test_client()
    client.get(f"/v/{election.tokens[0]}")
    return client


@pytest.fixture
def clients(app, runner, election):
    return [app.test_client(), staff_client(app, runner, "organiser")]


def no_server_error(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code < 500, response.status_code
    assert "Traceback" not in body


@FAST
@given(first=nasty, second=nasty, extra=st.dictionaries(st.text(max_size=20), nasty, max_size=3))
def test_ballot_and_cast_forms(app, voter, first, second, extra):
    before = database_snapshot(app)
    token = csrf_of(voter, "/code")
    data = {
        **extra,
        "csrf_token": token,
        "award-cluster-manager": first,
        "award-strategic-partnership": second,
    }
    for path in ("/ballot", "/cast"):
        response = voter.post(path, data=data)
        no_server_error(response)
    valid = {first, second} <= {
        "abstain",
        "mario-rossi",
        "jane-doe",
        "erika-mustermann",
        "jan-kowalski",
    }
    if not valid:
        assert database_snapshot(app) == before


@FAST
@given(code=nasty, name=nasty, password=nasty, language=nasty, target=nasty)
def test_code_login_and_language_forms(app, election, code, name, password, language, target):
    client = app.test_client()
    token = csrf_of(client, "/code")
    before = database_snapshot(app)
    no_server_error(client.post("/code", data={"csrf_token": token, "code": code}))
    no_server_error(
        client.post("/login", data={"csrf_token": token, "name": name, "password": password})
    )
    no_server_error(
        client.post("/language", data={"csrf_token": token, "language": language, "next": target})
    )
    assert database_snapshot(app) == before


@FAST
@given(
    segment=st.text(max_size=120),
    query=st.dictionaries(
        st.sampled_from(["page", "kind", "election", "from", "to", "q", "receipt", "code", "next"]),
        nasty,
        max_size=4,
    ),
)
def test_urls_and_parameters(clients, segment, query):
    quoted = segment.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x"
    paths = [
        f"/v/{quoted}",
        f"/board/receipt/{quoted}",
        f"/board/receipt/{quoted}.json",
        f"/stage/{quoted}",
        f"/results/{quoted}",
        "/board",
        "/board.json",
        "/board/consistency",
        "/jury/log",
        "/desk",
        "/admin/attendees",
        f"/desk/attendees/{quoted}",
    ]
    for client in clients:
        for path in paths:
            with client.get(path, query_string=query) as response:
                no_server_error(response)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_csv_loader_takes_any_bytes(data):
    try:
        roster = parse_roster(data)
    except RosterError as exc:
        assert exc.errors and all(error.startswith("line ") for error in exc.errors)
    else:
        assert roster.rows


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_csv_loader_takes_any_text(body):
    try:
        parse_roster(("name,email\n" + body).encode())
    except RosterError as exc:
        assert all(error.startswith("line ") for error in exc.errors)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_toml_loader_takes_anything(source):
    try:
        parse_definition(source)
    except DefinitionError as exc:
        assert exc.errors


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.binary(min_size=1, max_size=3))
def test_toml_loader_takes_damaged_example(position, replacement):
    source = EXAMPLE_TOML.read_bytes()
    position %= len(source)
    damaged = source[:position] + replacement + source[position + 1 :]
    try:
        parse_definition(damaged)
    except DefinitionError as exc:
        assert exc.errors


def test_failed_imports_write_nothing(app, runner, tmp_path):
    runner.invoke(args=["election", "load", str(EXAMPLE_TOML)])
    before = database_snapshot(app)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=300), st.text(max_size=300))
    def attempt(csv_bytes, toml_text):
        csv_file, toml_file = tmp_path / "a.csv", tmp_path / "e.toml"
        csv_file.write_bytes(b"name,email\nAnn,not-an-email\n" + csv_bytes)
        toml_file.write_text(toml_text + "\n[election]\nslug = 'Bad Slug'\n")
        for args in (["attendees", "import", str(csv_file)], ["election", "load", str(toml_file)]):
            result = runner.invoke(args=args)
            assert result.exit_code != 0 and "Traceback" not in result.output
        assert database_snapshot(app) == before

    attempt()


@pytest.fixture
def real_board(app, elections):
    election = elections.create(attendees=3)
    vote_with_client(
        app.test_client(),
        election.tokens[0],
        {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    )
    elections.close(election.slug)
    return elections.board(election.slug)


def test_verifier_takes_any_damage(real_board):
    whole = b"".join(real_board)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=0), st.binary(min_size=0, max_size=4), st.integers(0, 8))
    def attempt(position, replacement, cut):
        position %= len(whole)
        damaged = whole[:position] + replacement + whole[position + cut :]
        try:
            verify.verify_board(damaged.splitlines(keepends=True))
        except verify.BoardError:
            return

        # It passed: then the damage touched nothing the board vouches for (blank space, or
        # the header's title, which is only a label: even its key's name may change).
        def lines(data: bytes) -> list[bytes]:
            return [line.rstrip(b"\r") for line in data.splitlines() if line.strip()]

        assert lines(damaged)[1:] == lines(whole)[1:]
        assert vouched(json.loads(lines(damaged)[0])) == vouched(json.loads(lines(whole)[0]))

    attempt()


def vouched(header: dict) -> dict:
    """What the verifier checks in a board's header; anything else there is a label."""
    return {key: header.get(key) for key in ("type", "format", "election", "origin")}


def test_the_header_title_is_a_label(real_board):
    """The draw that once failed the oracle above: a cut inside the key "title"."""
    header = real_board[0]
    assert b'"title":' in header
    renamed = [header.replace(b'"title":', b'"tile":', 1), *real_board[1:]]
    verify.verify_board(renamed)
    moved = [header.replace(b'"origin":"', b'"origin":"x', 1), *real_board[1:]]
    with pytest.raises(verify.BoardError):
        verify.verify_board(moved)
