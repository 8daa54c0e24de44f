"""The printable certificate of results: a PDF a person reads, sealed so a program can check it.

It states the results and the board's final checkpoint, and carries an Ed25519 signature
with the election's log key over every byte (see verify.seal_certificate).
"""

from __future__ import annotations

from datetime import date

from fpdf import FPDF

from voting import verify
from voting.cards import FONTS
from voting.operations.audit import LogSigner

JURY_LINES = 3


def _long_date(iso: str | None) -> str:
    """2016-11-24 -> 24 November 2016 (the certificate is in English, like the board)."""
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"  # the C locale's month names: Python never sets one


def _signature_lines(pdf: FPDF, width: float) -> None:
    """Lines where the jury signs the printed certificate: name, signature, date."""
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(width, 6, "For the jury", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    columns = (("Name", 0.42), ("Signature", 0.38), ("Date", 0.2))
    for _ in range(JURY_LINES):
        pdf.ln(9)
        y = pdf.get_y()
        x = pdf.l_margin
        for label, share in columns:
            pdf.line(x, y, x + width * share - 4, y)
            pdf.set_xy(x, y + 0.5)
            pdf.cell(width * share - 4, 4, label)
            x += width * share
        pdf.set_xy(pdf.l_margin, y + 4)


def _pdf(results: dict, checkpoint: verify.Checkpoint, vkey: str) -> bytes:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.add_font("DejaVu", fname=str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", style="B", fname=str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creator("voting")
    pdf.set_title(f"Certificate of results: {results['title']}")
    pdf.add_page()
    width = pdf.w - 40
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(width, 9, "Certificate of results", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(width, 7, results["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    held = ", ".join(
        part for part in (results.get("place"), _long_date(results.get("date"))) if part
    )
    if held:
        pdf.multi_cell(width, 6, held, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        width,
        5.5,
        f"{results['ballots']} ballots cast of {results['attendees']} eligible attendees"
        f"{_by_channel(results.get('channels'))}. Tie rule: {results['tie_rule']}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for category in results["categories"]:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(width, 6.5, category["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9.5)
        pdf.multi_cell(width, 5, counting_line(category), new_x="LMARGIN", new_y="NEXT")
        for row in category["results"]:
            won = row["nominee"] in category["winners"]
            pdf.set_font("DejaVu", "B" if won else "", 10.5)
            pdf.cell(width - 30, 6, ("Winner: " if won else "") + row["name"])
            pdf.cell(
                30, 6, _figure(verify.row_score(row)), align="R", new_x="LMARGIN", new_y="NEXT"
            )
        for line in round_lines(category):
            pdf.set_font("DejaVu", "", 9)
            pdf.multi_cell(width, 4.8, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9.5)
        pdf.cell(width - 30, 5.5, "Abstentions")
        pdf.cell(30, 5.5, str(category["abstentions"]), align="R", new_x="LMARGIN", new_y="NEXT")
        if category.get("decided_by_jury"):
            pdf.multi_cell(
                width, 5, "Tied for first place; the jury decided.", new_x="LMARGIN", new_y="NEXT"
            )
    _signature_lines(pdf, width)
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(width, 6, "The audit board's final checkpoint", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        width,
        5,
        f"Size {checkpoint.size}, fingerprint {checkpoint.fingerprint}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(width, 4, checkpoint.note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(
        width,
        4.5,
        "This file carries an Ed25519 signature by the election's log key over all of the above. "
        f"Check it with: voting results verify-certificate FILE --key KEY (or python verify.py "
        f"--certificate FILE --key KEY), with the key {vkey}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def make_certificate(results: dict, checkpoint: verify.Checkpoint, signer: LogSigner) -> bytes:
    vkey = signer.verifier_key(checkpoint.origin).vkey
    document = _pdf(results, checkpoint, vkey)
    payload = verify.certificate_payload(results, checkpoint.note)
    return verify.seal_certificate(document, payload, signer.private_key, checkpoint.origin)


METHOD_NAMES = {
    "plurality": "one finalist per ballot (plurality); votes",
    "approval": "approval; approvals",
    "points": "points per place",
    "irv": "instant runoff; votes in the last round counted",
}


def counting_line(category: dict) -> str:
    """How an award was counted, in one line: its method and any jury share."""
    text = f"Counted by {METHOD_NAMES.get(category.get('method', 'plurality'), 'plurality')}"
    combined = category.get("combined")
    if combined:
        jury = category["jury"]["ballots"]
        rule = "rank points" if combined["combine"] == "rank-points" else "vote shares"
        text += (
            f"; combined with the jury's {jury} ballot{'s' if jury != 1 else ''} by {rule}, "
            f"the jury's share {combined['weight'] * 100:g} %: the combined scores"
        )
    return text + "."


def round_lines(category: dict) -> list[str]:
    """An instant runoff's rounds, one line each (of the audience's part, with a jury share)."""
    rounds = category.get("rounds") or category.get("audience", {}).get("rounds") or []
    names = {row["nominee"]: row["name"] for row in category["results"]}
    lines = []
    for number, past in enumerate(rounds, start=1):
        counts = ", ".join(f"{names.get(s, 'No award')} {v}" for s, v in past["counts"].items())
        out = ", ".join(names.get(s, "No award") for s in past["eliminated"])
        lines.append(f"Round {number}: {counts}" + (f"; out: {out}" if out else ""))
    return lines


def _figure(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _by_channel(channels: dict | None) -> str:
    if not channels or not channels.get("paper"):
        return ""
    return f" ({channels['phone']} on a phone, {channels['paper']} on paper)"
