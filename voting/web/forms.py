"""The voter's forms. The ballot form is built per election, one group per award by its
method: radio buttons (plurality), checkboxes (approval), or a rank select per finalist
(points, instant runoff); each with an explicit "abstain". No script is needed for any.

Whatever the method, an award's answer travels as one text (the review's hidden field, the
session): "abstain", a finalist's slug, or slugs joined by commas, approved ones sorted,
ranked ones best first. operations/ballots.parse_choices reads it back and checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from voting import verify
from voting.bounded_cache import ObjectCache
from voting.operations.layout import CategoryView, NomineeView

ABSTAIN = "abstain"
FIELD_PREFIX = "award-"


def field_name(category: CategoryView) -> str:
    return FIELD_PREFIX + category.slug


def rank_name(category: CategoryView, nominee: NomineeView) -> str:
    return f"rank-{category.slug}-{nominee.slug}"


def abstain_name(category: CategoryView) -> str:
    return f"abstain-{category.slug}"


def candidates(category: CategoryView) -> tuple[NomineeView, ...]:
    """What a voter may rank: the finalists, and "No award" where the award has it."""
    if category.method == "irv" and category.board.get("no_award"):
        no_award = NomineeView(0, verify.NO_AWARD, _l("No award"), "", "", "", {})
        return (*category.nominees, no_award)
    return category.nominees


class BallotForm(FlaskForm):
    """Base of the per-election ballot forms; also posted, as hidden fields, by the cast step."""

    categories: Sequence[CategoryView] = ()

    def choices(self, categories: Sequence[CategoryView]) -> dict[str, str]:
        """Each award's answer as the one text that carries it (see the module)."""
        return {c.slug: _answer_text(self, c) for c in categories}

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for category in self.categories:
            if category.method == "approval":
                valid &= _check_approval(self, category)
            elif category.ranked:
                valid &= _check_ranking(self, category)
        return valid


def _answer_text(form: BallotForm, category: CategoryView) -> str:
    if category.method == "plurality":
        return form[field_name(category)].data or ""
    if category.method == "approval":
        ticked = form[field_name(category)].data or []
        return ABSTAIN if ABSTAIN in ticked else ",".join(sorted(ticked))
    if form[abstain_name(category)].data:
        return ABSTAIN
    ranks = _ranks(form, category)
    return ",".join(sorted(ranks, key=ranks.__getitem__))


def _ranks(form: BallotForm, category: CategoryView) -> dict[str, int]:
    """The finalists given a rank, with their rank."""
    given = {}
    for nominee in candidates(category):
        value = form[rank_name(category, nominee)].data
        if value:
            given[nominee.slug] = int(value)
    return given


def _check_approval(form: BallotForm, category: CategoryView) -> bool:
    field = form[field_name(category)]
    ticked = field.data or []
    most = category.board.get("max_choices") or len(category.nominees)
    if not ticked:
        field.errors.append(_l("Tick one or more finalists, or “Abstain”."))
    elif ABSTAIN in ticked and len(ticked) > 1:
        field.errors.append(_l("Tick finalists or “Abstain”, not both."))
    elif len(ticked) > most:
        field.errors.append(
            ngettext("Tick at most %(num)d finalist.", "Tick at most %(num)d finalists.", most)
        )
    return not field.errors


def _check_ranking(form: BallotForm, category: CategoryView) -> bool:
    field = form[abstain_name(category)]
    ranks = sorted(_ranks(form, category).values())
    if field.data and ranks:
        field.errors.append(_l("Give ranks or choose “Abstain”, not both."))
    elif not field.data and not ranks:
        field.errors.append(_l("Give a rank to one or more finalists, or choose “Abstain”."))
    elif len(set(ranks)) != len(ranks):
        twice = next(rank for rank in ranks if ranks.count(rank) > 1)
        field.errors.append(_l("Each rank is given once: %(rank)d is given twice.", rank=twice))
    elif ranks and ranks != list(range(1, len(ranks) + 1)):
        missing = next(n for n in range(1, len(ranks) + 1) if n not in ranks)
        field.errors.append(
            _l("Ranks go 1, 2, 3 … without a gap: %(rank)d is missing.", rank=missing)
        )
    return not field.errors


def ballot_form(
    categories: Sequence[CategoryView], chosen: dict[str, str] | None = None
) -> BallotForm:
    """The ballot, filled in with the answers *chosen* before (as their texts), if any."""
    data: dict[str, object] = {}
    for category in categories:
        text = (chosen or {}).get(category.slug)
        if text is None:
            continue
        if category.method == "plurality":
            data[field_name(category)] = text
        elif category.method == "approval":
            data[field_name(category)] = text.split(",") if text else []
        elif text == ABSTAIN:
            data[abstain_name(category)] = True
        else:
            for rank, slug in enumerate(text.split(","), start=1):
                data[f"rank-{category.slug}-{slug}"] = str(rank)
    return _form_class(categories)(data=data)


# Building a form class is costly and the layout is fixed while voting runs: one class per
# layout (layouts themselves are cached, so the layout object is a fine key).
_form_classes: ObjectCache[type[BallotForm]] = ObjectCache(64)


def _form_class(categories: Sequence[CategoryView]) -> type[BallotForm]:
    cached = _form_classes.get(categories)
    if cached is not None:
        return cached

    class ElectionBallotForm(BallotForm):
        pass

    ElectionBallotForm.categories = categories
    for category in categories:
        finalists = [SelectChoice(n.slug, n.name) for n in category.nominees]
        abstain = SelectChoice(ABSTAIN, _l("Abstain"))
        if category.method == "plurality":
            field: Field = RadioField(
                category.title,
                choices=[*finalists, abstain],
                validators=[InputRequired(message=_l("Choose a finalist or “Abstain”."))],
            )
            setattr(ElectionBallotForm, field_name(category), field)
        elif category.method == "approval":
            field = SelectMultipleField(category.title, choices=[*finalists, abstain])
            setattr(ElectionBallotForm, field_name(category), field)
        else:
            ranked = candidates(category)
            places = [SelectChoice("", "\u2013")] + [  # an en dash: no rank
                SelectChoice(str(n), str(n)) for n in range(1, len(ranked) + 1)
            ]
            for nominee in ranked:
                rank = SelectField(nominee.name, choices=places, default="")
                setattr(ElectionBallotForm, rank_name(category, nominee), rank)
            setattr(ElectionBallotForm, abstain_name(category), BooleanField(_l("Abstain")))
    return _form_classes.put(categories, ElectionBallotForm)


@dataclass(frozen=True)
class Option:
    """One finalist's input (radio, checkbox or rank select), or "abstain" (nominee None)."""

    field: Field
    nominee: NomineeView | None


@dataclass(frozen=True)
class CategoryGroup:
    """What the ballot and review templates show for one award."""

    category: CategoryView
    field: Field  # where its errors are: the radio group, the checkboxes, or "abstain"
    options: list[Option]
    answer: str  # the answer's text, for the review's hidden field

    @property
    def kind(self) -> str:
        if self.category.method == "plurality":
            return "radio"
        return "approval" if self.category.method == "approval" else "ranked"

    @property
    def selected(self) -> Option | None:
        return next((option for option in self.options if option.field.checked), None)

    @property
    def chosen(self) -> list[NomineeView]:
        """The finalists of the answer, in its order (ranked best first); none to abstain."""
        nominees = {n.slug: n for n in candidates(self.category)}
        if self.answer in ("", ABSTAIN):
            return []
        return [nominees[slug] for slug in self.answer.split(",") if slug in nominees]


def category_groups(form: BallotForm, categories: Sequence[CategoryView]) -> list[CategoryGroup]:
    groups = []
    for category in categories:
        nominees = {n.slug: n for n in category.nominees}
        if category.ranked:
            field = form[abstain_name(category)]
            options = [Option(form[rank_name(category, n)], n) for n in candidates(category)]
        else:
            field = form[field_name(category)]
            options = [Option(option, nominees.get(option.data)) for option in field]
        answer = _answer_text(form, category)
        groups.append(CategoryGroup(category, field, options, answer))
    return groups
