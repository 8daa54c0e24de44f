"""The voter's forms. The ballot form is built per election: one radio group per award."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from voting.operations.layout import CategoryView, NomineeView

ABSTAIN = "abstain"
FIELD_PREFIX = "award-"


def field_name(category: CategoryView) -> str:
    return FIELD_PREFIX + category.slug


class BallotForm(FlaskForm):
    """Base of the per-election ballot forms; also posted, as hidden fields, by the cast step."""

    def choices(self, categories: Sequence[CategoryView]) -> dict[str, str]:
        return {c.slug: self[field_name(c)].data for c in categories}


def ballot_form(
    categories: Sequence[CategoryView], chosen: dict[str, str] | None = None
) -> BallotForm:
    """A form with one required radio group per award, the finalists and "abstain"."""
    data = {field_name(c): chosen[c.slug] for c in categories if chosen and c.slug in chosen}
    return _form_class(categories)(data=data)


# Building a form class is costly and the layout is fixed while voting runs: one class per
# layout (layouts themselves are cached, so identity is a fine key).
_form_classes: dict[int, tuple[Sequence[CategoryView], type[BallotForm]]] = {}


def _form_class(categories: Sequence[CategoryView]) -> type[BallotForm]:
    cached = _form_classes.get(id(categories))
    if cached is not None and cached[0] is categories:
        return cached[1]

    class ElectionBallotForm(BallotForm):
        pass

    for category in categories:
        setattr(
            ElectionBallotForm,
            field_name(category),
            RadioField(
                category.title,
                choices=[SelectChoice(n.slug, n.name) for n in category.nominees]
                + [SelectChoice(ABSTAIN, _l("Abstain"))],
                validators=[InputRequired(message=_l("Choose a finalist or “Abstain”."))],
            ),
        )
    if len(_form_classes) > 64:
        _form_classes.clear()
    _form_classes[id(categories)] = (categories, ElectionBallotForm)
    return ElectionBallotForm


@dataclass(frozen=True)
class Option:
    """One radio button and the finalist it stands for (None for "abstain")."""

    field: Field
    nominee: NomineeView | None


@dataclass(frozen=True)
class CategoryGroup:
    """What the ballot template shows for one award."""

    category: CategoryView
    field: RadioField
    options: list[Option]

    @property
    def selected(self) -> Option | None:
        return next((option for option in self.options if option.field.checked), None)


def category_groups(form: BallotForm, categories: Sequence[CategoryView]) -> list[CategoryGroup]:
    groups = []
    for category in categories:
        radio = form[field_name(category)]
        nominees = {n.slug: n for n in category.nominees}
        groups.append(
            CategoryGroup(
                category=category,
                field=radio,
                options=[Option(option, nominees.get(option.data)) for option in radio],
            )
        )
    return groups
