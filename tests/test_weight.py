"""The weight budget of the voter's pages: at most 14 KB of HTML and CSS, one stylesheet,
no script, nothing from outside, and the stylesheet cacheable."""

from __future__ import annotations

import re

from tests.helpers import form_on

BUDGET = 14 * 1024
LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def weigh(client, html: str) -> int:
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert not re.search(r"""(?:src|href|action)=["']?(?:https?:)?//""", html), "an outside address"
    sheets = LINK.findall(html)
    assert len(sheets) <= 1, sheets
    total = len(html.encode())
    for sheet in sheets:
        with client.get(sheet) as response:
            assert response.status_code == 200
            assert "max-age=31536000" in response.headers["Cache-Control"]
            css = response.get_data()
        assert b"url(" not in css and b"@import" not in css
        total += len(css)
    return total


def test_ballot_review_and_receipt_fit_the_budget(app, client, elections):
    election = elections.create()
    client.get(f"/v/{election.tokens[0]}")
    ballot = client.get("/ballot").get_data(as_text=True)
    assert weigh(client, ballot) <= BUDGET
    form = form_on(ballot, "/ballot")
    data = dict(form["fields"], **{"award-cluster-manager": "mario-rossi"})
    with_errors = client.post("/ballot", data=data).get_data(as_text=True)
    assert weigh(client, with_errors) <= BUDGET
    data["award-strategic-partnership"] = "abstain"
    client.post("/ballot", data=data)
    review = client.get("/review").get_data(as_text=True)
    assert weigh(client, review) <= BUDGET
    client.post("/cast", data=form_on(review, "/cast")["fields"])
    receipt = client.get("/receipt").get_data(as_text=True)
    assert weigh(client, receipt) <= BUDGET
    for path in ("/", "/code", "/v/not-a-token"):
        assert weigh(client, client.get(path).get_data(as_text=True)) <= BUDGET
