"""What every picture test checks: the size, the words drawn, no overlapping text."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.transforms import Bbox
from PIL import Image

from backend.pictures.canvas import Canvas
from backend.pictures.catalog import Catalog, catalog_for
from backend.pictures.style import SMALL_PX, WIDTH

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("kk", "ru")
# Telegram shows a photo about this wide on a phone; its text should be at least 9 px there.
PREVIEW_PX = 360
READABLE_PX = 9


def catalog(language: str) -> Catalog:
    return catalog_for(ROOT / "locales", language)


def drawn_texts(canvas: Canvas) -> list[str]:
    return [text.get_text() for text in canvas.texts()]


def assert_png(png: bytes, width: int = WIDTH) -> tuple[int, int]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == width
    return image.size


def _overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes share more than an edge (lines of one label touch, as text does)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return bool(width > 0.5 and height > 0.5)


def assert_no_overlap(canvas: Canvas) -> None:
    """No two texts overlap, and every text lies inside the picture."""
    boxes = canvas.text_boxes()
    assert boxes
    for text, box in boxes:
        assert box.x0 >= 0, text
        assert box.y0 >= 0, text
        assert box.x1 <= canvas.width, text
        assert box.y1 <= canvas.height, text
    for index, (first, a) in enumerate(boxes):
        for second, b in boxes[index + 1 :]:
            assert not _overlap(a, b), f"{first!r} overlaps {second!r}"


def assert_readable_on_a_phone(canvas: Canvas) -> None:
    sizes = [float(text.get_fontsize()) for text in canvas.texts()]
    assert min(sizes) >= SMALL_PX
    assert min(sizes) * PREVIEW_PX / canvas.width >= READABLE_PX
