"""The PDF's font: DejaVu Sans, which covers every Kazakh letter (ә ғ қ ң ө ұ ү һ і).

It comes with matplotlib's wheel (``mpl-data/fonts/ttf``), a dependency in pyproject.toml, so
the project's own install provides it on every machine; no font file is committed. The path is
found without importing matplotlib (its import costs far more than the lookup).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

FONT_DIR_IN_PACKAGE = Path("mpl-data") / "fonts" / "ttf"


class FontMissingError(RuntimeError):
    """matplotlib's bundled DejaVu fonts are not installed (run ``make install``)."""


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path


@functools.cache
def dejavu_sans() -> FontFiles:
    spec = importlib.util.find_spec("matplotlib")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / FONT_DIR_IN_PACKAGE
        files = FontFiles(folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf")
        if files.regular.is_file() and files.bold.is_file():
            return files
    raise FontMissingError("DejaVu Sans not found in matplotlib's mpl-data; run `make install`")
