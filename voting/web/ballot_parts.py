"""The awards' part of the ballot and review pages, rendered once per layout, language and
answers, then reused.

In a hall hundreds of phones ask for the same few variants of these pages, and the awards
are most of each page's rendering (and of the voter's path on the server). Only what
depends on nothing else is reused: a page that shows a problem is always rendered afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from voting.bounded_cache import ObjectCache
from voting.operations.layout import CategoryView
from voting.web.forms import CategoryGroup, ballot_form, category_groups

BALLOT = "_ballot_awards.html"
REVIEW = "_review_awards.html"


@dataclass(frozen=True)
class RenderedAwards:
    """The awards as HTML, and each award's answer as the cast form's hidden field sends it."""

    html: Markup
    answers: tuple[tuple[str, str], ...]


# A few KB each; ranked ballots have many variants, most never asked again.
_rendered: ObjectCache[RenderedAwards] = ObjectCache(1024)


def render_groups(template: str, groups: Sequence[CategoryGroup]) -> RenderedAwards:
    """The awards of a form as they stand, problems shown: never reused."""
    # Our own autoescaped template's output: marked safe so the page does not escape it again.
    html = Markup(render_template(template, groups=groups))  # noqa: S704  # nosec B704
    return RenderedAwards(html, tuple((g.category.slug, g.answer) for g in groups))


def awards(
    template: str, categories: Sequence[CategoryView], chosen: dict[str, str] | None
) -> RenderedAwards:
    """The awards filled in with *chosen* (the session's answers), as *template* shows them.

    Layouts are cached and fixed while voting runs, so the entry is found by the layout
    object itself, then by template, language and answers."""
    key = (template, str(get_locale() or ""), tuple(sorted((chosen or {}).items())))
    found = _rendered.get(categories, key)
    if found is not None:
        return found
    rendered = render_groups(template, category_groups(ballot_form(categories, chosen), categories))
    return _rendered.put(categories, rendered, key)
