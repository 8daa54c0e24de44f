"""Test helpers: election definitions, an election factory, and voters that use real forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask

from voting import services
from voting.db import get_session, writing
from voting.domain.definition import parse_definition
from voting.domain.roster import parse_roster
from voting.operations import audit
from voting.operations.attendees import import_roster
from voting.operations.elections import (
    close_election,
    find_election,
    load_election,
    open_election,
)
from voting.operations.tokens import personal_links

TEST_ACTOR = "test"

EXAMPLE_TOML = Path(__file__).resolve().parent.parent / "voting" / "examples" / "ecc2016.toml"
RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def definition_toml(
    slug: str = "test-awards",
    categories: dict[str, list[str]] | None = None,
    *,
    tie_rule: str = "jury",
    opens_at: str | None = None,
    closes_at: str | None = None,
    timezone: str = "Europe/Brussels",
) -> str:
    """A small election file: each category slug maps to its nominee slugs."""
    categories = categories or {
        "best-manager": ["ann", "ben", "cleo"],
        "best-partnership": ["p1", "p2"],
    }
    lines = [
        "[election]",
        f'slug = "{slug}"',
        f'title = "Awards {slug}"',
        f'timezone = "{timezone}"',
        f'tie_rule = "{tie_rule}"',
    ]
    if opens_at:
        lines.append(f"opens_at = {opens_at}")
    if closes_at:
        lines.append(f"closes_at = {closes_at}")
    for category, nominees in categories.items():
        lines += ["", "[[categories]]", f'slug = "{category}"', f'title = "Award {category}"']
        for nominee in nominees:
            lines += [
                "[[categories.nominees]]",
                f'slug = "{nominee}"',
                f'name = "Finalist {nominee.upper()}"',
                f'organisation = "Org of {nominee}"',
            ]
    return "\n".join(lines) + "\n"


def roster_csv(count: int, start: int = 1, domain: str = "example.org") -> bytes:
    rows = ["name,email,organisation"]
    rows += [f"Attendee {i},attendee{i}@{domain},Org {i % 7}" for i in range(start, start + count)]
    return ("\n".join(rows) + "\n").encode()


@dataclass
class ElectionHandle:
    slug: str
    tokens: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)


class ElectionFactory:
    """Creates elections through the same operations the command line uses."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def create(
        self,
        toml: str | None = None,
        *,
        attendees: int = 5,
        open_voting: bool = True,
        now: datetime | None = None,
    ) -> ElectionHandle:
        source = toml if toml is not None else EXAMPLE_TOML.read_text()
        definition = parse_definition(source)
        with self.app.app_context(), writing(get_session()) as session:
            keys = services.keys()
            election = load_election(
                session,
                TEST_ACTOR,
                definition,
                now or services.now(),
                ensure_delivery_key=keys.ensure_delivery_key,
                origin_base="vote.example.org",
            ).election
            if attendees:
                import_roster(
                    session,
                    TEST_ACTOR,
                    election,
                    parse_roster(roster_csv(attendees)),
                    now or services.now(),
                    delivery_key=lambda: keys.delivery_key(election.slug),
                )
            if open_voting:
                open_election(
                    session,
                    TEST_ACTOR,
                    election,
                    keys.delivery_key(election.slug),
                    services.signer(),
                    now or services.now(),
                )
        handle = ElectionHandle(
            slug=definition.slug,
            categories={c.slug: [n.slug for n in c.nominees] for c in definition.categories},
        )
        handle.tokens = self.tokens(definition.slug)
        return handle

    def tokens(self, slug: str) -> list[str]:
        with self.app.app_context():
            session = get_session()
            election = find_election(session, slug)
            links = personal_links(
                session,
                election,
                services.codec(),
                services.keys().delivery_key(slug),
                "http://localhost",
            )
        return [link.url.rsplit("/v/", 1)[1] for link in links]

    def open(self, slug: str, now: datetime | None = None):
        """Open voting as `voting open` does; the checkpoint signed at opening."""
        with self.app.app_context(), writing(get_session()) as session:
            election = find_election(session, slug)
            return open_election(
                session,
                TEST_ACTOR,
                election,
                services.keys().delivery_key(slug),
                services.signer(),
                now or services.now(),
            )

    def close(self, slug: str, now: datetime | None = None):
        """Close voting as `voting close` does (keeping the delivery key)."""
        with self.app.app_context(), writing(get_session()) as session:
            election = find_election(session, slug)
            return close_election(
                session, TEST_ACTOR, election, services.signer(), now or services.now()
            )

    def reveal(self, slug: str, now: datetime | None = None) -> None:
        """Run the whole reveal of a closed election as the stage remote does, step by step:
        the last step puts the openings and the tally on the board."""
        from voting.operations.reveal import advance

        with self.app.app_context():
            while True:
                with writing(get_session()) as session:
                    election = find_election(session, slug)
                    if not election.is_closed:
                        return
                    advance(session, TEST_ACTOR, election, services.signer(), now or services.now())

    def openings(self, slug: str) -> list[bytes]:
        """The jury's openings file of a closed election, line by line."""
        from voting.operations.sealed import openings_file

        with self.app.app_context():
            session = get_session()
            return list(openings_file(session, find_election(session, slug)))

    def board(self, slug: str) -> list[bytes]:
        """The election's board file, line by line, as the export writes it."""
        with self.app.app_context():
            session = get_session()
            election = find_election(session, slug)
            return list(audit.export_board(session, election, services.signer()))

    def vkey(self, slug: str) -> str:
        with self.app.app_context():
            election = find_election(get_session(), slug)
            return services.signer().verifier_key(election.origin).vkey

    def run(self, func: Callable, *args, **kwargs):
        """Call an operation (session, ...) in an app context, in one write."""
        with self.app.app_context(), writing(get_session()) as session:
            return func(session, *args, **kwargs)


class FormParser(HTMLParser):
    """Collects the forms of a page: action, method and the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": values.get("action"),
                    "method": values.get("method"),
                    "fields": {},
                    "radios": {},
                }
            )
        elif tag == "input" and self.forms and values.get("name"):
            form = self.forms[-1]
            if values.get("type") == "radio":
                form["radios"].setdefault(values["name"], []).append(values.get("value"))
                if "checked" in values:
                    form["fields"][values["name"]] = values.get("value")
            else:
                form["fields"][values["name"]] = values.get("value") or ""


def parse_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def form_on(html: str, action: str) -> dict:
    for form in parse_forms(html):
        if form["action"] == action:
            return form
    raise AssertionError(f"no form posting to {action} on the page:\n{html[:2000]}")


def ballot_choices(categories: dict[str, list[str]], pick: Callable[[str, list[str]], str]) -> dict:
    return {f"award-{slug}": pick(slug, nominees) for slug, nominees in categories.items()}


def reach_review(client, token: str, choices: dict[str, str]) -> dict:
    """Open the link and fill in the ballot as a browser would; the cast form's fields."""
    response = client.get(f"/v/{token}")
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"].endswith("/ballot")
    page = client.get("/ballot")
    assert page.status_code == 200, page.get_data(as_text=True)
    form = form_on(page.get_data(as_text=True), "/ballot")
    # An unticked "abstain" box is not sent, as in a browser (the parser lists every box).
    data = {k: v for k, v in form["fields"].items() if not k.startswith("abstain-")}
    # An award's slug names its radios; "rank-AWARD-FINALIST" and "abstain-AWARD" are fields.
    ranked = ("rank-", "abstain-")
    data.update(
        {name if name.startswith(ranked) else f"award-{name}": v for name, v in choices.items()}
    )
    response = client.post("/ballot", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    review = client.get("/review")
    assert review.status_code == 200
    return form_on(review.get_data(as_text=True), "/cast")["fields"]


def vote_with_client(client, token: str, choices: dict[str, str]) -> str:
    """Vote as a browser would through the Flask test client; return the receipt code.

    *choices* maps category slug to nominee slug or "abstain".
    """
    response = client.post("/cast", data=reach_review(client, token, choices))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/receipt")
    receipt = client.get("/receipt").get_data(as_text=True)
    match = RECEIPT.search(receipt)
    assert match, receipt
    return match.group(0)
