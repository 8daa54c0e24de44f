"""Printable ballot cards as a PDF: a QR code of the ballot link, the typed-in code, a line of
how-to.

Plain Python on top of segno (QR) and fpdf2 (PDF); no Flask, no database. Cards come in two
layouts: eight to an A4 sheet (cut along the grey lines) or one per badge insert
(102 x 76 mm). Which cards to print and what to record is ``voting.workflows.print_cards``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from voting.domain.tokens import Card

FONTS = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class Layout:
    page: tuple[float, float]  # width, height in mm
    card: tuple[float, float]
    columns: int
    rows: int
    margin: tuple[float, float]  # left, top of the first card


LAYOUTS = {
    "a4": Layout(page=(210, 297), card=(105, 74.25), columns=2, rows=4, margin=(0, 0)),
    "badge": Layout(page=(102, 76), card=(102, 76), columns=1, rows=1, margin=(0, 0)),
}


class CardPDF(FPDF):
    """A page of cards or paper ballots: the fonts, a text that fits, a QR code."""

    def __init__(self, page: tuple[float, float]) -> None:
        super().__init__(unit="mm", format=page)
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.add_font("DejaVu", fname=str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", style="B", fname=str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_creator("voting")

    def fit(self, text: str, width: float, size: float, style: str = "") -> None:
        """Set the largest font size up to *size* at which *text* fits in *width*."""
        self.set_font("DejaVu", style, size)
        while size > 5 and self.get_string_width(text) > width:
            size -= 0.5
            self.set_font("DejaVu", style, size)

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """Draw a QR code as filled rectangles, one per run of dark modules in a row."""
        code = segno.make(data, error="m", micro=False)
        rows = list(code.matrix_iter(scale=1, border=2))
        module = size / len(rows)
        self.set_fill_color(0)
        for row_index, row in enumerate(rows):
            start = None
            for column, dark in enumerate([*row, 0]):
                if dark and start is None:
                    start = column
                elif not dark and start is not None:
                    self.rect(
                        x + start * module,
                        y + row_index * module,
                        (column - start) * module,
                        module,
                        style="F",
                    )
                    start = None


def render_cards(
    cards: Iterable[Card],
    *,
    title: str,
    entry_url: str,
    howto: Callable[[str], str],
    layout: str = "a4",
) -> bytes:
    """All cards as one PDF. *howto(language)* gives the how-to line in a card's language."""
    shape = LAYOUTS[layout]
    pdf = CardPDF(shape.page)
    per_page = shape.columns * shape.rows
    for index, card in enumerate(cards):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x = shape.margin[0] + (slot % shape.columns) * shape.card[0]
        y = shape.margin[1] + (slot // shape.columns) * shape.card[1]
        _draw_card(pdf, card, x, y, shape.card, title, entry_url, howto(card.language))
    if pdf.page == 0:
        pdf.add_page()
    return bytes(pdf.output())


def _draw_card(
    pdf: CardPDF,
    card: Card,
    x: float,
    y: float,
    size: tuple[float, float],
    title: str,
    entry_url: str,
    howto: str,
) -> None:
    width, height = size
    pad = 6
    pdf.set_draw_color(200)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, width, height)  # the cutting line
    inner = width - 2 * pad
    pdf.set_text_color(60)
    pdf.fit(title, inner, 8)
    pdf.set_xy(x + pad, y + pad)
    pdf.cell(inner, 4, title)
    pdf.set_text_color(0)
    top = y + pad + 6
    if card.name:
        pdf.fit(card.name, inner, 14, "B")
        pdf.set_xy(x + pad, top)
        pdf.cell(inner, 6, card.name)
        top += 7
        if card.organisation:
            pdf.fit(card.organisation, inner, 9)
            pdf.set_xy(x + pad, top)
            pdf.cell(inner, 4, card.organisation)
            top += 5
    qr_size = min(height - (top - y) - pad, width * 0.45)
    pdf.qr(card.url, x + pad - 2, top, qr_size)
    text_x = x + pad + qr_size
    text_width = width - (text_x - x) - pad
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_xy(text_x, top + 1)
    pdf.multi_cell(text_width, 3.8, howto, align="L")
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_xy(text_x, pdf.get_y() + 1)
    pdf.multi_cell(text_width, 3.4, entry_url, align="L")
    # The code on two lines, broken between its groups, never inside one.
    groups = card.code.split("-")
    lines = ["-".join(groups[:3]) + "-", "-".join(groups[3:])] if len(groups) > 3 else [card.code]
    pdf.set_font("DejaVu", "B", 8.5)
    for line in lines:
        pdf.set_x(text_x)
        pdf.cell(text_width, 4, line, new_x="LMARGIN", new_y="NEXT")
