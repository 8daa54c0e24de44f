"""How a log entry reads on the board: a line in plain words next to its exact JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from voting.models import AuditEntry
from voting.verify import ENTRY_KINDS, TrusteeError, TrusteeKey

KINDS = tuple(ENTRY_KINDS)  # what the board's filter offers, in the order a log meets them
# What each reveal step shows, as the board names it.
SCREENS = {
    "intro": _l("the sealed result"),
    "finalists": _l("the finalists"),
    "winner": _l("the winner"),
    "bars": _l("the counts"),
}
# Long lists (the eligible token hashes) are cut on the page; the JSON and the export have all.
_SHOWN_CHARACTERS = 1200


@dataclass(frozen=True)
class EntryView:
    seq: int
    kind: str
    leaf_hash: str
    receipt: str | None
    entry: dict
    summary: str
    excerpt: str


def _summary(kind: str, data: dict) -> str:
    if kind == "election.defined":
        return _(
            "Election defined: %(title)s, %(awards)d awards, tie rule “%(rule)s”.",
            title=data.get("title", ""),
            awards=len(data.get("categories", [])),
            rule=data.get("tie_rule", ""),
        )
    if kind == "attendees.imported":
        return _(
            "Attendee list imported: %(count)d attendees (no names on the board).",
            count=data.get("count", 0),
        )
    if kind == "trustee.key":
        return _(
            "The jury's key %(key)s: every ballot is encrypted to it; any %(threshold)d of "
            "its %(shares)d shares open them after the close.",
            key=_key_id(data),
            threshold=data.get("threshold", 0),
            shares=data.get("shares", 0),
        )
    if kind == "trustee.released":
        return _("The jury's private key, released: anyone can now decrypt every ballot.")
    if kind == "tokens.committed":
        return _("%(count)d eligible ballots committed before opening.", count=data.get("count", 0))
    if kind == "voting.opened":
        jurors = data.get("jurors")
        if jurors:
            return _("Voting opened; the jurors: %(names)s.", names=", ".join(jurors))
        return _("Voting opened.")
    if kind == "tokens.added":
        count = data.get("count", 0)
        return ngettext("%(num)d ballot added.", "%(num)d ballots added.", count)
    if kind == "tokens.revoked":
        count = len(data.get("token_hashes", []))
        return ngettext("%(num)d ballot revoked.", "%(num)d ballots revoked.", count)
    if kind == "tokens.reissued":
        count = len(data.get("added", []))
        return ngettext(
            "%(num)d lost ballot replaced by a new one.",
            "%(num)d lost ballots replaced by new ones.",
            count,
        )
    if kind == "ballot.cast":
        if "encrypted" in data:
            return _("Ballot cast; its choices are encrypted to the jury's key and sealed.")
        return _("Ballot cast; its choices stay sealed until the results are revealed.")
    if kind == "jury.ballot.cast":
        return _(
            "Jury ballot of %(juror)s in %(award)s; sealed until the results are revealed.",
            juror=data.get("juror", ""),
            award=data.get("award", ""),
        )
    if kind == "voting.closed":
        return _("Voting closed.")
    if kind == "ballot.unsealed":
        return _("Ballot %(seq)d unsealed.", seq=data.get("ballot", 0))
    if kind == "tally.sealed":
        return _("Result sealed: it is published when the reveal ends.")
    if kind == "tally":
        return _(
            "Tally published: %(count)d ballots counted; it opens the sealed result.",
            count=data.get("ballots", 0),
        )
    if kind == "tie.decided":
        return _(
            "The jury decided the tie in %(award)s: %(winner)s.",
            award=data.get("award", ""),
            winner=data.get("winner", ""),
        )
    if kind == "reveal.step":
        if data.get("show") == "summary":
            return _(
                "Reveal step %(step)d: the summary; the reveal is over.", step=data.get("step", 0)
            )
        return _(
            "Reveal step %(step)d: %(show)s of %(award)s.",
            step=data.get("step", 0),
            show=str(SCREENS.get(data.get("show", ""), data.get("show", ""))),
            award=data.get("award") or "",
        )
    return kind


def _key_id(data: dict) -> str:
    try:
        return TrusteeKey.from_json(data).id
    except TrusteeError:
        return "?"


def describe(entry: AuditEntry) -> EntryView:
    data = json.loads(entry.body)
    body = entry.body
    excerpt = body if len(body) <= _SHOWN_CHARACTERS else body[:_SHOWN_CHARACTERS] + " …"
    return EntryView(
        seq=entry.seq,
        kind=entry.kind,
        leaf_hash=entry.leaf_hash.hex(),
        receipt=entry.receipt,
        entry=data,
        summary=_summary(entry.kind, data["data"]),
        excerpt=excerpt,
    )
