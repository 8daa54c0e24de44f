"""Staff accounts in tests: make one, sign in through the real login form."""

from __future__ import annotations

from tests.helpers import form_on, parse_forms

PASSWORD = "correct horse battery"


def add_user(runner, name: str, role: str, password: str = PASSWORD):
    return runner.invoke(
        args=["users", "add", name, "--role", role, "--password-stdin"], input=password + "\n"
    )


def sign_in(client, name: str, password: str = PASSWORD, next_path: str = ""):
    page = client.get(f"/login?next={next_path}" if next_path else "/login")
    form = form_on(page.get_data(as_text=True), "/login")
    return client.post("/login", data=dict(form["fields"], name=name, password=password))


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token from the first form on a page."""
    forms = parse_forms(client.get(path).get_data(as_text=True))
    return next(form["fields"]["csrf_token"] for form in forms if "csrf_token" in form["fields"])


def staff_client(app, runner, role: str, name: str | None = None):
    """A browser signed in as a new user with *role*."""
    name = name or f"{role}-user"
    result = add_user(runner, name, role)
    assert result.exit_code == 0, result.output
    client = app.test_client()
    response = sign_in(client, name)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
