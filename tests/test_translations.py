"""The message catalogues: complete in German and French, compiled, and in step with the code."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.server import ROOT

TRANSLATIONS = ROOT / "voting" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_the_template_lists_every_message_in_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(fresh, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        listed = {m.id for m in read_po(handle) if m.id}
    assert wanted == listed, "run the pybabel extract/update commands in the README"


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_message_is_translated_with_its_placeholders(language):
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    translated = catalogue(language)
    missing, broken = [], []
    for message in translated:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(texts):
            missing.append(ids[0])
            continue
        allowed = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in texts:
            if set(PLACEHOLDER.findall(text)) - allowed:
                broken.append((ids[0], text))
    assert wanted <= {m.id for m in translated if m.id}
    assert missing == [] and broken == []


def _pairs(messages) -> dict:
    """id -> text, with plural ids and texts as tuples whatever the reader returns."""

    def flat(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {flat(m.id): flat(m.string) for m in messages if m.id}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_compiled_catalogue_matches_its_source(language):
    source = _pairs(catalogue(language))
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = _pairs(read_mo(handle))
    assert compiled == source, "run pybabel compile -d voting/translations"


def _refusal_classes(trees: list[ast.Module]) -> set[str]:
    """VotingError and every class that derives from it, anywhere in the package."""
    found = {"VotingError"}
    while True:
        more = {
            node.name
            for tree in trees
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(isinstance(base, ast.Name) and base.id in found for base in node.bases)
        }
        if more <= found:
            return found
        found |= more


def _marked_constants(trees: list[ast.Module]) -> set[str]:
    """Module-level names bound to an N_() message, such as NO_PERSONAL_BALLOT."""
    return {
        target.id
        for tree in trees
        for node in tree.body
        if isinstance(node, ast.Assign) and _marked(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _marked(node: ast.expr, constants: set[str]) -> bool:
    if isinstance(node, ast.IfExp):
        return _marked(node.body, constants) and _marked(node.orelse, constants)
    if isinstance(node, ast.Name | ast.Attribute):
        return (node.id if isinstance(node, ast.Name) else node.attr) in constants
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"


def test_every_refusal_is_marked_for_translation_where_it_is_raised():
    """Refusals reach every page through web.texts.error_text, so each message is an N_()
    template (details as parameters), never a finished English sentence."""
    files = sorted((ROOT / "voting").rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in files]
    refusals = _refusal_classes(trees)
    constants = _marked_constants(trees)
    unmarked = []
    for path, tree in zip(files, trees, strict=True):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = getattr(node.exc.func, "id", None)
            if name in refusals and not (node.exc.args and _marked(node.exc.args[0], constants)):
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(refusals) > 10 and unmarked == []


def test_pages_show_refusals_through_one_helper():
    for path in sorted((ROOT / "voting" / "web").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "flash(str(" not in source and "description=str(" not in source, path.name


def test_templates_translate_format_and_escape_as_jinja_newstyle_gettext(app):
    """`_()` in a template: the reader's language, its variables filled in, escaped on an
    HTML page and left alone in a text email, and "%%" always read as a format string."""
    page = (
        "{{ _('Skip to content') }}|"
        "{{ _('Voting opens on %(when)s. Keep this page and come back then.', when='<b>') }}|"
        "{{ _('100%% sure') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        html = app.jinja_env.overlay(autoescape=True).from_string(page)
        assert html.render() == (
            "Zum Inhalt springen|Die Abstimmung beginnt am &lt;b&gt;. "
            "Merken Sie sich diese Seite und kommen Sie dann wieder.|100% sure"
        )
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        text = app.jinja_env.overlay(autoescape=False).from_string(page)
        assert text.render() == (
            "Skip to content|Voting opens on <b>. Keep this page and come back then.|100% sure"
        )
