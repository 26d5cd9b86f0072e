"""Lays a ``Summary`` out on A4 pages with fpdf2 and DejaVu Sans (every Kazakh letter)."""

from __future__ import annotations

from fpdf import FPDF

from backend.summary.content import Summary
from backend.summary.fonts import dejavu_sans

FAMILY = "DejaVu"
MARGIN_MM = 18
GREY = (90, 90, 90)
QUOTE_BG = (244, 244, 240)


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def render_pdf(summary: Summary) -> bytes:
    """The PDF bytes. CPU-bound (tens of ms): call it off the event loop."""
    fonts = dejavu_sans()
    pdf = _Document(format="A4")
    pdf.footer_text = summary.footer
    pdf.set_title(summary.title)
    pdf.set_creator("Sanat")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    pdf.add_font(FAMILY, "", str(fonts.regular))
    pdf.add_font(FAMILY, "B", str(fonts.bold))
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, summary.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, summary.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for block in summary.blocks:
        pdf.ln(4)
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(0, 6, block.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font(FAMILY, "", 9 if block.quote else 10)
        if block.quote:
            pdf.set_fill_color(*QUOTE_BG)
        for paragraph in block.paragraphs:
            pdf.multi_cell(
                0, 5, paragraph, fill=block.quote, align="L", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1)
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 9)
    pdf.set_draw_color(*GREY)
    pdf.multi_cell(0, 5, summary.disclaimer, border=1, padding=2, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
