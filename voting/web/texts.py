"""Texts in the reader's language, shared by pages, cards and emails: refusals, award and
finalist texts, delivery states, moments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask import current_app
from flask_babel import (
    force_locale,
    format_datetime,
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
    ngettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from voting import services
from voting.errors import VotingError
from voting.operations.layout import CategoryView
from voting.operations.results import Turnout
from voting.operations.witnessing import WitnessSummary
from voting.paper_ballots import PaperAward, PaperTexts

DELIVERY_LABELS = {
    "pending": _l("not sent yet"),
    "queued": _l("on its way"),
    "sending": _l("on its way"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "uncertain": _l("perhaps sent (the sender stopped mid-send)"),
}
# The tie rules of an election file, as the console offers them.
TIE_RULE_LABELS = {
    "jury": _l("the jury decides between the finalists tied for first place"),
    "shared": _l("the finalists tied for first place share the award"),
}
# The counting methods of an award (verify.METHODS), as the editor offers them.
METHOD_LABELS = {
    "plurality": _l("one finalist per ballot (plurality)"),
    "approval": _l("tick any finalists you approve of (approval)"),
    "points": _l("rank finalists; each place earns points"),
    "irv": _l("rank finalists; instant runoff"),
}
COMBINE_LABELS = {
    "rank-points": _l("by rank points: each part ranks the finalists"),
    "shares": _l("by vote shares: the share of its votes in each part"),
}
# An election's state as a refusal names it ("election X is %(state)s ...").
STATE_LABELS = {
    "draft": _l("in draft"),
    "open": _l("open"),
    "closed": _l("closed"),
    "revealed": _l("revealed"),
}


def error_text(error: VotingError) -> str:
    """A refusal in the reader's language (the operation's English if it has no translation).

    Every refused operation is shown through this, on every page: operations mark their
    messages with N_ and pass the details as parameters.
    """
    params = dict(error.params)
    if isinstance(params.get("state"), str):
        params["state"] = str(STATE_LABELS.get(params["state"], params["state"]))
    return _(error.template, **params) if params else _(error.template)


def translated(item: object, field: str) -> str:
    """An award's or finalist's text in the page's language, if the definition has one."""
    language = str(get_locale() or "")
    if isinstance(item, dict):
        translations, default = item.get("translations") or {}, item.get(field, "")
    else:
        translations, default = getattr(item, "translations", None) or {}, getattr(item, field, "")
    return (translations.get(language) or {}).get(field) or default


# The fingerprints shown in the room, named as voting/verify.py prints them (same words).
FINGERPRINT_LABELS = {
    "opened": _l("Fingerprint at opening"),
    "sealed": _l("Fingerprint of the sealed result"),
    "revealed": _l("Fingerprint after the reveal"),
}


def fingerprint_label(name: str) -> str:
    return str(FINGERPRINT_LABELS[name])


def delivery_label(status: str) -> str:
    return str(DELIVERY_LABELS.get(status, status))


def card_howto(language: str) -> str:
    """The how-to line printed on a ballot card, in the card holder's language."""
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "Scan the QR code with your phone's camera to vote, "
            "or go to the address below and type the code."
        )


def paper_texts(categories: Sequence[CategoryView], entry_url: str) -> Callable[[str], PaperTexts]:
    """The words of a paper ballot in a holder's language: instructions, awards, finalists."""

    def in_language(language: str) -> PaperTexts:
        with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            return PaperTexts(
                intro=_(
                    "Mark this ballot with a pen and hand it in at the help desk. Or scan the "
                    "QR code and vote on your phone instead: the ballot counts once, whichever "
                    "way it is cast first."
                ),
                type_the_code=_("or type this code at %(address)s", address=entry_url),
                awards=tuple(_paper_award(c) for c in categories),
            )

    return in_language


def _paper_award(category: CategoryView) -> PaperAward:
    options = [(translated(n, "name"), translated(n, "organisation")) for n in category.nominees]
    if category.method == "irv" and category.board.get("no_award"):
        options.append((_("No award"), ""))
    options.append((_("Abstain"), ""))
    most = category.board.get("max_choices") or len(category.nominees)
    if category.ranked:
        how = _(
            "Write 1 in the box of the finalist you prefer most, 2 for the next, and so on. "
            "You may rank as few as you like, or mark “Abstain”."
        )
    elif category.method == "approval" and most < len(category.nominees):
        how = ngettext("Tick up to %(num)d finalist.", "Tick up to %(num)d finalists.", most)
    elif category.method == "approval":
        how = _("Tick every finalist you approve of.")
    else:
        how = _("Mark one box: a finalist, or “Abstain”.")
    return PaperAward(translated(category, "title"), how, category.ranked, tuple(options))


def format_moment(moment: datetime | None) -> str:
    """A moment in its own time zone (the election's), in the reader's language."""
    if moment is None:
        return ""
    zone = moment.tzname() or ""
    return f"{format_datetime(moment, 'long', rebase=False)} ({zone})".replace(" ()", "")


def decimal_text(number: float) -> str:
    """A score (2.5, 0.333333) as the reader's language writes it, to two decimals at most."""
    return format_decimal(number, "#,##0.##")


def share_text(share: float) -> str:
    """A share (0.5) as the reader's language writes a percentage: "50%", "50 %"."""
    return format_percent(share, "#,##0.#%")


def turnout_text(turnout: Turnout) -> str:
    """The one sentence for turnout on every page: ballots cast of eligible attendees."""
    return ngettext(
        "%(num)d ballot cast of %(eligible)d eligible attendees",
        "%(num)d ballots cast of %(eligible)d eligible attendees",
        turnout.ballots,
        eligible=turnout.eligible,
    )


def ago_text(moment: datetime) -> str:
    """How long ago, in words of the reader's language ("4 seconds ago")."""
    return format_timedelta(moment - services.now(), add_direction=True, threshold=1.5)


def witnesses_text(summary: WitnessSummary) -> str:
    """How many witnesses cosigned the latest checkpoint, the quorum, and how recently."""
    count = len(summary.witnesses)
    text = ngettext(
        "%(cosigned)d of %(num)d witness has cosigned the latest checkpoint",
        "%(cosigned)d of %(num)d witnesses have cosigned the latest checkpoint",
        count,
        cosigned=summary.current,
    )
    if summary.quorum_met:
        quorum = _("quorum of %(quorum)d met", quorum=summary.quorum)
    else:
        quorum = _("quorum of %(quorum)d not met yet", quorum=summary.quorum)
    last = summary.last_cosigned_at
    if last is None:
        return f"{text} ({quorum})"
    when = _("last cosignature %(when)s", when=ago_text(last))
    return f"{text} ({quorum}; {when})"
