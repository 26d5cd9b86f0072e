"""My organisation through the real dispatcher: invitation links, roster upload, digest, invites.

The new texts are not translated yet, so the tests assert on data (database rows, buttons'
callback data, sent documents, numbers) or compare with the handler's own text in the locale.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from functools import partial

import pytest
from aiogram import Dispatcher
from sqlmodel import select

from backend import staff
from backend.courses.service import find_user_id
from backend.db import SessionPool
from backend.models import Invitation, UserRole
from backend.settings import Settings
from bot.factory import create_i18n
from bot.handlers.staff import join as staff_join
from bot.handlers.staff import roster as staff_roster
from bot.handlers.staff.keyboards import InviteEntryCallback, StaffOrgCallback
from testing.chat import Chat, started_chat
from testing.mocked_bot import MockedBot
from tests.bot import staff_support as support
from tests.bot.staff_support import FileBot

TODAY = dt.date.today()
LONG_AGO = (TODAY - dt.timedelta(days=4 * 365)).strftime("%d.%m.%Y")  # overdue
RECENT = (TODAY - dt.timedelta(days=3 * 365 - 30)).strftime("%d.%m.%Y")  # due within 90 days
ROSTER_HEADER = "ФИО;Должность;Telegram;Дата последнего курса;Категория\n"
ROSTER_CSV = (
    ROSTER_HEADER
    + f"Аманова Алия;2.1;@amanova;{LONG_AGO};pedagog\n"
    + "Беков Бекзат;9.99;;01.01.2024;pedagog\n"  # line 3: no such position
    + f"Сейітова Гүлнар;2.1;;{RECENT};pedagog\n"
    + "Жоқ Күн;2.1;;32.13.2020;pedagog\n"  # line 5: not a date
    + f"Аманова Алия;2.1;;{RECENT};pedagog\n"  # line 6: the same person as line 2
).encode()


@pytest.fixture
def bot() -> FileBot:
    return FileBot()


def in_locale(settings: Settings, locale: str, text: Callable[[], str]) -> str:
    """What the handler says in ``locale`` (whether or not it is translated yet)."""
    i18n = create_i18n(settings)
    with i18n.context(), i18n.use_locale(locale):
        return text()


def menu_items(bot: MockedBot) -> list[str]:
    markup = bot.sent("SendMessage")[-1].reply_markup
    return [b.callback_data for row in markup.inline_keyboard for b in row]


async def user_id(session_pool: SessionPool, telegram_id: int) -> int:
    async with session_pool() as session:
        found = await find_user_id(session=session, telegram_id=telegram_id)
    assert found is not None
    return found


# --- joining ----------------------------------------------------------------------------------
async def test_plain_start_still_opens_the_menu(dispatcher: Dispatcher, bot: FileBot) -> None:
    chat = await started_chat(dispatcher, bot, 8101)
    await chat.send("/start")
    assert "m:assess" in menu_items(bot)
    for payload in ("hello", "x" * 20, "y" * 40):  # not shaped like an invitation token
        await chat.send(f"/start {payload}")
        assert "m:assess" in menu_items(bot)
    assert "m:org" not in menu_items(bot)


async def test_a_staff_invitation_joins_the_organisation(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id = await support.make_organisation(session_pool, "Колледж «Сәт»")
    chat = await started_chat(dispatcher, bot, 8102)
    token = await support.invitation_token(session_pool, org_id, "methodist")
    await chat.send(f"/start {token}")
    welcome, menu = bot.sent("SendMessage")[-2:]
    assert "Колледж «Сәт»" in welcome.text
    assert "m:org" in [b.callback_data for row in menu.reply_markup.inline_keyboard for b in row]
    [member] = await support.memberships(session_pool, org_id)
    assert (member.user_id, member.role) == (await user_id(session_pool, 8102), "methodist")
    async with session_pool() as session:
        roles = (await session.exec(select(UserRole.role))).all()
    assert "staff" in roles


async def test_a_first_contact_joins_then_chooses_the_language(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id = await support.make_organisation(session_pool)
    token = await support.invitation_token(session_pool, org_id, "hr")
    chat = Chat(dispatcher, bot, user_id=8103)
    await chat.send(f"/start {token}")
    assert [m.role for m in await support.memberships(session_pool, org_id)] == ["hr"]
    assert [b for b, _ in chat.buttons()] == ["Қазақша", "Русский"]
    await chat.press("Русский")
    assert "m:org" in menu_items(bot)


@pytest.mark.parametrize("problem", ["unknown", "expired", "revoked"])
async def test_a_bad_invitation_is_explained_and_the_menu_follows(
    problem: str,
    dispatcher: Dispatcher,
    bot: FileBot,
    session_pool: SessionPool,
    settings: Settings,
) -> None:
    org_id = await support.make_organisation(session_pool)
    if problem == "unknown":
        token = "A" * 32
    elif problem == "expired":
        issued = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        token = await support.invitation_token(session_pool, org_id, ttl_days=1, now=issued)
    else:
        token = await support.invitation_token(session_pool, org_id)
        async with session_pool() as session:
            [invitation] = (await session.exec(select(Invitation))).all()
            assert invitation.id is not None
            assert await staff.revoke_invitation(session=session, invitation_id=invitation.id)
    chat = await started_chat(dispatcher, bot, 8104)
    await chat.send(f"/start {token}")
    reason, menu = bot.sent("SendMessage")[-2:]
    assert reason.text == in_locale(settings, "ru", lambda: staff_join.invitation_problem(problem))
    assert reason.text != in_locale(
        settings,
        "ru",
        lambda: staff_join.invitation_problem("used_up" if problem == "unknown" else "unknown"),
    )
    assert "m:assess" in [
        b.callback_data for row in menu.reply_markup.inline_keyboard for b in row
    ]
    assert await support.memberships(session_pool, org_id) == []


# --- the roster -------------------------------------------------------------------------------
async def test_uploading_a_roster_imports_good_rows_and_reports_bad_ones(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8201)
    await chat.press_data("m:org")
    await chat.press_data(StaffOrgCallback(o=org_id, a="up").pack())
    await support.send_photo(chat, bot)  # a photo instead of a file: a hint, still waiting
    await support.send_document(chat, bot, "roster.pdf", b"%PDF")  # wrong type: a hint
    assert bot.downloaded == []
    await support.send_document(chat, bot, "roster.csv", ROSTER_CSV)
    names = sorted(entry.full_name for entry in await support.roster(session_pool, org_id))
    assert names == ["Аманова Алия", "Сейітова Гүлнар"]
    report = next(text for text in bot.texts() if "9.99" in text)
    for line in ("3", "5", "6"):
        assert re.search(rf"\b{line}\b", report)
    assert "9.99" in report
    assert "32.13.2020" in report
    [(filename, body)] = support.documents(bot)
    assert filename.endswith(".csv")
    # the upload used ";", so does the report (issue 16)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["3", "5", "6"]
    # the import ended the upload: a further document is not taken as a roster
    await support.send_document(chat, bot, "again.csv", ROSTER_CSV)
    assert len(bot.downloaded) == 1


async def test_an_impossible_day_is_called_so_not_a_malformed_date(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool, settings: Settings
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8204)
    await chat.press_data(StaffOrgCallback(o=org_id, a="up").pack())
    roster = (
        ROSTER_HEADER
        + "Бекова Сая;2.1;;31.02.2023;pedagog\n"  # line 2: the format is right, the day is not
        + '"Ким Анна;2.1;;01.02.2024;pedagog\n'  # line 3: a quote never closed
        + f"Сейітова Гүлнар;2.1;;{RECENT};pedagog\n"
    ).encode()
    await support.send_document(chat, bot, "roster.csv", roster)
    report = next(text for text in bot.texts() if "31.02.2023" in text)
    no_such_day = in_locale(settings, "ru", lambda: staff_roster.row_problem("no_such_date"))
    not_a_date = in_locale(settings, "ru", lambda: staff_roster.row_problem("bad_date"))
    unclosed = in_locale(settings, "ru", lambda: staff_roster.row_problem("unclosed_quote"))
    assert no_such_day in report
    assert not_a_date not in report
    assert unclosed in report
    names = [entry.full_name for entry in await support.roster(session_pool, org_id)]
    assert names == ["Сейітова Гүлнар"]  # the line after the open quote still counts


async def test_an_oversize_roster_is_refused_before_download_and_the_upload_continues(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool, settings: Settings
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8202)
    await chat.press_data(StaffOrgCallback(o=org_id, a="up").pack())
    too_big = settings.staff.roster_max_bytes + 1
    await support.send_document(chat, bot, "big.xlsx", b"PK", file_size=too_big)
    assert bot.downloaded == []
    assert chat.last_text() == in_locale(
        settings, "ru", lambda: staff_roster.roster_file_problem("too_large", settings)
    )
    await support.send_document(chat, bot, "roster.csv", ROSTER_CSV)
    assert len(await support.roster(session_pool, org_id)) == 2


async def test_a_file_without_the_columns_imports_nothing(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool, settings: Settings
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8203)
    await chat.press_data(StaffOrgCallback(o=org_id, a="up").pack())
    await support.send_document(
        chat, bot, "roster.csv", "ФИО;Город\nАманова Алия;Алматы\n".encode()
    )
    assert await support.roster(session_pool, org_id) == []
    missing = "position, last_course_on, category"
    assert chat.last_text() == in_locale(
        settings,
        "ru",
        lambda: staff_roster.roster_file_problem("missing_columns", settings, missing),
    )
    # it names what is missing, and the optional username is not among them (issue 16)
    named = chat.last_text().split(".")[0]
    for column in ("position", "last_course_on", "category"):
        assert in_locale(settings, "ru", partial(staff_roster.column_name, column)) in named
    assert "Telegram" not in named


# --- the digest -------------------------------------------------------------------------------
async def test_export_sends_the_digest_text_csv_and_xlsx(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8301)
    await support.upload_roster(chat, bot, org_id, ROSTER_CSV)
    bot.session.requests.clear()
    await chat.press_data(StaffOrgCallback(o=org_id, a="exp").pack())
    digest_message = bot.sent("SendMessage")[0].text
    assert "Аманова Алия" in digest_message
    assert "Еженедельная" not in digest_message  # asked for now, not the weekly one
    assert "Сейітова Гүлнар" in digest_message
    files = support.documents(bot)
    assert [name.rsplit(".", 1)[1] for name, _ in files] == ["csv", "xlsx"]
    csv_body, xlsx_body = files[0][1], files[1][1]
    assert "Аманова Алия".encode() in csv_body
    assert xlsx_body.startswith(b"PK")  # a zip: an XLSX workbook


# --- inviting a teacher -----------------------------------------------------------------------
async def test_an_invite_link_links_the_teacher_who_opens_it(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8401)
    await support.upload_roster(chat, bot, org_id, ROSTER_CSV)
    await chat.press_data(StaffOrgCallback(o=org_id, a="inv").pack())
    entries = {e.full_name: e.id for e in await support.roster(session_pool, org_id)}
    offered = [d for _, d in chat.buttons() if d.startswith("se:")]
    assert sorted(offered) == sorted(
        InviteEntryCallback(o=org_id, e=entry_id or 0).pack() for entry_id in entries.values()
    )
    await chat.press_data(InviteEntryCallback(o=org_id, e=entries["Сейітова Гүлнар"] or 0).pack())
    found = re.search(r"https://t\.me/sanat_test_bot\?start=([A-Za-z0-9_-]+)", chat.last_text())
    assert found is not None
    teacher = await started_chat(dispatcher, bot, 8402)
    await teacher.send(f"/start {found.group(1)}")
    linked = {e.full_name: e.user_id for e in await support.roster(session_pool, org_id)}
    assert linked == {"Аманова Алия": None, "Сейітова Гүлнар": await user_id(session_pool, 8402)}
    assert "m:org" not in menu_items(bot)  # a teacher is not staff
    # the linked teacher is no longer offered
    await chat.press_data(StaffOrgCallback(o=org_id, a="inv").pack())
    offered = [d for _, d in chat.buttons() if d.startswith("se:")]
    assert offered == [InviteEntryCallback(o=org_id, e=entries["Аманова Алия"] or 0).pack()]


async def test_the_new_students_link_makes_whoever_opens_it_a_student(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8411)
    await chat.press_data(StaffOrgCallback(o=org_id, a="stu").pack())
    found = re.search(r"https://t\.me/sanat_test_bot\?start=([A-Za-z0-9_-]+)", chat.last_text())
    assert found is not None
    for telegram_id in (8412, 8413):
        student = await started_chat(dispatcher, bot, telegram_id)
        await student.send(f"/start {found.group(1)}")
        async with session_pool() as session:
            student_id = await find_user_id(session=session, telegram_id=telegram_id)
            roles = (
                await session.exec(select(UserRole.role).where(UserRole.user_id == student_id))
            ).all()
        assert roles == ["student"]
    assert "m:org" not in menu_items(bot)  # a student is not staff


async def test_forged_buttons_of_another_organisation_are_refused(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    own = await support.make_organisation(session_pool, "Своя школа")
    other = await support.make_organisation(session_pool, "Чужая школа")
    head = await support.staff_chat(dispatcher, bot, session_pool, 8501, other)
    await support.upload_roster(head, bot, other, ROSTER_CSV)
    [entry, *_] = await support.roster(session_pool, other)
    intruder = await support.staff_chat(dispatcher, bot, session_pool, 8502, own)
    stranger = await started_chat(dispatcher, bot, 8503)
    bot.session.requests.clear()
    for chat in (intruder, stranger):
        for action in ("open", "up", "exp", "inv", "stu"):
            await chat.press_data(StaffOrgCallback(o=other, a=action).pack())
        await chat.press_data(InviteEntryCallback(o=other, e=entry.id or 0).pack())
    alerts = bot.sent("AnswerCallbackQuery")
    assert len(alerts) == 12
    assert all(a.show_alert for a in alerts)
    assert bot.sent("SendDocument") == []
    assert bot.sent("SendMessage") == []
    assert bot.sent("EditMessageText") == []
    async with session_pool() as session:
        invitations = (await session.exec(select(Invitation))).all()
    assert all(i.roster_entry_id is None for i in invitations)
    assert all(i.role != "student" for i in invitations)  # no students' link was made
    # the refused upload button left no upload waiting
    await support.send_document(intruder, bot, "roster.csv", ROSTER_CSV)
    assert len(bot.downloaded) == 1  # only the head's upload


async def test_an_xlsx_roster_is_imported_too(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Full name", "Position", "Telegram", "Last course date", "Category"])
    sheet.append(["Нұрлан Әлиев", "2.1", "", dt.datetime(2024, 5, 20), "pedagog"])
    sheet.append(["", "2.1", "", "", ""])  # line 3: no name
    body = io.BytesIO()
    workbook.save(body)
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8204)
    await support.upload_roster(chat, bot, org_id, body.getvalue(), file_name="Roster.XLSX")
    [entry] = await support.roster(session_pool, org_id)
    assert (entry.full_name, entry.last_course_on) == ("Нұрлан Әлиев", dt.date(2024, 5, 20))
    [(_, errors)] = support.documents(bot)
    assert [row[0] for row in csv.reader(io.StringIO(errors.decode("utf-8-sig")))][1:] == ["3"]


async def test_a_long_error_list_is_capped_and_the_file_has_every_line(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    bad = "".join(f"Учитель {n} {'x' * 200};9.99;;01.01.2024;pedagog\n" for n in range(30))
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8205)
    await support.upload_roster(chat, bot, org_id, (ROSTER_HEADER + bad).encode())
    report = next(text for text in bot.texts() if "9.99" in text)
    assert len(report) < 4096
    shown = re.findall(r"\b(\d+)\b: ", report)  # "line N: …" whatever the language
    assert 0 < len(shown) <= staff_roster.REPORT_ERROR_LINES
    assert str(30 - len(shown)) in report.rsplit("\n", 1)[-1]  # "…and N more"
    [(_, errors)] = support.documents(bot)
    rows = csv.reader(io.StringIO(errors.decode("utf-8-sig")), delimiter=";")  # as uploaded
    lines = [row[0] for row in rows][1:]
    assert lines == [str(n) for n in range(2, 32)]
    assert await support.roster(session_pool, org_id) == []


async def test_a_single_use_teacher_link_cannot_be_used_by_someone_else(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool, settings: Settings
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8403)
    await support.upload_roster(chat, bot, org_id, ROSTER_CSV)
    [first, *_] = await support.roster(session_pool, org_id)
    await chat.press_data(InviteEntryCallback(o=org_id, e=first.id or 0).pack())
    found = re.search(r"\?start=([A-Za-z0-9_-]+)", chat.last_text())
    assert found is not None
    teacher = await started_chat(dispatcher, bot, 8404)
    await teacher.send(f"/start {found.group(1)}")
    someone = await started_chat(dispatcher, bot, 8405)
    await someone.send(f"/start {found.group(1)}")
    assert bot.sent("SendMessage")[-2].text == in_locale(
        settings, "ru", lambda: staff_join.invitation_problem("used_up")
    )
    [linked] = [e for e in await support.roster(session_pool, org_id) if e.id == first.id]
    assert linked.user_id == await user_id(session_pool, 8404)


async def test_a_long_roster_is_offered_page_by_page(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    rows = "".join(f"Учитель {n:02};2.1;;01.01.2024;pedagog\n" for n in range(11))
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 8406)
    await support.upload_roster(chat, bot, org_id, (ROSTER_HEADER + rows).encode())
    await chat.press_data(StaffOrgCallback(o=org_id, a="inv").pack())
    first_page = [t for t, d in chat.buttons() if d.startswith("se:")]
    assert len(first_page) == 8
    await chat.press("▶")
    second_page = [t for t, d in chat.buttons() if d.startswith("se:")]
    assert len(second_page) == 3
    assert sorted(first_page + second_page) == [f"Учитель {n:02}" for n in range(11)]
    assert "▶" not in [t for t, _ in chat.buttons()]


async def test_staff_of_several_organisations_choose_one(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    first = await support.make_organisation(session_pool, "Школа №7")
    second = await support.make_organisation(session_pool, "Колледж №2")
    chat = await support.staff_chat(dispatcher, bot, session_pool, 8601, first)
    await chat.send(f"/start {await support.invitation_token(session_pool, second, 'hr')}")
    await chat.press_data("m:org")
    assert sorted(d for _, d in chat.buttons() if d.startswith("so:")) == sorted(
        StaffOrgCallback(o=org, a="open").pack() for org in (first, second)
    )
    await chat.press("Колледж №2")
    assert "Колледж №2" in chat.last_screen().text
    assert StaffOrgCallback(o=second, a="exp").pack() in [d for _, d in chat.buttons()]


async def test_a_teacher_or_stranger_opening_the_section_is_told_they_are_not_staff(
    dispatcher: Dispatcher, bot: FileBot
) -> None:
    chat = await started_chat(dispatcher, bot, 8602)
    await chat.press_data("m:org")
    assert [d for _, d in chat.buttons()] == ["m:home"]
