"""A pixel-addressed drawing surface on matplotlib: texts, boxes, lines, measuring, PNG.

Coordinates are pixels from the top-left corner, like a screen. One ``Figure`` with its own Agg
canvas per picture and never pyplot, whose global figure registry is not thread-safe: pictures
are drawn in worker threads. matplotlib is imported here, on first use of a picture, because
importing it costs most of a second. Every text names its font and has ``parse_math=False``, so
a "$" in a course title stays a dollar sign rather than starting mathtext.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from backend.pictures.style import DPI, FONT, INK, LINE, PAPER, Colour, rgb

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

Weight = Literal["normal", "bold"]
HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "center_baseline", "baseline", "bottom"]
ELLIPSIS = "…"
PNG_COMPRESSION = 1  # of 9: half the encoding time of the default, for 10% more bytes


@functools.lru_cache(maxsize=8192)
def _width(text: str, size: int, weight: Weight) -> float:
    """One line's width in pixels at ``DPI``. Cached: labels repeat (dates, "Today", the
    years) and measuring is the slowest part of laying a picture out. Safe across threads:
    matplotlib keeps a FreeType font object per thread."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    width, _, _ = _measuring_renderer(RendererAgg).get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text, FontProperties(family=FONT, size=size, weight=weight), ismath=False
    )
    return float(width)


@functools.cache
def _measuring_renderer(renderer_class: type[RendererAgg]) -> RendererAgg:
    return renderer_class(1, 1, DPI)


class Canvas:
    """One picture being drawn; ``png()`` encodes it."""

    def __init__(self, width: int, height: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.width = width
        self.height = height
        self.figure: Figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.figure.set_facecolor(rgb(PAPER))
        self._agg = FigureCanvasAgg(self.figure)
        self.axes: Axes = self.figure.add_axes((0.0, 0.0, 1.0, 1.0))
        self.axes.set_axis_off()
        self.axes.set_autoscale_on(False)
        self._fonts: dict[tuple[int, str], FontProperties] = {}
        self._limits()

    def _limits(self) -> None:
        self.axes.set_xlim(0, self.width)
        self.axes.set_ylim(self.height, 0)  # y grows downwards, as on a screen

    def set_height(self, height: int) -> None:
        """Grow or shrink the picture at its bottom: what is drawn keeps its place."""
        self.height = height
        self.figure.set_size_inches(self.width / DPI, height / DPI)
        self._limits()

    @property
    def renderer(self) -> RendererAgg:
        renderer: RendererAgg = self._agg.get_renderer()  # type: ignore[no-untyped-call]
        return renderer

    def font(self, size: int, weight: Weight = "normal") -> FontProperties:
        from matplotlib.font_manager import FontProperties

        key = (size, weight)
        if key not in self._fonts:
            self._fonts[key] = FontProperties(family=FONT, size=size, weight=weight)
        return self._fonts[key]

    # --- text --------------------------------------------------------------------------------

    def measure(self, text: str, size: int, weight: Weight = "normal") -> float:
        """The width in pixels of one line of text."""
        return _width(text, size, weight) if text else 0.0

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: int,
        colour: Colour = INK,
        weight: Weight = "normal",
        ha: HAlign = "left",
        va: VAlign = "top",
        zorder: float = 5,
    ) -> Text:
        return self.axes.text(
            x,
            y,
            text,
            fontproperties=self.font(size, weight),
            color=rgb(colour),
            ha=ha,
            va=va,
            parse_math=False,
            linespacing=LINE,
            zorder=zorder,
        )

    def wrap(self, text: str, max_width: float, size: int, weight: Weight = "normal") -> list[str]:
        """Lines of at most ``max_width`` pixels, broken between words (inside a word only when
        the word alone is too wide): nothing is cut off."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            current = ""
            for word in paragraph.split():
                candidate = f"{current} {word}" if current else word
                if self.measure(candidate, size, weight) <= max_width:
                    current = candidate
                    continue
                if current:
                    lines.append(current)
                current = word
                while self.measure(current, size, weight) > max_width and len(current) > 1:
                    cut = self._fitting(current, max_width, size, weight, "")
                    lines.append(current[:cut])
                    current = current[cut:]
            lines.append(current)
        return lines

    def shorten(self, text: str, max_width: float, size: int, weight: Weight = "normal") -> str:
        """The text, or as much of it as fits with an ellipsis."""
        text = " ".join(text.split())
        if self.measure(text, size, weight) <= max_width:
            return text
        cut = self._fitting(text, max_width, size, weight, ELLIPSIS)
        return text[:cut].rstrip() + ELLIPSIS

    def _fitting(self, text: str, max_width: float, size: int, weight: Weight, tail: str) -> int:
        """How many leading characters (at least one) fit in ``max_width`` with ``tail``."""
        low, high = 1, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if self.measure(text[:middle] + tail, size, weight) <= max_width:
                low = middle
            else:
                high = middle - 1
        return low

    # --- shapes ------------------------------------------------------------------------------

    def box(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        colour: Colour,
        *,
        zorder: float = 1,
    ) -> None:
        from matplotlib.patches import Rectangle

        self.axes.add_artist(
            Rectangle((x, y), width, height, facecolor=rgb(colour), linewidth=0, zorder=zorder)
        )

    def line(
        self,
        xs: Sequence[float],
        ys: Sequence[float],
        colour: Colour,
        width: float = 2,
        zorder: float = 2,
    ) -> None:
        from matplotlib.lines import Line2D

        self.axes.add_artist(
            Line2D(
                xs, ys, color=rgb(colour), linewidth=width, zorder=zorder, solid_capstyle="butt"
            )
        )

    def dot(self, x: float, y: float, radius: float, colour: Colour, edge: Colour = PAPER) -> None:
        from matplotlib.patches import Circle

        self.axes.add_artist(
            Circle(
                (x, y), radius, facecolor=rgb(colour), edgecolor=rgb(edge), linewidth=2, zorder=4
            )
        )

    def polygon(self, points: Sequence[tuple[float, float]], colour: Colour) -> None:
        from matplotlib.patches import Polygon

        self.axes.add_artist(
            Polygon(points, closed=True, facecolor=rgb(colour), linewidth=0, zorder=4)
        )

    # --- output and inspection ---------------------------------------------------------------

    def png(self) -> bytes:
        """The picture as PNG, without transparency (a third less to compress) or metadata
        (the same picture always gives the same bytes)."""
        from PIL import Image

        self._agg.draw()  # type: ignore[no-untyped-call]
        pixels = self._agg.buffer_rgba()  # type: ignore[no-untyped-call]
        rgba = Image.frombuffer("RGBA", (self.width, self.height), pixels, "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        rgba.convert("RGB").save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
        return buffer.getvalue()

    def texts(self) -> list[Text]:
        """Every visible, non-empty text of the picture, in drawing order."""
        from matplotlib.text import Text

        found = self.figure.findobj(
            lambda artist: isinstance(artist, Text) and artist.get_visible()
        )
        return [item for item in found if isinstance(item, Text) and item.get_text().strip()]

    def text_boxes(self) -> list[tuple[str, Bbox]]:
        """Each text with its box in pixels (from the bottom-left, as the renderer has it)."""
        self._agg.draw()  # type: ignore[no-untyped-call]
        renderer = self.renderer
        return [(item.get_text(), item.get_window_extent(renderer)) for item in self.texts()]
