"""The public address links and cards point to: nothing is printed or sent without it (but
`voting demo` may use the address it serves on), a local one is allowed with a warning, and
the dashboard says what needs the organiser's attention."""

from __future__ import annotations

import tomllib

import pytest

from tests.helpers import definition_toml, parse_forms, vote_with_client
from tests.staff import csrf_of, staff_client
from voting import create_app
from voting.domain.public_address import check_public_url, is_local, public_url_problems
from voting.errors import VotingError
from voting.instance import CONFIG_FILE

MISSING = "no public address is set (PUBLIC_URL)"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://vote.example.org/", "https://vote.example.org"),
        ("http://10.0.0.5:8000/awards/", "http://10.0.0.5:8000/awards"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_an_address_voters_can_open_is_kept_without_its_slash(given, kept):
    assert check_public_url(given) == kept


@pytest.mark.parametrize(
    "given",
    ["vote.example.org", "ftp://vote.example.org", "https://", "https://a.org/?x=1", "http://a:b/"],
)
def test_an_address_voters_cannot_open_is_refused(given):
    with pytest.raises(VotingError):
        check_public_url(given)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:5000", True),
        ("http://127.0.0.1", True),
        ("http://192.168.1.20:8000", True),
        ("http://[::1]:8000", True),
        ("http://[fe80::1]", True),  # link-local
        ("http://votebox.local", True),
        ("http://votebox", True),
        ("https://vote.example.org", False),
        ("https://203.0.113.7", True),  # documentation range: private to the standard library
        ("https://8.8.8.8", False),
    ],
)
def test_local_addresses_are_told_apart(url, local):
    assert is_local(url) is local


def test_problems_name_a_missing_a_broken_and_a_local_address():
    assert MISSING in str(public_url_problems("")[0])
    assert "is not an address" in str(public_url_problems("vote.example.org")[0])
    assert "local or private" in str(public_url_problems("http://192.168.0.2")[0])
    assert public_url_problems("https://vote.example.org") == []


@pytest.fixture
def no_public_url(app):
    app.config["PUBLIC_URL"] = ""
    return app


def test_nothing_is_printed_or_sent_without_a_public_address(
    no_public_url, runner, elections, tmp_path
):
    elections.create(attendees=3)
    for args in (
        ["tokens", "cards", "--count", "5", "--out", str(tmp_path / "cards.pdf")],
        ["tokens", "cards", "--personal", "--out", str(tmp_path / "personal.pdf")],
        ["tokens", "links", "--out", str(tmp_path / "links.csv")],
        ["tokens", "send"],
        ["tokens", "remind"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and MISSING in result.output, (args, result.output)
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("*.csv"))
    # No anonymous card joined the eligible set.
    open_board = elections.board("ecc2016")
    assert not any(b'"tokens.added"' in line for line in open_board)


def test_the_console_refuses_too_and_says_why(no_public_url, runner, elections):
    elections.create(attendees=3)
    organiser = staff_client(no_public_url, runner, "organiser")
    dashboard = organiser.get("/admin").get_data(as_text=True)
    assert "Needs your attention" in dashboard and MISSING in dashboard
    token = csrf_of(organiser, "/admin")
    cards = organiser.post(
        "/admin/cards/anonymous?election=ecc2016",
        data={"csrf_token": token, "count": "5", "layout": "a4"},
    )
    assert cards.status_code == 400 and MISSING in cards.get_data(as_text=True)
    sent = organiser.post(
        "/admin/send?election=ecc2016", data={"csrf_token": token}, follow_redirects=True
    )
    assert MISSING in sent.get_data(as_text=True)
    reminded = organiser.post(
        "/admin/emails/remind?election=ecc2016",
        data={"csrf_token": token, "every": "24"},
        follow_redirects=True,
    )
    assert MISSING in reminded.get_data(as_text=True)


def test_the_desk_cannot_print_a_card_that_points_nowhere(no_public_url, runner, elections):
    elections.create(attendees=1)
    desk = staff_client(no_public_url, runner, "desk")
    token = csrf_of(desk, "/desk")
    page = desk.post("/desk/attendees/1/status", data={"csrf_token": token}).get_data(as_text=True)
    form = next(f for f in parse_forms(page) if f["action"].endswith("/card"))
    refused = desk.post(form["action"], data=form["fields"])
    assert refused.status_code == 400 and MISSING in refused.get_data(as_text=True)


def test_init_sets_the_public_address_and_warns_of_a_local_one(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    runner = create_app({"INSTANCE_PATH": str(instance)}).test_cli_runner()
    bare = runner.invoke(args=["init"])
    assert bare.exit_code == 0 and MISSING in bare.output
    wrong = runner.invoke(args=["init", "--public-url", "vote.example.org"])
    assert wrong.exit_code == 2 and "is not an address" in wrong.output
    local = runner.invoke(args=["init", "--public-url", "http://192.168.1.20:8000/"])
    assert local.exit_code == 0 and "local or private" in local.output
    result = runner.invoke(args=["init", "--public-url", "https://vote.example.org/"])
    assert result.exit_code == 0 and "set PUBLIC_URL = https://vote.example.org" in result.output
    assert "warning" not in result.output
    config = tomllib.loads((instance / CONFIG_FILE).read_text())
    assert config["PUBLIC_URL"] == "https://vote.example.org"
    assert (instance / CONFIG_FILE).read_text().count("PUBLIC_URL") == 1
    assert (instance / CONFIG_FILE).stat().st_mode & 0o777 == 0o600
    again = runner.invoke(args=["init", "--public-url", "https://vote.example.org"])
    assert "nothing to do" in again.output
    # A new process reads it: the setup link uses it.
    fresh = create_app({"INSTANCE_PATH": str(instance)}).test_cli_runner()
    assert "https://vote.example.org/setup/" in fresh.invoke(args=["init"]).output


def test_the_dashboard_names_failed_emails_and_a_tie_for_the_jury(app, runner, elections):
    election = elections.create(
        definition_toml(categories={"best": ["ann", "ben", "cleo"]}), attendees=2
    )
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, MAIL_FROM="awards@vote.test")
    assert runner.invoke(args=["tokens", "send"]).exit_code == 1  # nobody listens on port 9
    organiser = staff_client(app, runner, "organiser")
    page = organiser.get("/admin").get_data(as_text=True)
    assert "2 ballot emails were deferred" in page and "/admin/emails?election=test-awards" in page
    app.config.update(MAIL_ATTEMPTS=2)  # the second try is the last
    assert runner.invoke(args=["tokens", "send"]).exit_code == 1
    page = organiser.get("/admin").get_data(as_text=True)
    assert "2 ballot emails failed." in page
    assert MISSING not in page and "local or private" in page  # http://localhost
    for token, pick in zip(election.tokens, ["ann", "ben"], strict=True):
        vote_with_client(app.test_client(), token, {"best": pick})
    elections.close(election.slug)
    closed = organiser.get("/admin").get_data(as_text=True)
    assert "Award best is tied for first place" in closed
    assert "/stage/test-awards/remote" in closed
    assert "ballot emails failed" not in closed  # voting is over: no email can matter now
