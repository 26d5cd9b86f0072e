"""Calendar events as data: the service, the testing reminders that follow them through the
sweep (quiet hours, opt-out, audience, exactly once), the admin API over loopback, the CLI and the
admin command and My courses in the bot (real dispatcher). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from backend import api_tokens, users
from backend.calendars import service as calendars
from backend.calendars.windows import due_reminder, next_window
from backend.courses import service as courses
from backend.db import SessionPool
from backend.delivery.render import render_text
from backend.models import CalendarEvent, Membership, Organisation, ReminderPreference
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from bot.context import local_today
from testing.chat import started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import deliver
from tests.courses.helpers import add_course, at_local, local, new_teacher, outbox, restarted
from tests.sanat_cli import SanatCli

Client = TestClient[web.Request, web.Application]
BASIS = "ҚР ОАМ 2026 жылғы №999 бұйрығы (сынақ)"
APRIL = calendars.EventInput("testing", dt.date(2027, 4, 12), dt.date(2027, 4, 30), BASIS)


async def add(pool: SessionPool, event: calendars.EventInput) -> CalendarEvent:
    async with pool() as session:
        return await calendars.add_event(session=session, event=event)


async def test_history_rows_of_2022_come_with_the_migration(session_pool: SessionPool) -> None:
    async with session_pool() as session:
        events = await calendars.list_events(session=session, kind="testing")
    assert [(e.starts_on, e.ends_on) for e in events] == [
        (dt.date(2022, 4, 11), dt.date(2022, 4, 29)),
        (dt.date(2022, 7, 1), dt.date(2022, 7, 29)),
        (dt.date(2022, 11, 1), dt.date(2022, 11, 30)),
    ]
    assert all("№146" in e.legal_basis and "2085-2089" in e.legal_basis for e in events)


async def test_validation_and_duplicates(session_pool: SessionPool) -> None:
    with pytest.raises(calendars.CalendarInputError) as error:
        calendars.validate_event(
            calendars.EventInput("testing", dt.date(2027, 5, 1), dt.date(2027, 4, 1), BASIS)
        )
    assert error.value.code == "dates"
    for bad, code in (
        (calendars.EventInput("exam", APRIL.starts_on, APRIL.ends_on, BASIS), "kind"),
        (calendars.EventInput("testing", APRIL.starts_on, APRIL.ends_on, "  "), "basis"),
        (
            calendars.EventInput("testing", APRIL.starts_on, APRIL.ends_on, BASIS, "mars"),
            "audience",
        ),
    ):
        with pytest.raises(calendars.CalendarInputError) as error:
            calendars.validate_event(bad)
        assert error.value.code == code
    first = await add(session_pool, APRIL)
    with pytest.raises(calendars.DuplicateEventError) as duplicate:
        await add(session_pool, APRIL)
    assert duplicate.value.existing_id == first.id
    async with session_pool() as session:
        removed = await calendars.remove_event(session=session, event_id=first.id or 0)
        assert removed.starts_on == APRIL.starts_on
        with pytest.raises(calendars.EventNotFoundError):
            await calendars.remove_event(session=session, event_id=first.id or 0)


def test_which_reminder_is_due() -> None:
    window = CalendarEvent(
        kind="testing", starts_on=APRIL.starts_on, ends_on=APRIL.ends_on, legal_basis=BASIS
    )
    assert due_reminder([window], dt.date(2027, 3, 28)) is None  # 15 days ahead
    opening = due_reminder([window], dt.date(2027, 3, 29))
    assert opening is not None
    assert (opening.phase, opening.days_left) == ("opens", 14)
    assert due_reminder([window], dt.date(2027, 4, 20)) is None  # open, not closing yet
    closing = due_reminder([window], dt.date(2027, 4, 28))
    assert closing is not None
    assert (closing.phase, closing.days_left) == ("closes", 2)
    assert due_reminder([window], dt.date(2027, 5, 1)) is None
    assert next_window([window], dt.date(2027, 4, 20)) is window
    assert next_window([window], dt.date(2027, 5, 1)) is None


async def test_an_added_window_brings_both_reminders_once_each(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    teacher = await new_teacher(session_pool, 5001)
    stopped = await new_teacher(session_pool, 5002)
    for user_id in (teacher, stopped):
        await add_course(session_pool, user_id, dt.date(2025, 9, 1))  # nothing due in 2027
    async with session_pool() as session:
        session.add(ReminderPreference(user_id=stopped, stopped=True))  # opted out
        await session.commit()
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 3, 29)) == 0
    await add(session_pool, APRIL)  # the admin adds next year's window
    # 21:30 local is quiet: the reminder is enqueued for 09:00 the next morning
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 3, 28, 21, 30)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 3, 29, 10)) == 0
    (opening,) = await outbox(session_pool)
    assert opening.user_id == teacher
    assert opening.dedupe_key == f"testing:{teacher}:2027-04-12"
    assert at_local(opening.next_attempt_at).replace(tzinfo=None) == dt.datetime(2027, 3, 29, 9)
    assert "12.04.2027 – 30.04.2027" in render_text(opening.payload, "ru")
    assert BASIS in render_text(opening.payload, "kk")
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 4, 27, 12)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 4, 28, 12)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 4, 30, 12)) == 0
    closing = (await outbox(session_pool))[-1]
    assert closing.dedupe_key == f"testing-close:{teacher}:2027-04-12"
    assert closing.payload["phase"] == "closes"
    assert "закрывается" in render_text(closing.payload, "ru")
    assert "жабылады" in render_text(closing.payload, "kk")
    assert len(await outbox(session_pool)) == 2


async def test_an_audience_narrows_the_reminder_to_one_organisation_kind(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    college, school = await new_teacher(session_pool, 5101), await new_teacher(session_pool, 5102)
    async with session_pool() as session:
        for user_id, kind in ((college, "tvet"), (school, "school")):
            organisation = Organisation(name=f"org {kind}", kind=kind)
            session.add(organisation)
            await session.flush()
            assert organisation.id is not None
            session.add(
                Membership(organisation_id=organisation.id, user_id=user_id, role="teacher")
            )
        await session.commit()
    for user_id in (college, school):
        await add_course(session_pool, user_id, dt.date(2025, 9, 1))
    await add(
        session_pool,
        calendars.EventInput("testing", APRIL.starts_on, APRIL.ends_on, BASIS, audience="tvet"),
    )
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 3, 30)) == 1
    (row,) = await outbox(session_pool)
    assert row.user_id == college


# --- the admin API ------------------------------------------------------------------------------


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, auth_headers: dict[str, str]
) -> AsyncIterator[Client]:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: local(2027, 3, 1)
    async with TestClient(TestServer(app, host="127.0.0.1"), headers=auth_headers) as client:
        yield client


async def test_api_add_list_remove_with_an_admin_token(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    response = await client.post(
        "/api/v1/admin/calendar",
        json={"kind": "testing", "start": "2027-04-12", "end": "2027-04-30", "legal_basis": BASIS},
    )
    created = await response.json()
    assert response.status == 201, created
    assert (created["start"], created["end"], created["audience"]) == (
        "2027-04-12",
        "2027-04-30",
        None,
    )
    again = await client.post(
        "/api/v1/admin/calendar",
        json={"start": "2027-04-12", "end": "2027-04-30", "legal_basis": BASIS},
    )
    assert again.status == 409
    assert again.content_type == "application/problem+json"
    bad = await client.post(
        "/api/v1/admin/calendar",
        json={"start": "2027-05-12", "end": "2027-04-30", "legal_basis": BASIS},
    )
    assert bad.status == 422
    assert (await bad.json())["code"] == "dates"
    garbage = await client.post(
        "/api/v1/admin/calendar", json={"start": "someday", "legal_basis": BASIS}
    )
    assert garbage.status == 422
    assert any("start" in line for line in (await garbage.json())["errors"])
    listed = await (await client.get("/api/v1/admin/calendar?kind=testing")).json()
    assert [item["start"] for item in listed["items"]][-1] == "2027-04-12"
    assert len(listed["items"]) == 4  # three 2022 history rows + the new one
    nxt = await (await client.get("/api/v1/calendar/next-testing-window")).json()
    assert nxt == {"window": created, "open_now": False}
    removed = await client.delete(f"/api/v1/admin/calendar/{created['id']}")
    assert removed.status == 200
    assert (await client.delete(f"/api/v1/admin/calendar/{created['id']}")).status == 404
    nxt = await (await client.get("/api/v1/calendar/next-testing-window")).json()
    assert nxt == {"window": None, "open_now": False}
    # an organisation token may not touch the calendar
    organisation_token = await api_tokens.create_token(
        session_pool, name="org", scope="org:1", pepper=api_tokens.pepper_of(settings)
    )
    forbidden = await client.post(
        "/api/v1/admin/calendar",
        json={"start": "2027-04-12", "end": "2027-04-30", "legal_basis": BASIS},
        headers={"Authorization": f"Bearer {organisation_token.token}"},
    )
    assert forbidden.status == 403


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_add_list_remove(sanat_cli: SanatCli) -> None:
    assert sanat_cli("migrate").returncode == 0
    added = sanat_cli(
        "admin", "calendar", "add", "--start", "2027-04-12", "--end", "2027-04-30",
        "--basis", BASIS
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    event_id = added.stdout.split()[1]
    listed = sanat_cli("admin", "calendar", "list")
    assert "2027-04-12  2027-04-30" in listed.stdout
    assert "2022-11-01" in listed.stdout
    bad = sanat_cli(
        "admin", "calendar", "add", "--start", "2027-05-12", "--end", "2027-04-30",
        "--basis", BASIS
    )  # fmt: skip
    assert bad.returncode == 2
    assert "end is before the start" in bad.stderr
    assert sanat_cli("admin", "calendar", "remove", event_id).returncode == 0
    assert sanat_cli("admin", "calendar", "remove", event_id).returncode == 1
    assert "2027-04-12" not in sanat_cli("admin", "calendar", "list").stdout


# --- the bot ------------------------------------------------------------------------------------


async def test_admin_adds_a_window_in_the_bot_and_my_courses_shows_it(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, settings: Settings
) -> None:
    today = local_today(settings)
    start, end = today + dt.timedelta(days=40), today + dt.timedelta(days=60)
    stranger = await started_chat(dispatcher, bot, 7301)
    await stranger.send(f"/calendar add testing {start:%d.%m.%Y} {end:%d.%m.%Y} {BASIS}")
    assert "Неизвестная команда" in stranger.last_text()
    admin = await started_chat(dispatcher, bot, 7302)
    async with session_pool() as session:
        await users.grant_role(
            session=session, user_id=await user_id_of(session_pool, admin), role="admin"
        )
    await admin.send(f"/calendar add testing {end:%d.%m.%Y} {start:%d.%m.%Y} {BASIS}")
    assert "Окончание раньше начала" in admin.last_text()
    await admin.send(f"/calendar add testing {start:%d.%m.%Y} {end:%d.%m.%Y} {BASIS}")
    assert "✅ Добавлено" in admin.last_text()
    async with session_pool() as session:
        (stored,) = (
            await session.exec(select(CalendarEvent).where(CalendarEvent.starts_on == start))
        ).all()
    assert stored.legal_basis == BASIS
    await admin.send("/calendar")
    assert f"{start:%d.%m.%Y} – {end:%d.%m.%Y}" in admin.last_text()
    await stranger.press("📚")
    screen = stranger.last_screen().text
    assert f"Следующее окно национального квалификационного тестирования: {start:%d.%m.%Y}" in (
        screen
    )
    await admin.send(f"/calendar remove {stored.id}")
    assert "🗑 Удалено" in admin.last_text()


async def test_next_years_windows_added_in_the_bot_bring_their_reminders(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    *,
    settings: Settings,
    ruleset: Ruleset,
    database_url: str,
) -> None:
    year = local_today(settings).year + 1
    windows = [
        (dt.date(year, 4, 12), dt.date(year, 4, 30)),
        (dt.date(year, 11, 2), dt.date(year, 11, 27)),
    ]
    admin = await started_chat(dispatcher, bot, 7311)
    async with session_pool() as session:
        await users.grant_role(
            session=session, user_id=await user_id_of(session_pool, admin), role="admin"
        )
    for start, end in windows:
        await admin.send(f"/calendar add testing {start:%d.%m.%Y} {end:%d.%m.%Y} {BASIS}")
        assert "✅ Добавлено" in admin.last_text()
    teacher = await new_teacher(session_pool, 5301)  # speaks Kazakh
    await add_course(session_pool, teacher, dt.date(year - 2, 9, 1))  # nothing else due that year
    delivered = MockedBot()
    moments = []
    for start, end in windows:  # the day before each reminder is due, the day, and after
        for days in (-15, -14, 0):
            moments += [
                local(*(start + dt.timedelta(days=days)).timetuple()[:3], hour) for hour in (8, 12)
            ]
        for days in (-3, -2, 0):
            moments += [
                local(*(end + dt.timedelta(days=days)).timetuple()[:3], hour) for hour in (8, 12)
            ]
    for moment in moments:
        async with restarted(database_url) as pool:  # a restart between sweeps changes nothing
            await courses.sweep(pool, settings, ruleset, moment)
            await deliver(pool, delivered, moment)
    texts = [str(r.text) for r in delivered.sent("SendMessage") if r.chat_id == 5301]
    assert len(texts) == 4, texts
    for (start, end), opening, closing in zip(windows, texts[::2], texts[1::2], strict=True):
        assert f"{start:%d.%m.%Y} – {end:%d.%m.%Y}" in opening
        assert BASIS in opening
        assert "жабылады" in closing
        assert "жабылады" not in opening
    keys = sorted(row.dedupe_key for row in await outbox(session_pool))
    assert keys == sorted(
        f"{prefix}:{teacher}:{start.isoformat()}"
        for start, _end in windows
        for prefix in ("testing", "testing-close")
    )
