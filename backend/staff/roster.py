"""Roster files (CSV or XLSX) into validated rows, with every bad row's line number and reason.

Nothing here touches the database: ``parse_roster`` either refuses the whole file
(``RosterFileError``) or returns the good rows and the bad ones, and the service upserts the
good rows in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.rules.loader import Ruleset

MIN_COURSE_DATE = dt.date(1991, 1, 1)  # earlier dates are typos: no such course records exist
MAX_NAME_LENGTH = 256
CSV_ENCODINGS = ("utf-8-sig", "cp1251")  # utf-8-sig also reads plain UTF-8
XLSX_MAGIC = b"PK\x03\x04"
USERNAME = re.compile(r"^[A-Za-z0-9_]{4,32}$")
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y")
EXCEL_EPOCH = dt.date(1899, 12, 30)
# A workbook is a zip: refuse one that would unpack to far more than any roster needs (a zip
# bomb), before openpyxl reads it. The sizes in the zip directory are checked on reading too.
XLSX_UNZIPPED_FACTOR = 50
# openpyxl loads every shared string into memory before the first row, used or not: a few
# hundred KB of zip can hold 100 MB of them. A real roster's strings are a few MB.
XLSX_SHARED_STRINGS_FACTOR = 8
XLSX_MAX_MEMBERS = 256
# Sheet XML per allowed row: a roster row is a few hundred bytes; thousands of cells per row
# (seconds of parsing each) are refused before parsing starts.
XLSX_SHEET_BYTES_PER_ROW = 2048
XLSX_CELLS_PER_ROW = 32
MAX_COLUMNS = 64  # a roster has five columns; cells beyond these are not read
MAX_RECORD_LINES = 3  # a quoted CSV cell may span lines, but a name never spans more
TIME_BUDGET = 20.0  # seconds of parsing before a file is refused as too large to handle
BLANK_ROWS_ALLOWED = 1000  # blank rows are skipped, but not without end
UNCLOSED_QUOTE = object()  # marks a CSV line whose quote is never closed
# C0 control characters (and DEL) have no place in a name: they break exports and logs.
CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}")
_YEAR_FIRST = re.compile(r"\d{4}-(\d{1,2})-(\d{1,2})")

# Header names people write, normalised (casefolded, ё→е, punctuation and spaces collapsed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": (
        "full name",
        "name",
        "teacher",
        "фио",
        "ф и о",
        "фамилия имя отчество",
        "фамилия имя",
        "имя",
        "педагог",
        "аты жөні",
        "толық аты жөні",
        "аты-жөні",
        "тағы аты жөні",
        "атыжөні",
    ),
    "position": (
        "position",
        "position id",
        "position name",
        "job",
        "должность",
        "id должности",
        "лауазым",
        "лауазымы",
        "лауазым id",
    ),
    "username": (
        "telegram",
        "telegram username",
        "username",
        "tg",
        "телеграм",
        "телеграм username",
        "ник в telegram",
        "ник telegram",
        "username telegram",
    ),
    "last_course_on": (
        "last course date",
        "last course",
        "course date",
        "дата последнего курса",
        "последний курс",
        "дата курса",
        "дата последних курсов",
        "курсы",
        "соңғы курс күні",
        "соңғы курс",
        "курс күні",
        "соңғы курстан өткен күні",
    ),
    "category": ("category", "категория", "квалификационная категория", "санат", "санаты"),
}
REQUIRED_COLUMNS = ("full_name", "position", "last_course_on", "category")


class RosterFileError(ValueError):
    """The whole file is refused; nothing is imported.

    ``code``: "too_large", "too_many_rows", "unreadable", "no_header", "missing_columns";
    ``detail`` names the limit or the missing columns.
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class RowError:
    line: int  # the line of the CSV file or the row of the sheet, 1 = the first
    # no_name, name_too_long, unknown_position, ambiguous_position, bad_date, no_such_date
    # (31.02.2023: the format is right, the day does not exist), future_date, date_too_old,
    # unknown_category, bad_username, duplicate, unclosed_quote
    code: str
    detail: str  # the offending value (for a duplicate: the line of the first occurrence)


@dataclass(frozen=True)
class RosterRow:
    line: int
    full_name: str
    name_key: str
    position_id: str | None
    username: str | None
    last_course_on: dt.date | None
    category: str | None


@dataclass(frozen=True)
class ImportReport:
    added: int = 0
    updated: int = 0
    rows_total: int = 0
    errors: list[RowError] = field(default_factory=list)
    delimiter: str = ","  # the upload's CSV delimiter, for a report file people open beside it


@dataclass(frozen=True)
class ParsedRoster:
    rows: list[RosterRow]
    errors: list[RowError]
    rows_total: int
    delimiter: str = ","


def normalise(text: str) -> str:
    """Casefolded, ё→е, punctuation dropped, spaces collapsed: for headers and lookups."""
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[\s\.,:;*()\"'_/\\-]+", " ", text)
    return text.strip()


def name_key(full_name: str) -> str:
    """The key re-imports match on: casefolded, ё→е, spaces collapsed."""
    return " ".join(full_name.casefold().replace("ё", "е").split())


_HEADERS = {normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


# --- reading ------------------------------------------------------------------------------------

Cell = Any
Line = tuple[int, list[Cell]]  # (line number, cells)


def _csv_text(data: bytes) -> str:
    if b"\x00" in data:
        raise RosterFileError("unreadable", "binary data")
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("unreadable", "encoding")


def csv_delimiter(data: bytes) -> str:
    """Excel in Russian locales writes semicolons; whichever splits the first line more."""
    first = data.split(b"\n", 1)[0]
    return ";" if first.count(b";") > first.count(b",") else ","


def _csv_lines(data: bytes) -> Iterator[Line]:
    """Records with the line each starts on. A quoted cell may span a few lines; a quote that
    is not closed within ``MAX_RECORD_LINES`` lines spoils its own line only.
    """
    text = _csv_text(data)
    delimiter = csv_delimiter(data)
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        taken = 1
        record = lines[index]
        while record.count('"') % 2 and taken < MAX_RECORD_LINES and index + taken < len(lines):
            record += lines[index + taken]
            taken += 1
        if record.count('"') % 2:
            yield index + 1, [UNCLOSED_QUOTE]
            index += 1
            continue
        cells: list[Cell]
        try:
            cells = list(
                next(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter), [])
            )
        except csv.Error:
            cells = [UNCLOSED_QUOTE]
        yield index + 1, cells
        index += taken


def _check_unzipped_size(data: bytes, max_bytes: int, max_rows: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RosterFileError("unreadable", "not an XLSX workbook") from error
    if len(members) > XLSX_MAX_MEMBERS:
        raise RosterFileError("unreadable", "not an XLSX workbook")
    if sum(item.file_size for item in members) > max_bytes * XLSX_UNZIPPED_FACTOR:
        raise RosterFileError("too_large", str(max_bytes))
    shared = sum(item.file_size for item in members if "sharedstrings" in item.filename.lower())
    if shared > max_bytes * XLSX_SHARED_STRINGS_FACTOR:
        raise RosterFileError("too_large", str(max_bytes))
    sheets = [item for item in members if "worksheets/" in item.filename.lower()]
    if sum(item.file_size for item in sheets) > (max_rows + BLANK_ROWS_ALLOWED) * (
        XLSX_SHEET_BYTES_PER_ROW
    ):
        raise RosterFileError("too_large", str(max_bytes))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        cells = sum(_count_cells(archive, item) for item in sheets)
    if cells > (max_rows + BLANK_ROWS_ALLOWED) * XLSX_CELLS_PER_ROW:
        raise RosterFileError("too_large", str(max_bytes))


def _count_cells(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """Cell elements in a sheet's XML, counted in the raw bytes before any parsing: openpyxl
    reads a whole sheet to size it before yielding its first row.
    """
    count, tail = 0, b""
    with archive.open(member) as stream:
        while chunk := stream.read(1024 * 1024):
            block = tail + chunk
            count += block.count(b"<c ") + block.count(b"<c>") + block.count(b":c ")
            tail = block[-2:]
    return count


def _xlsx_lines(data: bytes, max_bytes: int, max_rows: int) -> Iterator[Line]:
    from openpyxl import load_workbook

    _check_unzipped_size(data, max_bytes, max_rows)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises anything on a broken part
        raise RosterFileError("unreadable", "not an XLSX workbook") from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise RosterFileError("unreadable", "no sheet")
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as error:  # broken sheet XML, "&#0;", bad cell types
                raise RosterFileError("unreadable", "broken sheet") from error
            if values is None:
                return
            number += 1
            yield number, list(values[:MAX_COLUMNS])
    finally:
        workbook.close()


def _is_xlsx(filename: str, data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm"))


def _blank(cells: Sequence[Cell]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in cells)


def _header(cells: Sequence[Cell]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        column = _HEADERS.get(normalise(str(cell)))
        if column is not None and column not in found:
            found[column] = index
    return found


# --- values -------------------------------------------------------------------------------------


def _text(cells: Sequence[Cell], index: int | None) -> str:
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    value = cells[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(CONTROLS.sub(" ", str(value)).split())


def parse_date(value: Cell) -> dt.date | None:
    """A date cell: a spreadsheet date, an Excel serial number or dd.mm.yyyy / yyyy-mm-dd."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # up to 31.12.9999
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    words = str(value).split()
    text = words[0] if words else ""  # "10.05.2023 00:00:00" as spreadsheets export dates
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _looks_like_date(text: str) -> bool:
    """Written like a date with a real month and a day up to 31 (31.02.2023), though no such
    day exists; "31.13.2023" is not (there is no 13th month: a typo or swapped fields).
    """
    words = text.split()
    first = words[0] if words else ""
    if match := _DAY_FIRST.fullmatch(first):
        day, month = (int(part) for part in match.groups())
    elif match := _YEAR_FIRST.fullmatch(first):
        month, day = (int(part) for part in match.groups())
    else:
        return False
    return 1 <= month <= 12 and 1 <= day <= 31


class Lookups:
    """Position and category names of the rules data, by normalised id or name (kk/ru/en)."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.positions: dict[str, str] = {}
        for position in ruleset.positions.values():
            self.positions[position.id.casefold()] = position.id
            for name in (position.name.kk, position.name.ru, position.name.en):
                if name:
                    self.positions.setdefault(normalise(name), position.id)
        self.categories: dict[str, str] = {}
        for info in ruleset.meta.categories:
            self.categories[info.id] = info.id
            for name in (info.name.kk, info.name.ru, info.name.en):
                if name:
                    self.categories.setdefault(normalise(name), info.id)

    def position(self, text: str) -> str | None:
        return self.positions.get(text.strip().casefold()) or self.positions.get(normalise(text))

    def category(self, text: str) -> str | None:
        return self.categories.get(text.strip().casefold()) or self.categories.get(normalise(text))


def _row(
    line: int, cells: Sequence[Cell], columns: dict[str, int], lookups: Lookups, today: dt.date
) -> RosterRow | RowError:
    full_name = _text(cells, columns.get("full_name"))
    if not full_name:
        return RowError(line, "no_name", "")
    if len(full_name) > MAX_NAME_LENGTH:
        return RowError(line, "name_too_long", full_name[:40] + "…")
    position_text = _text(cells, columns.get("position"))
    position_id = lookups.position(position_text) if position_text else None
    if position_text and position_id is None:
        return RowError(line, "unknown_position", position_text)
    index = columns.get("position")
    if (
        index is not None
        and index < len(cells)
        and isinstance(cells[index], float)
        and lookups.position(position_text + "0")
    ):
        # A spreadsheet turns "2.10" typed into a number into 2.1: which one was meant?
        return RowError(line, "ambiguous_position", position_text)
    username_text = _text(cells, columns.get("username")).removeprefix("@")
    username_text = username_text.removeprefix("https://t.me/").removeprefix("t.me/")
    if username_text and not USERNAME.match(username_text):
        return RowError(line, "bad_username", username_text)
    index = columns.get("last_course_on")
    raw_date = cells[index] if index is not None and index < len(cells) else None
    last_course_on: dt.date | None = None
    if raw_date is not None and str(raw_date).strip():
        last_course_on = parse_date(raw_date)
        if last_course_on is None:
            shown = _text(cells, index)
            code = "no_such_date" if _looks_like_date(shown) else "bad_date"
            return RowError(line, code, shown)
        if last_course_on > today:
            return RowError(line, "future_date", last_course_on.isoformat())
        if last_course_on < MIN_COURSE_DATE:
            return RowError(line, "date_too_old", last_course_on.isoformat())
    category_text = _text(cells, columns.get("category"))
    category = lookups.category(category_text) if category_text else None
    if category_text and category is None:
        return RowError(line, "unknown_category", category_text)
    return RosterRow(
        line=line,
        full_name=full_name,
        name_key=name_key(full_name),
        position_id=position_id,
        username=username_text or None,
        last_course_on=last_course_on,
        category=category,
    )


def _non_blank(lines: Iterator[Line], max_rows: int, deadline: float) -> Iterator[Line]:
    blank = 0
    for line, cells in lines:
        if time.monotonic() > deadline:  # e.g. thousands of cells per row: bounded work
            raise RosterFileError("too_large", "time")
        if not _blank(cells):
            yield line, cells
            continue
        blank += 1
        if blank > max_rows + BLANK_ROWS_ALLOWED:  # a sheet padded with a million empty rows
            raise RosterFileError("too_many_rows", str(max_rows))


def _columns(cells: Sequence[Cell]) -> dict[str, int]:
    columns = _header(cells)
    if not columns:
        raise RosterFileError("no_header", "")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise RosterFileError("missing_columns", ", ".join(missing))
    return columns


def parse_roster(
    filename: str,
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    ruleset: Ruleset,
    today: dt.date,
    time_budget: float = TIME_BUDGET,
) -> ParsedRoster:
    """The file's good rows and bad rows; ``RosterFileError`` when the whole file is refused.

    CPU-bound (an XLSX is unzipped and its XML parsed): callers on an event loop run it in a
    worker thread (``asyncio.to_thread``); ``time_budget`` bounds it either way.
    """
    deadline = time.monotonic() + time_budget
    if len(data) > max_bytes:
        raise RosterFileError("too_large", str(max_bytes))
    if not data.strip():
        raise RosterFileError("no_header", "")
    xlsx = _is_xlsx(filename, data)
    read = _xlsx_lines(data, max_bytes, max_rows) if xlsx else _csv_lines(data)
    lines = _non_blank(read, max_rows, deadline)
    first = next(lines, None)
    if first is None:
        raise RosterFileError("no_header", "")
    columns = _columns(first[1])
    lookups = Lookups(ruleset)
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    total = 0
    for line, cells in lines:
        total += 1
        if total > max_rows:  # stop reading at once: the file may be huge once unzipped
            raise RosterFileError("too_many_rows", str(max_rows))
        if cells and cells[0] is UNCLOSED_QUOTE:
            errors.append(RowError(line, "unclosed_quote", ""))
            continue
        result = _row(line, cells, columns, lookups, today)
        if isinstance(result, RowError):
            errors.append(result)
        elif result.name_key in first_line:
            errors.append(RowError(line, "duplicate", str(first_line[result.name_key])))
        else:
            first_line[result.name_key] = line
            rows.append(result)
    delimiter = "," if xlsx else csv_delimiter(data)
    return ParsedRoster(rows=rows, errors=errors, rows_total=total, delimiter=delimiter)
