"""CSV and XLSX files for people to open in a spreadsheet, safe against formula injection.

Control characters (which XLSX cannot hold and which garble a CSV line) are removed from text,
so any stored text exports. A cell that a spreadsheet would read as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, as OWASP
recommends; numbers and dates are written as such, so only text can carry a formula. CSV is
UTF-8 with a BOM so Excel shows Cyrillic correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

Cell = str | int | float | dt.date | dt.datetime | None
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What XLSX cannot store (openpyxl refuses it) and no person typed on purpose; tabs and line
# breaks stay, lone surrogates go too (they cannot be encoded).
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def safe_text(value: str) -> str:
    value = UNSAFE_CHARACTERS.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _safe(value: Cell) -> Cell:
    return safe_text(value) if isinstance(value, str) else value


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(_safe(value))


def to_csv(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, delimiter: str = ","
) -> bytes:
    """``delimiter``: "," or ";" (what Excel in a Russian locale writes and expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow([safe_text(name) for name in header])
    for row in rows:
        writer.writerow([_plain(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(value: Cell) -> Cell:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # openpyxl refuses aware datetimes; ours are UTC
    return _safe(value)


def to_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str = "Sanat"
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append([safe_text(name) for name in header])
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """At most 31 characters, none of those Excel forbids in a sheet name."""
    cleaned = re.sub(r"[\\/*?:\[\]]", " ", UNSAFE_CHARACTERS.sub("", title)).strip()
    return cleaned[:31] or "Sanat"
