"""The command line: init, election load, attendee import, links, open, close, tally, board."""

from __future__ import annotations

import csv
import json
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import EXAMPLE_TOML, definition_toml, roster_csv, vote_with_client
from voting import create_app
from voting.db import get_session
from voting.models import ActivityRecord, Attendee, AuditEntry, Category, Election, Nominee


def invoke_ok(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def invoke_fails(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result.output


def row_counts(app) -> dict[str, int]:
    """How many rows each table that an input could change holds."""
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Election, Category, Nominee, Attendee, AuditEntry)
        }


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


# --- init ---------------------------------------------------------------------------------------


def test_init_makes_private_secrets_and_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "fresh-instance"
    app = create_app({"INSTANCE_PATH": str(instance)})
    runner = app.test_cli_runner()
    first = invoke_ok(runner, "init")
    assert "config.toml" in first and "migrated" in first
    for path in (
        instance / "config.toml",
        instance / "keys" / "signing.key",
        instance / "keys" / "signing.pub",
        instance / "voting.sqlite3",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    config = (instance / "config.toml").read_text()
    # Everything but the database and its WAL files.
    snapshot = {
        p: p.read_bytes() for p in instance.rglob("*") if p.is_file() and ".sqlite3" not in p.name
    }
    assert "nothing to do" in invoke_ok(runner, "init")
    assert {p: p.read_bytes() for p in snapshot} == snapshot
    # A second instance gets other secrets.
    other = tmp_path / "other"
    invoke_ok(create_app({"INSTANCE_PATH": str(other)}).test_cli_runner(), "init")
    assert (other / "config.toml").read_text() != config


def test_commands_before_init_say_so(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "none")})
    output = invoke_fails(app.test_cli_runner(), "open")
    assert "voting init" in output


# --- election load ------------------------------------------------------------------------------


def test_election_load_prints_slug_and_is_idempotent(app, runner):
    assert invoke_ok(runner, "election", "load", str(EXAMPLE_TOML)).splitlines()[-1] == "ecc2016"
    before = row_counts(app)
    assert "unchanged" in invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    assert row_counts(app) == before


def test_draft_definition_can_change_but_not_after_opening(app, runner, tmp_path):
    path = write(tmp_path, "e.toml", definition_toml())
    invoke_ok(runner, "election", "load", path)
    changed = write(tmp_path, "e2.toml", definition_toml(categories={"only-award": ["x", "y"]}))
    assert "updated" in invoke_ok(runner, "election", "load", changed)
    with app.app_context():
        assert get_session().scalars(select(Category.slug)).all() == ["only-award"]
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(3)))
    invoke_ok(runner, "open")
    before = row_counts(app)
    output = invoke_fails(runner, "election", "load", path)
    assert "can no longer change" in output
    assert row_counts(app) == before
    # Loading the definition it was opened with is still fine (idempotent).
    invoke_ok(runner, "election", "load", changed)


def test_bad_toml_names_the_key_and_changes_nothing(app, runner, tmp_path):
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    before = row_counts(app)
    bad = EXAMPLE_TOML.read_text().replace('country = "DE"', 'country = "Germany"')
    output = invoke_fails(runner, "election", "load", write(tmp_path, "bad.toml", bad))
    assert "categories[1].nominees[1].country" in output
    assert row_counts(app) == before


# --- attendees ----------------------------------------------------------------------------------


def test_import_is_all_or_nothing_with_line_numbers(app, runner, tmp_path):
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    before = row_counts(app)
    bad = b"name,email\nAnn,ann@example.org\nBob,bob@\n,c@example.org\n"
    output = invoke_fails(runner, "attendees", "import", write(tmp_path, "bad.csv", bad))
    assert "line 3: invalid email" in output
    assert "line 4: missing name" in output
    assert row_counts(app) == before


def test_reimport_updates_by_email(app, runner, tmp_path):
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(3)))
    updated = (
        b"E-mail;Name;Company\n"
        b"ATTENDEE2@example.org;Attendee Two;New Org\n"
        b"new@example.org;New One;X\n"
    )
    output = invoke_ok(runner, "attendees", "import", write(tmp_path, "b.csv", updated))
    assert "1 added, 1 updated, 0 unchanged, 2 kept from before; 4 attendees" in output
    with app.app_context():
        names = dict(get_session().execute(select(Attendee.email, Attendee.organisation)).all())
    assert names["attendee2@example.org"] == "New Org"
    assert len(names) == 4


def test_attendees_added_after_opening_can_vote(app, runner, client, elections, tmp_path):
    election = elections.create(attendees=2)
    output = invoke_ok(
        runner, "attendees", "import", write(tmp_path, "late.csv", roster_csv(1, start=50))
    )
    assert "1 ballots added" in output
    tokens = elections.tokens(election.slug)
    assert len(tokens) == 3
    vote_with_client(
        client, tokens[-1], {"cluster-manager": "abstain", "strategic-partnership": "abstain"}
    )


# --- tokens, open, close, tally -----------------------------------------------------------------


def test_links_csv_has_name_email_url(app, runner, tmp_path):
    app.config["PUBLIC_URL"] = "https://vote.example.org/"
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(4)))
    out = tmp_path / "links.csv"
    invoke_ok(runner, "tokens", "links", "--out", str(out))
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["name", "email", "url"]
    assert len(rows) == 4
    assert all(r["url"].startswith("https://vote.example.org/v/ecc2016.") for r in rows)
    # The same links again: tokens are derived, not random.
    again = tmp_path / "again.csv"
    invoke_ok(runner, "tokens", "links", "--out", str(again))
    assert again.read_text() == out.read_text()


def test_no_count_before_close_then_tally_json(app, runner, client, elections):
    election = elections.create(attendees=6)
    picks = [
        {"cluster-manager": "mario-rossi", "strategic-partnership": "alpine-health"},
        {"cluster-manager": "mario-rossi", "strategic-partnership": "abstain"},
        {"cluster-manager": "jane-doe", "strategic-partnership": "alpine-health"},
    ]
    for token, pick in zip(election.tokens, picks, strict=False):
        vote_with_client(app.test_client(), token, pick)
    output = invoke_fails(runner, "tally", "--json")
    assert "only once voting has closed" in output
    closed = invoke_ok(runner, "close")
    assert "ecc2016 is closed: 3 ballots cast of 6 eligible attendees" in closed
    result = json.loads(invoke_ok(runner, "tally", "--json"))
    assert list(result) == [
        "election",
        "state",
        "ballots",
        "channels",
        "eligible",
        "categories",
        "attendees",
    ]
    assert result["channels"] == {"phone": result["ballots"], "paper": 0}
    assert (result["election"], result["state"], result["ballots"], result["eligible"]) == (
        "ecc2016",
        "closed",
        3,
        6,
    )
    manager, partnership = result["categories"]
    assert list(manager) == ["slug", "title", "method", "results", "abstentions", "winners", "tie"]
    assert manager["results"][0] == {"nominee": "mario-rossi", "name": "Mario Rossi", "votes": 2}
    assert manager["winners"] == ["mario-rossi"] and manager["tie"] is False
    assert partnership["abstentions"] == 1 and partnership["winners"] == ["alpine-health"]
    assert "Mario Rossi" in invoke_ok(runner, "tally")


def test_close_destroys_the_delivery_key(app, runner, elections, tmp_path):
    elections.create()
    key = Path(app.instance_path) / "keys" / "delivery" / "ecc2016.key"
    assert key.exists()
    assert "destroyed" in invoke_ok(runner, "close")
    assert not key.exists()
    output = invoke_fails(runner, "tokens", "links", "--out", str(tmp_path / "x.csv"))
    assert "delivery key" in output
    assert "is closed" in invoke_fails(runner, "close")


def test_close_can_keep_the_delivery_key(app, runner, elections):
    elections.create()
    invoke_ok(runner, "close", "--keep-delivery-key")
    assert (Path(app.instance_path) / "keys" / "delivery" / "ecc2016.key").exists()


def test_open_needs_attendees_and_happens_once(runner):
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    assert "no attendees" in invoke_fails(runner, "open")


def test_several_elections_need_a_choice(runner, elections, tmp_path):
    elections.create()
    elections.create(definition_toml("second"))
    assert "--election" in invoke_fails(runner, "close")
    assert "no election 'third'" in invoke_fails(runner, "close", "--election", "third")
    invoke_ok(runner, "close", "--election", "second")


# --- board --------------------------------------------------------------------------------------


def test_board_export_and_verify(app, runner, elections, tmp_path):
    election = elections.create(attendees=3)
    vote_with_client(
        app.test_client(),
        election.tokens[0],
        {"cluster-manager": "jane-doe", "strategic-partnership": "abstain"},
    )
    board = tmp_path / "board.jsonl"
    invoke_ok(runner, "board", "export", str(board))
    assert "use --partial" in invoke_fails(runner, "board", "verify", str(board))
    assert "OK" in invoke_ok(runner, "board", "verify", str(board), "--partial")
    # While open the board holds no choice: ballots are sealed.
    assert "jane-doe" not in "\n".join(
        line for line in board.read_text().splitlines() if '"kind":"ballot.cast"' in line
    )
    invoke_ok(runner, "close")
    invoke_ok(runner, "board", "export", str(board))
    output = invoke_ok(runner, "board", "verify", str(board))
    assert "ballots: 1 of 3 eligible" in output
    # Sealed: the public board shows no result before the reveal ends, but the jury's
    # openings open it, and the verifier checks it is the result sealed at close.
    assert "result: sealed until the reveal ends" in output and "jane-doe" not in output
    assert '"ballot.unsealed"' not in board.read_text()
    openings = tmp_path / "openings.jsonl"
    assert "keep them private" in invoke_ok(runner, "board", "openings", str(openings))
    output = invoke_ok(runner, "board", "verify", str(board), "--openings", str(openings))
    assert "it is the tally sealed at close" in output
    assert "cluster-manager: winner jane-doe" in output


@pytest.mark.parametrize("content", [b"", b"garbage\n", b'{"type":"board"}\n'])
def test_verify_rejects_non_boards(runner, tmp_path, content):
    output = invoke_fails(runner, "board", "verify", write(tmp_path, "b.jsonl", content))
    assert output.startswith("FAILED")


def test_fingerprints_shown_at_opening_and_closing_are_the_ones_verify_prints(
    app, runner, client, tmp_path
):
    """One story: the room, the console, the jury and the command line show the verifier's
    milestone fingerprints, each under the verifier's own name for it."""
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(3)))
    opened = invoke_ok(runner, "open").splitlines()[-1]
    on_stage = client.get("/stage/ecc2016").get_data(as_text=True)
    closed = invoke_ok(runner, "close", "--keep-delivery-key")
    sealed_on_stage = client.get("/stage/ecc2016").get_data(as_text=True)
    board = tmp_path / "board.jsonl"
    invoke_ok(runner, "board", "export", str(board))
    report = invoke_ok(runner, "board", "verify", str(board)).splitlines()

    def printed(label: str, lines: list[str]) -> str:
        line = next(line for line in lines if line.startswith(label + ": "))
        value = re.fullmatch(label + r": (([0-9A-F]{4} ){3}[0-9A-F]{4}) \(size \d+\)", line)
        assert value, line
        return value[1]

    at_opening = printed("fingerprint at opening", report)
    sealed = printed("fingerprint of the sealed result", report)
    assert printed("fingerprint at opening", [opened]) == at_opening
    assert printed("fingerprint of the sealed result", closed.splitlines()) == sealed
    assert f'Fingerprint at opening: <span class="mono">{at_opening}</span>' in on_stage
    assert "Fingerprint of the sealed result:" in sealed_on_stage and sealed in sealed_on_stage
    shown = f'<dt>Fingerprint at opening</dt><dd class="fingerprint">{at_opening}</dd>'
    shown += f'<dt>Fingerprint of the sealed result</dt><dd class="fingerprint">{sealed}</dd>'
    assert shown in client.get("/results/ecc2016").get_data(as_text=True)


def test_an_award_without_finalists_may_be_drafted_but_not_opened(runner, tmp_path):
    path = write(
        tmp_path,
        "e.toml",
        definition_toml() + '\n[[categories]]\nslug = "later"\ntitle = "Later"\n',
    )
    invoke_ok(runner, "election", "load", path)
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(2)))
    assert "'Later' has no finalists" in invoke_fails(runner, "open")


def activity(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        records = get_session().scalars(select(ActivityRecord).order_by(ActivityRecord.id))
        return [(r.actor, r.action, r.detail) for r in records]


def test_every_command_that_changes_something_is_in_the_activity_log(app, runner, tmp_path):
    """The command line records what the console records: one operation behind both."""
    invoke_ok(runner, "election", "load", str(EXAMPLE_TOML))
    invoke_ok(runner, "attendees", "import", write(tmp_path, "a.csv", roster_csv(3)))
    invoke_ok(runner, "tokens", "cards", "--count", "2", "--out", str(tmp_path / "c.pdf"))
    invoke_ok(runner, "open")
    invoke_ok(runner, "close")
    added = runner.invoke(
        args=["users", "add", "jules", "--role", "jury", "--password-stdin"], input="x" * 12
    )
    assert added.exit_code == 0, added.output
    actions = [action for actor, action, _ in activity(app) if actor == "command line"]
    assert actions == [
        "election created",
        "attendees imported",
        "anonymous cards printed",
        "voting opened",
        "voting closed",
        "delivery key destroyed",
        "staff account added",
    ]


def test_a_kept_delivery_key_is_in_the_activity_log(app, runner, elections):
    elections.create()
    invoke_ok(runner, "close", "--keep-delivery-key")
    assert activity(app)[-1] == ("command line", "voting closed", "delivery key kept")
