"""B2: the weight of every page a voter sees, in every language.

Bytes of the HTML document and of the stylesheets it links (the budget counts these two),
the bytes of anything else it loads (the icon), and every request the page makes
(counting itself); a request to another host would be reported as external.

    python -m bench.b2_page_weight
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bench.setup import instance, open_election_with
from voting.db import get_session
from voting.operations.elections import find_election

BUDGET = 14 * 1024
LANGUAGES = ("en", "de", "fr")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="([^"]+)"')
CHOICES = {"award-cluster-manager": "mario-rossi", "award-strategic-partnership": "abstain"}


class Subresources(HTMLParser):
    """What a browser would fetch to show the page: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.others: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("href") and found.get("rel") == "stylesheet":
            self.stylesheets.append(found["href"])
        elif tag == "link" and found.get("href") and found.get("rel") in ("icon", "preload"):
            self.others.append(found["href"])
        elif tag in ("script", "img", "iframe", "source", "video", "audio") and found.get("src"):
            self.others.append(found["src"])


def is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def weigh(client, path: str, response) -> dict:
    parser = Subresources()
    html = response.get_data()
    parser.feed(html.decode("utf-8"))
    subresources = parser.stylesheets + parser.others

    def size(urls: list[str]) -> int:
        return sum(len(client.get(url).get_data()) for url in urls if not is_external(url))

    css = size(parser.stylesheets)
    return {
        "page": path,
        "status": response.status_code,
        "html": len(html),
        "css": css,
        "total": len(html) + css,
        "other": size(parser.others),
        "requests": 1 + len(subresources),
        "external": sum(1 for url in subresources if is_external(url)),
    }


def voter_pages(app, token: str, spent_token: str, language: str) -> list[dict]:
    """Walk the voter's way (and its detours) with a browser speaking *language*."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    pages = []
    link = client.get(f"/v/{token}")
    pages.append(weigh(client, "/v/<token> (redirect)", link))
    ballot = client.get("/ballot")
    pages.append(weigh(client, "/ballot", ballot))
    csrf = CSRF.search(ballot.get_data(as_text=True)).group(1)
    pages.append(
        weigh(client, "/ballot (error shown)", client.post("/ballot", data={"csrf_token": csrf}))
    )
    client.post("/ballot", data={"csrf_token": csrf, **CHOICES})
    review = client.get("/review")
    pages.append(weigh(client, "/review", review))
    text = review.get_data(as_text=True)
    form = {
        "csrf_token": CSRF.search(text).group(1),
        "attempt": ATTEMPT.search(text).group(1),
        **CHOICES,
    }
    client.post("/cast", data=form)
    receipt = client.get("/receipt")
    pages.append(weigh(client, "/receipt", receipt))
    code = re.search(r"/board/receipt/([0-9A-Z-]+)", receipt.get_data(as_text=True))
    if code:
        pages.append(
            weigh(client, "/board/receipt/<code>", client.get(f"/board/receipt/{code.group(1)}"))
        )
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    pages.append(
        weigh(other, "/v/<spent token>", other.get(f"/v/{spent_token}", follow_redirects=True))
    )
    pages.append(
        weigh(other, "/v/<forged token>", other.get("/v/not-a-real-token", follow_redirects=True))
    )
    pages.append(weigh(other, "/code (enter a code)", other.get("/code")))
    return pages


def measure() -> list[dict]:
    """Every voter page in every language; per page, the heaviest language."""
    with instance("sqlite") as where:
        app = where.app()
        tokens = open_election_with(app, 2 * len(LANGUAGES) + 1)
        spent = tokens.pop()
        voter_pages(app, spent, tokens.pop(), "en")  # spends *spent*
        heaviest: dict[str, dict] = {}
        for language in LANGUAGES:
            for page in voter_pages(app, tokens.pop(), spent, language):
                page["language"] = language
                if page["page"] not in heaviest or page["total"] > heaviest[page["page"]]["total"]:
                    heaviest[page["page"]] = page
        with app.app_context():
            assert find_election(get_session(), "ecc2016").state == "open"
    return list(heaviest.values())


def report(pages: list[dict]) -> str:
    columns = (
        ("status", 6),
        ("HTML", 7),
        ("CSS", 6),
        ("total", 7),
        ("icons", 6),
        ("req", 4),
        ("ext", 4),
    )
    lines = [f"{'page':28} {'lang':4} " + " ".join(f"{name:>{width}}" for name, width in columns)]
    for page in pages:
        lines.append(
            f"{page['page']:28} {page['language']:4} {page['status']:>6} {page['html']:>7} "
            f"{page['css']:>6} {page['total']:>7} {page['other']:>6} {page['requests']:>4} "
            f"{page['external']:>4}"
        )
    worst = max(page["total"] for page in pages)
    lines.append(
        f"heaviest voter page: {worst} bytes of HTML and CSS (budget {BUDGET}), "
        f"{sum(p['external'] for p in pages)} external requests"
    )
    return "\n".join(lines)


def main() -> None:
    print(report(measure()))


if __name__ == "__main__":
    main()
