"""The reference for B1's ratio: a bare Flask app taking the voter's six steps, no database.

It answers exactly what B1's voter asks (the same URLs, statuses, form fields and redirects)
with plain Flask: the signed session cookie, a CSRF value kept in it, Jinja templates with
the two awards, and nothing else (no extensions, no database, no log). Running it under the
same gunicorn, with the app's own worker settings, and the same load generator as the app
shows what the framework alone costs on this machine, so the app's ratio can be read
against it.

    gunicorn --config python:bench.bare_app bench.bare_app:app
"""

from __future__ import annotations

import runpy
import secrets
from pathlib import Path

from flask import Flask, Response, abort, redirect, render_template, request, session
from jinja2 import DictLoader

AWARDS = {
    "award-cluster-manager": (
        "European Cluster Manager of the Year",
        ["mario-rossi", "anna-kowalska", "lena-virtanen", "abstain"],
    ),
    "award-strategic-partnership": (
        "European Strategic Cluster Partnership of the Year",
        ["north-sea-wind", "alpine-health", "danube-mobility", "abstain"],
    ),
}
BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %}</title><link rel="stylesheet" href="/static/style.css">
</head><body><main><h1>{{ self.title() }}</h1>{% block content %}{% endblock %}</main></body>
</html>"""
BALLOT = """{% extends "base.html" %}{% block title %}Your ballot{% endblock %}
{% block content %}<form method="post" action="/ballot">
<input id="csrf_token" name="csrf_token" type="hidden" value="{{ csrf }}">
{% for name, (title, finalists) in awards.items() %}<fieldset><legend>{{ title }}</legend>
{% for finalist in finalists %}<label><input type="radio" name="{{ name }}"
 value="{{ finalist }}"{% if chosen.get(name) == finalist %} checked{% endif %}>
 {{ finalist.replace("-", " ").title() }}</label>{% endfor %}</fieldset>{% endfor %}
<button type="submit">Review my choices</button></form>{% endblock %}"""
REVIEW = """{% extends "base.html" %}{% block title %}Check your choices{% endblock %}
{% block content %}<dl>{% for name, (title, _) in awards.items() %}<dt>{{ title }}</dt>
<dd>{{ chosen[name].replace("-", " ").title() }}</dd>{% endfor %}</dl>
<form method="post" action="/cast">
<input id="csrf_token" name="csrf_token" type="hidden" value="{{ csrf }}">
<input type="hidden" name="attempt" value="{{ attempt }}">
{% for name, value in chosen.items() %}<input type="hidden" name="{{ name }}"
 value="{{ value }}">{% endfor %}<button type="submit">Cast my ballot</button></form>
{% endblock %}"""
RECEIPT = """{% extends "base.html" %}{% block title %}Thank you{% endblock %}
{% block content %}<p>Your ballot is in. Your receipt:</p><p><strong>{{ receipt }}</strong></p>
{% endblock %}"""

# gunicorn's settings when this module is its --config: the app's (gunicorn.conf.py), the same
# workers, threads and keep-alive, without its start-up check (it needs an instance folder).
# With gunicorn's defaults the reference ran sync workers and closed every connection.
_APP_SETTINGS = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
worker_class = _APP_SETTINGS["worker_class"]
threads = _APP_SETTINGS["threads"]
keepalive = _APP_SETTINGS["keepalive"]
timeout = _APP_SETTINGS["timeout"]
post_worker_init = _APP_SETTINGS["post_worker_init"]

app = Flask(__name__)
app.secret_key = secrets.token_bytes(32)  # a fresh key per run: nothing outlives the benchmark
# Templates from a loader, as files would be, so Jinja compiles each once and caches it.
app.jinja_loader = DictLoader(
    {"base.html": BASE, "ballot.html": BALLOT, "review.html": REVIEW, "receipt.html": RECEIPT}
)


def _csrf() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(16)
    return session["csrf"]


def _check_csrf() -> None:
    if request.form.get("csrf_token") != session.get("csrf"):
        abort(400)


@app.get("/health")
def health() -> Response:
    return Response("ok\n", mimetype="text/plain")


@app.get("/v/<path:token>")
def enter(token: str):
    session["token"] = token
    return redirect("/ballot", 303)


@app.route("/ballot", methods=["GET", "POST"])
def ballot():
    if "token" not in session:
        abort(403)
    if request.method == "POST":
        _check_csrf()
        chosen = {name: request.form.get(name, "") for name in AWARDS}
        if all(chosen[name] in finalists for name, (_, finalists) in AWARDS.items()):
            session["chosen"] = chosen
            return redirect("/review", 303)
    return render_template(
        "ballot.html", csrf=_csrf(), awards=AWARDS, chosen=session.get("chosen", {})
    )


@app.get("/review")
def review():
    if "chosen" not in session:
        return redirect("/ballot", 303)
    return render_template(
        "review.html",
        csrf=_csrf(),
        awards=AWARDS,
        chosen=session["chosen"],
        attempt=secrets.token_urlsafe(16),
    )


@app.post("/cast")
def cast():
    _check_csrf()
    if session.pop("token", None) is None:
        abort(409)
    session.pop("chosen", None)
    session["receipt"] = secrets.token_hex(8)
    return redirect("/receipt", 303)


@app.get("/receipt")
def receipt():
    if "receipt" not in session:
        abort(403)
    return render_template("receipt.html", receipt=session["receipt"])
