"""Sizes, colours and fonts shared by every picture.

Sizes are pixels: figures are drawn at 72 dpi, where a point is a pixel. A picture is 960 px
wide; Telegram shows a photo about 360 px wide on a phone, so the smallest text (24 px) still
appears about 9 px high there, and every other text is larger.
"""

from __future__ import annotations

from typing import Final

DPI: Final = 72
WIDTH: Final = 960
MARGIN: Final = 40

# DejaVu Sans ships inside matplotlib and draws every Kazakh and Russian letter (ә ғ қ ң ө ұ ү
# һ і) and the ✓ ✗ marks; naming it on every text keeps a local matplotlibrc from swapping it.
FONT: Final = "DejaVu Sans"
TITLE_PX: Final = 34
BODY_PX: Final = 28
SMALL_PX: Final = 24  # the smallest text on any picture
LINE: Final = 1.25  # line height as a multiple of the font size

Colour = tuple[int, int, int]

INK: Final[Colour] = (31, 35, 40)
MUTED: Final[Colour] = (87, 96, 106)
RULE: Final[Colour] = (208, 215, 222)
PAPER: Final[Colour] = (255, 255, 255)
BAR: Final[Colour] = (236, 239, 243)  # the calendar bar outside the current cycle

VALID: Final[Colour] = (30, 150, 60)
SOON: Final[Colour] = (235, 140, 0)
OVERDUE: Final[Colour] = (210, 30, 30)
COURSE: Final[Colour] = (40, 90, 200)
TESTING: Final[Colour] = (130, 80, 223)
UNKNOWN: Final[Colour] = (154, 103, 0)


def tint(colour: Colour, strength: float = 0.3) -> Colour:
    """The colour mixed into white: a fill that dark text stays readable on."""
    return (
        round(255 - (255 - colour[0]) * strength),
        round(255 - (255 - colour[1]) * strength),
        round(255 - (255 - colour[2]) * strength),
    )


def rgb(colour: Colour) -> tuple[float, float, float]:
    """matplotlib's 0..1 form of an 8-bit colour."""
    return (colour[0] / 255, colour[1] / 255, colour[2] / 255)
