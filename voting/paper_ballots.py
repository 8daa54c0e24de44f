"""Paper ballots as a PDF: one A4 page per ballot, with the ballot's QR code and typed-in
code, every award with a box per finalist (or a rank box), and the instructions in the
holder's language.

The same token as a card: whoever holds it votes once, on a phone or on this paper, which
two staff members then enter at the desk (voting/operations/paper.py). Plain Python on top
of fpdf2 and the cards' drawing; what to print is ``voting.workflows.print_cards``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from voting.cards import CardPDF
from voting.domain.tokens import Card

PAPER = "paper"  # the print layout's name, beside the cards' "a4" and "badge"
_PAGE = (210, 297)
_MARGIN = 15
_BOX = 6  # mm: a box to mark, or to write a rank in


@dataclass(frozen=True)
class PaperAward:
    """One award as printed, in one language."""

    title: str
    how: str  # what to do: mark one box, mark up to N, or write ranks
    ranked: bool
    options: tuple[tuple[str, str], ...]  # (name, organisation) per box, "Abstain" last


@dataclass(frozen=True)
class PaperTexts:
    """A paper ballot's words in one language."""

    intro: str
    type_the_code: str  # where to type the code instead of scanning it
    awards: tuple[PaperAward, ...]


def render_paper_ballots(
    cards: Iterable[Card], *, title: str, texts: Callable[[str], PaperTexts]
) -> bytes:
    """Every ballot as a page (more pages if its awards do not fit one) of one PDF."""
    pdf = CardPDF(_PAGE)
    in_language: dict[str, PaperTexts] = {}
    for card in cards:
        if card.language not in in_language:
            in_language[card.language] = texts(card.language)
        _draw_ballot(pdf, card, title, in_language[card.language])
    if pdf.page == 0:
        pdf.add_page()
    return bytes(pdf.output())


def _draw_ballot(pdf: CardPDF, card: Card, title: str, texts: PaperTexts) -> None:
    width = _PAGE[0] - 2 * _MARGIN
    qr_size = 40
    pdf.add_page()
    pdf.set_text_color(0)
    pdf.qr(card.url, _PAGE[0] - _MARGIN - qr_size + 2, _MARGIN - 2, qr_size)
    text_width = width - qr_size - 4
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(text_width, 7, title, new_x="LMARGIN", new_y="NEXT")
    if card.name:
        pdf.set_x(_MARGIN)
        pdf.fit(card.name, text_width, 12, "B")
        pdf.cell(text_width, 6, card.name, new_x="LMARGIN", new_y="NEXT")
        if card.organisation:
            pdf.set_x(_MARGIN)
            pdf.fit(card.organisation, text_width, 10)
            pdf.cell(text_width, 5, card.organisation, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9.5)
    pdf.set_x(_MARGIN)
    pdf.multi_cell(text_width, 4.6, texts.intro, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(_PAGE[0] - _MARGIN - qr_size, _MARGIN + qr_size)
    pdf.set_font("DejaVu", "B", 9)
    for line in _code_lines(card.code):
        pdf.set_x(_PAGE[0] - _MARGIN - qr_size)
        pdf.cell(qr_size, 4.4, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_x(_PAGE[0] - _MARGIN - qr_size)
    pdf.multi_cell(qr_size, 3.4, texts.type_the_code, align="C", new_x="LMARGIN", new_y="NEXT")
    y = max(pdf.get_y(), _MARGIN + qr_size + 22) + 4
    for award in texts.awards:
        needed = 14 + len(award.options) * (_BOX + 2.5)
        if y + needed > _PAGE[1] - _MARGIN:
            pdf.add_page()  # the code again on top: the pages of one ballot stay together
            pdf.set_font("DejaVu", "B", 9)
            pdf.set_xy(_MARGIN, _MARGIN)
            pdf.cell(width, 5, f"{title} · {card.code}", new_x="LMARGIN", new_y="NEXT")
            y = _MARGIN + 9
        y = _draw_award(pdf, award, y, width)


def _draw_award(pdf: CardPDF, award: PaperAward, y: float, width: float) -> float:
    pdf.set_xy(_MARGIN, y)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(width, 6, award.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_x(_MARGIN)
    pdf.multi_cell(width, 4.4, award.how, new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 2
    pdf.set_draw_color(0)
    pdf.set_line_width(0.35)
    for name, organisation in award.options:
        pdf.rect(_MARGIN + 1, y, _BOX, _BOX)  # a square: for a cross, or a rank number
        room = width - _BOX - 5
        pdf.set_xy(_MARGIN + _BOX + 4, y + 0.4)
        pdf.fit(name, room, 10.5, "B")
        used = pdf.get_string_width(name) + 2
        pdf.cell(used, 5.2, name)
        if organisation and room - used > 20:
            pdf.fit(organisation, room - used, 8.5)
            pdf.cell(room - used, 5.2, organisation)
        y += _BOX + 2.5
    return y + 4


def _code_lines(code: str) -> list[str]:
    """The code on two lines, broken between its groups, never inside one."""
    groups = code.split("-")
    return ["-".join(groups[:3]) + "-", "-".join(groups[3:])] if len(groups) > 3 else [code]
